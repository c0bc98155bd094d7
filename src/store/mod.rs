//! Persistence on SeaORM: connecting (SQLite by default, PostgreSQL for scale-out),
//! migrations, and the repositories of each resource. Every query is scoped to a merchant.

pub mod alerts;
pub mod asof;
pub mod backup;
pub mod batch;
mod binds;
pub mod entity;
mod error;
pub mod imports;
pub mod items;
pub mod ledger;
pub mod locations;
pub mod merchants;
pub mod migration;
mod page;
mod primary;
pub mod reasons;
pub mod rehearsal;
pub mod reservations;
mod secrets;
pub mod tokens;
pub mod webhooks;
pub mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use error::{Outage, StoreError};
pub use page::Page;

/// The database URL used when none is given: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://stockledger.db?mode=rwc";

pub use crate::domain::tenant::MerchantId;

/// The PostgreSQL advisory lock key that serialises migrations between processes
/// ("stockledger migrations" as a number; any key nothing else uses would do).
const MIGRATION_LOCK: i64 = 0x5354_4f43_4b4d_4947;

/// The migrations `db` has not applied yet; [`StoreError::NewerSchema`] if it has one
/// this binary does not know.
async fn pending_migrations(
    db: &impl ConnectionTrait,
) -> Result<Vec<sea_orm_migration::Migration>, StoreError> {
    migration::Migrator::get_pending_migrations_read_only(db)
        .await
        .map_err(StoreError::newer_schema)
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// A connection of its own for health's round trip, so that a pool busy with calls
    /// never makes health report a database that answers as down.
    probe: DatabaseConnection,
    storage: Arc<StorageState>,
}

/// How long after a write refused for a full disk health keeps reporting it, unless a
/// write commits before.
const STORAGE_FULL_MEMORY: Duration = Duration::from_secs(5);

/// How long after a write found the database unreachable the writer checks it (on
/// health's connection, within [`REACHABLE_CHECK`]) before waiting for a pooled connection.
const UNREACHABLE_MEMORY: Duration = Duration::from_secs(5);
/// How often a write waiting for a connection looks whether health found the database gone.
const UNREACHABLE_POLL: Duration = Duration::from_millis(100);
/// How long the writer's check of an unreachable database may take.
const REACHABLE_CHECK: Duration = Duration::from_secs(1);

/// When a write last found the disk full or the database unreachable, if no write has
/// committed since.
#[derive(Debug, Default)]
struct StorageState {
    /// Microseconds since the Unix epoch; 0 when no write is refused.
    full_since_write: AtomicI64,
    /// Microseconds since the Unix epoch; 0 when the last write reached the database.
    unreachable_since_write: AtomicI64,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). A SQLite file is created if
    /// missing and put in WAL mode with full fsync, so an acknowledged write survives a crash.
    ///
    /// A PostgreSQL URL may name several hosts (`postgres://u@primary:5432,standby:5432/db`):
    /// the store then connects to the one that takes writes and follows a promotion
    /// ([`primary`]).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let hosts = primary::host_urls(url);
        let url = match &hosts {
            Some(urls) => primary::find_primary(urls)
                .await
                .unwrap_or_else(|| urls[0].clone()),
            None => url.to_owned(),
        };
        let db = Database::connect(connect_options(&url, 16, false)).await?;
        // Opened on health's first round trip: commands that never ask pay nothing.
        let probe = Database::connect(connect_options(&url, 1, true)).await?;
        if let Some(urls) = hosts {
            let pools = vec![
                db.get_postgres_connection_pool().clone(),
                probe.get_postgres_connection_pool().clone(),
            ];
            tokio::spawn(primary::follow(urls, url, pools));
        }
        Ok(Store {
            db,
            probe,
            storage: Arc::default(),
        })
    }

    /// Applies every pending migration and names them, oldest first (none: the schema was
    /// up to date). A database migrated by a newer Stockledger — it has a migration this
    /// binary does not know — is refused as [`StoreError::NewerSchema`], untouched.
    ///
    /// Processes that start together on one database (replicas, or a `token` command run
    /// while `serve` starts) migrate one at a time: all pending migrations are applied in
    /// one write transaction — IMMEDIATE on SQLite, holding [`MIGRATION_LOCK`] on
    /// PostgreSQL — that looks again at what is pending once it holds the lock, so the
    /// later processes find nothing left to do, and a migration that fails leaves nothing
    /// half-applied.
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        // The common case, an up-to-date schema, takes no lock.
        if pending_migrations(&self.db).await?.is_empty() {
            return Ok(Vec::new());
        }
        let txn = self.begin_write().await?;
        if self.db.get_database_backend() == DbBackend::Postgres {
            let lock = format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})");
            txn.execute_unprepared(&lock).await?;
        }
        let pending = pending_migrations(&txn).await?;
        if !pending.is_empty() {
            migration::Migrator::up(&txn, None)
                .await
                .map_err(StoreError::newer_schema)?;
        }
        txn.commit().await?;
        Ok(pending.iter().map(|m| m.name().to_owned()).collect())
    }

    /// The underlying connection (for repositories and tests).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a read-write transaction that serialises with other writers: IMMEDIATE on
    /// SQLite (which ignores row locks); row locks are taken explicitly on PostgreSQL.
    ///
    /// While it waits for a pooled connection, health may find the database gone
    /// ([`Store::note_unreachable`]): it then gives up at once with an outage (no
    /// transaction began, so nothing is in doubt) instead of waiting out the pool's timeout
    /// — the writer is one queue, and every call behind it would wait as long.
    #[tracing::instrument(level = "debug", name = "db.begin", skip_all)]
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let started = now_micros();
        let begin = self.db.begin_with_options(options);
        tokio::pin!(begin);
        loop {
            tokio::select! {
                begun = &mut begin => return Ok(begun?),
                _ = tokio::time::sleep(UNREACHABLE_POLL) => {
                    let noted = self.storage.unreachable_since_write.load(Ordering::Relaxed);
                    if noted > started {
                        return Err(StoreError::Outage {
                            outage: Outage::Unreachable,
                            cause: "health found the database unreachable while a write \
                                    waited for a connection"
                                .into(),
                        });
                    }
                }
            }
        }
    }

    /// Whether the database answers a round trip (what health reports), on a connection
    /// of its own: however busy the pool, this waits for the database only.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.probe.ping().await?)
    }

    /// Records how a write ended, for [`Store::storage_full`]: a refusal for a full disk,
    /// or a commit, which proves there is space again.
    pub(crate) fn note_write<T>(&self, result: &Result<T, StoreError>) {
        let full = &self.storage.full_since_write;
        let unreachable = &self.storage.unreachable_since_write;
        match result {
            Ok(_) => {
                for since in [full, unreachable] {
                    if since.load(Ordering::Relaxed) != 0 {
                        since.store(0, Ordering::Relaxed);
                    }
                }
            }
            Err(e) => match e.outage() {
                Some(Outage::StorageFull) => full.store(now_micros(), Ordering::Relaxed),
                Some(Outage::Unreachable) => unreachable.store(now_micros(), Ordering::Relaxed),
                None => {}
            },
        }
    }

    /// Whether writes may go ahead: while a write found the database unreachable in the
    /// last few seconds (and none has committed since), the database is asked first on
    /// health's connection, within a second — so that, all through an outage, writes are
    /// refused at once instead of each waiting out the pool's timeout. `Err` is the outage
    /// to answer.
    pub async fn writes_may_proceed(&self) -> Result<(), StoreError> {
        let since = self.storage.unreachable_since_write.load(Ordering::Relaxed);
        if since == 0 || now_micros() - since >= UNREACHABLE_MEMORY.as_micros() as i64 {
            return Ok(());
        }
        match tokio::time::timeout(REACHABLE_CHECK, self.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if e.outage().is_some() => Err(e),
            Ok(Err(e)) => Err(StoreError::Outage {
                outage: Outage::Unreachable,
                cause: e.to_string(),
            }),
            Err(_) => Err(StoreError::Outage {
                outage: Outage::Unreachable,
                cause: format!("no answer within {REACHABLE_CHECK:?}"),
            }),
        }
    }

    /// Records that the database did not answer health's check: like a write that found it
    /// unreachable, so that the next writes ask it first (within a second) instead of each
    /// waiting out the pool's timeout — even when no write has failed yet.
    pub fn note_unreachable(&self) {
        let unreachable = &self.storage.unreachable_since_write;
        unreachable.store(now_micros(), Ordering::Relaxed);
    }

    /// Whether a write was refused for a full disk in the last few seconds with no write
    /// committed since: writes are failing for lack of space (reads may still work).
    pub fn storage_full(&self) -> bool {
        let since = self.storage.full_since_write.load(Ordering::Relaxed);
        since != 0 && now_micros() - since < STORAGE_FULL_MEMORY.as_micros() as i64
    }

    /// Closes every pooled connection.
    /// The pool's connections now: (in use, idle).
    pub fn pool_usage(&self) -> (u32, u32) {
        let (size, idle) = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        (size.saturating_sub(idle), idle)
    }

    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        self.probe.close().await?;
        Ok(())
    }
}

/// The pool settings for `url`: `max_connections`, opened at once or on first use.
fn connect_options(url: &str, max_connections: u32, lazy: bool) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(u32::from(!lazy))
        .connect_lazy(lazy)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_pool_opts(|pool| pool.after_release(released_outside_transaction))
        .map_sqlx_postgres_pool_opts(|pool| pool.after_release(released_outside_transaction))
        .map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    options
}

/// Whether a connection coming back to the pool may be reused: only outside any
/// transaction. A transaction whose COMMIT or ROLLBACK failed (a full disk, an I/O error)
/// leaves its connection inside it: reused, the next "transaction" on it would be a nested
/// savepoint whose release commits nothing, answered as if durable and lost when the
/// connection closes. Such a connection is closed instead, which rolls back whatever it
/// held, and the pool opens a fresh one (docs/reliability.md, "A full disk").
fn released_outside_transaction<C: sea_orm::sqlx::Connection>(
    connection: &mut C,
    _: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, Result<bool, sea_orm::sqlx::Error>> {
    Box::pin(async move {
        if !connection.is_in_transaction() {
            return Ok(true);
        }
        // A dropped transaction's rollback is queued on the connection: a round trip lets
        // it run before the connection is judged.
        connection.ping().await?;
        if connection.is_in_transaction() {
            tracing::warn!(
                "a connection came back inside a transaction whose commit or rollback failed; \
                 closing it"
            );
            return Ok(false);
        }
        Ok(true)
    })
}

/// The file a `sqlite:` URL names (`None` for another backend, an unparsable URL or an
/// in-memory database): for commands that must find a database, never create one.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !url.starts_with("sqlite:") {
        return None;
    }
    let options = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty() && file.as_os_str() != ":memory:").then(|| file.to_owned())
}

/// Server time as microseconds since the Unix epoch (the unit every time column uses).
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A new time-ordered opaque id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
