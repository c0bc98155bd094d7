//! Webhook delivery (docs/webhooks.md): every replica runs a deliverer that claims the
//! subscriptions due for delivery and POSTs their notifications, one at a time and in feed
//! order, from the merchant's feed — the outbox, written by the group decision in the
//! commit's transaction, so nothing is announced before it is committed and nothing
//! committed is lost. A subscription's position moves only after its receiver answered 2xx
//! (at least once: a crash between the answer and the record sends that notification
//! again, with the same event id). A failure is retried with exponential backoff
//! ([`RetryPolicy`]); too many in a row dead-letter the subscription until it is replayed.
//!
//! The notifications' shapes and signatures are [`payload`]'s.

pub mod payload;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::DatabaseBackend;
use tokio::task::JoinSet;

use crate::domain::webhook::{AfterFailure, DeliveryPosition, RetryPolicy};
use crate::feed::{Feed, POLL_INTERVAL};
use crate::store::ledger::{ChangeQuery, CountUpdate};
use crate::store::webhooks::Subscription;
use crate::store::{Store, StoreError, now_micros};
use payload::Notification;

/// Changes read from the feed at a time for one subscription.
const WINDOW: u64 = 64;
/// How long a receiver has to answer one notification.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a deliverer needs: where the subscriptions and the feed are, how to reach
/// receivers, how to retry.
#[derive(Clone)]
pub struct Deliverer {
    store: Store,
    client: reqwest::Client,
    /// This process's name on the leases it takes.
    owner: Arc<str>,
    policy: RetryPolicy,
}

impl Deliverer {
    /// A deliverer over `store`, retrying as `policy` says.
    pub fn new(store: Store, policy: RetryPolicy) -> Result<Deliverer, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .connect_timeout(DELIVERY_TIMEOUT)
            // A redirect is an answer that is not 2xx: the subscription names the URL.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Stockledger-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Deliverer {
            store,
            client,
            owner: format!("deliverer-{}", uuid::Uuid::now_v7().simple()).into(),
            policy,
        })
    }

    /// Delivers until `feed` closes: wakes on every commit the feed announces and at least
    /// every [`POLL_INTERVAL`] (for retries falling due), claims what is due and delivers
    /// each claimed subscription in a task of its own. At the end its claims are given up,
    /// so that another replica takes over at once.
    pub async fn run(self, feed: Arc<Feed>) {
        let mut commits = feed.subscribe();
        let mut closing = feed.closing();
        let mut deliveries = JoinSet::new();
        if self.store.connection().get_database_backend() == DatabaseBackend::Sqlite {
            // One server owns a SQLite file: a claim found now is a dead process's.
            if let Err(err) = self.store.release_all_webhooks().await {
                tracing::warn!(error = %err, "clearing the webhook claims of a previous run");
            }
        }
        loop {
            if self.store.ping().await.is_ok() {
                match self
                    .store
                    .claim_due_webhooks(&self.owner, now_micros())
                    .await
                {
                    Ok(claimed) => {
                        for subscription in claimed {
                            deliveries.spawn(self.clone().deliver(subscription));
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "claiming due webhooks"),
                }
            }
            tokio::select! {
                _ = commits.changed() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
                _ = closing.wait_for(|c| *c) => break,
            }
        }
        deliveries.shutdown().await;
        if let Err(err) = self.store.release_webhooks_of(&self.owner).await {
            tracing::warn!(error = %err, "giving up webhook claims at shutdown");
        }
    }

    /// Delivers `subscription`'s notifications until it is caught up, a notification fails,
    /// or the subscription is no longer this deliverer's.
    async fn deliver(self, subscription: Subscription) {
        let id = subscription.id.clone();
        if let Err(err) = self.deliver_claimed(subscription).await {
            tracing::warn!(subscription = %id, error = %err, "webhook delivery stopped");
            self.store.release_webhook(&id, &self.owner).await.ok();
        }
    }

    async fn deliver_claimed(&self, subscription: Subscription) -> Result<(), StoreError> {
        let merchant = subscription.merchant.clone();
        let mut position = subscription.position;
        let mut failures = subscription.failed_attempts;
        loop {
            let changes = self
                .store
                .feed_changes(&merchant, &ChangeQuery::default(), position.seq, WINDOW)
                .await?;
            let Some(last) = changes.last().map(|c| c.feed_seq) else {
                return self
                    .store
                    .release_webhook(&subscription.id, &self.owner)
                    .await;
            };
            let updates = by_change(
                self.store
                    .count_updates_between(&merchant, position.seq, last)
                    .await?,
            );
            let mut recorded = position;
            for change in &changes {
                let made = updates.get(&change.feed_seq).map_or(&[][..], Vec::as_slice);
                for notification in payload::notifications(&subscription, change, made) {
                    if !position.owes(notification.feed_seq, notification.ordinal) {
                        continue;
                    }
                    let started = Instant::now();
                    let sent = self.post(&subscription, &notification).await;
                    crate::metrics::webhook_delivery(sent.is_ok(), started.elapsed());
                    if let Err(why) = sent {
                        failures += 1;
                        return self.failed(&subscription, failures, &why).await;
                    }
                    failures = 0;
                    position = DeliveryPosition::after(
                        notification.feed_seq,
                        notification.ordinal,
                        notification.of,
                    );
                    if !self.record(&subscription, position).await? {
                        return Ok(());
                    }
                    recorded = position;
                }
                position = DeliveryPosition {
                    seq: change.feed_seq,
                    events: 0,
                };
            }
            // Changes that made no notification for this subscription are passed over.
            if position != recorded && !self.record(&subscription, position).await? {
                return Ok(());
            }
        }
    }

    /// Records the position; `false` if the subscription is no longer this deliverer's.
    async fn record(
        &self,
        subscription: &Subscription,
        position: DeliveryPosition,
    ) -> Result<bool, StoreError> {
        let still_ours = self
            .store
            .record_webhook_delivered(&subscription.id, &self.owner, position)
            .await?;
        if !still_ours {
            tracing::info!(
                subscription = %subscription.id,
                "webhook subscription replayed, deleted or taken over; delivery stops here"
            );
        }
        Ok(still_ours)
    }

    /// Records the `failures`-th failure in a row and gives the subscription up until its
    /// retry falls due (or for good, dead-lettered).
    async fn failed(
        &self,
        subscription: &Subscription,
        failures: u32,
        why: &str,
    ) -> Result<(), StoreError> {
        let next = match self.policy.after_failure(failures) {
            AfterFailure::RetryIn(delay) => {
                let delay = i64::try_from(delay.as_micros()).unwrap_or(i64::MAX);
                Some(now_micros().saturating_add(delay))
            }
            AfterFailure::DeadLetter => None,
        };
        match next {
            Some(_) => tracing::info!(
                subscription = %subscription.id, failures, error = why,
                "webhook notification failed; retrying later"
            ),
            None => tracing::warn!(
                subscription = %subscription.id, failures, error = why,
                "webhook subscription dead-lettered; ReplayWebhookSubscription resumes it"
            ),
        }
        self.store
            .record_webhook_failure(&subscription.id, &self.owner, failures, why, next)
            .await?;
        Ok(())
    }

    /// POSTs one notification; `Err` says why it did not count as delivered.
    async fn post(
        &self,
        subscription: &Subscription,
        notification: &Notification,
    ) -> Result<(), String> {
        let mut request = self
            .client
            .post(&subscription.spec.notification_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(notification.body.clone());
        for (name, value) in &notification.headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(answer) if answer.status().is_success() => Ok(()),
            Ok(answer) => Err(format!("the receiver answered HTTP {}", answer.status())),
            Err(err) => Err(error_chain(&err)),
        }
    }
}

/// Count updates grouped by the feed sequence of their change.
fn by_change(updates: Vec<CountUpdate>) -> HashMap<i64, Vec<CountUpdate>> {
    let mut grouped: HashMap<i64, Vec<CountUpdate>> = HashMap::new();
    for update in updates {
        grouped.entry(update.feed_seq).or_default().push(update);
    }
    grouped
}

/// An error and its causes, `: `-separated (reqwest's own message names no cause).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
