//! The server as a whole: reflection, health, the binary's lifecycle and its shutdown.

mod common;

use std::process::Stdio;

use common::TestServer;
use common::ports::free_port;
use common::process::{ServeProcess, stockledger};
use stockledger::proto::v1::{CreateInventoryItemRequest, GetInventoryItemRequest, InventoryItem};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

async fn listed_services(server: &TestServer) -> Vec<String> {
    let request = MessageRequest::ListServices(String::new());
    match common::reflection::reflect(&server.channel, request).await {
        MessageResponse::ListServicesResponse(list) => {
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

on_both_backends!(reflection_lists_every_service);
async fn reflection_lists_every_service(server: TestServer) {
    assert_eq!(
        listed_services(&server).await,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "stockledger.v1.InventoryItemService",
            "stockledger.v1.InventoryService",
            "stockledger.v1.LocationService",
            "stockledger.v1.ReservationService",
            "stockledger.v1.WebhookService",
        ]
    );
    // Older tools (Postman, grpcui, evans) speak v1alpha.
    use tonic_reflection::pb::v1alpha as alpha;
    let mut client =
        alpha::server_reflection_client::ServerReflectionClient::new(server.channel.clone());
    let request = alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response.message_response
    else {
        panic!("unexpected v1alpha answer");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "stockledger.v1.InventoryService")
    );
}

on_both_backends!(health_reports_serving);
async fn health_reports_serving(server: TestServer) {
    let mut health = HealthClient::new(server.channel.clone());
    for service in [
        "",
        "stockledger.v1.InventoryService",
        "stockledger.v1.InventoryItemService",
        "stockledger.v1.LocationService",
        "stockledger.v1.ReservationService",
        "stockledger.v1.WebhookService",
    ] {
        let status = check(&mut health, service).await.unwrap();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = check(&mut health, "nope.Service").await;
    assert_eq!(unknown.unwrap_err().code(), Code::NotFound);
}

async fn check(
    health: &mut HealthClient<Channel>,
    service: &str,
) -> Result<ServingStatus, tonic::Status> {
    let request = HealthCheckRequest {
        service: service.into(),
    };
    Ok(health.check(request).await?.into_inner().status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_migrates_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bin.db").display());
    let migrate = stockledger()
        .args(["migrate", "--database-url", &url])
        .output();
    let migrate = migrate.unwrap();
    let stderr = String::from_utf8_lossy(&migrate.stderr);
    assert!(migrate.status.success(), "{stderr}");

    // The listening address from the environment, as a container would set it.
    let port = free_port();
    let mut command = stockledger();
    command
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
        .stderr(Stdio::piped());
    let served = ServeProcess::spawn(command, port);
    let mut health = HealthClient::new(served.channel().await);
    assert_eq!(
        check(&mut health, "").await.unwrap(),
        ServingStatus::Serving
    );
    // A client that keeps its connection open must not hold the server up for ever.
    let _open_connection = health;

    let ended = served.terminate().await;
    assert!(ended.status.success(), "exit status {}", ended.status);
    let logs = ended.stderr;
    let first_line: serde_json::Value =
        serde_json::from_str(logs.lines().next().unwrap()).expect("JSON logs");
    assert!(first_line.get("level").is_some(), "{first_line}");
    assert!(logs.contains("shutdown requested"), "{logs}");
}

#[test]
fn help_documents_flags_and_environment() {
    let help = stockledger().args(["serve", "--help"]).output().unwrap();
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

on_both_backends!(data_survives_a_restart);
async fn data_survives_a_restart(mut server: TestServer) {
    let kept = InventoryItem {
        sku: "KEEP".into(),
        cost: "0.00001".into(),
        ..Default::default()
    };
    let request = CreateInventoryItemRequest {
        inventory_item: Some(kept),
    };
    let created = server.items.create_inventory_item(request).await.unwrap();
    let created = created.into_inner().inventory_item.unwrap();
    let mut server = server.restart().await;
    let request = GetInventoryItemRequest {
        id: created.id.clone(),
    };
    let fetched = server.items.get_inventory_item(request).await.unwrap();
    assert_eq!(fetched.into_inner().inventory_item, Some(created));
}

/// A taken address stops `serve` before it says anything else: the error names the address
/// and its flag, no development token is printed, and nothing claims to listen. Log lines
/// written to a file carry no terminal colour codes.
#[tokio::test]
async fn a_taken_address_is_named_before_anything_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    for (grpc, http) in [
        (taken_addr.clone(), format!("127.0.0.1:{}", free_port())),
        (format!("127.0.0.1:{}", free_port()), taken_addr.clone()),
    ] {
        let out = stockledger()
            .args(["serve", "--listen", &grpc, "--http-listen", &http])
            .env("DATABASE_URL", &url)
            .stdin(Stdio::null())
            .output()
            .expect("running stockledger");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(!out.status.success(), "{stdout}{stderr}");
        let flag = if grpc == taken_addr {
            "--listen"
        } else {
            "--http-listen"
        };
        assert!(
            stderr.contains(&format!("cannot listen on {taken_addr} ({flag})")),
            "{stderr}"
        );
        assert!(
            !stdout.contains("token") && !stderr.contains("listening"),
            "{stdout}{stderr}"
        );
        assert!(
            !stderr.contains('\u{1b}'),
            "no colour codes in a file: {stderr:?}"
        );
    }
}

/// Commands say when they migrated the schema, in their own words, and refuse a database a
/// newer Stockledger migrated, leaving it as it is.
#[tokio::test]
async fn commands_say_when_they_migrate_and_refuse_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let token = |url: &str| {
        let args = [
            "token",
            "create",
            "--merchant",
            "m",
            "--scopes",
            "INVENTORY_READ",
            "--app-name",
            "A",
        ];
        common::process::run(&args, url)
    };
    let first = token(&url);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(
        stderr.contains("migrated the database's schema first"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Applying"),
        "sea-orm-migration's own lines: {stderr}"
    );
    let second = token(&url);
    assert!(second.status.success());
    assert!(
        second.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let migrate = common::process::run(&["migrate"], &url);
    assert!(
        String::from_utf8_lossy(&migrate.stdout).contains("schema is up to date"),
        "{migrate:?}"
    );

    let store = stockledger::store::Store::connect(&url).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        store.connection(),
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_future', 0)",
    )
    .await
    .unwrap();
    store.close().await.unwrap();
    let refused = token(&url);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("migrated by a newer Stockledger"),
        "{stderr}"
    );
    let refused = common::process::run(&["migrate"], &url);
    assert!(!refused.status.success());
}

/// Replicas started together on a fresh database, or a `token` command run while `serve`
/// starts, must not trip over each other's migrations ("table … already exists"): exactly
/// one process applies them, the others find the schema up to date.
async fn processes_started_together_migrate_once(backend: common::Backend) {
    let (url, _dir) = common::fresh_database(backend).await;
    let started: Vec<_> = (0..6)
        .map(|_| {
            stockledger()
                .arg("migrate")
                .env("DATABASE_URL", &url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starting stockledger migrate")
        })
        .collect();
    let mut applied = 0;
    for process in started {
        let ended = process.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&ended.stdout);
        let stderr = String::from_utf8_lossy(&ended.stderr);
        assert!(ended.status.success(), "{stdout}{stderr}");
        if stdout.starts_with("applied ") {
            applied += 1;
        } else {
            assert!(stdout.contains("schema is up to date"), "{stdout}");
        }
    }
    assert_eq!(applied, 1, "exactly one process applies the migrations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_started_together_migrate_once_on_sqlite() {
    processes_started_together_migrate_once(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_started_together_migrate_once_on_postgres() {
    processes_started_together_migrate_once(common::Backend::Postgres).await;
}

/// At the default log level, every call leaves one `call` line on stderr once answered:
/// its method, merchant (once authenticated), gRPC code and duration — never the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_leaves_one_access_log_line_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let args = [
        "token",
        "create",
        "--merchant",
        "acme",
        "--scopes",
        "ITEMS_WRITE",
        "--app-name",
        "Logged",
    ];
    let created = common::process::run(&args, &url);
    assert!(created.status.success());
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let mut command = common::process::serve(&url, port);
    command
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let served = ServeProcess::spawn(command, port);

    let channel = served.channel().await;
    let mut clients = common::Clients::new(&channel, &token);
    let item = InventoryItem {
        sku: "LOG-1".into(),
        ..Default::default()
    };
    let request = CreateInventoryItemRequest {
        inventory_item: Some(item),
    };
    clients.items.create_inventory_item(request).await.unwrap();
    let mut anonymous = common::Clients::new(&channel, "not-a-token").items;
    let request = GetInventoryItemRequest {
        id: uuid::Uuid::new_v4().to_string(),
    };
    let refused = anonymous.get_inventory_item(request).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    drop((clients, anonymous, channel));
    let ended = served.terminate().await;

    let calls: Vec<&str> = ended
        .stderr
        .lines()
        .filter(|l| l.contains(" call ") || l.ends_with(" call"))
        .collect();
    let created = "/stockledger.v1.InventoryItemService/CreateInventoryItem";
    let get = "/stockledger.v1.InventoryItemService/GetInventoryItem";
    let line_of = |method: &str| {
        let lines: Vec<&&str> = calls.iter().filter(|l| l.contains(method)).collect();
        assert_eq!(lines.len(), 1, "one line for {method}: {}", ended.stderr);
        lines[0].to_string()
    };
    let created = line_of(created);
    let merchant = created.split("merchant=").nth(1).unwrap_or_default();
    let merchant = merchant.split(['}', ' ']).next().unwrap();
    assert!(uuid::Uuid::parse_str(merchant).is_ok(), "{created}");
    assert!(created.contains("code=Ok"), "{created}");
    assert!(created.contains("duration_us="), "{created}");
    let get = line_of(get);
    assert!(get.contains("code=Unauthenticated"), "{get}");
    assert!(!get.contains("merchant="), "{get}");
    let (_, secret) = common::token_parts(&token);
    assert!(secret.len() >= 40, "{token}");
    assert!(
        !ended.stderr.contains(secret),
        "a token secret reached the log"
    );
    assert!(!ended.stderr.contains("not-a-token"));
}
