//! Command line and environment configuration (flags win over environment variables).

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Rebuild every count from the history and compare with the stored counts; exits
    /// non-zero on any difference.
    Verify(DatabaseArgs),
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STOCKLEDGER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// On SIGINT/SIGTERM, how long in-flight calls (and open streams) may take to finish
    /// before the server stops anyway.
    #[arg(long, env = "STOCKLEDGER_SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
    /// Database to serve from.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// How logs are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
