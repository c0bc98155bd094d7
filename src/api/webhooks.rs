//! WebhookService: the caller's webhook subscriptions (docs/webhooks.md). Decode, check
//! with `domain::webhook`, store, encode; the deliveries themselves are the `webhook` module's.

use tonic::{Request, Response, Status};

use super::convert::{require_id, timestamp_from_micros};
use super::error::StoreContext;
use super::{ApiError, caller, reject_read_only};
use crate::domain::error::{Violation, reasons};
use crate::domain::webhook::{
    DeliveryPosition, EventType, MAX_SUBSCRIPTIONS_PER_MERCHANT, SubscriptionDraft, WebhookFormat,
    validate_subscription,
};
use crate::proto::v1::{self as pb, webhook_service_server::WebhookService};
use crate::store::Store;
use crate::store::webhooks::{DeliveryState, Subscription};

const WHAT: &str = "webhook subscription";

/// Serves WebhookService from a [`Store`].
#[derive(Clone, Debug)]
pub struct WebhookApi {
    store: Store,
}

impl WebhookApi {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        WebhookApi { store }
    }
}

#[tonic::async_trait]
impl WebhookService for WebhookApi {
    async fn create_webhook_subscription(
        &self,
        request: Request<pb::CreateWebhookSubscriptionRequest>,
    ) -> Result<Response<pb::CreateWebhookSubscriptionResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.into_inner();
        let subscription = req
            .subscription
            .ok_or_else(|| Violation::missing("subscription"))?;
        reject_read_only(
            "subscription",
            &[
                ("id", subscription.id.is_empty()),
                ("signature_key", subscription.signature_key.is_empty()),
                ("delivery_state", subscription.delivery_state == 0),
                ("delivered_sequence", subscription.delivered_sequence == 0),
                ("feed_sequence", subscription.feed_sequence == 0),
                ("failed_attempts", subscription.failed_attempts == 0),
                ("last_error", subscription.last_error.is_empty()),
                ("next_attempt_at", subscription.next_attempt_at.is_none()),
                ("created_at", subscription.created_at.is_none()),
                ("updated_at", subscription.updated_at.is_none()),
            ],
        )?;
        let spec = validate_subscription(&draft_from_wire(&subscription))
            .map_err(|v| v.within("subscription"))?;
        let head = self
            .store
            .feed_head(&merchant)
            .await
            .map_err(ApiError::from)?;
        let after_seq = start_position("from_sequence", req.from_sequence, head)?.seq;
        let held = self
            .store
            .count_webhook_subscriptions(&merchant)
            .await
            .map_err(ApiError::from)?;
        if held >= MAX_SUBSCRIPTIONS_PER_MERCHANT as u64 {
            return Err(ApiError::FailedPrecondition {
                reason: "TOO_MANY_SUBSCRIPTIONS",
                field: "subscription".into(),
                message: format!(
                    "the merchant already holds {MAX_SUBSCRIPTIONS_PER_MERCHANT} webhook \
                     subscriptions; delete one first"
                ),
                metadata: Vec::new(),
            }
            .into());
        }
        let created = self
            .store
            .create_webhook_subscription(&merchant, spec, after_seq)
            .await
            .within("subscription")?;
        Ok(Response::new(pb::CreateWebhookSubscriptionResponse {
            subscription: Some(subscription_to_wire(&created, head, true)),
        }))
    }

    async fn get_webhook_subscription(
        &self,
        request: Request<pb::GetWebhookSubscriptionRequest>,
    ) -> Result<Response<pb::GetWebhookSubscriptionResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let id = require_id("id", &request.get_ref().id)?;
        let found = self
            .store
            .get_webhook_subscription(&merchant, &id)
            .await
            .or_not_found(WHAT, "id", &id)?;
        let head = self
            .store
            .feed_head(&merchant)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::GetWebhookSubscriptionResponse {
            subscription: Some(subscription_to_wire(&found, head, true)),
        }))
    }

    async fn list_webhook_subscriptions(
        &self,
        request: Request<pb::ListWebhookSubscriptionsRequest>,
    ) -> Result<Response<pb::ListWebhookSubscriptionsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let found = self
            .store
            .list_webhook_subscriptions(&merchant)
            .await
            .map_err(ApiError::from)?;
        let head = self
            .store
            .feed_head(&merchant)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::ListWebhookSubscriptionsResponse {
            subscriptions: found
                .iter()
                .map(|s| subscription_to_wire(s, head, false))
                .collect(),
        }))
    }

    async fn delete_webhook_subscription(
        &self,
        request: Request<pb::DeleteWebhookSubscriptionRequest>,
    ) -> Result<Response<pb::DeleteWebhookSubscriptionResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let id = require_id("id", &request.get_ref().id)?;
        self.store
            .delete_webhook_subscription(&merchant, &id)
            .await
            .or_not_found(WHAT, "id", &id)?;
        Ok(Response::new(pb::DeleteWebhookSubscriptionResponse {}))
    }

    async fn replay_webhook_subscription(
        &self,
        request: Request<pb::ReplayWebhookSubscriptionRequest>,
    ) -> Result<Response<pb::ReplayWebhookSubscriptionResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.into_inner();
        let id = require_id("id", &req.id)?;
        let head = self
            .store
            .feed_head(&merchant)
            .await
            .map_err(ApiError::from)?;
        let position = match req.from_sequence {
            0 => None,
            from => Some(start_position("from_sequence", from, head)?),
        };
        let replayed = self
            .store
            .replay_webhook_subscription(&merchant, &id, position)
            .await
            .or_not_found(WHAT, "id", &id)?;
        Ok(Response::new(pb::ReplayWebhookSubscriptionResponse {
            subscription: Some(subscription_to_wire(&replayed, head, true)),
        }))
    }
}

/// The position before feed sequence `from` (1 ≤ from ≤ head + 1), or after `head` for 0.
pub fn start_position(field: &str, from: i64, head: i64) -> Result<DeliveryPosition, ApiError> {
    match from {
        0 => Ok(DeliveryPosition {
            seq: head,
            events: 0,
        }),
        from if from < 0 => Err(Violation::invalid(field, "must not be negative").into()),
        from if from > head + 1 => Err(ApiError::OutOfRange {
            reason: reasons::INVALID_VALUE,
            field: field.to_owned(),
            message: format!(
                "{field} {from} is beyond the merchant's feed, whose last sequence is {head}"
            ),
        }),
        from => Ok(DeliveryPosition {
            seq: from - 1,
            events: 0,
        }),
    }
}

/// The subscription asked for on the wire.
pub fn draft_from_wire(subscription: &pb::WebhookSubscription) -> SubscriptionDraft {
    SubscriptionDraft {
        name: subscription.name.clone(),
        notification_url: subscription.notification_url.clone(),
        format: match pb::WebhookFormat::try_from(subscription.format) {
            Ok(pb::WebhookFormat::Square) => Some(WebhookFormat::Square),
            Ok(pb::WebhookFormat::Shopify) => Some(WebhookFormat::Shopify),
            _ => None,
        },
        event_types: subscription
            .event_types
            .iter()
            .map(|raw| event_type_from_wire(*raw))
            .collect(),
        shopify_shop_domain: subscription.shopify_shop_domain.clone(),
    }
}

/// A wire event type: `None` for UNSPECIFIED or a value outside the enum.
pub fn event_type_from_wire(raw: i32) -> Option<EventType> {
    match pb::WebhookEventType::try_from(raw).ok()? {
        pb::WebhookEventType::Unspecified => None,
        pb::WebhookEventType::CountUpdated => Some(EventType::CountUpdated),
        pb::WebhookEventType::ChangeRecorded => Some(EventType::ChangeRecorded),
        pb::WebhookEventType::ReservationExpired => Some(EventType::ReservationExpired),
        pb::WebhookEventType::LowStock => Some(EventType::LowStock),
    }
}

/// An event type on the wire.
pub fn event_type_to_wire(event: EventType) -> pb::WebhookEventType {
    match event {
        EventType::CountUpdated => pb::WebhookEventType::CountUpdated,
        EventType::ChangeRecorded => pb::WebhookEventType::ChangeRecorded,
        EventType::ReservationExpired => pb::WebhookEventType::ReservationExpired,
        EventType::LowStock => pb::WebhookEventType::LowStock,
    }
}

/// A stored subscription on the wire, `head` being its merchant's last feed sequence; the
/// signature key only `with_key`.
pub fn subscription_to_wire(
    subscription: &Subscription,
    head: i64,
    with_key: bool,
) -> pb::WebhookSubscription {
    let state = match subscription.state {
        DeliveryState::Active => pb::WebhookDeliveryState::Active,
        DeliveryState::Retrying => pb::WebhookDeliveryState::Retrying,
        DeliveryState::DeadLettered => pb::WebhookDeliveryState::DeadLettered,
    };
    pb::WebhookSubscription {
        id: subscription.id.clone(),
        name: subscription.spec.name.clone(),
        notification_url: subscription.spec.notification_url.clone(),
        format: match subscription.spec.format {
            WebhookFormat::Square => pb::WebhookFormat::Square,
            WebhookFormat::Shopify => pb::WebhookFormat::Shopify,
        }
        .into(),
        event_types: subscription
            .spec
            .event_types
            .iter()
            .map(|e| event_type_to_wire(*e).into())
            .collect(),
        signature_key: if with_key {
            subscription.signature_key.clone()
        } else {
            String::new()
        },
        delivery_state: state.into(),
        delivered_sequence: subscription.position.seq,
        feed_sequence: head,
        failed_attempts: i32::try_from(subscription.failed_attempts).unwrap_or(i32::MAX),
        last_error: subscription.last_error.clone(),
        next_attempt_at: (subscription.state == DeliveryState::Retrying)
            .then(|| timestamp_from_micros(subscription.next_attempt_at)),
        created_at: Some(timestamp_from_micros(subscription.created_at)),
        updated_at: Some(timestamp_from_micros(subscription.updated_at)),
        shopify_shop_domain: subscription
            .spec
            .shopify_shop_domain
            .clone()
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions_name_the_field() {
        assert_eq!(start_position("f", 0, 9).unwrap().seq, 9);
        assert_eq!(start_position("f", 1, 9).unwrap().seq, 0);
        assert_eq!(start_position("f", 10, 9).unwrap().seq, 9);
        let beyond = start_position("f", 11, 9).unwrap_err();
        assert!(matches!(beyond, ApiError::OutOfRange { ref field, .. } if field == "f"));
        assert!(matches!(
            start_position("f", -1, 9),
            Err(ApiError::Invalid(_))
        ));
    }
}
