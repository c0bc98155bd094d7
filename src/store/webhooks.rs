//! The webhook subscription repository (docs/webhooks.md): subscriptions and the state of
//! their deliveries. A replica's deliverer claims a due subscription for a lease, and each of
//! its updates holds only while that lease is still its own, so that one deliverer at a time
//! sends a subscription's notifications, in order.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::entity::webhook_subscription::{self as row, Column as C};
use super::{MerchantId, Store, StoreError, now_micros};
use crate::domain::webhook::{DeliveryPosition, EventType, SubscriptionSpec, WebhookFormat};

/// Where a subscription's deliveries stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// Delivering; the last attempt, if any, succeeded.
    Active,
    /// The last attempt failed; the same notification is tried again when due.
    Retrying,
    /// Too many failures in a row; nothing is sent until replayed.
    DeadLettered,
}

impl DeliveryState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Active => "ACTIVE",
            DeliveryState::Retrying => "RETRYING",
            DeliveryState::DeadLettered => "DEAD_LETTERED",
        }
    }

    fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "ACTIVE" => Some(DeliveryState::Active),
            "RETRYING" => Some(DeliveryState::Retrying),
            "DEAD_LETTERED" => Some(DeliveryState::DeadLettered),
            _ => None,
        }
    }
}

/// A stored subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Opaque id.
    pub id: String,
    /// Owning merchant.
    pub merchant: MerchantId,
    /// What it asked for, checked when it was created.
    pub spec: SubscriptionSpec,
    /// The key of its notifications' signatures.
    pub signature_key: String,
    /// Where its deliveries stand.
    pub state: DeliveryState,
    /// Its position in the merchant's feed.
    pub position: DeliveryPosition,
    /// Failures in a row of the notification being delivered.
    pub failed_attempts: u32,
    /// Why the last attempt failed; empty after a success.
    pub last_error: String,
    /// When the next attempt is due, µs.
    pub next_attempt_at: i64,
    /// Creation time, µs.
    pub created_at: i64,
    /// Last update, µs.
    pub updated_at: i64,
}

/// How long a deliverer holds a subscription it claimed, unless it renews the claim (each
/// notification delivered renews it): longer than one notification may take
/// (`webhook::DELIVERY_TIMEOUT`), short enough that a replica that died holding a claim
/// delays its subscriptions by seconds. On SQLite the one server clears every claim as it
/// starts ([`Store::release_all_webhooks`]).
pub const LEASE_MICROS: i64 = 15_000_000;

impl Store {
    /// Stores a new subscription whose deliveries start after feed sequence `after_seq`.
    pub async fn create_webhook_subscription(
        &self,
        merchant: &MerchantId,
        spec: SubscriptionSpec,
        after_seq: i64,
    ) -> Result<Subscription, StoreError> {
        let now = now_micros();
        let signature_key = new_signature_key()?;
        let subscription = Subscription {
            id: super::new_id(),
            merchant: merchant.clone(),
            spec,
            signature_key,
            state: DeliveryState::Active,
            position: DeliveryPosition {
                seq: after_seq,
                events: 0,
            },
            failed_attempts: 0,
            last_error: String::new(),
            next_attempt_at: 0,
            created_at: now,
            updated_at: now,
        };
        let event_types: Vec<&str> = subscription
            .spec
            .event_types
            .iter()
            .map(|e| e.as_str())
            .collect();
        row::Entity::insert(row::ActiveModel {
            id: Set(subscription.id.clone()),
            merchant_id: Set(merchant.0.clone()),
            name: Set(subscription.spec.name.clone()),
            notification_url: Set(subscription.spec.notification_url.clone()),
            format: Set(subscription.spec.format.as_str().to_owned()),
            event_types: Set(event_types.join(",")),
            shopify_shop_domain: Set(subscription
                .spec
                .shopify_shop_domain
                .clone()
                .unwrap_or_default()),
            signature_key: Set(subscription.signature_key.clone()),
            state: Set(DeliveryState::Active.as_str().to_owned()),
            delivered_seq: Set(after_seq),
            delivered_events: Set(0),
            failed_attempts: Set(0),
            last_error: Set(String::new()),
            next_attempt_at: Set(0),
            lease_owner: Set(String::new()),
            lease_until: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(self.connection())
        .await?;
        Ok(subscription)
    }

    /// How many subscriptions the merchant holds.
    pub async fn count_webhook_subscriptions(
        &self,
        merchant: &MerchantId,
    ) -> Result<u64, StoreError> {
        Ok(row::Entity::find()
            .filter(C::MerchantId.eq(&merchant.0))
            .count(self.connection())
            .await?)
    }

    /// One subscription of the merchant.
    pub async fn get_webhook_subscription(
        &self,
        merchant: &MerchantId,
        id: &str,
    ) -> Result<Subscription, StoreError> {
        let found = row::Entity::find_by_id(id.to_owned())
            .filter(C::MerchantId.eq(&merchant.0))
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound)?;
        subscription_from_row(found)
    }

    /// Every subscription of the merchant, oldest first.
    pub async fn list_webhook_subscriptions(
        &self,
        merchant: &MerchantId,
    ) -> Result<Vec<Subscription>, StoreError> {
        row::Entity::find()
            .filter(C::MerchantId.eq(&merchant.0))
            .order_by_asc(C::CreatedAt)
            .order_by_asc(C::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(subscription_from_row)
            .collect()
    }

    /// Removes a subscription; `NotFound` if the merchant has none by that id.
    pub async fn delete_webhook_subscription(
        &self,
        merchant: &MerchantId,
        id: &str,
    ) -> Result<(), StoreError> {
        let deleted = row::Entity::delete_many()
            .filter(C::Id.eq(id))
            .filter(C::MerchantId.eq(&merchant.0))
            .exec(self.connection())
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Makes a subscription active again with no failures counted, from `position` (or
    /// where it stopped), and takes it from whichever deliverer holds it.
    pub async fn replay_webhook_subscription(
        &self,
        merchant: &MerchantId,
        id: &str,
        position: Option<DeliveryPosition>,
    ) -> Result<Subscription, StoreError> {
        let mut update = row::Entity::update_many()
            .col_expr(C::State, Expr::value(DeliveryState::Active.as_str()))
            .col_expr(C::FailedAttempts, Expr::value(0))
            .col_expr(C::LastError, Expr::value(""))
            .col_expr(C::NextAttemptAt, Expr::value(0i64))
            .col_expr(C::LeaseOwner, Expr::value(""))
            .col_expr(C::LeaseUntil, Expr::value(0i64))
            .col_expr(C::UpdatedAt, Expr::value(now_micros()));
        if let Some(position) = position {
            update = update
                .col_expr(C::DeliveredSeq, Expr::value(position.seq))
                .col_expr(C::DeliveredEvents, Expr::value(events_column(position)));
        }
        let updated = update
            .filter(C::Id.eq(id))
            .filter(C::MerchantId.eq(&merchant.0))
            .exec(self.connection())
            .await?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_webhook_subscription(merchant, id).await
    }

    /// Claims, for `owner`, every subscription that is due now and has changes to deliver,
    /// unless another deliverer holds it; answers each as it stands once claimed.
    pub async fn claim_due_webhooks(
        &self,
        owner: &str,
        now: i64,
    ) -> Result<Vec<Subscription>, StoreError> {
        let candidates = row::Entity::find()
            .filter(C::State.ne(DeliveryState::DeadLettered.as_str()))
            .filter(C::NextAttemptAt.lte(now))
            .filter(C::LeaseUntil.lte(now))
            .order_by_asc(C::NextAttemptAt)
            .all(self.connection())
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let heads = self
            .feed_heads(candidates.iter().map(|c| c.merchant_id.as_str()))
            .await?;
        let mut claimed = Vec::new();
        for candidate in candidates {
            let head = heads.get(&candidate.merchant_id).copied().unwrap_or(0);
            if candidate.delivered_seq >= head {
                continue;
            }
            // Whoever updates the row first holds it: the other replica's update finds
            // the lease taken and changes nothing.
            let taken = row::Entity::update_many()
                .col_expr(C::LeaseOwner, Expr::value(owner))
                .col_expr(C::LeaseUntil, Expr::value(now + LEASE_MICROS))
                .filter(C::Id.eq(&candidate.id))
                .filter(C::LeaseUntil.lte(now))
                .filter(C::State.ne(DeliveryState::DeadLettered.as_str()))
                .exec(self.connection())
                .await?;
            if taken.rows_affected == 1 {
                // Read again under the claim: the candidate's row may predate deliveries
                // another replica made before it gave the subscription up.
                if let Some(fresh) = row::Entity::find_by_id(candidate.id)
                    .one(self.connection())
                    .await?
                {
                    claimed.push(subscription_from_row(fresh)?);
                }
            }
        }
        Ok(claimed)
    }

    /// Records that `owner` delivered up to `position`, renewing its lease; `false` if the
    /// subscription is no longer `owner`'s (replayed, deleted, or its lease taken).
    pub async fn record_webhook_delivered(
        &self,
        id: &str,
        owner: &str,
        position: DeliveryPosition,
    ) -> Result<bool, StoreError> {
        let now = now_micros();
        let updated = row::Entity::update_many()
            .col_expr(C::DeliveredSeq, Expr::value(position.seq))
            .col_expr(C::DeliveredEvents, Expr::value(events_column(position)))
            .col_expr(C::State, Expr::value(DeliveryState::Active.as_str()))
            .col_expr(C::FailedAttempts, Expr::value(0))
            .col_expr(C::LastError, Expr::value(""))
            .col_expr(C::NextAttemptAt, Expr::value(0i64))
            .col_expr(C::LeaseUntil, Expr::value(now + LEASE_MICROS))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(id))
            .filter(C::LeaseOwner.eq(owner))
            .exec(self.connection())
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Records a failed attempt by `owner`, after delivering up to `position`, and gives
    /// the subscription up: retried at `next`, or dead-lettered.
    pub async fn record_webhook_failure(
        &self,
        id: &str,
        owner: &str,
        position: DeliveryPosition,
        failures: u32,
        error: &str,
        next: Option<i64>,
    ) -> Result<bool, StoreError> {
        let state = match next {
            Some(_) => DeliveryState::Retrying,
            None => DeliveryState::DeadLettered,
        };
        let updated = row::Entity::update_many()
            .col_expr(C::DeliveredSeq, Expr::value(position.seq))
            .col_expr(C::DeliveredEvents, Expr::value(events_column(position)))
            .col_expr(C::State, Expr::value(state.as_str()))
            .col_expr(
                C::FailedAttempts,
                Expr::value(i32::try_from(failures).unwrap_or(i32::MAX)),
            )
            .col_expr(C::LastError, Expr::value(error))
            .col_expr(C::NextAttemptAt, Expr::value(next.unwrap_or(0)))
            .col_expr(C::LeaseOwner, Expr::value(""))
            .col_expr(C::LeaseUntil, Expr::value(0i64))
            .col_expr(C::UpdatedAt, Expr::value(now_micros()))
            .filter(C::Id.eq(id))
            .filter(C::LeaseOwner.eq(owner))
            .exec(self.connection())
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Gives up `owner`'s claim on a subscription (caught up, or stopping).
    pub async fn release_webhook(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        row::Entity::update_many()
            .col_expr(C::LeaseOwner, Expr::value(""))
            .col_expr(C::LeaseUntil, Expr::value(0i64))
            .filter(C::Id.eq(id))
            .filter(C::LeaseOwner.eq(owner))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Clears every claim: for a server that is sure no other deliverer runs (SQLite, where
    /// one server owns the file), so that the claims of a process that died holding them
    /// need not run out first.
    pub async fn release_all_webhooks(&self) -> Result<(), StoreError> {
        row::Entity::update_many()
            .col_expr(C::LeaseOwner, Expr::value(""))
            .col_expr(C::LeaseUntil, Expr::value(0i64))
            .filter(C::LeaseOwner.ne(""))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Gives up every claim `owner` holds (its deliverer is stopping).
    pub async fn release_webhooks_of(&self, owner: &str) -> Result<(), StoreError> {
        row::Entity::update_many()
            .col_expr(C::LeaseOwner, Expr::value(""))
            .col_expr(C::LeaseUntil, Expr::value(0i64))
            .filter(C::LeaseOwner.eq(owner))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Every subscription's backlog (changes committed and not yet delivered) and state,
    /// for the metrics.
    pub async fn webhook_backlogs(&self) -> Result<Vec<(Subscription, i64)>, StoreError> {
        let subscriptions: Vec<Subscription> = row::Entity::find()
            .all(self.connection())
            .await?
            .into_iter()
            .map(subscription_from_row)
            .collect::<Result<_, _>>()?;
        let heads = self
            .feed_heads(subscriptions.iter().map(|s| s.merchant.0.as_str()))
            .await?;
        Ok(subscriptions
            .into_iter()
            .map(|s| {
                let head = heads.get(&s.merchant.0).copied().unwrap_or(0);
                let backlog = (head - s.position.seq).max(0);
                (s, backlog)
            })
            .collect())
    }
}

/// 32 random bytes, base64url: the HMAC key of a subscription's signatures.
fn new_signature_key() -> Result<String, StoreError> {
    use base64::Engine;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|err| StoreError::Corrupt(format!("no randomness for a signature key: {err}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key))
}

fn events_column(position: DeliveryPosition) -> i32 {
    i32::try_from(position.events).unwrap_or(i32::MAX)
}

fn subscription_from_row(found: row::Model) -> Result<Subscription, StoreError> {
    let corrupt = |what: &str, value: &str| {
        StoreError::Corrupt(format!(
            "webhook subscription {}: {what} {value:?}",
            found.id
        ))
    };
    let format = WebhookFormat::from_stored(&found.format)
        .ok_or_else(|| corrupt("format", &found.format))?;
    let state =
        DeliveryState::from_stored(&found.state).ok_or_else(|| corrupt("state", &found.state))?;
    let event_types = found
        .event_types
        .split(',')
        .map(|e| EventType::from_stored(e).ok_or_else(|| corrupt("event type", e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Subscription {
        merchant: MerchantId(found.merchant_id),
        spec: SubscriptionSpec {
            name: found.name,
            notification_url: found.notification_url,
            format,
            event_types,
            shopify_shop_domain: (!found.shopify_shop_domain.is_empty())
                .then_some(found.shopify_shop_domain),
        },
        signature_key: found.signature_key,
        state,
        position: DeliveryPosition {
            seq: found.delivered_seq,
            events: u32::try_from(found.delivered_events).unwrap_or_default(),
        },
        failed_attempts: u32::try_from(found.failed_attempts).unwrap_or_default(),
        last_error: found.last_error,
        next_attempt_at: found.next_attempt_at,
        created_at: found.created_at,
        updated_at: found.updated_at,
        id: found.id,
    })
}
