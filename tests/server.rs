//! The server as a whole: reflection, health, the binary's lifecycle and its shutdown.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestServer, free_port};
use stockledger::proto::v1::{CreateInventoryItemRequest, GetInventoryItemRequest, InventoryItem};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

async fn listed_services(server: &TestServer) -> Vec<String> {
    let mut client = ServerReflectionClient::new(server.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection call")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("reflection answer");
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

on_both_backends! {
    async fn reflection_lists_every_service(server) {
        assert_eq!(listed_services(&server).await, [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "stockledger.v1.InventoryItemService",
            "stockledger.v1.InventoryService",
            "stockledger.v1.LocationService",
        ]);
        // Older tools (Postman, grpcui, evans) speak v1alpha.
        use tonic_reflection::pb::v1alpha as alpha;
        let mut client = alpha::server_reflection_client::ServerReflectionClient::new(server.channel.clone());
        let request = alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
        };
        let mut responses = client.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
        let response = responses.next().await.unwrap().unwrap();
        let Some(alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("unexpected v1alpha answer");
        };
        assert!(list.service.iter().any(|s| s.name == "stockledger.v1.InventoryService"));
    }
}

on_both_backends! {
    async fn health_reports_serving(server) {
        let mut health = HealthClient::new(server.channel.clone());
        for service in ["", "stockledger.v1.InventoryService", "stockledger.v1.InventoryItemService", "stockledger.v1.LocationService"] {
            let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
            assert_eq!(status.status(), ServingStatus::Serving, "{service:?}");
        }
        let unknown = health.check(HealthCheckRequest { service: "nope.Service".into() }).await;
        assert_eq!(unknown.unwrap_err().code(), Code::NotFound);
    }
}

fn wait_for_port(port: u16, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("stockledger exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "stockledger did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_migrates_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bin.db").display());
    let port = free_port();
    let migrate = Command::new(env!("CARGO_BIN_EXE_stockledger"))
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_stockledger"))
        .args([
            "serve",
            "--log-format",
            "json",
            "--shutdown-grace-seconds",
            "5",
        ])
        .env("STOCKLEDGER_LISTEN", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", &url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut child);
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    let status = health.check(HealthCheckRequest::default()).await.unwrap();
    assert_eq!(status.into_inner().status(), ServingStatus::Serving);
    // A client that keeps its connection open must not hold the server up for ever.
    let _open_connection = health;

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "exit status {}", output.status);
    let logs = String::from_utf8_lossy(&output.stderr);
    let first_line: serde_json::Value =
        serde_json::from_str(logs.lines().next().unwrap()).expect("JSON logs");
    assert!(first_line.get("level").is_some(), "{first_line}");
    assert!(logs.contains("shutdown requested"), "{logs}");
}

#[test]
fn help_documents_flags_and_environment() {
    let help = Command::new(env!("CARGO_BIN_EXE_stockledger"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "--listen",
        "STOCKLEDGER_LISTEN",
        "--database-url",
        "DATABASE_URL",
        "127.0.0.1:50051",
    ] {
        assert!(
            text.contains(expected),
            "serve --help lacks {expected}:\n{text}"
        );
    }
}

on_both_backends! {
    async fn data_survives_a_restart(server) {
        let mut server = server;
        let created = server
            .items
            .create_inventory_item(CreateInventoryItemRequest {
                inventory_item: Some(InventoryItem { sku: "KEEP".into(), cost: "0.00001".into(), ..Default::default() }),
            })
            .await
            .unwrap()
            .into_inner()
            .inventory_item
            .unwrap();
        let mut server = server.restart().await;
        let fetched = server
            .items
            .get_inventory_item(GetInventoryItemRequest { id: created.id.clone() })
            .await
            .unwrap()
            .into_inner()
            .inventory_item
            .unwrap();
        assert_eq!(fetched, created);
    }
}
