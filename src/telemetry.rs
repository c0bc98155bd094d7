//! Tracing setup: readable or JSON logs on stderr, filtered by `RUST_LOG` (default `info`,
//! sea-orm-migration's lines at `warn`), written by a thread of their own so that a call
//! never waits for stderr (an access log line per call); and, when `serve` is given
//! `--otlp-endpoint`, OpenTelemetry traces exported over OTLP/gRPC (docs/operations.md,
//! "Traces").
//!
//! Without an endpoint no OpenTelemetry layer is installed at all: the spans only traces
//! need (the group commit's, the database statements') are at `debug` level, which the
//! log filter turns off at their call sites, and [`traces_on`] keeps the rest of the
//! tracing work (reading `traceparent`, span attributes) from running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry::{Key, Value};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::config::LogFormat;

/// The `service.name` of every exported span.
pub const SERVICE_NAME: &str = "stockledger";

/// How long shutting down waits for the last spans to reach the collector.
const EXPORT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether spans are exported: set once, by [`init`] with an endpoint.
static TRACES_ON: AtomicBool = AtomicBool::new(false);

/// Whether this process exports traces (`--otlp-endpoint` was given). Everything that only
/// traces need is skipped when it is not.
pub fn traces_on() -> bool {
    TRACES_ON.load(Ordering::Relaxed)
}

/// What [`init`] installed; keep it until the process ends, then [`Telemetry::shutdown`].
#[must_use = "dropping the guard stops the log writer"]
pub struct Telemetry {
    _logs: WorkerGuard,
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still queued and stops the exporter (a server stopped by SIGTERM
    /// still sends its last calls' spans), waiting at most a few seconds for the collector.
    pub async fn shutdown(self) {
        let Some(provider) = self.traces else {
            return;
        };
        // The batch processor's shutdown blocks until its thread has exported.
        let done = tokio::task::spawn_blocking(move || {
            provider.shutdown_with_timeout(EXPORT_SHUTDOWN_TIMEOUT)
        })
        .await;
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "the last spans could not be exported");
        }
    }
}

/// Installs the global subscriber: the logs, and OpenTelemetry's layer when `otlp_endpoint`
/// is given (`http://collector:4317`). Call once, at start-up, inside the Tokio runtime (the
/// exporter's gRPC channel runs on it).
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> Result<Telemetry, String> {
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
    let logs = fmt::layer().with_writer(writer).with_ansi(ansi);
    let logs = match format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs.json().flatten_event(true).boxed(),
    };
    let Some(endpoint) = otlp_endpoint else {
        tracing_subscriber::registry()
            .with(logs.with_filter(filter))
            .init();
        return Ok(Telemetry {
            _logs: guard,
            traces: None,
        });
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("--otlp-endpoint {endpoint}: {e}"))?;
    let provider = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(SERVICE_NAME).build())
        .with_batch_exporter(exporter)
        .build();
    // Only this crate's spans and events: the exporter's own (tonic, h2, hyper) would
    // otherwise be traced, and exported, in turn.
    let own = Targets::new().with_target(SERVICE_NAME, tracing::Level::DEBUG);
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(SERVICE_NAME))
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(own);
    tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(traces)
        .init();
    TRACES_ON.store(true, Ordering::Relaxed);
    Ok(Telemetry {
        _logs: guard,
        traces: Some(provider),
    })
}

/// An `info` span named `$name` with `$fields`, declaring empty the fields every server
/// span records later: `merchant` (authentication fills it in), `outcome`
/// ([`server_span_ended`]) and OpenTelemetry's `otel.name` and `otel.kind` ([`server_span`]).
/// One per gRPC call (`grpc`) and per door request (`http`).
macro_rules! call_span {
    ($name:literal, $($fields:tt)*) => {
        tracing::info_span!(
            $name,
            merchant = tracing::field::Empty,
            outcome = tracing::field::Empty,
            otel.name = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
            $($fields)*
        )
    };
}
pub(crate) use call_span;

/// Makes `span`, a call's span just made, the child of the caller's span that `headers`'
/// W3C `traceparent` (and `tracestate`) name, if they name one; and gives it its
/// OpenTelemetry name (`otel.name`, declared empty by the span) and `attributes`.
/// Does nothing when traces are off.
pub fn server_span(
    span: &tracing::Span,
    headers: &http::HeaderMap,
    name: &str,
    attributes: &[(&'static str, &str)],
) {
    if !traces_on() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if parent.span().span_context().is_valid() {
        // Only fails for a span already started, which a span just made is not.
        let _ = span.set_parent(parent);
    }
    span.record("otel.name", name);
    span.record("otel.kind", "server");
    for (key, value) in attributes {
        span.set_attribute(*key, value.to_string());
    }
}

/// Records how the server span `span` ([`server_span`]) ended: its `outcome` field, the
/// attribute `status_key` (the protocol's status code, `status`), and an error status named
/// `fault` if the server failed the request. Does nothing when traces are off.
pub fn server_span_ended(
    span: &tracing::Span,
    outcome: impl tracing::Value,
    (status_key, status): (&'static str, i64),
    fault: Option<&str>,
) {
    if !traces_on() {
        return;
    }
    span.record("outcome", outcome);
    span.set_attribute(Key::from_static_str(status_key), Value::from(status));
    if let Some(fault) = fault {
        failed(span, fault);
    }
}

/// Marks `span` failed for OpenTelemetry (`outcome` names how), when traces are on.
pub fn failed(span: &tracing::Span, outcome: &str) {
    if traces_on() {
        span.set_status(opentelemetry::trace::Status::error(outcome.to_owned()));
    }
}

/// Links `span` to each of `others` (the calls a group commit holds besides its parent's).
pub fn link(span: &tracing::Span, others: &[tracing::Span]) {
    if !traces_on() {
        return;
    }
    for other in others {
        span.add_link(other.context().span().span_context().clone());
    }
}

/// An HTTP request's (or a gRPC call's) headers as OpenTelemetry's propagators read them.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_header_is_read_as_the_remote_parent() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                .parse()
                .unwrap(),
        );
        let cx = TraceContextPropagator::new().extract(&Headers(&headers));
        let parent = cx.span().span_context().clone();
        assert!(parent.is_remote());
        assert_eq!(
            parent.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(parent.span_id().to_string(), "b7ad6b7169203331");
    }

    #[test]
    fn a_malformed_traceparent_names_no_parent() {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", "00-zz-b7ad6b7169203331-01".parse().unwrap());
        let cx = TraceContextPropagator::new().extract(&Headers(&headers));
        assert!(!cx.span().span_context().is_valid());
    }
}
