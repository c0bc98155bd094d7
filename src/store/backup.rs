//! Online copies of a SQLite database: `stockledger backup --database-url URL --to FILE`,
//! and the private copy an import's dry run rehearses on ([`super::rehearsal`]).
//!
//! Both are `VACUUM INTO`: SQLite writes a compact copy of the database as one read
//! transaction sees it. In WAL mode (the server's) that read blocks no writer, so a server
//! may go on committing while the copy is taken; the copy holds exactly the commits made
//! before the read began — a moment of the ledger's history, never half a batch.
//!
//! A backup is written beside its destination under a temporary name, readable by its
//! owner only (it holds the token digests and the cursors' signing secret), flushed to
//! disk, and only then linked to the name given, which is never overwritten. PostgreSQL is
//! backed up with its own tools (`pg_dump`), which take the same kind of snapshot.

use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, SqlxSqliteConnector, Statement};

use super::StoreError;

/// Why a backup was not made; each names the flag to change.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A PostgreSQL database: its own tools back it up.
    #[error(
        "--database-url names a PostgreSQL database: back it up with pg_dump \
         (pg_dump --format=custom --file=FILE \"$DATABASE_URL\"; docs/operations.md, \
         \"Backups and restores\")"
    )]
    Postgres,
    /// A URL of neither backend.
    #[error("--database-url must be a sqlite:// URL (PostgreSQL: use pg_dump)")]
    NotSqlite,
    /// The source file does not exist, or holds no Stockledger database.
    #[error("--database-url {url}: {why}")]
    NoDatabase {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The destination exists already (it is never overwritten).
    #[error("--to {0}: the file exists already (a backup never overwrites a file)")]
    Exists(PathBuf),
    /// The destination could not be written.
    #[error("--to {path}: {error}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The database failed while being copied.
    #[error("copying the database: {0}")]
    Store(#[from] StoreError),
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The file's size in bytes.
    pub bytes: u64,
    /// The inventory changes (history rows) it holds.
    pub changes: i64,
}

/// Copies the live database at `database_url` (a SQLite file that exists) into `to`,
/// which must not exist: see the module's documentation.
pub async fn backup_sqlite(database_url: &str, to: &Path) -> Result<Backup, BackupError> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        return Err(BackupError::Postgres);
    }
    if !database_url.starts_with("sqlite:") {
        return Err(BackupError::NotSqlite);
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let source = open_existing(database_url).await?;
    let result = write_backup(&source, to).await;
    source.close().await.ok();
    let bytes = result?;
    let copy = open_existing(&format!("sqlite://{}?mode=ro", to.display())).await?;
    let changes = count_changes(&copy).await;
    copy.close().await.ok();
    Ok(Backup {
        bytes,
        changes: changes?,
    })
}

/// `VACUUM INTO path`: a consistent copy of the SQLite database `db` in `path`, which must
/// not exist or be empty.
pub(crate) async fn vacuum_into(db: &DatabaseConnection, path: &Path) -> Result<(), StoreError> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.to_string_lossy().into_owned().into()],
    ))
    .await?;
    Ok(())
}

/// A connection to the Stockledger database at the SQLite URL `url`, never creating it
/// (whatever the URL's `mode`).
async fn open_existing(url: &str) -> Result<DatabaseConnection, BackupError> {
    let no_database = |why: String| BackupError::NoDatabase {
        url: url.to_owned(),
        why,
    };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| no_database(e.to_string()))?
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| no_database(format!("cannot open it ({e})")))?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let schema = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        ))
        .await
        .map_err(|e| no_database(e.to_string()))?;
    if schema.is_none() {
        db.close().await.ok();
        return Err(no_database(
            "not a Stockledger database (no schema; `stockledger migrate` makes one)".into(),
        ));
    }
    Ok(db)
}

/// Writes the copy under a temporary name beside `to`, flushes it, then links it to `to`
/// (failing if `to` appeared meanwhile); the temporary name is removed either way. Returns
/// the copy's size.
async fn write_backup(source: &DatabaseConnection, to: &Path) -> Result<u64, BackupError> {
    let failed = |error| BackupError::Write {
        path: to.to_owned(),
        error,
    };
    let name = to
        .file_name()
        .ok_or_else(|| failed(std::io::Error::new(ErrorKind::InvalidInput, "no file name")))?;
    let directory = match to.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let partial = directory.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    // Created empty, owner-only, before SQLite writes into it (it accepts an empty file).
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(failed)?;
    let written = async {
        vacuum_into(source, &partial).await?;
        let file = std::fs::File::open(&partial).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        let bytes = file.metadata().map_err(failed)?.len();
        std::fs::hard_link(&partial, to).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => BackupError::Exists(to.to_owned()),
            _ => failed(e),
        })?;
        // The new name is durable once its directory is.
        std::fs::File::open(&directory)
            .and_then(|d| d.sync_all())
            .map_err(failed)?;
        Ok(bytes)
    }
    .await;
    std::fs::remove_file(&partial).ok();
    written
}

/// The history rows of the database `db`.
async fn count_changes(db: &DatabaseConnection) -> Result<i64, BackupError> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) AS n FROM inventory_changes",
        ))
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| StoreError::Corrupt("count(*) returned no row".into()))?;
    Ok(row.try_get::<i64>("", "n").map_err(StoreError::from)?)
}
