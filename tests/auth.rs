//! Authentication, scopes, tenancy and attribution end to end, on SQLite and PostgreSQL.

mod common;

use std::process::{Command, Stdio};

use common::ledger::*;
use common::{Clients, assert_rejected, call_error, free_port, wait_for_port};
use stockledger::auth::scopes::{Scope, rpc_scopes};
use stockledger::proto::v1::{
    self as pb, InventoryState as S, inventory_change::Change,
    inventory_item_service_client::InventoryItemServiceClient,
};
use tokio_stream::StreamExt;
use tonic::Code;

/// Calls the RPC at `path` with a default request; the stream of a streaming RPC is opened.
/// Calls `path` until it is refused as unauthenticated, for at most the token cache's
/// lifetime and a margin: a revoked token must stop working within that time.
async fn refused_after_revocation(clients: &Clients, path: &str) -> Result<(), tonic::Status> {
    let deadline = std::time::Instant::now()
        + stockledger::auth::cache::TOKEN_TTL
        + std::time::Duration::from_millis(500);
    loop {
        let result = call(clients, path).await;
        let refused = matches!(&result, Err(s) if s.code() == Code::Unauthenticated);
        if refused || std::time::Instant::now() > deadline {
            return result;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn call(clients: &Clients, path: &str) -> Result<(), tonic::Status> {
    let Clients {
        mut items,
        mut locations,
        mut inventory,
    } = clients.clone();
    let method = path.rsplit('/').next().unwrap();
    match method {
        "BatchChangeInventory" => inventory
            .batch_change_inventory(pb::BatchChangeInventoryRequest::default())
            .await
            .map(drop),
        "BatchRetrieveInventoryCounts" => inventory
            .batch_retrieve_inventory_counts(pb::BatchRetrieveInventoryCountsRequest::default())
            .await
            .map(drop),
        "RetrieveInventoryCount" => inventory
            .retrieve_inventory_count(pb::RetrieveInventoryCountRequest::default())
            .await
            .map(drop),
        "BatchRetrieveInventoryChanges" => inventory
            .batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest::default())
            .await
            .map(drop),
        "RetrieveInventoryAdjustment" => inventory
            .retrieve_inventory_adjustment(pb::RetrieveInventoryAdjustmentRequest::default())
            .await
            .map(drop),
        "RetrieveInventoryPhysicalCount" => inventory
            .retrieve_inventory_physical_count(pb::RetrieveInventoryPhysicalCountRequest::default())
            .await
            .map(drop),
        "RetrieveInventoryTransfer" => inventory
            .retrieve_inventory_transfer(pb::RetrieveInventoryTransferRequest::default())
            .await
            .map(drop),
        "StreamInventoryChanges" => inventory
            .stream_inventory_changes(pb::StreamInventoryChangesRequest::default())
            .await
            .map(drop),
        "WatchInventoryChanges" => inventory
            .watch_inventory_changes(pb::WatchInventoryChangesRequest::default())
            .await
            .map(drop),
        "WatchInventoryCounts" => inventory
            .watch_inventory_counts(pb::WatchInventoryCountsRequest::default())
            .await
            .map(drop),
        "CreateInventoryItem" => items
            .create_inventory_item(pb::CreateInventoryItemRequest::default())
            .await
            .map(drop),
        "GetInventoryItem" => items
            .get_inventory_item(pb::GetInventoryItemRequest::default())
            .await
            .map(drop),
        "BatchGetInventoryItems" => items
            .batch_get_inventory_items(pb::BatchGetInventoryItemsRequest::default())
            .await
            .map(drop),
        "ListInventoryItems" => items
            .list_inventory_items(pb::ListInventoryItemsRequest::default())
            .await
            .map(drop),
        "UpdateInventoryItem" => items
            .update_inventory_item(pb::UpdateInventoryItemRequest::default())
            .await
            .map(drop),
        "CreateLocation" => locations
            .create_location(pb::CreateLocationRequest::default())
            .await
            .map(drop),
        "GetLocation" => locations
            .get_location(pb::GetLocationRequest::default())
            .await
            .map(drop),
        "ListLocations" => locations
            .list_locations(pb::ListLocationsRequest::default())
            .await
            .map(drop),
        "UpdateLocation" => locations
            .update_location(pb::UpdateLocationRequest::default())
            .await
            .map(drop),
        other => panic!("no call for {other}"),
    }
}

on_both_backends! {
    async fn every_rpc_needs_exactly_its_scope(server) {
        for (path, scope) in rpc_scopes() {
            let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| s != scope).collect();
            let without = server.clients(&server.token_for("m", &others, "no-scope").await);
            let err = call_error(call(&without, path).await.expect_err(path));
            assert_eq!(err.code, Code::PermissionDenied, "{path}: {}", err.message);
            assert_eq!(err.reason.as_deref(), Some("INSUFFICIENT_SCOPES"), "{path}");
            assert!(err.message.contains(scope.as_str()), "{path}: {}", err.message);

            let only = server.clients(&server.token_for("m", &[*scope], "one-scope").await);
            if let Err(status) = call(&only, path).await {
                assert!(
                    !matches!(status.code(), Code::PermissionDenied | Code::Unauthenticated),
                    "{path} refused with only {scope}: {status:?}"
                );
            }
        }
    }
}

on_both_backends! {
    async fn calls_without_a_valid_token_are_unauthenticated(server) {
        let mut anonymous = InventoryItemServiceClient::new(server.channel.clone());
        let missing = anonymous.list_inventory_items(pb::ListInventoryItemsRequest::default()).await;
        assert_rejected(missing, Code::Unauthenticated, &[]);

        let real = server.token.clone();
        let (id_part, _) = real.rsplit_once('_').unwrap();
        let forged_secret = format!("{id_part}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        let unknown_id = format!("slk_{}_{}", "0".repeat(32), real.rsplit_once('_').unwrap().1);
        for bad in ["", "nonsense", "slk_abc_def", forged_secret.as_str(), unknown_id.as_str()] {
            let clients = server.clients(bad);
            let result = clients.items.clone().list_inventory_items(pb::ListInventoryItemsRequest::default()).await;
            let err = assert_rejected(result, Code::Unauthenticated, &[]);
            assert!(!err.message.contains(bad) || bad.is_empty(), "the token is not echoed back");
        }
        // A wrong scheme is refused too.
        let mut basic = stockledger::proto::v1::location_service_client::LocationServiceClient::with_interceptor(
            server.channel.clone(),
            |mut r: tonic::Request<()>| { r.metadata_mut().insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap()); Ok(r) },
        );
        assert_rejected(basic.list_locations(pb::ListLocationsRequest::default()).await, Code::Unauthenticated, &[]);
    }
}

on_both_backends! {
    async fn a_revoked_token_stops_working_within_the_cache_lifetime(server) {
        let token = server.token_for("rev", &Scope::ALL, "Revocable").await;
        let clients = server.clients(&token);
        clients.locations.clone().list_locations(pb::ListLocationsRequest::default()).await.expect("works before revocation");
        let store = stockledger::store::Store::connect(&server.database_url).await.unwrap();
        let id = stockledger::auth::token::parse(&token).unwrap().id.to_owned();
        store.revoke_token(&id).await.unwrap();
        let after = refused_after_revocation(&clients, "ListLocations").await;
        let err = assert_rejected(after, Code::Unauthenticated, &[]);
        assert!(err.message.contains("revoked"));
        assert!(matches!(store.revoke_token("nope").await, Err(stockledger::store::StoreError::NotFound)));
        store.close().await.ok();
    }
}

on_both_backends! {
    async fn merchants_never_see_each_other(server) {
        let mut a = server;
        let (l, i) = (location(&mut a, "A-Shop").await, item(&mut a, "SHARED-SKU").await);
        let l2 = location(&mut a, "A-Depot").await;
        let made = apply(&mut a, vec![
            adjust(&i, &l, S::None, S::InStock, "10"),
            count(&i, &l, S::Waste, "1"),
            transfer(&i, &l, &l2, "2"),
        ]).await;
        let ids: Vec<String> = made.changes.iter().map(|c| match c.change.as_ref().unwrap() {
            Change::Adjustment(x) => x.id.clone(),
            Change::PhysicalCount(x) => x.id.clone(),
            Change::Transfer(x) => x.id.clone(),
        }).collect();
        item(&mut a, "A-OTHER").await;
        let a_cursor = a.items.list_inventory_items(pb::ListInventoryItemsRequest { limit: 1, ..Default::default() })
            .await.unwrap().into_inner().cursor;
        assert!(!a_cursor.is_empty());

        let b = a.clients(&a.token_for("merchant-b", &Scope::ALL, "B app").await);
        let Clients { mut items, mut locations, mut inventory } = b.clone();
        assert_rejected(items.get_inventory_item(pb::GetInventoryItemRequest { id: i.clone() }).await, Code::NotFound, &[]);
        assert!(items.batch_get_inventory_items(pb::BatchGetInventoryItemsRequest { ids: vec![i.clone()] }).await.unwrap().into_inner().inventory_items.is_empty());
        assert!(items.list_inventory_items(pb::ListInventoryItemsRequest::default()).await.unwrap().into_inner().inventory_items.is_empty());
        assert_rejected(items.list_inventory_items(pb::ListInventoryItemsRequest { cursor: a_cursor, ..Default::default() }).await, Code::InvalidArgument, &["cursor"]);
        assert_rejected(items.update_inventory_item(pb::UpdateInventoryItemRequest {
            inventory_item: Some(pb::InventoryItem { id: i.clone(), cost: "1".into(), ..Default::default() }), update_mask: None,
        }).await, Code::NotFound, &[]);
        assert_rejected(locations.get_location(pb::GetLocationRequest { id: l.clone() }).await, Code::NotFound, &[]);
        assert!(locations.list_locations(pb::ListLocationsRequest::default()).await.unwrap().into_inner().locations.is_empty());
        assert_rejected(locations.update_location(pb::UpdateLocationRequest {
            location: Some(pb::Location { id: l.clone(), name: "Mine".into(), ..Default::default() }), update_mask: None,
        }).await, Code::NotFound, &[]);
        let err = assert_rejected(
            inventory.batch_change_inventory(batch(vec![adjust(&i, &l, S::None, S::InStock, "1")])).await,
            Code::InvalidArgument,
            &["changes[0].adjustment.catalog_object_id", "changes[0].adjustment.location_id"],
        );
        assert_eq!(err.reason.as_deref(), Some("NOT_FOUND"));
        assert!(inventory.retrieve_inventory_count(pb::RetrieveInventoryCountRequest { catalog_object_id: i.clone(), ..Default::default() })
            .await.unwrap().into_inner().counts.is_empty());
        assert!(inventory.batch_retrieve_inventory_counts(pb::BatchRetrieveInventoryCountsRequest::default()).await.unwrap().into_inner().counts.is_empty());
        assert!(inventory.batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest::default()).await.unwrap().into_inner().changes.is_empty());
        assert_rejected(inventory.retrieve_inventory_adjustment(pb::RetrieveInventoryAdjustmentRequest { adjustment_id: ids[0].clone() }).await, Code::NotFound, &[]);
        assert_rejected(inventory.retrieve_inventory_physical_count(pb::RetrieveInventoryPhysicalCountRequest { physical_count_id: ids[1].clone() }).await, Code::NotFound, &[]);
        assert_rejected(inventory.retrieve_inventory_transfer(pb::RetrieveInventoryTransferRequest { transfer_id: ids[2].clone() }).await, Code::NotFound, &[]);
        let streamed: Vec<_> = inventory.stream_inventory_changes(pb::StreamInventoryChangesRequest::default()).await.unwrap().into_inner().collect().await;
        assert!(streamed.is_empty());
        let a_history = a.inventory.batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest { limit: 1, ..Default::default() })
            .await.unwrap().into_inner().cursor;
        assert_rejected(inventory.batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest { cursor: a_history, ..Default::default() }).await, Code::InvalidArgument, &["cursor"]);

        // B's own world: the same SKU is free, and an idempotency key A used is B's to use.
        let mut b_server_view = b.clone();
        let b_item = b_server_view.items.create_inventory_item(pb::CreateInventoryItemRequest {
            inventory_item: Some(pb::InventoryItem { sku: "SHARED-SKU".into(), ..Default::default() }),
        }).await.unwrap().into_inner().inventory_item.unwrap().id;
        let b_loc = b_server_view.locations.create_location(pb::CreateLocationRequest {
            location: Some(pb::Location { name: "A-Shop".into(), ..Default::default() }),
        }).await.unwrap().into_inner().location.unwrap().id;
        let a_request = batch(vec![adjust(&i, &l, S::None, S::InStock, "1")]);
        a.inventory.batch_change_inventory(a_request.clone()).await.unwrap();
        let b_request = pb::BatchChangeInventoryRequest { changes: vec![adjust(&b_item, &b_loc, S::None, S::InStock, "5")], ..a_request };
        let b_result = inventory.batch_change_inventory(b_request).await.unwrap().into_inner();
        assert_eq!(b_result.counts[0].quantity, "5");
        assert_eq!(quantity(&mut a, &i, &l, S::InStock).await.as_deref(), Some("9"), "A's counts are untouched by B");
    }
}

on_both_backends! {
    async fn changes_are_attributed_to_the_tokens_application(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "ATTR").await);
        let first = server.token_for(common::TEST_MERCHANT, &[Scope::InventoryWrite], "POS Sync").await;
        let second = server.token_for(common::TEST_MERCHANT, &[Scope::InventoryWrite], "POS Sync").await;
        let mut sources = Vec::new();
        for token in [first, second] {
            let mut change = adjust(&i, &l, S::None, S::InStock, "1");
            if let Some(Change::Adjustment(a)) = change.change.as_mut() {
                a.employee_id = "emp-42".into();
            }
            let response = server.clients(&token).inventory.batch_change_inventory(batch(vec![change])).await.unwrap().into_inner();
            let Change::Adjustment(a) = response.changes[0].change.clone().unwrap() else { panic!() };
            assert_eq!(a.employee_id, "emp-42");
            sources.push(a.source.unwrap());
        }
        assert_eq!(sources[0].name, "POS Sync");
        assert_eq!(sources[0].product, pb::Product::ExternalApi as i32);
        assert!(!sources[0].application_id.is_empty());
        assert_eq!(sources[0], sources[1], "tokens of one application share its id");
        let mut own = server.inventory.clone();
        let response = own.batch_change_inventory(batch(vec![adjust(&i, &l, S::None, S::InStock, "1")])).await.unwrap().into_inner();
        let Change::Adjustment(a) = response.changes[0].change.clone().unwrap() else { panic!() };
        assert_eq!(a.source.unwrap().name, "Test application");
    }
}

use std::io::Read;

fn stockledger(args: &[&str], url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stockledger"))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_cli_dev_token_and_logs_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display());
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stockledger"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--shutdown-grace-seconds",
            "2",
        ])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes while the server runs, so that its logging never blocks.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.unwrap().read_to_string(&mut text).unwrap();
            text
        })
    };
    let stdout_reader = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stderr_reader = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    wait_for_port(port);

    let created = stockledger(
        &[
            "token",
            "create",
            "--merchant",
            "acme",
            "--scopes",
            "ITEMS_READ,ITEMS_WRITE",
            "--app-name",
            "Acme sync",
        ],
        &url,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).unwrap();
    let token = stdout.trim().to_owned();
    assert_eq!(stdout, format!("{token}\n"), "the token is alone on stdout");
    let bad_scope = stockledger(
        &[
            "token",
            "create",
            "--merchant",
            "acme",
            "--scopes",
            "ROOT",
            "--app-name",
            "x",
        ],
        &url,
    );
    assert!(!bad_scope.status.success());

    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut clients = Clients::new(&channel, &token);
    clients
        .items
        .create_inventory_item(pb::CreateInventoryItemRequest {
            inventory_item: Some(pb::InventoryItem {
                sku: "LOGGED?".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let refused = clients
        .locations
        .list_locations(pb::ListLocationsRequest::default())
        .await;
    assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied);
    let forged = format!("{}_{}", token.rsplit_once('_').unwrap().0, "B".repeat(43));
    let mut forged_clients = Clients::new(&channel, &forged);
    assert_eq!(
        forged_clients
            .items
            .list_inventory_items(pb::ListInventoryItemsRequest::default())
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );

    let listed = String::from_utf8(stockledger(&["token", "list"], &url).stdout).unwrap();
    let id = stockledger::auth::token::parse(&token)
        .unwrap()
        .id
        .to_owned();
    let secret = token.rsplit_once('_').unwrap().1.to_owned();
    assert!(
        listed.contains(&id)
            && listed.contains("Acme sync")
            && listed.contains("Development token")
    );
    assert!(!listed.contains(&secret));
    assert!(
        stockledger(&["token", "revoke", &id], &url)
            .status
            .success()
    );
    assert_eq!(
        refused_after_revocation(&clients, "ListInventoryItems")
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    drop((clients, forged_clients, channel));

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    let stdout = stdout_reader.join().unwrap();
    let stderr = stderr_reader.join().unwrap();

    // The first start printed a development token once, with a grpcurl line, on stdout only.
    let dev_line = stdout
        .lines()
        .find(|l| l.contains("export STOCKLEDGER_TOKEN="))
        .expect("dev token printed");
    let dev_token = dev_line.split('=').nth(1).unwrap().trim().to_owned();
    assert!(stockledger::auth::token::parse(&dev_token).is_some());
    assert!(stdout.contains("grpcurl -plaintext -H \"authorization: Bearer $STOCKLEDGER_TOKEN\""));
    let dev_secret = dev_token.rsplit_once('_').unwrap().1.to_owned();
    assert!(stderr.contains("grpc"), "trace logs were captured");
    for secret in [&secret, &dev_secret, &"B".repeat(43)] {
        assert!(
            !stderr.contains(secret.as_str()),
            "a token secret reached the log"
        );
    }

    // A second start on the same database prints no new token.
    let second = start_and_stop(&url, &[]);
    assert!(!second.contains("STOCKLEDGER_TOKEN"), "{second}");
}

/// Starts `serve` on `url` with `extra` arguments, stops it with SIGTERM, returns its stdout.
fn start_and_stop(url: &str, extra: &[&str]) -> String {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stockledger"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env("DATABASE_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn no_dev_token_flag_keeps_a_fresh_database_closed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("closed.db").display()
    );
    let out = start_and_stop(&url, &["--no-dev-token"]);
    assert!(!out.contains("STOCKLEDGER_TOKEN"));
    let listed = String::from_utf8(stockledger(&["token", "list"], &url).stdout).unwrap();
    assert_eq!(listed.lines().count(), 1, "only the header: {listed}");
}
