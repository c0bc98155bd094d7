//! OpenTelemetry traces (docs/operations.md, "Traces") of the real binary, exported over
//! OTLP/gRPC to a real OTLP receiver run by the test: a gRPC write and a door request that
//! carry a W3C `traceparent` get spans in the caller's trace, under the caller's span, with
//! the group commit and the database statements beneath them — and a server stopped by
//! SIGTERM still exports them.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::ledger::{adjust, item, location};
use common::process::{ServeProcess, serve};
use common::{Clients, mint_token, sqlite_with_token};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1 as pb;
use stockledger::store::Store;

const MERCHANT: &str = "traces-merchant";
/// The caller's trace and span, as the gRPC call's `traceparent` names them.
const CALL_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALL_PARENT: &str = "00f067aa0ba902b7";
/// The door request's.
const DOOR_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const DOOR_PARENT: &str = "b7ad6b7169203331";

/// One received span with its resource's `service.name`.
#[derive(Clone, Debug)]
struct Received {
    service: Option<String>,
    span: Span,
}

/// An OTLP/gRPC trace receiver keeping every span it is sent.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut kept = self.spans.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .as_ref()
                .and_then(|r| text(&r.attributes, "service.name"));
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    kept.push(Received {
                        service: service.clone(),
                        span,
                    });
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Starts a [`Receiver`] on a free local port.
async fn start_receiver() -> (SocketAddr, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let receiver = Receiver::default();
    let service = TraceServiceServer::new(receiver.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (address, receiver)
}

fn value<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|AnyValue { value }| value.as_ref())
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    match value(attributes, key)? {
        Value::StringValue(s) => Some(s.clone()),
        other => Some(format!("{other:?}")),
    }
}

fn int(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match value(attributes, key)? {
        Value::IntValue(i) => Some(*i),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The spans of one trace, by span id.
struct Trace {
    spans: HashMap<String, Span>,
}

impl Trace {
    fn of(received: &[Received], trace: &str) -> Trace {
        Trace {
            spans: received
                .iter()
                .filter(|r| hex(&r.span.trace_id) == trace)
                .map(|r| (hex(&r.span.span_id), r.span.clone()))
                .collect(),
        }
    }

    /// The one span named `name`.
    fn named(&self, name: &str) -> &Span {
        let found: Vec<&Span> = self.spans.values().filter(|s| s.name == name).collect();
        assert_eq!(
            found.len(),
            1,
            "one span named {name} in {:#?}",
            self.names()
        );
        found[0]
    }

    /// Whether `span` descends from the span `ancestor` (its parent chain leads there).
    fn descends(&self, span: &Span, ancestor: &Span) -> bool {
        let wanted = hex(&ancestor.span_id);
        let mut parent = hex(&span.parent_span_id);
        for _ in 0..self.spans.len() {
            if parent == wanted {
                return true;
            }
            match self.spans.get(&parent) {
                Some(up) => parent = hex(&up.parent_span_id),
                None => return false,
            }
        }
        false
    }

    fn names(&self) -> Vec<(String, String, String)> {
        self.spans
            .values()
            .map(|s| (s.name.clone(), hex(&s.span_id), hex(&s.parent_span_id)))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_and_a_door_request_are_traced_under_their_callers_spans() {
    let (receiver_address, receiver) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let token = mint_token(&store, MERCHANT, &Scope::ALL, "traces test").await;
    // Spans name the merchant by its id.
    let merchant = store
        .find_merchant(MERCHANT)
        .await
        .unwrap()
        .expect("minted")
        .0;
    store.close().await.unwrap();
    let port = common::ports::free_port();
    let http: SocketAddr = ([127, 0, 0, 1], common::ports::free_port()).into();
    let mut command = serve(&url, port);
    command.args([
        "--http-listen",
        &http.to_string(),
        "--no-dev-token",
        "--otlp-endpoint",
        &format!("http://{receiver_address}"),
    ]);
    let server = ServeProcess::spawn(command, port);
    // A write through the group commit, in the caller's trace.
    let mug = traced_receipt(&server, &token, "traces-1", "5").await;
    // A door request, in another trace.
    let door = reqwest::Client::new()
        .post(format!("http://{http}/v2/inventory/counts/batch-retrieve"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{DOOR_TRACE}-{DOOR_PARENT}-01"))
        .json(&serde_json::json!({ "catalog_object_ids": [mug] }))
        .send()
        .await
        .unwrap();
    assert_eq!(door.status(), 200);

    // Stopped at once, well before the exporter's next scheduled export: the spans come
    // from the flush at shutdown, which ends before the process does.
    let ended = server.terminate().await;
    assert!(ended.status.success(), "{:?}", ended.status);
    let received = receiver.spans.lock().unwrap().clone();
    assert!(!received.is_empty(), "no span was exported");
    assert!(
        received
            .iter()
            .all(|r| r.service.as_deref() == Some("stockledger")),
        "service.name: {:?}",
        received.iter().map(|r| &r.service).collect::<Vec<_>>()
    );

    // The call's span: a server span in the caller's trace, child of the caller's span.
    let trace = Trace::of(&received, CALL_TRACE);
    let call = trace.named("stockledger.v1.InventoryService/BatchChangeInventory");
    assert_eq!(hex(&call.parent_span_id), CALL_PARENT);
    assert_eq!(call.kind, SpanKind::Server as i32);
    let attributes = &call.attributes;
    assert_eq!(text(attributes, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        text(attributes, "rpc.service").as_deref(),
        Some("stockledger.v1.InventoryService")
    );
    assert_eq!(
        text(attributes, "rpc.method").as_deref(),
        Some("BatchChangeInventory")
    );
    assert_eq!(text(attributes, "outcome").as_deref(), Some("OK"));
    assert_eq!(int(attributes, "rpc.grpc.status_code"), Some(0));
    assert_eq!(
        text(attributes, "merchant").as_deref(),
        Some(merchant.as_str())
    );
    // The group commit beneath it, and the transaction's statements beneath that.
    let group = trace.named("group_commit");
    assert!(trace.descends(group, call), "{:#?}", trace.names());
    assert_eq!(int(&group.attributes, "batches"), Some(1));
    assert_eq!(
        text(&group.attributes, "outcome").as_deref(),
        Some("committed")
    );
    for statement in [
        "db.transaction",
        "db.lock_counts",
        "db.write_rows",
        "db.commit",
    ] {
        let span = trace.named(statement);
        assert!(
            trace.descends(span, group),
            "{statement}: {:#?}",
            trace.names()
        );
    }
    // The calls made before it have traces of their own.
    assert!(
        !trace
            .spans
            .values()
            .any(|s| s.name.ends_with("/CreateLocation")),
        "{:#?}",
        trace.names()
    );

    // The door request's span, child of its caller's span, with a read beneath it.
    let trace = Trace::of(&received, DOOR_TRACE);
    let request = trace.named("POST /v2/inventory/counts/batch-retrieve");
    assert_eq!(hex(&request.parent_span_id), DOOR_PARENT);
    assert_eq!(request.kind, SpanKind::Server as i32);
    let attributes = &request.attributes;
    assert_eq!(
        text(attributes, "http.route").as_deref(),
        Some("/v2/inventory/counts/batch-retrieve")
    );
    assert_eq!(
        text(attributes, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(int(attributes, "http.response.status_code"), Some(200));
    assert_eq!(int(attributes, "outcome"), Some(200));
    assert_eq!(
        text(attributes, "merchant").as_deref(),
        Some(merchant.as_str())
    );
    let reads: Vec<&Span> = trace
        .spans
        .values()
        .filter(|s| s.name.starts_with("db.") && trace.descends(s, request))
        .collect();
    assert!(!reads.is_empty(), "no database span: {:#?}", trace.names());
}

#[test]
fn an_otlp_endpoint_that_is_not_an_http_url_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let port = common::ports::free_port().to_string();
    let ran = common::process::run(
        &[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--otlp-endpoint",
            "collector:4317",
        ],
        &url,
    );
    assert!(!ran.status.success());
    let said = String::from_utf8_lossy(&ran.stderr);
    assert!(said.contains("--otlp-endpoint"), "{said}");
    assert!(said.contains("http://"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_nothing_is_exported_even_to_the_standard_variables_endpoint() {
    let (receiver_address, receiver) = start_receiver().await;
    let (url, token, _dir) = sqlite_with_token(MERCHANT, "traces test").await;
    let port = common::ports::free_port();
    let mut command = serve(&url, port);
    // OpenTelemetry's own variable names an endpoint; only --otlp-endpoint turns traces on.
    command
        .arg("--no-dev-token")
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{receiver_address}"),
        )
        .env(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("http://{receiver_address}"),
        );
    let server = ServeProcess::spawn(command, port);
    traced_receipt(&server, &token, "traces-off", "1").await;
    // A server with traces on exports its queued spans before it exits (the test above).
    let ended = server.terminate().await;
    assert!(ended.status.success(), "{:?}", ended.status);
    assert!(receiver.spans.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_commit_hangs_under_its_first_caller_and_links_the_others() {
    let (receiver_address, receiver) = start_receiver().await;
    let (url, token, _dir) = sqlite_with_token(MERCHANT, "traces test").await;
    let port = common::ports::free_port();
    let mut command = serve(&url, port);
    command.args([
        "--no-dev-token",
        "--otlp-endpoint",
        &format!("http://{receiver_address}"),
    ]);
    let server = ServeProcess::spawn(command, port);
    let mut clients = Clients::new(&server.channel().await, &token);
    let shop = location(&mut clients, "Traces Shop").await;
    let mug = item(&mut clients, "TRACES-MUG").await;
    // Calls sent at once queue behind the writer while it commits: groups of several.
    const CALLS: usize = 48;
    let calls = (0..CALLS).map(|i| {
        let mut inventory = clients.inventory.clone();
        let mut request = tonic::Request::new(pb::BatchChangeInventoryRequest {
            idempotency_key: format!("traces-group-{i}"),
            changes: vec![adjust(
                &mug,
                &shop,
                pb::InventoryState::None,
                pb::InventoryState::InStock,
                "1",
            )],
            ..Default::default()
        });
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{:032x}-{:016x}-01", 0x7000 + i, 0x9000 + i)
                .parse()
                .unwrap(),
        );
        async move { inventory.batch_change_inventory(request).await }
    });
    for answered in futures::future::join_all(calls).await {
        answered.expect("a batch");
    }
    let ended = server.terminate().await;
    assert!(ended.status.success(), "{:?}", ended.status);
    let received = receiver.spans.lock().unwrap().clone();

    // Every call's span, by (trace, span) id: one trace each.
    let call_spans: HashMap<(String, String), &Span> = received
        .iter()
        .map(|r| &r.span)
        .filter(|s| s.name.ends_with("/BatchChangeInventory"))
        .map(|s| ((hex(&s.trace_id), hex(&s.span_id)), s))
        .collect();
    assert_eq!(call_spans.len(), CALLS);
    let groups: Vec<&Span> = received
        .iter()
        .map(|r| &r.span)
        .filter(|s| s.name == "group_commit")
        .collect();
    let mut shared = 0;
    for group in &groups {
        let batches = int(&group.attributes, "batches").expect("batches") as usize;
        // The parent: a call of this group, in the group's trace.
        let parent = (hex(&group.trace_id), hex(&group.parent_span_id));
        assert!(call_spans.contains_key(&parent), "{group:?}");
        // The links: each other call of the group, each in its own trace.
        assert_eq!(group.links.len(), batches - 1, "{group:?}");
        let mut held = vec![parent];
        for link in &group.links {
            let linked = (hex(&link.trace_id), hex(&link.span_id));
            assert!(call_spans.contains_key(&linked), "{link:?}");
            assert!(!held.contains(&linked), "{group:?}");
            held.push(linked);
        }
        if batches > 1 {
            shared += 1;
        }
    }
    // Every call was in exactly one group.
    let in_groups: i64 = groups
        .iter()
        .map(|g| int(&g.attributes, "batches").unwrap())
        .sum();
    assert_eq!(in_groups, CALLS as i64);
    assert!(
        shared > 0,
        "no group held more than one of {CALLS} concurrent calls"
    );
}

/// A new shop and item, and a receipt of `quantity` of it sent with `idempotency_key` in the
/// trace `CALL_TRACE` under the span `CALL_PARENT` (a caller's `traceparent`): the item's id.
async fn traced_receipt(
    server: &ServeProcess,
    token: &str,
    idempotency_key: &str,
    quantity: &str,
) -> String {
    let mut clients = Clients::new(&server.channel().await, token);
    let shop = location(&mut clients, "Traces Shop").await;
    let mug = item(&mut clients, "TRACES-MUG").await;
    let mut request = tonic::Request::new(pb::BatchChangeInventoryRequest {
        idempotency_key: idempotency_key.into(),
        changes: vec![adjust(
            &mug,
            &shop,
            pb::InventoryState::None,
            pb::InventoryState::InStock,
            quantity,
        )],
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{CALL_TRACE}-{CALL_PARENT}-01").parse().unwrap(),
    );
    clients
        .inventory
        .batch_change_inventory(request)
        .await
        .expect("a batch");
    mug
}
