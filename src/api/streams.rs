//! What every server stream (StreamInventoryChanges and the two watches) holds while it is
//! open: a place in its token's quota, a share of the database kept apart from unary calls,
//! and a signal that ends it when its token is revoked or expires.
//!
//! - **Per-token quota**: a token may hold [`StreamLimits::per_token`] streams; one more is
//!   refused with RESOURCE_EXHAUSTED (`TOO_MANY_STREAMS`), so one client cannot pin the
//!   server's memory with idle streams.
//! - **Database share**: streams read their pages through [`StreamRegistry::read`], which
//!   lets at most [`StreamLimits::database_connections`] such reads run at once, leaving the
//!   rest of the pool to unary calls however many watches catch up at once.
//! - **Revocation and expiry**: revoking a token ends its streams with UNAUTHENTICATED
//!   (`ACCESS_TOKEN_REVOKED`) — at once on the replica told of it (PostgreSQL NOTIFY), and
//!   within [`SWEEP_INTERVAL`] everywhere, since every server checks the tokens of its open
//!   streams that often; the same check ends the streams of a token that has expired
//!   (`ACCESS_TOKEN_EXPIRED`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use super::ApiError;
use crate::domain::error::reasons;
use crate::domain::tenant::Caller;
use crate::store::Store;
use crate::store::tokens::Unusable;

/// How often the tokens of open streams are checked against the database.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(500);

/// The limits streams are held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// Streams one token may hold open.
    pub per_token: usize,
    /// Database reads streams may run at once.
    pub database_connections: usize,
}

/// The open streams of a server, by token; cheap to clone.
#[derive(Clone, Debug)]
pub struct StreamRegistry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: StreamLimits,
    reads: Semaphore,
    open: Mutex<HashMap<String, TokenStreams>>,
    /// Where each open watch is in its merchant's feed (for the feed-lag metric).
    watches: Mutex<Vec<Weak<WatchProgress>>>,
}

/// How far a watch has sent its merchant's feed, and whether it is waiting for a commit
/// (it has sent everything its filter takes).
#[derive(Debug)]
pub struct WatchProgress {
    merchant: String,
    sent: AtomicI64,
    caught_up: AtomicBool,
}

/// One open watch, as the feed-lag metric reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchPlace {
    /// Its merchant (never a label: the lag is one number over every watch).
    pub merchant: String,
    /// The feed sequence of the last change it sent (or it started after).
    pub sent: i64,
    /// It has sent everything its filter takes and waits for the next commit.
    pub caught_up: bool,
}

/// The streams of one token.
#[derive(Debug)]
struct TokenStreams {
    count: usize,
    ended: watch::Sender<Option<Unusable>>,
}

/// A stream's place in its token's quota; dropping it (the stream ended) frees the place.
#[derive(Debug)]
pub struct StreamTicket {
    inner: Arc<Inner>,
    token_id: String,
    /// What kind of stream holds it (a label of the open-streams metric).
    kind: &'static str,
    ended: watch::Receiver<Option<Unusable>>,
    /// A watch's place in its feed; `None` for other streams.
    progress: Option<Arc<WatchProgress>>,
}

impl StreamRegistry {
    /// A registry holding streams to `limits`; checks their tokens in `store` every
    /// [`SWEEP_INTERVAL`] until the registry is dropped.
    pub fn start(store: Store, limits: StreamLimits) -> StreamRegistry {
        let inner = Arc::new(Inner {
            limits,
            reads: Semaphore::new(limits.database_connections.max(1)),
            open: Mutex::new(HashMap::new()),
            watches: Mutex::new(Vec::new()),
        });
        tokio::spawn(sweep(store, Arc::downgrade(&inner)));
        StreamRegistry { inner }
    }

    /// A place for a new stream of `caller`'s token, or RESOURCE_EXHAUSTED if the token
    /// holds as many as it may.
    pub fn open(&self, caller: &Caller, kind: &'static str) -> Result<StreamTicket, ApiError> {
        let mut open = self.inner.open.lock().expect("stream registry lock");
        let streams = open
            .entry(caller.token_id.clone())
            .or_insert_with(|| TokenStreams {
                count: 0,
                ended: watch::Sender::new(None),
            });
        if streams.count >= self.inner.limits.per_token {
            crate::metrics::shed(reasons::TOO_MANY_STREAMS);
            return Err(ApiError::ResourceExhausted {
                reason: reasons::TOO_MANY_STREAMS,
                message: format!(
                    "this token already holds {} open streams, the most it may; close one first",
                    self.inner.limits.per_token
                ),
                retry_after: None,
            });
        }
        streams.count += 1;
        crate::metrics::stream_opened(kind);
        let ended = streams.ended.subscribe();
        drop(open);
        Ok(StreamTicket {
            inner: self.inner.clone(),
            token_id: caller.token_id.clone(),
            kind,
            ended,
            progress: None,
        })
    }

    /// [`StreamRegistry::open`] for a watch of `caller`'s merchant feed: its progress is
    /// followed for the feed-lag metric ([`StreamRegistry::watch_places`]).
    pub fn open_watch(
        &self,
        caller: &Caller,
        kind: &'static str,
    ) -> Result<StreamTicket, ApiError> {
        let mut ticket = self.open(caller, kind)?;
        let progress = Arc::new(WatchProgress {
            merchant: caller.merchant.0.clone(),
            sent: AtomicI64::new(0),
            caught_up: AtomicBool::new(false),
        });
        let mut watches = self.inner.watches.lock().expect("stream registry lock");
        watches.retain(|w| w.strong_count() > 0);
        watches.push(Arc::downgrade(&progress));
        ticket.progress = Some(progress);
        Ok(ticket)
    }

    /// Where every open watch is.
    pub fn watch_places(&self) -> Vec<WatchPlace> {
        let watches = self.inner.watches.lock().expect("stream registry lock");
        watches
            .iter()
            .filter_map(Weak::upgrade)
            .map(|p| WatchPlace {
                merchant: p.merchant.clone(),
                sent: p.sent.load(Ordering::Relaxed),
                caught_up: p.caught_up.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Ends every stream opened with token `token_id`.
    pub fn revoke(&self, token_id: &str) {
        self.inner.end(token_id, Unusable::Revoked);
    }

    /// Runs one database read of a stream within the streams' share of the database.
    pub async fn read<T>(&self, read: impl Future<Output = T>) -> T {
        let _permit = self
            .inner
            .reads
            .acquire()
            .await
            .expect("the read semaphore is never closed");
        read.await
    }
}

impl Inner {
    fn end(&self, token_id: &str, why: Unusable) {
        if let Some(streams) = self
            .open
            .lock()
            .expect("stream registry lock")
            .get(token_id)
        {
            streams.ended.send_if_modified(|ended| {
                let first = ended.is_none();
                ended.get_or_insert(why);
                first
            });
        }
    }

    fn open_tokens(&self) -> Vec<String> {
        let open = self.open.lock().expect("stream registry lock");
        open.keys().cloned().collect()
    }
}

impl StreamTicket {
    /// A watch sent (or starts after) the change of feed sequence `seq`.
    pub fn sent(&self, seq: i64) {
        if let Some(progress) = &self.progress {
            progress.sent.store(seq, Ordering::Relaxed);
        }
    }

    /// A watch waits for the next commit (`true`), or reads again (`false`).
    pub fn caught_up(&self, caught_up: bool) {
        if let Some(progress) = &self.progress {
            progress.caught_up.store(caught_up, Ordering::Relaxed);
        }
    }

    /// Resolves, with the status the stream ends with, when the stream's token is revoked
    /// or expires.
    pub async fn revoked(&mut self) -> tonic::Status {
        // An error means the sender is gone, which cannot happen while this ticket lives.
        let why = match self.ended.wait_for(Option::is_some).await {
            Ok(ended) => (*ended).unwrap_or(Unusable::Revoked),
            Err(_) => Unusable::Revoked,
        };
        ended_status(why)
    }
}

/// What a stream whose token became unusable answers.
fn ended_status(why: Unusable) -> tonic::Status {
    match why {
        Unusable::Revoked => ApiError::Unauthenticated {
            reason: reasons::ACCESS_TOKEN_REVOKED,
            message: "the token this stream was opened with has been revoked",
        },
        Unusable::Expired => ApiError::Unauthenticated {
            reason: reasons::ACCESS_TOKEN_EXPIRED,
            message: "the token this stream was opened with has expired",
        },
    }
    .into()
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        crate::metrics::stream_closed(self.kind);
        let mut open = self.inner.open.lock().expect("stream registry lock");
        if let Some(streams) = open.get_mut(&self.token_id) {
            streams.count -= 1;
            if streams.count == 0 {
                open.remove(&self.token_id);
            }
        }
    }
}

/// Ends the streams of tokens that can no longer be used, every [`SWEEP_INTERVAL`], until
/// the registry is gone.
async fn sweep(store: Store, registry: Weak<Inner>) {
    loop {
        tokio::time::sleep(SWEEP_INTERVAL).await;
        let Some(inner) = registry.upgrade() else {
            return;
        };
        let tokens = inner.open_tokens();
        if tokens.is_empty() {
            continue;
        }
        match store.unusable_tokens(&tokens).await {
            Ok(unusable) => unusable.iter().for_each(|(id, why)| inner.end(id, *why)),
            Err(err) => tracing::warn!(error = %err, "checking the tokens of open streams failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::ChangeSource;
    use crate::domain::tenant::MerchantId;

    fn caller(token: &str) -> Caller {
        Caller {
            merchant: MerchantId("m".into()),
            source: ChangeSource {
                product: "EXTERNAL_API".into(),
                application_id: "a".into(),
                name: "n".into(),
            },
            token_id: token.into(),
        }
    }

    fn registry(per_token: usize) -> StreamRegistry {
        StreamRegistry {
            inner: Arc::new(Inner {
                limits: StreamLimits {
                    per_token,
                    database_connections: 1,
                },
                reads: Semaphore::new(1),
                open: Mutex::new(HashMap::new()),
                watches: Mutex::new(Vec::new()),
            }),
        }
    }

    #[test]
    fn a_token_holds_at_most_its_quota_and_closing_frees_a_place() {
        let registry = registry(2);
        let first = registry.open(&caller("t"), "test").unwrap();
        let _second = registry.open(&caller("t"), "test").unwrap();
        let refused = registry.open(&caller("t"), "test").unwrap_err();
        assert!(matches!(
            refused,
            ApiError::ResourceExhausted {
                reason: reasons::TOO_MANY_STREAMS,
                ..
            }
        ));
        assert!(registry.open(&caller("other"), "test").is_ok());
        drop(first);
        assert!(registry.open(&caller("t"), "test").is_ok());
    }

    #[tokio::test]
    async fn streams_read_at_most_their_share_of_the_database_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let registry = registry(5);
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let read = || async {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            running.fetch_sub(1, Ordering::SeqCst);
        };
        futures::future::join_all((0..20).map(|_| registry.read(read()))).await;
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "the share is one connection"
        );
    }

    #[tokio::test]
    async fn revoking_a_token_ends_its_streams_only() {
        let registry = registry(5);
        let mut revoked = registry.open(&caller("t"), "test").unwrap();
        let mut other = registry.open(&caller("u"), "test").unwrap();
        registry.revoke("t");
        let status = tokio::time::timeout(Duration::from_secs(1), revoked.revoked())
            .await
            .expect("the revoked token's stream is told");
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        let untouched = tokio::time::timeout(Duration::from_millis(50), other.revoked()).await;
        assert!(untouched.is_err(), "another token's stream goes on");
        // Streams opened later with the revoked token are refused by authentication; once
        // every ticket is gone, nothing of the token remains.
        drop(revoked);
        assert!(registry.inner.open_tokens() == vec!["u".to_owned()]);
    }
}
