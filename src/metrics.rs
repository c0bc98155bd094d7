//! Prometheus metrics (docs/operations.md, "Metrics"): every series the server exports, its
//! name and labels in one place, recorded through the `metrics` facade and rendered in
//! Prometheus' text format by `metrics-exporter-prometheus` at `GET /metrics`.
//!
//! Labels are of low cardinality by construction: a gRPC method is one the server serves
//! (anything else is `unknown`), an HTTP route is the door's route template (never the
//! path with its ids), a code or a reason is one of a fixed set. No merchant, token or
//! item id is ever a label.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// gRPC calls answered, by `method` and `code`.
pub const GRPC_REQUESTS: &str = "stockledger_grpc_requests_total";
/// How long gRPC calls took (a stream: its whole life), by `method`.
pub const GRPC_DURATION: &str = "stockledger_grpc_request_duration_seconds";
/// HTTP requests answered by the front doors, by `route` and `status`.
pub const HTTP_REQUESTS: &str = "stockledger_http_requests_total";
/// How long HTTP requests took, by `route`.
pub const HTTP_DURATION: &str = "stockledger_http_request_duration_seconds";
/// Batches per group commit.
pub const GROUP_BATCHES: &str = "stockledger_group_commit_batches";
/// How long a group commit's transaction took, by `outcome` (`committed`, `failed`).
pub const GROUP_DURATION: &str = "stockledger_group_commit_duration_seconds";
/// The write pool's connections, by `state` (`in_use`, `idle`).
pub const DB_CONNECTIONS: &str = "stockledger_db_pool_connections";
/// Calls waiting for a place in the write path's queue (batches submitted, not answered).
pub const WRITES_WAITING: &str = "stockledger_writes_waiting";
/// Server streams open, by `kind` (`history`, `watch_changes`, `watch_counts`,
/// `watch_alerts`).
pub const OPEN_STREAMS: &str = "stockledger_open_streams";
/// Calls shed before being served, by `reason` (`OVERLOADED`, `RATE_LIMITED`,
/// `TOO_MANY_STREAMS`).
pub const SHED: &str = "stockledger_shed_calls_total";
/// How many changes behind the newest committed one each open watch is, the largest.
pub const FEED_LAG: &str = "stockledger_feed_lag_changes";
/// Webhook notifications attempted, by `outcome` (`delivered`, `failed`).
pub const WEBHOOK_DELIVERIES: &str = "stockledger_webhook_deliveries_total";
/// How long a webhook notification's POST took, whatever its outcome.
pub const WEBHOOK_DURATION: &str = "stockledger_webhook_delivery_duration_seconds";
/// The largest webhook backlog: changes committed that a subscription has not been sent.
pub const WEBHOOK_BACKLOG: &str = "stockledger_webhook_backlog_changes";
/// Webhook subscriptions by delivery `state` (`active`, `retrying`, `dead_lettered`).
pub const WEBHOOK_SUBSCRIPTIONS: &str = "stockledger_webhook_subscriptions";

/// Latency buckets, in seconds: 250 µs to 60 s.
const SECONDS: [f64; 16] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    60.0,
];
/// Group sizes: 1 to 5,000 batches.
const SIZES: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 512.0, 5_000.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` if
/// another recorder was installed first — metrics then go there, and `/metrics` says so.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(GROUP_BATCHES.into()), &SIZES))
                .expect("bucket lists are not empty");
            let handle = builder.install_recorder().ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// The text `GET /metrics` answers: every series, after the gauges read at scrape time
/// were set by `refresh`.
pub fn render(refresh: impl FnOnce()) -> String {
    match install() {
        Some(handle) => {
            refresh();
            handle.run_upkeep();
            handle.render()
        }
        None => "# another metrics recorder is installed in this process\n".to_owned(),
    }
}

/// How often histograms are drained of their recent samples (their memory stays bounded
/// between scrapes).
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Runs the recorder's upkeep every [`UPKEEP_INTERVAL`], for as long as the task lives.
pub async fn upkeep() {
    let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
    loop {
        tick.tick().await;
        if let Some(handle) = install() {
            handle.run_upkeep();
        }
    }
}

fn describe() {
    describe_counter!(
        GRPC_REQUESTS,
        "gRPC calls answered, by method and gRPC code"
    );
    describe_histogram!(
        GRPC_DURATION,
        metrics::Unit::Seconds,
        "How long gRPC calls took (a stream: its whole life), by method"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "Front-door HTTP requests answered, by route and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "How long front-door HTTP requests took, by route"
    );
    describe_histogram!(
        GROUP_BATCHES,
        "Batches committed together in one group commit"
    );
    describe_histogram!(
        GROUP_DURATION,
        metrics::Unit::Seconds,
        "How long a group commit's transaction took, by outcome"
    );
    describe_gauge!(DB_CONNECTIONS, "The write pool's connections, by state");
    describe_gauge!(
        WRITES_WAITING,
        "Batches submitted to the write path, not yet answered"
    );
    describe_gauge!(OPEN_STREAMS, "Server streams open, by kind");
    describe_counter!(SHED, "Calls refused before being served, by reason");
    describe_gauge!(
        FEED_LAG,
        "Changes committed that the furthest-behind open watch has not sent yet"
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook notifications attempted, by outcome"
    );
    describe_histogram!(
        WEBHOOK_DURATION,
        metrics::Unit::Seconds,
        "How long a webhook notification's POST took"
    );
    describe_gauge!(
        WEBHOOK_BACKLOG,
        "Changes committed that the furthest-behind webhook subscription has not been sent"
    );
    describe_gauge!(
        WEBHOOK_SUBSCRIPTIONS,
        "Webhook subscriptions, by delivery state"
    );
}

/// One gRPC call answered.
pub fn grpc_call(method: &str, code: tonic::Code, took: Duration) {
    let method = known_method(method);
    counter!(GRPC_REQUESTS, "method" => method, "code" => code_name(code)).increment(1);
    histogram!(GRPC_DURATION, "method" => method).record(took.as_secs_f64());
}

/// One front-door HTTP request answered; `route` is its route template.
pub fn http_request(route: &str, status: u16, took: Duration) {
    counter!(HTTP_REQUESTS, "route" => route.to_owned(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "route" => route.to_owned()).record(took.as_secs_f64());
}

/// One group commit: its batches and how long its transaction took.
pub fn group_commit(batches: usize, took: Duration, committed: bool) {
    histogram!(GROUP_BATCHES).record(batches as f64);
    let outcome = if committed { "committed" } else { "failed" };
    histogram!(GROUP_DURATION, "outcome" => outcome).record(took.as_secs_f64());
}

/// One call shed for `reason` (an `ErrorInfo` reason).
pub fn shed(reason: &'static str) {
    counter!(SHED, "reason" => reason).increment(1);
}

/// A stream of `kind` opened (`+1`) or ended (`-1`).
pub fn stream_opened(kind: &'static str) {
    gauge!(OPEN_STREAMS, "kind" => kind).increment(1.0);
}

/// See [`stream_opened`].
pub fn stream_closed(kind: &'static str) {
    gauge!(OPEN_STREAMS, "kind" => kind).decrement(1.0);
}

/// The write pool as it is now.
pub fn db_pool(in_use: u32, idle: u32) {
    gauge!(DB_CONNECTIONS, "state" => "in_use").set(in_use);
    gauge!(DB_CONNECTIONS, "state" => "idle").set(idle);
}

/// A batch entered (`+1`) or left (`-1`) the write path.
pub fn write_waiting(delta: f64) {
    gauge!(WRITES_WAITING).increment(delta);
}

/// The furthest-behind open watch's lag, in changes.
pub fn feed_lag(changes: u64) {
    gauge!(FEED_LAG).set(changes as f64);
}

/// One webhook notification attempted.
pub fn webhook_delivery(delivered: bool, took: Duration) {
    let outcome = if delivered { "delivered" } else { "failed" };
    counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
    histogram!(WEBHOOK_DURATION).record(took.as_secs_f64());
}

/// The webhook gauges, read at scrape time: the largest backlog and how many
/// subscriptions are in each delivery state.
pub fn webhooks(largest_backlog: u64, active: usize, retrying: usize, dead_lettered: usize) {
    gauge!(WEBHOOK_BACKLOG).set(largest_backlog as f64);
    for (state, n) in [
        ("active", active),
        ("retrying", retrying),
        ("dead_lettered", dead_lettered),
    ] {
        gauge!(WEBHOOK_SUBSCRIPTIONS, "state" => state).set(n as f64);
    }
}

/// `method` if it names one of the server's services, else `unknown` (a label must not
/// take whatever path a client sends).
fn known_method(method: &str) -> &'static str {
    static SERVED: OnceLock<HashSet<String>> = OnceLock::new();
    SERVED
        .get_or_init(served_methods)
        .get(method)
        .map_or("unknown", String::as_str)
}

/// Every gRPC method path the server serves: its own services' (from the descriptor set it
/// was built with), health's and reflection's.
fn served_methods() -> HashSet<String> {
    use prost::Message;
    let mut served: HashSet<String> = [
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ]
    .map(str::to_owned)
    .into();
    let files = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set built into the binary decodes");
    for file in &files.file {
        for service in &file.service {
            for method in &service.method {
                served.insert(format!(
                    "/{}.{}/{}",
                    file.package(),
                    service.name(),
                    method.name()
                ));
            }
        }
    }
    served
}

/// A gRPC code's canonical name, as gRPC's own metrics spell it.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_a_label_only_if_the_server_serves_it() {
        let served = "/stockledger.v1.InventoryService/BatchChangeInventory";
        assert_eq!(known_method(served), served);
        assert_eq!(
            known_method("/grpc.health.v1.Health/Check"),
            "/grpc.health.v1.Health/Check"
        );
        for sent in ["/stockledger.v1.InventoryService/Nope", "/x", "", "/a/b/c"] {
            assert_eq!(known_method(sent), "unknown", "{sent}");
        }
    }
}
