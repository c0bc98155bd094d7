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

use crate::domain::webhook::{AfterFailure, DeliveryPosition, EventType, RetryPolicy};
use crate::feed::{Feed, POLL_INTERVAL};
use crate::store::ledger::ChangeQuery;
use crate::store::webhooks::Subscription;
use crate::store::{Store, StoreError, now_micros};
use payload::{Made, Notification};

/// Changes read from the feed at a time for one subscription.
const WINDOW: u64 = 64;
/// A subscription's position is recorded after this many notifications delivered …
const RECORD_EVERY: u32 = 64;
/// … or once this long has passed since it was last recorded, whichever comes first: a
/// receiver slower than this has every notification recorded; after a crash at most the
/// last [`RECORD_EVERY`] notifications (or this long of them) are sent again.
const RECORD_WITHIN: Duration = Duration::from_millis(20);
/// The shortest pause between two claim rounds: commits wake the deliverer, and a busy
/// ledger commits far more often than claims need to be looked for.
const CLAIM_PAUSE: Duration = Duration::from_millis(50);
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
            tokio::time::sleep(CLAIM_PAUSE).await;
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
        let mut progress = Progress::new(subscription.position, subscription.failed_attempts);
        loop {
            let changes = self
                .store
                .feed_changes(
                    &merchant,
                    &ChangeQuery::default(),
                    progress.position.seq,
                    WINDOW,
                )
                .await?;
            let Some(last) = changes.last().map(|c| c.feed_seq) else {
                if progress.unrecorded() && !self.record(&subscription, &mut progress).await? {
                    return Ok(());
                }
                return self
                    .store
                    .release_webhook(&subscription.id, &self.owner)
                    .await;
            };
            let from = progress.position.seq;
            let updates = by_change(
                self.store
                    .count_updates_between(&merchant, from, last)
                    .await?,
                |u| u.feed_seq,
            );
            let alerts = if subscription.spec.event_types.contains(&EventType::LowStock) {
                by_change(
                    self.store.alerts_between(&merchant, from, last).await?,
                    |a| a.feed_seq,
                )
            } else {
                HashMap::new()
            };
            for change in &changes {
                let made = Made {
                    change,
                    updates: of_change(&updates, change.feed_seq),
                    alerts: of_change(&alerts, change.feed_seq),
                };
                for notification in payload::notifications(&subscription, made) {
                    if !progress
                        .position
                        .owes(notification.feed_seq, notification.ordinal)
                    {
                        continue;
                    }
                    let started = Instant::now();
                    let sent = self.post(&subscription, &notification).await;
                    crate::metrics::webhook_delivery(sent.is_ok(), started.elapsed());
                    if let Err(why) = sent {
                        return self.failed(&subscription, &progress, &why).await;
                    }
                    progress.delivered(DeliveryPosition::after(
                        notification.feed_seq,
                        notification.ordinal,
                        notification.of,
                    ));
                    if progress.due() && !self.record(&subscription, &mut progress).await? {
                        return Ok(());
                    }
                }
                progress.passed(change.feed_seq);
            }
            // Changes that made no notification for this subscription are passed over.
            if progress.unrecorded() && !self.record(&subscription, &mut progress).await? {
                return Ok(());
            }
        }
    }

    /// Records the position; `false` if the subscription is no longer this deliverer's.
    async fn record(
        &self,
        subscription: &Subscription,
        progress: &mut Progress,
    ) -> Result<bool, StoreError> {
        let still_ours = self
            .store
            .record_webhook_delivered(&subscription.id, &self.owner, progress.position)
            .await?;
        progress.recorded();
        if !still_ours {
            tracing::info!(
                subscription = %subscription.id,
                "webhook subscription replayed, deleted or taken over; delivery stops here"
            );
        }
        Ok(still_ours)
    }

    /// Records one more failure in a row, with the position delivered so far, and gives the
    /// subscription up until its retry falls due (or for good, dead-lettered).
    async fn failed(
        &self,
        subscription: &Subscription,
        progress: &Progress,
        why: &str,
    ) -> Result<(), StoreError> {
        let failures = progress.failures + 1;
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
            .record_webhook_failure(
                &subscription.id,
                &self.owner,
                progress.position,
                failures,
                why,
                next,
            )
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

/// Where one claimed subscription's delivery stands in this deliverer: the position
/// reached, the one last recorded, and the failures in a row of the notification due.
struct Progress {
    position: DeliveryPosition,
    recorded: DeliveryPosition,
    since_record: u32,
    recorded_at: Instant,
    failures: u32,
}

impl Progress {
    fn new(position: DeliveryPosition, failures: u32) -> Progress {
        Progress {
            position,
            recorded: position,
            since_record: 0,
            recorded_at: Instant::now(),
            failures,
        }
    }

    /// A notification was delivered, which leaves the position at `position`.
    fn delivered(&mut self, position: DeliveryPosition) {
        self.position = position;
        self.since_record += 1;
        self.failures = 0;
    }

    /// Every notification of change `feed_seq` is delivered (or it made none).
    fn passed(&mut self, feed_seq: i64) {
        self.position = DeliveryPosition {
            seq: feed_seq,
            events: 0,
        };
    }

    /// Whether the position must be recorded now ([`RECORD_EVERY`], [`RECORD_WITHIN`]).
    fn due(&self) -> bool {
        self.since_record >= RECORD_EVERY || self.recorded_at.elapsed() >= RECORD_WITHIN
    }

    fn unrecorded(&self) -> bool {
        self.position != self.recorded
    }

    fn recorded(&mut self) {
        self.recorded = self.position;
        self.since_record = 0;
        self.recorded_at = Instant::now();
    }
}

/// Rows grouped by the feed sequence of their change (`seq_of`), each group in order.
fn by_change<T>(rows: Vec<T>, seq_of: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(seq_of(&row)).or_default().push(row);
    }
    grouped
}

/// The rows of change `feed_seq` in `grouped` (none if it made none).
fn of_change<T>(grouped: &HashMap<i64, Vec<T>>, feed_seq: i64) -> &[T] {
    grouped.get(&feed_seq).map_or(&[], Vec::as_slice)
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
