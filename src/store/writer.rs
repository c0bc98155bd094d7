//! Group commit: one writer task per server process applies every BatchChangeInventory call
//! waiting in its queue in one transaction — one fsync for all of them — and answers each
//! caller once that commit is durable (docs/architecture.md, "the write path").
//!
//! On SQLite this makes the writer the only one, so callers never wait in the busy handler;
//! on PostgreSQL each replica has its own writer and the row locks of [`super::batch`] keep
//! replicas correct. Each batch stays atomic and idempotent on its own: a refused batch
//! gets its own answer and never fails its neighbours.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::batch::Encoder;
use super::{Outage, Store, StoreError};
use crate::domain::decide::{Decided, Submission};

/// Most changes applied in one transaction: large enough to amortise the commit, small
/// enough to keep the latency of the batches in it low.
const MAX_GROUP_CHANGES: usize = 5_000;
/// Calls that may wait for the writer before callers wait to enqueue (backpressure).
const QUEUE_CAPACITY: usize = 1_024;
/// How often a group that met a concurrent writer (deadlock, lost race) is tried again.
const MAX_ATTEMPTS: u32 = 5;

/// One queued call and where its answer goes.
struct Job<T> {
    batch: Submission,
    reply: oneshot::Sender<Result<Decided<T>, StoreError>>,
    /// The caller's span, for the group commit's span to hang under (or link to); none
    /// when traces are off.
    span: tracing::Span,
}

/// The handle callers submit batches through; cheap to clone.
pub struct BatchWriter<T> {
    queue: mpsc::Sender<Job<T>>,
}

impl<T> Clone for BatchWriter<T> {
    fn clone(&self) -> Self {
        BatchWriter {
            queue: self.queue.clone(),
        }
    }
}

impl<T> std::fmt::Debug for BatchWriter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter").finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> BatchWriter<T> {
    /// Starts the writer task on `store`. `encode` builds each applied batch's response.
    /// The task ends once every handle is dropped and the queue is drained.
    pub fn start(store: Store, encode: Arc<Encoder<T>>) -> BatchWriter<T> {
        let (queue, jobs) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(store, encode, jobs));
        BatchWriter { queue }
    }

    /// Applies one batch (or replays its idempotency key's response, or refuses it) and
    /// answers once the commit that holds it is durable. `Err` is a storage failure: the
    /// batch was not applied.
    pub async fn submit(&self, batch: Submission) -> Result<Decided<T>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let span = if crate::telemetry::traces_on() {
            tracing::Span::current()
        } else {
            tracing::Span::none()
        };
        let job = Job { batch, reply, span };
        crate::metrics::write_waiting(1.0);
        let _left = WriteLeaves;
        self.queue
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// Counts a submitted batch out of the write path's waiting gauge when its call ends,
/// answered or abandoned.
struct WriteLeaves;

impl Drop for WriteLeaves {
    fn drop(&mut self) {
        crate::metrics::write_waiting(-1.0);
    }
}

async fn run<T: Send + Sync + 'static>(
    store: Store,
    encode: Arc<Encoder<T>>,
    mut jobs: mpsc::Receiver<Job<T>>,
) {
    // Calls that reuse an idempotency key already in the forming group wait for the next
    // group, where they replay the first one's stored response.
    let mut deferred: VecDeque<Job<T>> = VecDeque::new();
    loop {
        let first = match deferred.pop_front() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut group = vec![first];
        let mut changes = group[0].batch.request.changes.len();
        let mut still_deferred = VecDeque::new();
        let mut next =
            |deferred: &mut VecDeque<Job<T>>| deferred.pop_front().or_else(|| jobs.try_recv().ok());
        while changes < MAX_GROUP_CHANGES {
            let Some(job) = next(&mut deferred) else {
                break;
            };
            let same_key = group.iter().any(|j| {
                j.batch.merchant == job.batch.merchant
                    && j.batch.request.idempotency_key == job.batch.request.idempotency_key
            });
            if same_key {
                still_deferred.push_back(job);
            } else {
                changes += job.batch.request.changes.len();
                group.push(job);
            }
        }
        still_deferred.extend(deferred.drain(..));
        deferred = still_deferred;
        // A caller that gave up before its group formed (deadline, cancellation) was never
        // acknowledged: its batch is not applied, and a retry applies it as new.
        group.retain(|job| !job.reply.is_closed());
        if !group.is_empty() {
            apply(&store, encode.as_ref(), group).await;
        }
    }
}

/// Applies a group and answers its callers. A group that fails as a whole is retried when
/// the failure was a race with another writer; answered as a whole when the database is
/// out (a full disk, unreachable: no batch is at fault, and while the database was just
/// found unreachable it is asked first, so an outage is answered at once); and otherwise
/// split so that the batch at fault gets the error alone.
async fn apply<T>(store: &Store, encode: &Encoder<T>, group: Vec<Job<T>>) {
    let span = group_span(&group);
    apply_traced(store, encode, group).instrument(span).await;
}

/// The group commit's span (traces only; `debug`, so off without them): the child of the
/// first caller's span, linked to the other callers' spans. A group serves many calls but
/// a span has one parent: the first caller's trace shows the commit it waited for, and each
/// other caller's span is reached through the links (docs/operations.md, "Traces").
fn group_span<T>(group: &[Job<T>]) -> tracing::Span {
    let changes: usize = group.iter().map(|j| j.batch.request.changes.len()).sum();
    // As i64: OpenTelemetry's layer records other integers as text.
    let (batches, changes) = (group.len() as i64, changes as i64);
    let span = match group.first() {
        Some(first) => tracing::debug_span!(
            parent: &first.span,
            "group_commit",
            batches,
            changes,
            outcome = tracing::field::Empty,
        ),
        None => tracing::Span::none(),
    };
    if crate::telemetry::traces_on() {
        let others: Vec<tracing::Span> = group.iter().skip(1).map(|j| j.span.clone()).collect();
        crate::telemetry::link(&span, &others);
    }
    span
}

/// [`apply`] inside the group's span.
async fn apply_traced<T>(store: &Store, encode: &Encoder<T>, group: Vec<Job<T>>) {
    let (batches, replies): (Vec<Submission>, Vec<_>) =
        group.into_iter().map(|job| (job.batch, job.reply)).unzip();
    if let Err(outage) = store.writes_may_proceed().await {
        tracing::Span::current().record("outcome", "outage");
        answer_outage(replies, &outage);
        store.note_write::<()>(&Err(outage));
        return;
    }
    let mut attempt = 1;
    let result = loop {
        let started = std::time::Instant::now();
        let applied = store.apply_group(&batches, encode).await;
        crate::metrics::group_commit(batches.len(), started.elapsed(), applied.is_ok());
        match applied {
            Err(e) if e.is_transient() && attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "group met a concurrent writer; retrying");
                tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
                attempt += 1;
            }
            other => break other,
        }
    };
    store.note_write(&result);
    let span = tracing::Span::current();
    span.record(
        "outcome",
        if result.is_ok() {
            "committed"
        } else {
            "failed"
        },
    );
    if let Err(e) = &result {
        crate::telemetry::failed(&span, &e.to_string());
    }
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // A caller that went away is fine: its batch is committed, and a retry with
                // the same idempotency key replays the response.
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(e) if replies.len() == 1 => {
            let reply = replies.into_iter().next().expect("one caller");
            // Still racing other writers after every attempt: the caller may retry.
            let e = if e.is_transient() {
                StoreError::Contention
            } else {
                e
            };
            let _ = reply.send(Err(e));
        }
        // The database is out: no batch is at fault, and each alone would wait as long.
        Err(e) if e.outage().is_some() => answer_outage(replies, &e),
        Err(e) => {
            tracing::warn!(error = %e, batches = batches.len(), "group failed; applying its batches one by one");
            for (batch, reply) in batches.into_iter().zip(replies) {
                // Each alone, in a span of its own under the group's.
                let span = tracing::Span::current();
                Box::pin(apply(store, encode, vec![Job { batch, reply, span }])).await;
            }
        }
    }
}

/// Answers every caller of a group with the outage `e` reports.
fn answer_outage<T>(replies: Vec<oneshot::Sender<Result<Decided<T>, StoreError>>>, e: &StoreError) {
    let outage = e.outage().unwrap_or(Outage::Unreachable);
    let cause = e.to_string();
    for reply in replies {
        let _ = reply.send(Err(StoreError::Outage {
            outage,
            cause: cause.clone(),
        }));
    }
}
