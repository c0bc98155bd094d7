//! The live feeds behind WatchInventoryChanges, WatchInventoryCounts and
//! WatchInventoryAlerts: each watcher reads
//! the durable log from its position in feed order, sends through a bounded channel, and
//! waits for the commit signal when it has caught up.
//!
//! Backpressure: a watcher that stops reading fills its channel; its task then waits on the
//! channel, holding no database connection, and at most one page plus the channel is in
//! memory for it. When it reads again it is caught up from the durable log, its reads
//! sharing the streams' bounded part of the database ([`StreamRegistry::read`]). On
//! shutdown each stream ends with UNAVAILABLE; resuming from the last token loses nothing.
//! When its token is revoked or expires it ends with UNAUTHENTICATED
//! (`ACCESS_TOKEN_REVOKED`, `ACCESS_TOKEN_EXPIRED`).

use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::Status;

use super::ApiError;
use super::alert_wire::alert_to_wire;
use super::cursor::{CursorEncoder, CursorPosition};
use super::ledger_wire::{change_to_wire, count_update_to_wire};
use super::streams::{StreamRegistry, StreamTicket};
use crate::feed::{Feed, POLL_INTERVAL};
use crate::proto::v1 as pb;
use crate::store::alerts::{Alert, AlertQuery};
use crate::store::ledger::{ChangeQuery, CountQuery, CountUpdate, RecordedChange};
use crate::store::{MerchantId, Store, StoreError};

/// Messages buffered per watcher.
pub const WATCH_BUFFER: usize = 64;
/// Rows read per query.
const PAGE: u64 = 256;

/// What woke a caught-up watcher.
enum Wake {
    /// Something may have been committed: read again.
    Read,
    /// The server is shutting down.
    Closing,
    /// The client went away.
    Gone,
    /// The stream's token was revoked or expired: the status to end with.
    Revoked(tonic::Status),
}

/// What a watch runs on: where it reads and whose log, and the stream it feeds.
pub struct Watcher {
    /// The database.
    pub store: Store,
    /// Whose log.
    pub merchant: MerchantId,
    /// The stream's signals, place and resume tokens.
    pub stream: WatchStream,
}

/// What the loop of every watch follows: the signals, its place among the server's
/// streams, and how it writes its resume tokens.
pub struct WatchStream {
    /// Commit and shutdown signals.
    pub feed: Arc<Feed>,
    /// The server's streams (for the database share).
    pub streams: StreamRegistry,
    /// This stream's place, and its revocation signal.
    pub ticket: StreamTicket,
    /// The resume tokens' encoder.
    pub tokens: CursorEncoder,
}

async fn wait_for_commit<T>(
    generation: &mut tokio::sync::watch::Receiver<u64>,
    closing: &mut tokio::sync::watch::Receiver<bool>,
    ticket: &mut StreamTicket,
    sender: &mpsc::Sender<T>,
) -> Wake {
    tokio::select! {
        _ = generation.changed() => Wake::Read,
        _ = tokio::time::sleep(POLL_INTERVAL) => Wake::Read,
        _ = closing.wait_for(|c| *c) => Wake::Closing,
        status = ticket.revoked() => Wake::Revoked(status),
        _ = sender.closed() => Wake::Gone,
    }
}

/// A position in a merchant's feed: its feed sequence.
trait FeedPosition {
    fn feed_seq(&self) -> i64;
}

impl FeedPosition for i64 {
    fn feed_seq(&self) -> i64 {
        *self
    }
}

impl FeedPosition for (i64, i32) {
    fn feed_seq(&self) -> i64 {
        self.0
    }
}

fn shutting_down(token: &str) -> Status {
    Status::unavailable(format!(
        "the server is shutting down; resume with resume_token {token:?}"
    ))
}

/// The loop every watcher runs: read the log after `after`, send each message, and when
/// caught up wait for the commit signal. `fetch` reads one page after a position;
/// `position` tells a row's position and `message` builds its message with its resume token.
async fn follow<Row, Msg, Pos, Fut>(
    stream: WatchStream,
    sender: mpsc::Sender<Result<Msg, Status>>,
    mut after: Pos,
    fetch: impl Fn(Pos) -> Fut,
    position: impl Fn(&Row) -> Pos,
    message: impl Fn(Row, String) -> Msg,
) where
    Pos: Copy + CursorPosition + FeedPosition,
    Fut: std::future::Future<Output = Result<Vec<Row>, StoreError>>,
{
    let WatchStream {
        feed,
        streams,
        mut ticket,
        tokens,
    } = stream;
    let token = |at: &Pos| tokens.encode(at);
    let mut generation = feed.subscribe();
    let mut closing = feed.closing();
    let mut last_token = token(&after);
    ticket.sent(after.feed_seq());
    loop {
        generation.borrow_and_update();
        let page = match streams.read(fetch(after)).await {
            Ok(page) => page,
            Err(err) => {
                sender.send(Err(ApiError::from(err).into())).await.ok();
                return;
            }
        };
        let full = page.len() as u64 == PAGE;
        for row in page {
            after = position(&row);
            last_token = token(&after);
            let msg = message(row, last_token.clone());
            let seq = after.feed_seq();
            tokio::select! {
                sent = sender.send(Ok(msg)) => {
                    if sent.is_err() {
                        return;
                    }
                    ticket.sent(seq);
                }
                _ = closing.wait_for(|c| *c) => {
                    sender.try_send(Err(shutting_down(&last_token))).ok();
                    return;
                }
                status = ticket.revoked() => {
                    sender.try_send(Err(status)).ok();
                    return;
                }
            }
        }
        if full {
            continue;
        }
        ticket.caught_up(true);
        let woken = wait_for_commit(&mut generation, &mut closing, &mut ticket, &sender).await;
        ticket.caught_up(false);
        match woken {
            Wake::Read => {}
            Wake::Closing => {
                sender.send(Err(shutting_down(&last_token))).await.ok();
                return;
            }
            Wake::Revoked(status) => {
                sender.try_send(Err(status)).ok();
                return;
            }
            Wake::Gone => return,
        }
    }
}

/// Streams committed changes after feed sequence `after`, for ever, each with its resume
/// token from `tokens`.
pub async fn follow_changes(
    watcher: Watcher,
    query: ChangeQuery,
    after: i64,
    sender: mpsc::Sender<Result<pb::WatchInventoryChangesResponse, Status>>,
) {
    let Watcher {
        store,
        merchant,
        stream,
    } = watcher;
    let fetch = |at: i64| store.feed_changes(&merchant, &query, at, PAGE);
    let message =
        |recorded: RecordedChange, resume_token: String| pb::WatchInventoryChangesResponse {
            change: Some(change_to_wire(&recorded)),
            sequence: u64::try_from(recorded.feed_seq).unwrap_or_default(),
            resume_token,
        };
    let position = |r: &RecordedChange| r.feed_seq;
    follow(stream, sender, after, fetch, position, message).await;
}

/// Streams count updates after position `after` (feed sequence, ordinal), for ever, each
/// with its resume token from `tokens`.
pub async fn follow_counts(
    watcher: Watcher,
    query: CountQuery,
    after: (i64, i32),
    sender: mpsc::Sender<Result<pb::WatchInventoryCountsResponse, Status>>,
) {
    let Watcher {
        store,
        merchant,
        stream,
    } = watcher;
    let fetch = |at: (i64, i32)| store.feed_count_updates(&merchant, &query, at, PAGE);
    let message = |update: CountUpdate, resume_token: String| pb::WatchInventoryCountsResponse {
        update: Some(count_update_to_wire(&update)),
        sequence: u64::try_from(update.feed_seq).unwrap_or_default(),
        resume_token,
    };
    let position = |u: &CountUpdate| (u.feed_seq, u.ordinal);
    follow(stream, sender, after, fetch, position, message).await;
}

/// Streams low-stock alerts after position `after` (feed sequence, ordinal), for ever,
/// each with its resume token from `tokens`.
pub async fn follow_alerts(
    watcher: Watcher,
    query: AlertQuery,
    after: (i64, i32),
    sender: mpsc::Sender<Result<pb::WatchInventoryAlertsResponse, Status>>,
) {
    let Watcher {
        store,
        merchant,
        stream,
    } = watcher;
    let fetch = |at: (i64, i32)| store.feed_alerts_matching(&merchant, &query, at, PAGE);
    let message = |alert: Alert, resume_token: String| pb::WatchInventoryAlertsResponse {
        sequence: u64::try_from(alert.feed_seq).unwrap_or_default(),
        alert: Some(alert_to_wire(alert)),
        resume_token,
    };
    let position = |a: &Alert| (a.feed_seq, a.ordinal);
    follow(stream, sender, after, fetch, position, message).await;
}
