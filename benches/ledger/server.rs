//! The server under test as a separate process: `migrate`, `token create` and `serve` of a
//! release binary, its memory from /proc, and authenticated clients of its wire API.

use crate::bearer::{Authed, Bearer};
use crate::ports::free_port;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use stockledger::proto::v1::inventory_service_client::InventoryServiceClient;
use tokio::process::{Child, Command};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Every scope the benchmark's token carries.
const SCOPES: &str = "INVENTORY_READ,INVENTORY_WRITE,ITEMS_READ,ITEMS_WRITE,LOCATIONS_READ,\
                      LOCATIONS_WRITE,RESERVATIONS_READ,RESERVATIONS_WRITE";

/// The merchant (and application name) every benchmark token acts for.
pub const MERCHANT: &str = "bench";

/// An InventoryService client on a connection of its own.
pub type Inventory = InventoryServiceClient<Authed>;

/// Runs `binary args…` with `DATABASE_URL` set and returns its stdout, panicking on failure.
async fn run_command(binary: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .await
        .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()));
    assert!(
        out.status.success(),
        "{} {} failed: {}",
        binary.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Applies the server's migrations to `url`.
pub async fn migrate(binary: &Path, url: &str) {
    run_command(binary, url, &["migrate", "--database-url", url]).await;
}

/// A token for [`MERCHANT`] with every scope (the merchant is created if needed).
/// `token` takes the database from `DATABASE_URL`, set by [`run_command`].
pub async fn create_token(binary: &Path, url: &str) -> String {
    run_command(
        binary,
        url,
        &[
            "token",
            "create",
            "--merchant",
            MERCHANT,
            "--scopes",
            SCOPES,
            "--app-name",
            MERCHANT,
        ],
    )
    .await
}

/// Resident memory of a process, from /proc/<pid>/status.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// VmRSS, KiB.
    pub rss_kib: u64,
    /// VmHWM (peak resident set since start), KiB.
    pub peak_kib: u64,
}

/// Reads VmRSS and VmHWM of `pid`; zeros when the process is gone.
pub fn memory_of(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    }
}

/// A running `stockledger serve`; killed if dropped without [`Server::stop`].
pub struct Server {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// Where it listens.
    pub port: u16,
    /// Where its HTTP front doors listen (`--http-listen`), if started with them.
    pub http_port: Option<u16>,
    /// The bearer token clients send.
    pub token: String,
    log: PathBuf,
}

impl Server {
    /// Starts `binary serve` on a free port over `url` and waits until it answers health
    /// checks. Its output goes to `log`.
    pub async fn start(binary: &Path, url: &str, token: &str, log: &Path) -> Server {
        Server::launch(binary, url, token, log, false).await
    }

    /// As [`Server::start`], also serving the HTTP front doors on a second free port
    /// (`--http-listen`, see [`Server::http_base`]); waits until that port accepts too.
    pub async fn start_with_doors(binary: &Path, url: &str, token: &str, log: &Path) -> Server {
        Server::launch(binary, url, token, log, true).await
    }

    async fn launch(binary: &Path, url: &str, token: &str, log: &Path, doors: bool) -> Server {
        let port = free_port();
        // Two binds in a row rarely get the same port back; never hand out one twice.
        let http_port = doors.then(|| std::iter::repeat_with(free_port).find(|&p| p != port));
        let http_port = http_port.flatten();
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("opening the server log");
        let child = Command::new(binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--no-dev-token", "--database-url", url])
            .args(
                http_port
                    .map(|p| vec!["--http-listen".to_owned(), format!("127.0.0.1:{p}")])
                    .unwrap_or_default(),
            )
            // The benchmark measures the server, not its per-token rate limit (environment
            // variables, which binaries older than the limit ignore).
            .env("STOCKLEDGER_RATE_LIMIT_PER_SECOND", "1000000000")
            .env("STOCKLEDGER_RATE_LIMIT_BURST", "1000000000")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let pid = child.id().expect("a running child has an id");
        let server = Server {
            child,
            pid,
            port,
            http_port,
            token: token.to_owned(),
            log: log.to_owned(),
        };
        server.wait_until_serving().await;
        server
    }

    async fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(channel) = self.try_channel().await {
                let check = HealthClient::new(channel)
                    .check(HealthCheckRequest::default())
                    .await;
                let http_up = match self.http_port {
                    Some(p) => tokio::net::TcpStream::connect(("127.0.0.1", p))
                        .await
                        .is_ok(),
                    None => true,
                };
                if check.is_ok() && http_up {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start; see {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn try_channel(&self) -> Result<Channel, tonic::transport::Error> {
        Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .expect("valid uri")
            .tcp_nodelay(true)
            .connect()
            .await
    }

    /// `http://127.0.0.1:<port>` of the HTTP front doors; panics if started without them.
    pub fn http_base(&self) -> String {
        let port = self
            .http_port
            .expect("the server was started without --http-listen");
        format!("http://127.0.0.1:{port}")
    }

    /// A new connection to the server.
    pub async fn channel(&self) -> Channel {
        self.try_channel().await.expect("connecting to the server")
    }

    /// An authenticated InventoryService client on a new connection.
    pub async fn inventory(&self) -> Inventory {
        authed_inventory(self.channel().await, &self.token)
    }

    /// `n` clients, each on its own connection.
    pub async fn inventories(&self, n: usize) -> Vec<Inventory> {
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            clients.push(self.inventory().await);
        }
        clients
    }

    /// The server's resident memory now.
    pub fn memory(&self) -> Memory {
        memory_of(self.pid)
    }

    /// Stops the server with SIGTERM (as an operator would), killing it after 15 s.
    pub async fn stop(mut self) {
        let term = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        let stopped = term.is_ok_and(|s| s.success())
            && tokio::time::timeout(Duration::from_secs(15), self.child.wait())
                .await
                .is_ok();
        if !stopped {
            self.child.kill().await.ok();
        }
    }
}

/// An InventoryService client over `channel` sending `token`.
pub fn authed_inventory(channel: Channel, token: &str) -> Inventory {
    InventoryServiceClient::new(InterceptedService::new(channel, Bearer::new(token)))
}
