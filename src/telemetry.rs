//! Tracing setup: readable or JSON logs on stderr, filtered by `RUST_LOG` (default `info`,
//! sea-orm-migration's lines at `warn`).

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber. Call once, at start-up.
pub fn init(format: LogFormat) {
    // sea-orm-migration's own lines ("Applying all pending migrations") would say nothing a
    // command does not say itself, in its own words.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sea_orm_migration=warn"));
    // Colours only on a terminal: a log file or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
