//! A throw-away PostgreSQL cluster for the tests, started from the installed binaries.
//!
//! One cluster per test binary, started on first use in a temporary directory on a free
//! port (as the `postgres` user when running as root, since `initdb` refuses root). A
//! guardian shell process stops the cluster and deletes its directory as soon as the test
//! process exits, however it exits. Each test gets a database of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};

use super::ports::{free_port, wait_for_listener};

struct Cluster {
    port: u16,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// A URL of a new, empty database in the shared cluster.
pub async fn fresh_database_url() -> String {
    let port = CLUSTER.get_or_init(start_cluster).port;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    // Accepting TCP precedes accepting logins by a moment: retry briefly.
    let deadline = Instant::now() + Duration::from_secs(20);
    let admin = loop {
        match Database::connect(&admin_url).await {
            Ok(db) => break db,
            Err(err) if Instant::now() > deadline => {
                panic!("connecting to the test cluster: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("creating a test database");
    admin.close().await.ok();
    format!("postgres://postgres@127.0.0.1:{port}/{name}")
}

/// Tests trade durability for speed (a crash of the throw-away cluster loses nothing of
/// value); benchmarks set `STOCKLEDGER_TEST_PG_DURABLE=1` to measure with PostgreSQL's
/// production defaults: every commit flushed to disk.
fn durability_settings() -> Vec<&'static str> {
    if std::env::var_os("STOCKLEDGER_TEST_PG_DURABLE").is_some() {
        return Vec::new();
    }
    vec![
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
    ]
}

pub fn bin_dir() -> PathBuf {
    for candidate in [
        "/usr/lib/postgresql/15/bin",
        "/usr/lib/postgresql/16/bin",
        "/usr/lib/postgresql/17/bin",
    ] {
        if Path::new(candidate).join("initdb").exists() {
            return PathBuf::from(candidate);
        }
    }
    let found = Command::new("sh")
        .args(["-c", "dirname \"$(command -v initdb)\""])
        .output();
    match found {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => {
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        _ => panic!("PostgreSQL binaries (initdb, postgres) not found: run scripts/setup.sh"),
    }
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args…`, as the `postgres` user when we are root.
pub fn as_cluster_owner(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

// postgres and its guardian outlive this process on purpose: the guardian reaps the cluster.
#[allow(clippy::zombie_processes)]
fn start_cluster() -> Cluster {
    let bin = bin_dir();
    let dir =
        std::env::temp_dir().join(format!("stockledger-pg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("creating the cluster directory");
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "chown of the cluster directory failed"
        );
    }
    let data = dir.join("data");
    let out = as_cluster_owner(&bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "-D",
        ])
        .arg(&data)
        .output()
        .expect("running initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let port = free_port();
    let log = std::fs::File::create(dir.join("postgres.log")).expect("creating the log");
    let mut postgres = as_cluster_owner(&bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(&dir)
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=400",
            "-c",
            "shared_buffers=64MB",
        ])
        .args(durability_settings())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting postgres");

    // The guardian: when this test process is gone, stop the cluster and remove it.
    let owner = if is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    let guardian = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         {owner}{pg_ctl} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &guardian])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the cluster guardian");

    let what = format!("postgres (log: {})", dir.join("postgres.log").display());
    wait_for_listener(port, &mut postgres, &what);
    wait_until_accepting_connections(port, &what);
    Cluster { port }
}

/// Listening is not accepting: while it starts up (replays WAL, reaches a consistent state
/// as a standby) PostgreSQL answers "the database system is starting up". Waits (at most
/// 30 s) until `pg_isready` says the cluster on `port` accepts connections.
pub fn wait_until_accepting_connections(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let ready = Command::new(bin_dir().join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .status()
            .expect("running pg_isready");
        if ready.success() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what} not accepting connections after 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
