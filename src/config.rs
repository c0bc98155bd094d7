//! Command line and environment configuration (flags win over environment variables).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use std::time::Duration;

use crate::api::rate_limit::RateLimit;
use crate::api::streams::StreamLimits;
use crate::domain::webhook::RetryPolicy;
use crate::server::ServerLimits;
use crate::server::connections::ConnectionLimits;
use crate::server::tls::TlsFiles;
use crate::store::DEFAULT_DATABASE_URL;

/// Stockledger: an exact inventory ledger served over gRPC.
#[derive(Debug, Parser)]
#[command(name = "stockledger", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log format.
    #[arg(long, global = true, env = "STOCKLEDGER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (migrates the database first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Manage API tokens.
    Token(TokenArgs),
    /// Manage webhook subscriptions (docs/webhooks.md), as WebhookService does.
    Webhook(WebhookArgs),
    /// Set, delete and list reorder points, below which an item's stock at a location is
    /// low (docs/alerts.md).
    ReorderPoint(ReorderPointArgs),
    /// Rebuild every count from the history and compare with the stored counts; exits
    /// non-zero on any difference.
    Verify(DatabaseArgs),
    /// Load items, locations and inventory history into one merchant (docs/import-export.md);
    /// exits non-zero if any row was refused.
    Import(ImportArgs),
    /// Write a merchant's items, locations, counts, history, reservations and reorder points
    /// to files
    /// (docs/import-export.md).
    Export(ExportArgs),
    /// Copy a live SQLite database, while a server may be writing to it, into a new file
    /// (docs/operations.md); PostgreSQL is backed up with pg_dump.
    Backup(BackupArgs),
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    /// Accepted before or after a `token` subcommand's name.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STOCKLEDGER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Also serve HTTP on this address, e.g. 127.0.0.1:8080: Square's Inventory REST API
    /// (docs/square.md), Shopify's inventory REST API (docs/shopify.md), `/healthz` and
    /// Prometheus' `/metrics`. Off unless given.
    #[arg(long, env = "STOCKLEDGER_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Serve Prometheus' `/metrics` (and `/healthz`) on this address of its own, e.g.
    /// 127.0.0.1:9090 — for a server without `--http-listen`, or to keep scrapes off the
    /// doors' listener. Off unless given.
    #[arg(long, env = "STOCKLEDGER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve every listener over TLS with this certificate chain (PEM, leaf first); needs
    /// `--tls-key`. Off unless given: plaintext, for a server behind a TLS-terminating proxy
    /// or on a trusted network.
    #[arg(long, env = "STOCKLEDGER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "STOCKLEDGER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// With TLS, ask every client for a certificate signed by this CA (PEM) and refuse the
    /// connection of one that has none (mutual TLS). Tokens are still required.
    #[arg(long, env = "STOCKLEDGER_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Export OpenTelemetry traces over OTLP/gRPC to this collector, e.g.
    /// http://127.0.0.1:4317: a span per call, with the group commit and the database
    /// statements under it (docs/operations.md, "Traces"). Off unless given.
    #[arg(long, env = "STOCKLEDGER_OTLP_ENDPOINT", value_parser = otlp_endpoint)]
    pub otlp_endpoint: Option<String>,
    /// On SIGINT/SIGTERM, how long in-flight calls (and open streams) may take to finish
    /// before the server stops anyway.
    #[arg(long, env = "STOCKLEDGER_SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
    /// Do not create a development token on an empty database (use in production).
    #[arg(long, env = "STOCKLEDGER_NO_DEV_TOKEN")]
    pub no_dev_token: bool,
    /// Calls served at once; more are refused at once with UNAVAILABLE (OVERLOADED).
    /// Health and reflection are never refused.
    #[arg(long, env = "STOCKLEDGER_MAX_IN_FLIGHT", default_value_t = DEFAULTS.max_in_flight)]
    pub max_in_flight: usize,
    /// Seconds in the future a change sent through Square's door may say it occurred (the
    /// sender's clock skew); Square refuses any future `occurred_at`, so 0 by default. At most
    /// 300, the ledger's own allowance.
    #[arg(long, env = "STOCKLEDGER_SQUARE_CLOCK_SKEW_SECONDS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=300))]
    pub square_clock_skew_seconds: u64,
    /// Failed webhook notifications in a row after which a subscription is dead-lettered
    /// until ReplayWebhookSubscription (docs/webhooks.md).
    #[arg(long, env = "STOCKLEDGER_WEBHOOK_MAX_ATTEMPTS", default_value_t = DEFAULTS.webhook_retry.max_attempts,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub webhook_max_attempts: u32,
    /// The longest wait, in seconds, between two attempts of a failing webhook notification
    /// (the wait doubles from 1 s up to this).
    #[arg(long, env = "STOCKLEDGER_WEBHOOK_MAX_RETRY_INTERVAL_SECONDS",
          default_value_t = DEFAULTS.webhook_retry.longest.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub webhook_max_retry_interval_seconds: u64,
    /// The longest any call may take, seconds (a client's shorter deadline wins).
    #[arg(long, env = "STOCKLEDGER_CALL_TIMEOUT_SECONDS", default_value_t = DEFAULTS.call_timeout.as_secs())]
    pub call_timeout_seconds: u64,
    /// Calls one HTTP/2 connection may have open at once (streams included).
    #[arg(long, env = "STOCKLEDGER_MAX_STREAMS_PER_CONNECTION", default_value_t = DEFAULTS.max_streams_per_connection)]
    pub max_streams_per_connection: u32,
    /// Server streams (history streams and watches) one token may hold open.
    #[arg(long, env = "STOCKLEDGER_MAX_STREAMS_PER_TOKEN", default_value_t = DEFAULTS.streams.per_token)]
    pub max_streams_per_token: usize,
    /// Database connections streams may use at once (of the pool of 16); the rest are kept
    /// for unary calls.
    #[arg(long, env = "STOCKLEDGER_STREAM_DATABASE_CONNECTIONS", default_value_t = DEFAULTS.streams.database_connections)]
    pub stream_database_connections: usize,
    /// Connections open at once, gRPC and HTTP together; more are closed as they arrive. A
    /// sixteenth (at most 64) is kept for gRPC, so health checks connect while HTTP clients
    /// hold the rest.
    #[arg(long, env = "STOCKLEDGER_MAX_CONNECTIONS", default_value_t = DEFAULTS.connections.max_connections)]
    pub max_connections: usize,
    /// Seconds a new gRPC connection has to open HTTP/2 before it is closed.
    #[arg(long, env = "STOCKLEDGER_HANDSHAKE_TIMEOUT_SECONDS", default_value_t = DEFAULTS.connections.handshake_timeout.as_secs())]
    pub handshake_timeout_seconds: u64,
    /// Seconds an HTTP connection (--http-listen) has to send a request's complete headers,
    /// from its opening or its previous response, before it is closed: also how long an idle
    /// keep-alive connection is kept.
    #[arg(long, env = "STOCKLEDGER_HTTP_HEADER_TIMEOUT_SECONDS", default_value_t = DEFAULTS.connections.http_header_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    pub http_header_timeout_seconds: u64,
    /// Seconds an HTTP request's body has to arrive whole, from its headers; a body that
    /// stalls is answered 408 and its connection closed.
    #[arg(long, env = "STOCKLEDGER_HTTP_BODY_TIMEOUT_SECONDS", default_value_t = DEFAULTS.connections.http_body_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    pub http_body_timeout_seconds: u64,
    /// Calls a second each token may make, sustained; more are refused with
    /// RESOURCE_EXHAUSTED (RATE_LIMITED) and a retry delay. Health and reflection are never
    /// limited.
    #[arg(long, env = "STOCKLEDGER_RATE_LIMIT_PER_SECOND", default_value_t = DEFAULTS.rate_limit.per_second)]
    pub rate_limit_per_second: NonZeroU32,
    /// Calls each token may make at once after a quiet spell (its bucket's size).
    #[arg(long, env = "STOCKLEDGER_RATE_LIMIT_BURST", default_value_t = DEFAULTS.rate_limit.burst)]
    pub rate_limit_burst: NonZeroU32,
    /// Database to serve from.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The limits `serve` holds to unless told otherwise.
const DEFAULTS: ServerLimits = ServerLimits::DEFAULT;

impl ServeArgs {
    /// The TLS files these options name, if TLS is on.
    pub fn tls_files(&self) -> Option<TlsFiles> {
        let (cert, key) = (self.tls_cert.clone()?, self.tls_key.clone()?);
        Some(TlsFiles {
            cert,
            key,
            client_ca: self.tls_client_ca.clone(),
        })
    }

    /// The limits these options set.
    pub fn limits(&self) -> ServerLimits {
        ServerLimits {
            max_in_flight: self.max_in_flight,
            call_timeout: Duration::from_secs(self.call_timeout_seconds),
            max_streams_per_connection: self.max_streams_per_connection,
            streams: StreamLimits {
                per_token: self.max_streams_per_token,
                database_connections: self.stream_database_connections,
            },
            connections: ConnectionLimits {
                max_connections: self.max_connections,
                handshake_timeout: Duration::from_secs(self.handshake_timeout_seconds),
                http_header_timeout: Duration::from_secs(self.http_header_timeout_seconds),
                http_body_timeout: Duration::from_secs(self.http_body_timeout_seconds),
            },
            rate_limit: RateLimit {
                per_second: self.rate_limit_per_second,
                burst: self.rate_limit_burst,
            },
            square_clock_skew: Duration::from_secs(self.square_clock_skew_seconds),
            webhook_retry: RetryPolicy {
                first: DEFAULTS.webhook_retry.first,
                longest: Duration::from_secs(self.webhook_max_retry_interval_seconds),
                max_attempts: self.webhook_max_attempts,
            },
        }
    }
}

/// Options of `token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// What to do with tokens.
    #[command(subcommand)]
    pub command: TokenCommand,
    /// Database holding the tokens.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The token subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, alone on stdout, once (only its hash is stored).
    Create {
        /// Merchant the token acts for (created if it does not exist).
        #[arg(long)]
        merchant: String,
        /// Comma-separated scopes: INVENTORY_READ, INVENTORY_WRITE, ITEMS_READ, ITEMS_WRITE,
        /// LOCATIONS_READ, LOCATIONS_WRITE, RESERVATIONS_READ, RESERVATIONS_WRITE,
        /// WEBHOOKS_READ, WEBHOOKS_WRITE, INVENTORY_IMPORT.
        #[arg(long)]
        scopes: String,
        /// Application name recorded as the source of every change made with the token.
        #[arg(long)]
        app_name: String,
        /// Refuse the token this long after it is created (`90d`, `12h`, `30m`, `1s`, or
        /// combined: `1h 30m`); without it the token never expires.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires_in: Option<Duration>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token at once, by id.
    Revoke {
        /// The token id (see `token list`).
        id: String,
    },
}

/// Options of `reorder-point`.
#[derive(Debug, Clone, Args)]
pub struct ReorderPointArgs {
    /// What to do with reorder points.
    #[command(subcommand)]
    pub command: ReorderPointCommand,
    /// Merchant whose reorder points these are.
    #[arg(long, global = true, default_value = "")]
    pub merchant: String,
    /// Database holding them.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The reorder-point subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ReorderPointCommand {
    /// Set (create or replace) the reorder point of an item at a location; prints whether
    /// the item's IN_STOCK count there is low now.
    Set {
        /// Inventory item id.
        #[arg(long)]
        item: String,
        /// Location id.
        #[arg(long)]
        location: String,
        /// The reorder point: a decimal, at least 0, at most 5 decimals.
        #[arg(long)]
        quantity: String,
    },
    /// Delete the reorder point of an item at a location.
    Delete {
        /// Inventory item id.
        #[arg(long)]
        item: String,
        /// Location id.
        #[arg(long)]
        location: String,
    },
    /// List the merchant's reorder points (tab-separated: item, location, point, updated).
    List {
        /// Only this item's.
        #[arg(long)]
        item: Option<String>,
        /// Only at this location.
        #[arg(long)]
        location: Option<String>,
    },
}

/// Options of `webhook`.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// What to do with webhook subscriptions.
    #[command(subcommand)]
    pub command: WebhookCommand,
    /// The merchant whose subscriptions these are (by the name tokens were created with).
    #[arg(long, global = true)]
    pub merchant: Option<String>,
    /// Database holding the subscriptions.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The webhook subscription subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL; prints `id=…` and `signature_key=…`, one per line.
    Create {
        /// Where notifications are POSTed (http:// or https://).
        #[arg(long)]
        url: String,
        /// Whose form notifications take: `square` or `shopify`.
        #[arg(long)]
        format: String,
        /// Comma-separated event types: COUNT_UPDATED, CHANGE_RECORDED, LOW_STOCK,
        /// RESERVATION_EXPIRED (Shopify's form: COUNT_UPDATED alone).
        #[arg(long)]
        events: String,
        /// A name for people.
        #[arg(long, default_value = "")]
        name: String,
        /// Shopify's form: the shop domain sent in X-Shopify-Shop-Domain (e.g.
        /// acme.myshopify.com, the shop the receiving app keeps its session under).
        #[arg(long, default_value = "")]
        shop_domain: String,
        /// Deliver from this feed sequence (a change already committed) instead of from the
        /// next change committed.
        #[arg(long)]
        from_sequence: Option<i64>,
    },
    /// List the merchant's subscriptions and where their deliveries stand.
    List,
    /// Stop and remove a subscription.
    Delete {
        /// The subscription's id.
        id: String,
    },
    /// Resume a dead-lettered subscription where it stopped, or deliver again from a feed
    /// sequence.
    Replay {
        /// The subscription's id.
        id: String,
        /// Deliver again from this feed sequence.
        #[arg(long)]
        from_sequence: Option<i64>,
    },
}

/// How logs are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Options of `import`. The format of each file comes from its extension (`.csv`, `.jsonl`).
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Merchant the data belongs to (created if it does not exist).
    #[arg(long)]
    pub merchant: String,
    /// Files named `items.*`, `locations.*`, `changes.*`, `reservations.*` and
    /// `reorder_points.*` (or use the flags below).
    pub files: Vec<std::path::PathBuf>,
    /// Items file.
    #[arg(long)]
    pub items: Option<std::path::PathBuf>,
    /// Locations file.
    #[arg(long)]
    pub locations: Option<std::path::PathBuf>,
    /// Inventory history file.
    #[arg(long)]
    pub changes: Option<std::path::PathBuf>,
    /// Reservations file (imported after the history, whose changes they made).
    #[arg(long)]
    pub reservations: Option<std::path::PathBuf>,
    /// Reorder points file (imported last: the history brought in raises no alerts).
    #[arg(long)]
    pub reorder_points: Option<std::path::PathBuf>,
    /// Check the files and report every refused row without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Source application name recorded on history rows that name none.
    #[arg(long, default_value = "Stockledger import")]
    pub source_name: String,
    /// Database to import into.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist): a SQLite database `stockledger serve` and
    /// `stockledger verify` can open as it is.
    #[arg(long)]
    pub to: std::path::PathBuf,
    /// Database to back up (a SQLite file that exists).
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Merchant to export.
    #[arg(long)]
    pub merchant: String,
    /// File format.
    #[arg(long, value_enum, default_value_t = crate::transfer::format::Format::Jsonl)]
    pub format: crate::transfer::format::Format,
    /// Directory for items, locations, counts, changes, reservations and reorder points
    /// files (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Only history that occurred at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Only history that occurred before this time (RFC 3339).
    #[arg(long)]
    pub until: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Database to export from.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `--otlp-endpoint`: an `http://` URL with a host (the exporter speaks plaintext gRPC).
pub fn otlp_endpoint(value: &str) -> Result<String, String> {
    let uri: http::Uri = value
        .parse()
        .map_err(|e| format!("--otlp-endpoint must be a URL such as http://127.0.0.1:4317: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(format!(
            "--otlp-endpoint must be an http:// URL with a host, such as http://127.0.0.1:4317 (got {value})"
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::otlp_endpoint;

    #[test]
    fn an_otlp_endpoint_is_a_plain_http_url_with_a_host() {
        assert_eq!(
            otlp_endpoint("http://127.0.0.1:4317").as_deref(),
            Ok("http://127.0.0.1:4317")
        );
        for bad in [
            "127.0.0.1:4317",
            "https://collector:4317",
            "http://",
            "not a url",
        ] {
            let refused = otlp_endpoint(bad).expect_err(bad);
            assert!(refused.contains("--otlp-endpoint"), "{refused}");
        }
    }
}
