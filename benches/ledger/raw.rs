//! Direct SQL on the server's schema through sqlx: baseline (a), the write limit, and the
//! seeding of long histories.
//!
//! Baseline (a) writes, per change, one `inventory_changes` row and one `inventory_counts`
//! upsert, with cached prepared statements and one transaction per batch (IMMEDIATE on
//! SQLite, like the server). Counts are upserted in key order, so concurrent batches never
//! deadlock, and each transaction claims its feed sequences from the merchant's
//! `merchant_feeds` row, whose lock is held until commit (the server's gap-free,
//! commit-ordered feed needs the same).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous,
};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};

use crate::load::Client;
use crate::workload::{Catalog, Keys, PAIRS, Planned, next_batch};

/// A connection of its own to the server's database.
pub enum RawConn {
    /// SQLite with the server's settings (WAL, synchronous=FULL, busy_timeout 10 s).
    Sqlite(SqliteConnection),
    /// PostgreSQL with the cluster's defaults.
    Postgres(PgConnection),
}

/// Runs `$body` in a write transaction on either backend (the same SQL text serves both:
/// sqlx binds `$N` on SQLite too) and commits it.
macro_rules! in_write_transaction {
    ($raw:expr, $tx:ident => $body:block) => {
        match $raw {
            RawConn::Sqlite(conn) => {
                let mut $tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                $body
                $tx.commit().await
            }
            RawConn::Postgres(conn) => {
                let mut $tx = conn.begin().await?;
                $body
                $tx.commit().await
            }
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection of either backend.
macro_rules! on_either {
    ($raw:expr, $conn:ident => $body:expr) => {
        match $raw {
            RawConn::Sqlite($conn) => $body,
            RawConn::Postgres($conn) => $body,
        }
    };
}

const UPSERT_COUNT: &str = "INSERT INTO inventory_counts \
     (merchant_id, catalog_object_id, location_id, state, quantity_units, calculated_at) \
     VALUES ($1, $2, $3, 'IN_STOCK', $4, $5) \
     ON CONFLICT (merchant_id, catalog_object_id, location_id, state) DO UPDATE SET \
     quantity_units = inventory_counts.quantity_units + excluded.quantity_units, \
     calculated_at = excluded.calculated_at";

const CLAIM_FEED_SEQUENCES: &str =
    "UPDATE merchant_feeds SET last_seq = last_seq + $2 WHERE merchant_id = $1 RETURNING last_seq";

const CREATE_FEED_HEAD: &str = "INSERT INTO merchant_feeds (merchant_id, last_seq) VALUES ($1, 0) \
     ON CONFLICT (merchant_id) DO NOTHING";

const CHANGE_COLUMNS: &str = "feed_seq, id, merchant_id, change_type, catalog_object_id, \
     location_id, from_state, to_state, quantity_units, occurred_at, created_at, \
     source_product, source_application_id, source_name, reference_id, employee_id, \
     team_member_id, transaction_id, refund_id, purchase_order_id, goods_receipt_id";

const INSERT_CHANGE: &str = "INSERT INTO inventory_changes (feed_seq, id, merchant_id, \
     change_type, catalog_object_id, location_id, from_state, to_state, quantity_units, \
     occurred_at, created_at, source_product, source_application_id, source_name, \
     reference_id, employee_id, team_member_id, transaction_id, refund_id, purchase_order_id, \
     goods_receipt_id) \
     VALUES ($1, $2, $3, 'ADJUSTMENT', $4, $5, $6, $7, $8, $9, $10, 'EXTERNAL_API', $11, $12, \
     '', '', '', '', '', '', '')";

const OWNER: &str = "SELECT m.id, t.application_id, t.application_name FROM merchants m \
     JOIN api_tokens t ON t.merchant_id = m.id WHERE m.name = $1 LIMIT 1";

/// The merchant and application that changes are recorded for.
#[derive(Clone, Debug)]
pub struct Owner {
    /// merchants.id
    pub merchant_id: String,
    /// The token's application id.
    pub application_id: String,
    /// The token's application name.
    pub application_name: String,
}

impl RawConn {
    /// Opens one connection to `url` (`sqlite:…` or `postgres:…`).
    pub async fn connect(url: &str) -> Result<RawConn, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            Ok(RawConn::Sqlite(options.connect().await?))
        } else {
            Ok(RawConn::Postgres(PgConnection::connect(url).await?))
        }
    }

    /// The merchant named `name` and its token's application; creates its feed head.
    pub async fn owner(&mut self, name: &str) -> Result<Owner, sqlx::Error> {
        let (merchant_id, application_id, application_name) = on_either!(self, conn => {
            sqlx::query_as::<_, (String, String, String)>(OWNER)
                .bind(name)
                .fetch_one(&mut *conn)
                .await?
        });
        on_either!(self, conn => {
            sqlx::query(CREATE_FEED_HEAD)
                .bind(&merchant_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(Owner {
            merchant_id,
            application_id,
            application_name,
        })
    }

    /// Writes `changes` in one transaction: count upserts in key order, the feed sequence
    /// claim, then the change rows.
    pub async fn write_batch(
        &mut self,
        owner: &Owner,
        catalog: &Catalog,
        changes: &mut [Planned],
    ) -> Result<(), sqlx::Error> {
        changes.sort_by_key(|c| c.pair);
        let now = chrono::Utc::now().timestamp_micros();
        let n = changes.len() as i64;
        in_write_transaction!(self, tx => {
            for change in changes.iter() {
                let (item, location) = catalog.pair(change.pair);
                sqlx::query(UPSERT_COUNT)
                    .bind(&owner.merchant_id)
                    .bind(item)
                    .bind(location)
                    .bind(change.kind.in_stock_delta_units())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            let last: i64 = sqlx::query_scalar(CLAIM_FEED_SEQUENCES)
                .bind(&owner.merchant_id)
                .bind(n)
                .fetch_one(&mut *tx)
                .await?;
            for (offset, change) in (0_i64..).zip(changes.iter()) {
                let (item, location) = catalog.pair(change.pair);
                let (from, to) = change.kind.states();
                sqlx::query(INSERT_CHANGE)
                    .bind(last - n + 1 + offset)
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(&owner.merchant_id)
                    .bind(item)
                    .bind(location)
                    .bind(stored_state(from))
                    .bind(stored_state(to))
                    .bind(change.kind.quantity_units())
                    .bind(now)
                    .bind(now)
                    .bind(&owner.application_id)
                    .bind(&owner.application_name)
                    .execute(&mut *tx)
                    .await?;
            }
        })
    }
}

/// The stored spelling of the states the workload uses.
fn stored_state(state: stockledger::proto::v1::InventoryState) -> &'static str {
    use stockledger::proto::v1::InventoryState as S;
    match state {
        S::None => "NONE",
        S::InStock => "IN_STOCK",
        S::Sold => "SOLD",
        other => unreachable!("the workload does not use {other:?}"),
    }
}

/// A baseline client: the workload's batches written by [`RawConn::write_batch`].
pub struct RawWriter {
    conn: RawConn,
    owner: Arc<Owner>,
    catalog: Arc<Catalog>,
    keys: Keys,
    id: usize,
    counter: u64,
    batch: usize,
}

impl RawWriter {
    /// Client number `id` writing batches of `batch` changes on its own connection.
    pub fn new(
        conn: RawConn,
        owner: Arc<Owner>,
        catalog: Arc<Catalog>,
        keys: Keys,
        id: usize,
        batch: usize,
    ) -> Self {
        RawWriter {
            conn,
            owner,
            catalog,
            keys,
            id,
            counter: 0,
            batch,
        }
    }
}

impl Client for RawWriter {
    async fn call(&mut self) -> Result<u64, String> {
        let mut changes = next_batch(self.keys, self.id, &mut self.counter, self.batch);
        self.conn
            .write_batch(&self.owner, &self.catalog, &mut changes)
            .await
            .map_err(|e| e.to_string())?;
        Ok(self.batch as u64)
    }
}

// ---- Seeding a long history -------------------------------------------------------------

/// Rows per seeding statement.
const SEED_CHUNK: u64 = 100_000;

/// Each seeded change receives 1 (fixed-point units of 10⁻⁵).
const SEED_QUANTITY_UNITS: i64 = 100_000;

const SEED_PAIRS_TABLE: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS bench_pairs \
     (k BIGINT PRIMARY KEY, item TEXT NOT NULL, location TEXT NOT NULL)";

/// Selects change `i` of `$1..=$2` for the pair `i % $7`; `{rows}` and `{id}` differ by
/// backend.
const SEED_CHANGES: &str = "{with} INSERT INTO inventory_changes (seq, {columns}) \
     SELECT n.i, n.i, {id}, $3, 'ADJUSTMENT', p.item, p.location, 'NONE', 'IN_STOCK', $8, \
     $4 + n.i, $4 + n.i, 'EXTERNAL_API', $5, $6, '', '', '', '', '', '', '' \
     FROM {rows} JOIN bench_pairs p ON p.k = n.i % $7";

const SEED_ENTRIES: &str = "INSERT INTO inventory_entries (change_seq, merchant_id, \
     catalog_object_id, location_id, state, effect, quantity_units, occurred_at) \
     SELECT seq, merchant_id, catalog_object_id, location_id, to_state, 'DELTA', \
     quantity_units, occurred_at FROM inventory_changes WHERE seq BETWEEN $1 AND $2";

const SEED_COUNTS: &str = "INSERT INTO inventory_counts (merchant_id, catalog_object_id, \
     location_id, state, quantity_units, calculated_at) \
     SELECT merchant_id, catalog_object_id, location_id, to_state, SUM(quantity_units), $3 \
     FROM inventory_changes WHERE seq BETWEEN $1 AND $2 \
     GROUP BY merchant_id, catalog_object_id, location_id, to_state \
     ON CONFLICT (merchant_id, catalog_object_id, location_id, state) DO UPDATE SET \
     quantity_units = inventory_counts.quantity_units + excluded.quantity_units, \
     calculated_at = excluded.calculated_at";

const SEED_FEED_HEAD: &str = "INSERT INTO merchant_feeds (merchant_id, last_seq) VALUES ($1, $2) \
     ON CONFLICT (merchant_id) DO UPDATE SET last_seq = excluded.last_seq";

impl RawConn {
    /// The seeding statement for this backend.
    fn seed_changes_sql(&self) -> String {
        let (with, rows, id) = match self {
            RawConn::Sqlite(_) => (
                "WITH RECURSIVE n(i) AS (SELECT CAST($1 AS INTEGER) \
                 UNION ALL SELECT i + 1 FROM n WHERE i < $2)",
                "n",
                "printf('00000000-0000-4000-8000-%012d', n.i)",
            ),
            RawConn::Postgres(_) => (
                "",
                "generate_series($1::bigint, $2::bigint) AS n(i)",
                "'00000000-0000-4000-8000-' || lpad(n.i::text, 12, '0')",
            ),
        };
        SEED_CHANGES
            .replace("{with}", with)
            .replace("{columns}", CHANGE_COLUMNS)
            .replace("{rows}", rows)
            .replace("{id}", id)
    }

    /// Records changes number `first..=last` of a fresh history directly in the tables, as
    /// the server would have: receipts of 1 (NONE → IN_STOCK) spread over the catalog's
    /// pairs, one per microsecond of `occurred_at`, with their count effects, counts and
    /// feed head. Sequences and feed sequences equal the change numbers, so the database
    /// must hold no other change. The stop-gap for a history too long to send through the
    /// API in a benchmark; only the WatchInventoryCounts log is not written.
    pub async fn seed_history(
        &mut self,
        owner: &Owner,
        catalog: &Catalog,
        first: i64,
        last: i64,
    ) -> Result<(), sqlx::Error> {
        self.load_pairs(catalog).await?;
        let seed_changes = self.seed_changes_sql();
        let now = chrono::Utc::now().timestamp_micros();
        let base = now - 12 * 3_600_000_000;
        let mut from = first;
        while from <= last {
            let to = last.min(from + SEED_CHUNK as i64 - 1);
            in_write_transaction!(self, tx => {
                sqlx::query(AssertSqlSafe(seed_changes.as_str()))
                    .bind(from)
                    .bind(to)
                    .bind(&owner.merchant_id)
                    .bind(base)
                    .bind(&owner.application_id)
                    .bind(&owner.application_name)
                    .bind(PAIRS as i64)
                    .bind(SEED_QUANTITY_UNITS)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(SEED_ENTRIES).bind(from).bind(to).execute(&mut *tx).await?;
                sqlx::query(SEED_COUNTS)
                    .bind(from)
                    .bind(to)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            })?;
            from = to + 1;
        }
        self.finish_seeding(owner, last).await
    }

    async fn load_pairs(&mut self, catalog: &Catalog) -> Result<(), sqlx::Error> {
        on_either!(self, conn => {
            sqlx::query(SEED_PAIRS_TABLE).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM bench_pairs").execute(&mut *conn).await?;
            for pair in 0..PAIRS {
                let (item, location) = catalog.pair(pair);
                sqlx::query("INSERT INTO bench_pairs (k, item, location) VALUES ($1, $2, $3)")
                    .bind(pair as i64)
                    .bind(item)
                    .bind(location)
                    .execute(&mut *conn)
                    .await?;
            }
        });
        Ok(())
    }

    async fn finish_seeding(&mut self, owner: &Owner, last: i64) -> Result<(), sqlx::Error> {
        on_either!(self, conn => {
            sqlx::query(SEED_FEED_HEAD)
                .bind(&owner.merchant_id)
                .bind(last)
                .execute(&mut *conn)
                .await?;
        });
        if let RawConn::Postgres(conn) = self {
            // Explicit sequences bypass the serial column's sequence: move it past them.
            sqlx::query("SELECT setval(pg_get_serial_sequence('inventory_changes', 'seq'), $1)")
                .bind(last)
                .execute(&mut *conn)
                .await?;
            // Statistics as autovacuum would soon have them, not those of an empty table.
            sqlx::query("ANALYZE").execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Closes the connection.
    pub async fn close(self) {
        on_either!(self, conn => conn.close().await.ok());
    }
}
