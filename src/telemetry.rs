//! Tracing setup: readable or JSON logs on stderr, filtered by `RUST_LOG` (default `info`,
//! sea-orm-migration's lines at `warn`), written by a thread of their own so that a call
//! never waits for stderr (an access log line per call).

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber. Call once, at start-up, and keep the guard until the
/// process ends: dropping it writes out the lines still queued.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> WorkerGuard {
    // sea-orm-migration's own lines ("Applying all pending migrations") would say nothing a
    // command does not say itself, in its own words.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sea_orm_migration=warn"));
    // Colours only on a terminal: a log file or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Not lossy: past the queue's 128k lines a call waits rather than a line being lost.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    guard
}
