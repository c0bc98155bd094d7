//! The write-path benchmark: every figure beside a baseline measured in the same run, as a
//! ratio, because these machines vary several-fold from day to day.
//!
//! The server under test is a separate process: the release `stockledger` binary built
//! with this benchmark, or `STOCKLEDGER_BENCH_BINARY=/path/to/stockledger` (an older
//! commit's binary, for a before/after comparison), started with
//! `serve --listen 127.0.0.1:<port> --no-dev-token --database-url <url>` on a fresh
//! database per scenario group and driven over its public gRPC API, each client on a
//! connection of its own. Baselines:
//!
//! - (a) write limit: the same rows (one `inventory_changes` row and one `inventory_counts`
//!   upsert per change, plus the merchant's feed sequence) written with sqlx directly, one
//!   transaction per batch, on a database migrated by the same binary, at the same
//!   durability settings and concurrency;
//! - (b) transport limit: `grpc.health.v1.Health/Check` on the same server;
//! - (c) a bare tonic stream of the same messages from a server inside the benchmark.
//!
//! Scenarios, on SQLite (a file in a temporary directory) and PostgreSQL (the tests'
//! throw-away cluster): 1. writes at 1/10/100 changes per batch × 1/4/16/64 clients over
//! 250 item×location keys, and on one hot key; 2. count reads at 8 clients; 3.
//! StreamInventoryChanges over a long history (seeded by SQL) with the server's RSS; 4.
//! count-read latency at 1,000 vs that many history rows; 5. WatchInventoryChanges
//! commit → delivery latency under write load; 6. the HTTP front doors (a server of its own
//! started with `--http-listen` too): Square's and Shopify's count read and one-adjustment
//! write at 8 clients beside the same through gRPC and baseline (b); 7. guarded writes
//! (`forbid_negative_counts`) at 1/16/64 clients beside the same batches unguarded.
//!
//! ```sh
//! cargo bench --bench ledger                       # both backends, every scenario
//! cargo bench --bench ledger -- sqlite writes      # pick backends and/or groups
//! STOCKLEDGER_BENCH_QUICK=1 cargo bench --bench ledger
//! ```
//!
//! Groups: `writes` (1), `guards` (7), `reads` (2), `history` (3 and 4), `watch` (5), `doors` (6), e.g.
//! `cargo bench --bench ledger -- sqlite doors`. Environment:
//! `STOCKLEDGER_BENCH_BINARY` (server binary), `STOCKLEDGER_BENCH_QUICK=1` (1 s time
//! boxes, 100,000 history rows), `STOCKLEDGER_BENCH_SECONDS` (time box of each load,
//! default 3), `STOCKLEDGER_BENCH_HISTORY` (history rows, default 1,000,000).

#[path = "../../tests/common/bearer.rs"]
mod bearer;
#[path = "../../tests/common/ports.rs"]
mod ports;
#[path = "../../tests/common/postgres.rs"]
mod postgres;

mod bare;
mod doors;
mod guards;
mod history;
mod load;
mod raw;
mod reads;
mod report;
mod server;
mod watch;
mod workload;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use report::Row;
use server::Server;
use workload::Catalog;

/// Which database the server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Backend::Sqlite => {
                "SQLite: a file in a temporary directory (WAL, synchronous=FULL, busy_timeout 10 s)"
            }
            Backend::Postgres if std::env::var_os("STOCKLEDGER_TEST_PG_DURABLE").is_some() => {
                "PostgreSQL: the tests' throw-away cluster (tests/common/postgres.rs) with \
                 STOCKLEDGER_TEST_PG_DURABLE=1: durable defaults (fsync, synchronous_commit, \
                 full_page_writes on), shared_buffers=64MB, for the server and baseline (a) alike"
            }
            Backend::Postgres => {
                "PostgreSQL: the tests' throw-away cluster (tests/common/postgres.rs: fsync=off, \
                 synchronous_commit=off, full_page_writes=off, shared_buffers=64MB), \
                 for the server and baseline (a) alike"
            }
        }
    }
}

/// Groups of scenarios that can be selected on the command line.
const GROUPS: [&str; 6] = ["writes", "guards", "reads", "history", "watch", "doors"];

/// What to run and how long.
pub struct Settings {
    binary: PathBuf,
    backends: Vec<Backend>,
    groups: Vec<&'static str>,
    /// Time box of every load.
    time_box: Duration,
    /// History rows of scenarios 3 and 4.
    history: i64,
    quick: bool,
}

impl Settings {
    /// From the command line (see [`selection`]) and the environment.
    fn from_env_and_args() -> Settings {
        let quick =
            std::env::var("STOCKLEDGER_BENCH_QUICK").is_ok_and(|v| v != "0" && !v.is_empty());
        let (backends, groups) = selection(std::env::args().skip(1));
        let seconds = env_number("STOCKLEDGER_BENCH_SECONDS", if quick { 1 } else { 3 });
        let history = env_number(
            "STOCKLEDGER_BENCH_HISTORY",
            if quick { 100_000 } else { 1_000_000 },
        );
        Settings {
            binary: std::env::var_os("STOCKLEDGER_BENCH_BINARY").map_or_else(
                || PathBuf::from(env!("CARGO_BIN_EXE_stockledger")),
                PathBuf::from,
            ),
            backends,
            groups,
            time_box: Duration::from_secs(seconds),
            history: i64::try_from(history).expect("STOCKLEDGER_BENCH_HISTORY fits in i64"),
            quick,
        }
    }

    fn runs(&self, group: &str) -> bool {
        self.groups.contains(&group)
    }
}

/// The backends and groups named on the command line (all when none is); flags such as
/// cargo's `--bench` are ignored.
fn selection(args: impl Iterator<Item = String>) -> (Vec<Backend>, Vec<&'static str>) {
    let mut backends = Vec::new();
    let mut groups = Vec::new();
    for arg in args.filter(|a| !a.starts_with('-')) {
        match arg.as_str() {
            "sqlite" => backends.push(Backend::Sqlite),
            "postgres" => backends.push(Backend::Postgres),
            other => groups.push(*GROUPS.iter().find(|g| **g == other).unwrap_or_else(|| {
                panic!("unknown argument {other:?}: expected sqlite, postgres or one of {GROUPS:?}")
            })),
        }
    }
    if backends.is_empty() {
        backends = vec![Backend::Sqlite, Backend::Postgres];
    }
    if groups.is_empty() {
        groups = GROUPS.to_vec();
    }
    (backends, groups)
}

/// A whole number from the environment (`_` and `,` allowed as separators), or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}"))
    })
}

/// One backend's run: settings, backend and a scratch directory.
pub struct Context<'a> {
    settings: &'a Settings,
    backend: Backend,
    dir: &'a Path,
}

impl Context<'_> {
    /// A fresh database, migrated by the binary under test, with the benchmark merchant
    /// and its token; returns its URL.
    async fn prepared_database(&self, name: &str) -> String {
        let url = match self.backend {
            Backend::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                self.dir.join(format!("{name}.db")).display()
            ),
            Backend::Postgres => postgres::fresh_database_url().await,
        };
        server::migrate(&self.settings.binary, &url).await;
        server::create_token(&self.settings.binary, &url).await;
        url
    }

    /// Starts the binary under test on `url` with a new token (logging to `<name>.log`).
    async fn start_server(&self, url: &str, name: &str) -> Server {
        let token = server::create_token(&self.settings.binary, url).await;
        let log = self.dir.join(format!("{name}.log"));
        Server::start(&self.settings.binary, url, &token, &log).await
    }

    /// As [`Context::start_server`], also serving the HTTP front doors (`--http-listen`).
    async fn start_server_with_doors(&self, url: &str, name: &str) -> Server {
        let token = server::create_token(&self.settings.binary, url).await;
        let log = self.dir.join(format!("{name}.log"));
        Server::start_with_doors(&self.settings.binary, url, &token, &log).await
    }
}

/// Runs the selected groups on `backend`.
async fn run_backend(settings: &Settings, backend: Backend) -> Vec<Row> {
    let dir = tempfile::Builder::new()
        .prefix("stockledger-bench-")
        .tempdir()
        .expect("a scratch directory");
    let ctx = Context {
        settings,
        backend,
        dir: dir.path(),
    };
    eprintln!("{}:", backend.describe());
    let mut rows = Vec::new();
    if ["writes", "guards", "reads", "watch"]
        .iter()
        .any(|g| settings.runs(g))
    {
        let url = ctx.prepared_database("server").await;
        let server = ctx.start_server(&url, "server").await;
        let catalog = Arc::new(Catalog::create(&server).await);
        if settings.runs("writes") {
            rows.extend(writes::run(&ctx, &server, &catalog).await);
        }
        if settings.runs("guards") {
            rows.extend(guards::run(&ctx, &server, &catalog).await);
        }
        if settings.runs("reads") {
            rows.extend(reads::run(&ctx, &server, &catalog).await);
        }
        if settings.runs("watch") {
            rows.extend(watch::run(&ctx, &server, &catalog).await);
        }
        server.stop().await;
    }
    if settings.runs("history") {
        rows.extend(history::run(&ctx).await);
    }
    if settings.runs("doors") {
        let url = ctx.prepared_database("doors").await;
        let server = ctx.start_server_with_doors(&url, "doors").await;
        let catalog = Arc::new(Catalog::create(&server).await);
        rows.extend(doors::run(&ctx, &server, &catalog).await);
        server.stop().await;
    }
    rows
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let settings = Settings::from_env_and_args();
    println!("# stockledger write-path benchmark");
    println!("machine: {}", report::machine());
    println!("server:  {}", settings.binary.display());
    println!(
        "mode:    {}time box {} s per load, {} history rows, groups {}",
        if settings.quick { "QUICK, " } else { "" },
        settings.time_box.as_secs(),
        report::thousands(settings.history as u64),
        settings.groups.join(" ")
    );
    for &backend in &settings.backends {
        let started = std::time::Instant::now();
        let rows = run_backend(&settings, backend).await;
        report::print_table(
            &format!(
                "## {} ({:.0?})\n{}",
                backend.name(),
                started.elapsed(),
                backend.describe()
            ),
            &rows,
        );
    }
}
