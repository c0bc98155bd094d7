//! Live change feeds: the signal that new changes were committed, fed by this process's
//! own writes and, on PostgreSQL, by LISTEN/NOTIFY from every replica. Watchers read the
//! durable log (changes and count updates ordered by the per-merchant feed sequence) and
//! use this signal only to know when to read again, so nothing is ever skipped or repeated.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseBackend;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::store::Store;
use crate::store::ledger::FEED_CHANNEL;
use crate::store::tokens::TOKENS_CHANNEL;

/// How often a watcher re-reads the log even without a signal (a safety net for a lost
/// notification while the listener reconnects).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The commit signal and the shutdown signal shared by every watcher of a server.
#[derive(Debug)]
pub struct Feed {
    generation: watch::Sender<u64>,
    closing: watch::Sender<bool>,
}

impl Feed {
    /// A new feed signal.
    pub fn new() -> Arc<Feed> {
        Arc::new(Feed {
            generation: watch::Sender::new(0),
            closing: watch::Sender::new(false),
        })
    }

    /// Announces that changes were committed.
    pub fn notify(&self) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// A receiver that sees every announcement made after it last looked.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Tells every watcher to end its stream (server shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// A receiver of the shutdown signal.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

/// On PostgreSQL, relays NOTIFYs from every replica into this process until the feed
/// closes: commits (into `feed`) and token revocations (into `on_token_revoked`, with the
/// token id); reconnects after a failure. Does nothing on SQLite (one process owns the
/// file).
pub fn spawn_listener(
    store: &Store,
    feed: Arc<Feed>,
    on_token_revoked: impl Fn(&str) + Send + Sync + 'static,
) {
    if store.connection().get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    let pool = store.connection().get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        let mut closing = feed.closing();
        loop {
            let listened = async {
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen_all([FEED_CHANNEL, TOKENS_CHANNEL]).await?;
                // Anything committed while we were not listening is read now.
                feed.notify();
                loop {
                    let notification = listener.recv().await?;
                    if notification.channel() == TOKENS_CHANNEL {
                        on_token_revoked(notification.payload());
                    } else {
                        feed.notify();
                    }
                }
                #[allow(unreachable_code)]
                Ok::<(), sea_orm::sqlx::Error>(())
            };
            tokio::select! {
                result = listened => {
                    if let Err(err) = result {
                        tracing::warn!(error = %err, "feed listener failed; reconnecting");
                    }
                }
                _ = closing.wait_for(|c| *c) => return,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}
