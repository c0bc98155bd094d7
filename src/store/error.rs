//! The store's one error type: storage failures only (a missing row, a taken unique value,
//! a lost race, a broken database). The ledger's refusals are `domain::refusal::Refusal`,
//! decided by `domain::decide`, never a `StoreError`.

use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, SqlErr};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist for this merchant.
    #[error("not found")]
    NotFound,
    /// A unique value is already taken by another row of the merchant.
    #[error("{field} {value:?} is already taken")]
    Duplicate {
        /// The field whose value must be unique (e.g. a location's `name`).
        field: &'static str,
        /// The value that clashed.
        value: String,
    },
    /// A concurrent write won a race (e.g. for the same idempotency key on another
    /// replica); trying again resolves it.
    #[error("a concurrent write interfered; try again")]
    Contention,
    /// The batch writer has stopped (the server is shutting down).
    #[error("the batch writer has stopped")]
    WriterStopped,
    /// A stored value could not be read back (should never happen).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// The database's schema was migrated by a newer Stockledger than this binary.
    #[error("the database was migrated by a newer Stockledger ({0}); run a binary at least as new")]
    NewerSchema(String),
    /// The database was out (full, unreachable) when a call needed it; `cause` is what
    /// the database said. Answers every call of a group the outage failed as a whole.
    #[error("{cause}")]
    Outage {
        /// Which outage.
        outage: Outage,
        /// What the database said.
        cause: String,
    },
}

impl StoreError {
    /// Tells a database with a migration this binary does not know (sea-orm-migration says
    /// "… has been applied but its file is missing") from other failures.
    pub(crate) fn newer_schema(err: DbErr) -> StoreError {
        match &err {
            DbErr::Custom(text) if text.contains("applied but its file is missing") => {
                StoreError::NewerSchema(text.clone())
            }
            _ => StoreError::Db(err),
        }
    }

    /// Maps a unique-constraint violation to [`StoreError::Duplicate`], other errors unchanged.
    pub(crate) fn unique_as(err: DbErr, field: &'static str, value: &str) -> StoreError {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate {
                field,
                value: value.to_owned(),
            },
            _ => StoreError::Db(err),
        }
    }
}

/// A failure that is the database's condition, not a fault of the call or a bug: the call
/// may succeed when retried later, so it is answered UNAVAILABLE with a retry delay
/// (docs/reliability.md, "Outages").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The disk holding the database is full (SQLite's SQLITE_FULL, PostgreSQL's 53100):
    /// writes are refused until space is freed; reads go on.
    StorageFull,
    /// The database cannot be reached or cannot take writes now: connections refused or
    /// broken, the pool timed out waiting for one, the server shutting down or recovering,
    /// or a standby that is read-only until promoted.
    Unreachable,
}

impl StoreError {
    /// The outage this error reports, if it is one.
    pub fn outage(&self) -> Option<Outage> {
        match self {
            StoreError::Db(err) => db_outage(err),
            StoreError::Outage { outage, .. } => Some(*outage),
            _ => None,
        }
    }
}

/// The outage a database error reports, if it is one.
pub fn db_outage(err: &DbErr) -> Option<Outage> {
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            Some(Outage::Unreachable)
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_outage(e),
        // Some drivers' connection failures arrive as text only.
        DbErr::Conn(_) => Some(Outage::Unreachable),
        _ => None,
    }
}

fn sqlx_outage(err: &sea_orm::sqlx::Error) -> Option<Outage> {
    use sea_orm::sqlx::Error as E;
    match err {
        E::Database(database) => {
            let code = database.code()?;
            if database
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some()
            {
                sqlite_code_outage(code.parse().ok()?)
            } else {
                postgres_code_outage(&code)
            }
        }
        E::Io(_)
        | E::Tls(_)
        | E::Protocol(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed
        | E::BeginFailed => Some(Outage::Unreachable),
        _ => None,
    }
}

/// The outage a SQLite result code reports (its primary code is the low byte of an
/// extended one).
fn sqlite_code_outage(code: i32) -> Option<Outage> {
    match code & 0xff {
        // SQLITE_FULL
        13 => Some(Outage::StorageFull),
        // SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_BUSY (another process holds the file)
        10 | 14 | 5 => Some(Outage::Unreachable),
        _ => None,
    }
}

/// The outage a PostgreSQL SQLSTATE reports.
fn postgres_code_outage(code: &str) -> Option<Outage> {
    match code {
        // disk_full
        "53100" => Some(Outage::StorageFull),
        // insufficient_resources, out_of_memory, too_many_connections
        "53000" | "53200" | "53300" => Some(Outage::Unreachable),
        // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
        "57P01" | "57P02" | "57P03" => Some(Outage::Unreachable),
        // read_only_sql_transaction: a standby not yet promoted, or a demoted primary
        "25006" => Some(Outage::Unreachable),
        // connection_exception and its subclasses
        code if code.starts_with("08") => Some(Outage::Unreachable),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_codes() {
        let sqlite: &[(i32, Option<Outage>)] = &[
            (13, Some(Outage::StorageFull)),
            // SQLITE_IOERR_WRITE (an extended code of SQLITE_IOERR)
            (778, Some(Outage::Unreachable)),
            (5, Some(Outage::Unreachable)),
            // SQLITE_CONSTRAINT_UNIQUE: the caller's fault, never an outage
            (2067, None),
            // SQLITE_CONSTRAINT_FOREIGNKEY
            (787, None),
        ];
        for (code, expected) in sqlite {
            assert_eq!(sqlite_code_outage(*code), *expected, "SQLite code {code}");
        }
        let postgres: &[(&str, Option<Outage>)] = &[
            ("53100", Some(Outage::StorageFull)),
            ("57P01", Some(Outage::Unreachable)),
            ("08006", Some(Outage::Unreachable)),
            ("25006", Some(Outage::Unreachable)),
            ("23505", None),
            ("40001", None),
            ("42P01", None),
        ];
        for (code, expected) in postgres {
            assert_eq!(postgres_code_outage(code), *expected, "SQLSTATE {code}");
        }
        assert_eq!(
            db_outage(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            Some(Outage::Unreachable)
        );
        assert_eq!(db_outage(&DbErr::RecordNotFound("x".into())), None);
    }
}
