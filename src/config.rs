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
    /// Manage API tokens.
    Token(TokenArgs),
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
    /// Do not create a development token on an empty database (use in production).
    #[arg(long, env = "STOCKLEDGER_NO_DEV_TOKEN")]
    pub no_dev_token: bool,
    /// Database to serve from.
    #[command(flatten)]
    pub database: DatabaseArgs,
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
        /// LOCATIONS_READ, LOCATIONS_WRITE.
        #[arg(long)]
        scopes: String,
        /// Application name recorded as the source of every change made with the token.
        #[arg(long)]
        app_name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token at once, by id.
    Revoke {
        /// The token id (see `token list`).
        id: String,
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
