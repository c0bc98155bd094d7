//! Authentication, scopes, tenancy and attribution end to end, on SQLite and PostgreSQL.

mod common;

use std::process::Stdio;

use common::ledger::*;
use common::paging::{Paged, list_all};
use common::ports::free_port;
use common::process::{ServeProcess, run, serve};
use common::{Clients, TestServer, assert_rejected, call_error, mask};
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{
    self as pb, InventoryState as S, inventory_change::Change,
    inventory_item_service_client::InventoryItemServiceClient,
    location_service_client::LocationServiceClient,
};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_reflection::pb::v1::{
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

/// The scope each RPC requires, written out here as the README documents it, not read from
/// the server's own table (`stockledger::auth::scopes`): the server is checked against it,
/// and an RPC the server serves that is missing here fails
/// [`every_rpc_needs_exactly_its_scope`].
const REQUIRED_SCOPES: &[(&str, &str)] = &[
    (
        "/stockledger.v1.InventoryService/BatchChangeInventory",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryService/ImportInventoryChanges",
        "INVENTORY_IMPORT",
    ),
    (
        "/stockledger.v1.InventoryService/BatchRetrieveInventoryCounts",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryCount",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/BatchRetrieveInventoryChanges",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryAdjustment",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryPhysicalCount",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryTransfer",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/StreamInventoryChanges",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/WatchInventoryChanges",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/WatchInventoryCounts",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/WatchInventoryAlerts",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/ListInventoryReorderPoints",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/SetInventoryReorderPoint",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryService/DeleteInventoryReorderPoint",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryService/ListInventoryAdjustmentReasons",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryAdjustmentReason",
        "INVENTORY_READ",
    ),
    (
        "/stockledger.v1.InventoryService/CreateInventoryAdjustmentReason",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryService/UpdateInventoryAdjustmentReason",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryService/DeleteInventoryAdjustmentReason",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryService/RestoreInventoryAdjustmentReason",
        "INVENTORY_WRITE",
    ),
    (
        "/stockledger.v1.InventoryItemService/CreateInventoryItem",
        "ITEMS_WRITE",
    ),
    (
        "/stockledger.v1.InventoryItemService/UpdateInventoryItem",
        "ITEMS_WRITE",
    ),
    (
        "/stockledger.v1.InventoryItemService/GetInventoryItem",
        "ITEMS_READ",
    ),
    (
        "/stockledger.v1.InventoryItemService/BatchGetInventoryItems",
        "ITEMS_READ",
    ),
    (
        "/stockledger.v1.InventoryItemService/ListInventoryItems",
        "ITEMS_READ",
    ),
    (
        "/stockledger.v1.LocationService/CreateLocation",
        "LOCATIONS_WRITE",
    ),
    (
        "/stockledger.v1.LocationService/UpdateLocation",
        "LOCATIONS_WRITE",
    ),
    (
        "/stockledger.v1.LocationService/GetLocation",
        "LOCATIONS_READ",
    ),
    (
        "/stockledger.v1.LocationService/ListLocations",
        "LOCATIONS_READ",
    ),
    (
        "/stockledger.v1.ReservationService/CreateReservation",
        "RESERVATIONS_WRITE",
    ),
    (
        "/stockledger.v1.ReservationService/CommitReservation",
        "RESERVATIONS_WRITE",
    ),
    (
        "/stockledger.v1.ReservationService/ReleaseReservation",
        "RESERVATIONS_WRITE",
    ),
    (
        "/stockledger.v1.ReservationService/ExtendReservation",
        "RESERVATIONS_WRITE",
    ),
    (
        "/stockledger.v1.ReservationService/GetReservation",
        "RESERVATIONS_READ",
    ),
    (
        "/stockledger.v1.ReservationService/ListReservations",
        "RESERVATIONS_READ",
    ),
    (
        "/stockledger.v1.WebhookService/CreateWebhookSubscription",
        "WEBHOOKS_WRITE",
    ),
    (
        "/stockledger.v1.WebhookService/DeleteWebhookSubscription",
        "WEBHOOKS_WRITE",
    ),
    (
        "/stockledger.v1.WebhookService/ReplayWebhookSubscription",
        "WEBHOOKS_WRITE",
    ),
    (
        "/stockledger.v1.WebhookService/GetWebhookSubscription",
        "WEBHOOKS_READ",
    ),
    (
        "/stockledger.v1.WebhookService/ListWebhookSubscriptions",
        "WEBHOOKS_READ",
    ),
];

/// The services anyone may call; every other service the server lists is Stockledger's own.
const PUBLIC_SERVICES: &[&str] = &[
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
];

/// One reflection request and its answer.
async fn reflect(server: &TestServer, request: MessageRequest) -> MessageResponse {
    common::reflection::reflect(&server.channel, request).await
}

/// Every method the server serves outside the public services, as `/package.Service/Method`,
/// read through its reflection service (what a client sees), sorted.
async fn served_rpcs(server: &TestServer) -> Vec<String> {
    use prost::Message;
    let MessageResponse::ListServicesResponse(list) =
        reflect(server, MessageRequest::ListServices(String::new())).await
    else {
        panic!("ListServices answered with something else");
    };
    let mut rpcs = Vec::new();
    for service in list.service {
        if PUBLIC_SERVICES.contains(&service.name.as_str()) {
            continue;
        }
        let MessageResponse::FileDescriptorResponse(files) = reflect(
            server,
            MessageRequest::FileContainingSymbol(service.name.clone()),
        )
        .await
        else {
            panic!("no file descriptor for {}", service.name);
        };
        let mut methods = None;
        for bytes in &files.file_descriptor_proto {
            let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
            for described in &file.service {
                if format!("{}.{}", file.package(), described.name()) == service.name {
                    methods = Some(described.method.clone());
                }
            }
        }
        let methods = methods.unwrap_or_else(|| panic!("{} is not described", service.name));
        assert!(!methods.is_empty(), "{} has no method", service.name);
        for method in methods {
            rpcs.push(format!("/{}/{}", service.name, method.name()));
        }
    }
    rpcs.sort();
    rpcs
}

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

/// Calls the RPC at `path` with a default request; the stream of a streaming RPC is opened.
async fn call(clients: &Clients, path: &str) -> Result<(), tonic::Status> {
    let Clients {
        mut items,
        mut locations,
        mut inventory,
        mut reservations,
        mut webhooks,
    } = clients.clone();
    let method = path.rsplit('/').next().unwrap();
    match method {
        "BatchChangeInventory" => inventory
            .batch_change_inventory(pb::BatchChangeInventoryRequest::default())
            .await
            .map(drop),
        "ImportInventoryChanges" => inventory
            .import_inventory_changes(futures::stream::iter([
                pb::ImportInventoryChangesRequest::default(),
            ]))
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
        "WatchInventoryAlerts" => inventory
            .watch_inventory_alerts(pb::WatchInventoryAlertsRequest::default())
            .await
            .map(drop),
        "ListInventoryReorderPoints" => inventory
            .list_inventory_reorder_points(pb::ListInventoryReorderPointsRequest::default())
            .await
            .map(drop),
        "SetInventoryReorderPoint" => inventory
            .set_inventory_reorder_point(pb::SetInventoryReorderPointRequest::default())
            .await
            .map(drop),
        "DeleteInventoryReorderPoint" => inventory
            .delete_inventory_reorder_point(pb::DeleteInventoryReorderPointRequest::default())
            .await
            .map(drop),
        "ListInventoryAdjustmentReasons" => inventory
            .list_inventory_adjustment_reasons(pb::ListInventoryAdjustmentReasonsRequest::default())
            .await
            .map(drop),
        "RetrieveInventoryAdjustmentReason" => inventory
            .retrieve_inventory_adjustment_reason(
                pb::RetrieveInventoryAdjustmentReasonRequest::default(),
            )
            .await
            .map(drop),
        "CreateInventoryAdjustmentReason" => inventory
            .create_inventory_adjustment_reason(
                pb::CreateInventoryAdjustmentReasonRequest::default(),
            )
            .await
            .map(drop),
        "UpdateInventoryAdjustmentReason" => inventory
            .update_inventory_adjustment_reason(
                pb::UpdateInventoryAdjustmentReasonRequest::default(),
            )
            .await
            .map(drop),
        "DeleteInventoryAdjustmentReason" => inventory
            .delete_inventory_adjustment_reason(
                pb::DeleteInventoryAdjustmentReasonRequest::default(),
            )
            .await
            .map(drop),
        "RestoreInventoryAdjustmentReason" => inventory
            .restore_inventory_adjustment_reason(
                pb::RestoreInventoryAdjustmentReasonRequest::default(),
            )
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
        "CreateReservation" => reservations
            .create_reservation(pb::CreateReservationRequest::default())
            .await
            .map(drop),
        "CommitReservation" => reservations
            .commit_reservation(pb::CommitReservationRequest::default())
            .await
            .map(drop),
        "ReleaseReservation" => reservations
            .release_reservation(pb::ReleaseReservationRequest::default())
            .await
            .map(drop),
        "ExtendReservation" => reservations
            .extend_reservation(pb::ExtendReservationRequest::default())
            .await
            .map(drop),
        "GetReservation" => reservations
            .get_reservation(pb::GetReservationRequest::default())
            .await
            .map(drop),
        "ListReservations" => reservations
            .list_reservations(pb::ListReservationsRequest::default())
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
        "CreateWebhookSubscription" => webhooks
            .create_webhook_subscription(pb::CreateWebhookSubscriptionRequest::default())
            .await
            .map(drop),
        "GetWebhookSubscription" => webhooks
            .get_webhook_subscription(pb::GetWebhookSubscriptionRequest::default())
            .await
            .map(drop),
        "ListWebhookSubscriptions" => webhooks
            .list_webhook_subscriptions(pb::ListWebhookSubscriptionsRequest::default())
            .await
            .map(drop),
        "DeleteWebhookSubscription" => webhooks
            .delete_webhook_subscription(pb::DeleteWebhookSubscriptionRequest::default())
            .await
            .map(drop),
        "ReplayWebhookSubscription" => webhooks
            .replay_webhook_subscription(pb::ReplayWebhookSubscriptionRequest::default())
            .await
            .map(drop),
        other => panic!("no call for {other}"),
    }
}

on_both_backends!(every_rpc_needs_exactly_its_scope);
async fn every_rpc_needs_exactly_its_scope(server: TestServer) {
    // Every RPC the server serves is in the table, and the table names nothing else.
    let mut written: Vec<String> = REQUIRED_SCOPES.iter().map(|(p, _)| p.to_string()).collect();
    written.sort();
    written.dedup();
    assert_eq!(
        written.len(),
        REQUIRED_SCOPES.len(),
        "an RPC twice in REQUIRED_SCOPES"
    );
    let served = served_rpcs(&server).await;
    let missing: Vec<&String> = served.iter().filter(|p| !written.contains(p)).collect();
    let stale: Vec<&String> = written.iter().filter(|p| !served.contains(p)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "REQUIRED_SCOPES must name every served RPC exactly: served but not in it {missing:?}, \
         in it but not served {stale:?}"
    );

    for (path, name) in REQUIRED_SCOPES {
        let scope = Scope::parse(name).unwrap_or_else(|| panic!("{path}: no scope {name}"));
        let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != scope).collect();
        let without = server.clients(&server.token_for("m", &others, "no-scope").await);
        let err = call_error(call(&without, path).await.expect_err(path));
        assert_eq!(err.code, Code::PermissionDenied, "{path}: {}", err.message);
        assert_eq!(err.reason.as_deref(), Some("INSUFFICIENT_SCOPES"), "{path}");
        assert!(err.message.contains(name), "{path}: {}", err.message);

        let only = server.clients(&server.token_for("m", &[scope], "one-scope").await);
        if let Err(status) = call(&only, path).await {
            assert!(
                !matches!(
                    status.code(),
                    Code::PermissionDenied | Code::Unauthenticated
                ),
                "{path} refused with only {scope}: {status:?}"
            );
        }
    }
}

on_both_backends!(calls_without_a_valid_token_are_unauthenticated);
async fn calls_without_a_valid_token_are_unauthenticated(server: TestServer) {
    let mut anonymous = InventoryItemServiceClient::new(server.channel.clone());
    let missing = anonymous
        .list_inventory_items(pb::ListInventoryItemsRequest::default())
        .await;
    let err = assert_rejected(missing, Code::Unauthenticated, &[]);
    assert_eq!(err.reason.as_deref(), Some("UNAUTHORIZED"));

    let (id_part, secret) = common::token_parts(&server.token);
    let forged_secret = format!("{id_part}_{}", "A".repeat(43));
    let unknown_id = format!("slk_{}_{secret}", "0".repeat(32));
    let forged = [forged_secret.as_str(), unknown_id.as_str()];
    for bad in ["", "nonsense", "slk_abc_def"].into_iter().chain(forged) {
        let mut items = server.clients(bad).items;
        let result = items
            .list_inventory_items(pb::ListInventoryItemsRequest::default())
            .await;
        let err = assert_rejected(result, Code::Unauthenticated, &[]);
        assert_eq!(err.reason.as_deref(), Some("UNAUTHORIZED"), "{bad:?}");
        let echoed = !bad.is_empty() && err.message.contains(bad);
        assert!(!echoed, "the token is not echoed back");
    }
    // A wrong scheme is refused too.
    let basic = |mut request: tonic::Request<()>| {
        let credentials = "Basic dXNlcjpwYXNz".parse().unwrap();
        request.metadata_mut().insert("authorization", credentials);
        Ok(request)
    };
    let mut basic = LocationServiceClient::with_interceptor(server.channel.clone(), basic);
    let refused = basic
        .list_locations(pb::ListLocationsRequest::default())
        .await;
    let err = assert_rejected(refused, Code::Unauthenticated, &[]);
    assert_eq!(err.reason.as_deref(), Some("UNAUTHORIZED"));
}

on_both_backends!(a_revoked_token_stops_working_within_the_cache_lifetime);
async fn a_revoked_token_stops_working_within_the_cache_lifetime(server: TestServer) {
    let token = server.token_for("rev", &Scope::ALL, "Revocable").await;
    let clients = server.clients(&token);
    let mut locations = clients.locations.clone();
    let before = locations
        .list_locations(pb::ListLocationsRequest::default())
        .await;
    before.expect("works before revocation");
    let store = stockledger::store::Store::connect(&server.database_url)
        .await
        .unwrap();
    let id = stockledger::auth::token::parse(&token).unwrap().id;
    store.revoke_token(id).await.unwrap();
    let after = refused_after_revocation(&clients, "ListLocations").await;
    let err = assert_rejected(after, Code::Unauthenticated, &[]);
    assert!(err.message.contains("revoked"));
    assert_eq!(err.reason.as_deref(), Some("ACCESS_TOKEN_REVOKED"));
    let unknown = store.revoke_token("nope").await;
    assert!(matches!(
        unknown,
        Err(stockledger::store::StoreError::NotFound)
    ));
    store.close().await.ok();
}

on_both_backends!(merchants_never_see_each_other);
async fn merchants_never_see_each_other(mut a: TestServer) {
    let l = location(&mut a, "A-Shop").await;
    let i = item(&mut a, "SHARED-SKU").await;
    let l2 = location(&mut a, "A-Depot").await;
    let a_day = vec![
        adjust(&i, &l, S::None, S::InStock, "10"),
        count(&i, &l, S::Waste, "1"),
        transfer(&i, &l, &l2, "2"),
    ];
    let a_day = apply(&mut a, a_day).await;
    let ids: Vec<String> = a_day.changes.iter().map(change_id).collect();
    item(&mut a, "A-OTHER").await;
    let first_item = pb::ListInventoryItemsRequest {
        limit: 1,
        ..Default::default()
    };
    let a_cursor = a.items.list_inventory_items(first_item).await;
    let a_cursor = a_cursor.unwrap().into_inner().cursor;
    assert!(!a_cursor.is_empty());
    let first_change = pb::BatchRetrieveInventoryChangesRequest {
        limit: 1,
        ..Default::default()
    };
    let a_history = a.inventory.batch_retrieve_inventory_changes(first_change);
    let a_history = a_history.await.unwrap().into_inner().cursor;

    let mut b = a.clients(&a.token_for("merchant-b", &Scope::ALL, "B app").await);

    // B finds none of A's items, whether asked by id, in a list or through A's cursor.
    let id = pb::GetInventoryItemRequest { id: i.clone() };
    assert_rejected(
        b.items.get_inventory_item(id).await,
        Code::NotFound,
        &["id"],
    );
    let ids_of_a = pb::BatchGetInventoryItemsRequest {
        ids: vec![i.clone()],
    };
    let found = b.items.batch_get_inventory_items(ids_of_a).await.unwrap();
    assert!(found.into_inner().inventory_items.is_empty());
    let every_item = list_all(&mut b, pb::ListInventoryItemsRequest::default()).await;
    assert!(every_item.is_empty());
    let a_page = pb::ListInventoryItemsRequest::default().after(a_cursor);
    let a_page = b.items.list_inventory_items(a_page).await;
    assert_rejected(a_page, Code::InvalidArgument, &["cursor"]);
    let cost = pb::UpdateInventoryItemRequest {
        inventory_item: Some(pb::InventoryItem {
            id: i.clone(),
            cost: "1".into(),
            ..Default::default()
        }),
        update_mask: None,
    };
    let updated = b.items.update_inventory_item(cost).await;
    assert_rejected(updated, Code::NotFound, &["inventory_item.id"]);

    // Nor A's locations.
    let id = pb::GetLocationRequest { id: l.clone() };
    assert_rejected(b.locations.get_location(id).await, Code::NotFound, &["id"]);
    let every_location = list_all(&mut b, pb::ListLocationsRequest::default()).await;
    assert!(every_location.is_empty());
    let rename = pb::UpdateLocationRequest {
        location: Some(pb::Location {
            id: l.clone(),
            name: "Mine".into(),
            ..Default::default()
        }),
        update_mask: mask(&["name"]),
    };
    let renamed = b.locations.update_location(rename).await;
    assert_rejected(renamed, Code::NotFound, &["location.id"]);

    // Nor A's counts and history, and B cannot write to A's item and location.
    let receipt = adjust(&i, &l, S::None, S::InStock, "1");
    let err = assert_rejected(
        try_apply(&mut b, vec![receipt]).await,
        Code::InvalidArgument,
        &[
            "changes[0].adjustment.catalog_object_id",
            "changes[0].adjustment.location_id",
        ],
    );
    assert_eq!(err.reason.as_deref(), Some("NOT_FOUND"));
    assert_eq!(quantity(&mut b, &i, &l, S::InStock).await, None);
    let counts = list_all(&mut b, pb::BatchRetrieveInventoryCountsRequest::default());
    assert!(counts.await.is_empty());
    let changes = list_all(&mut b, pb::BatchRetrieveInventoryChangesRequest::default());
    assert!(changes.await.is_empty());
    let inventory = &mut b.inventory;
    let adjustment = pb::RetrieveInventoryAdjustmentRequest {
        adjustment_id: ids[0].clone(),
    };
    let adjustment = inventory.retrieve_inventory_adjustment(adjustment).await;
    assert_rejected(adjustment, Code::NotFound, &["adjustment_id"]);
    let physical_count = pb::RetrieveInventoryPhysicalCountRequest {
        physical_count_id: ids[1].clone(),
    };
    let physical_count = inventory.retrieve_inventory_physical_count(physical_count);
    assert_rejected(physical_count.await, Code::NotFound, &["physical_count_id"]);
    let transfer = pb::RetrieveInventoryTransferRequest {
        transfer_id: ids[2].clone(),
    };
    let transfer = inventory.retrieve_inventory_transfer(transfer).await;
    assert_rejected(transfer, Code::NotFound, &["transfer_id"]);
    let streamed = pb::StreamInventoryChangesRequest::default();
    let streamed = inventory.stream_inventory_changes(streamed).await.unwrap();
    let streamed: Vec<_> = streamed.into_inner().collect().await;
    assert!(streamed.is_empty());
    let a_page = pb::BatchRetrieveInventoryChangesRequest::default().after(a_history);
    let a_page = inventory.batch_retrieve_inventory_changes(a_page).await;
    assert_rejected(a_page, Code::InvalidArgument, &["cursor"]);

    // B's own world: the same SKU is free, and an idempotency key A used is B's to use.
    let b_item = item(&mut b, "SHARED-SKU").await;
    let b_loc = location(&mut b, "A-Shop").await;
    let a_request = batch(vec![adjust(&i, &l, S::None, S::InStock, "1")]);
    let a_batch = a.inventory.batch_change_inventory(a_request.clone()).await;
    a_batch.unwrap();
    let b_request = pb::BatchChangeInventoryRequest {
        changes: vec![adjust(&b_item, &b_loc, S::None, S::InStock, "5")],
        ..a_request
    };
    let b_result = b.inventory.batch_change_inventory(b_request).await.unwrap();
    assert_eq!(b_result.into_inner().counts[0].quantity, "5");
    // A's counts are untouched by B.
    assert_quantity(&mut a, &i, &l, S::InStock, Some("9")).await;
}

on_both_backends!(changes_are_attributed_to_the_tokens_application);
async fn changes_are_attributed_to_the_tokens_application(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "ATTR").await;
    let merchant = common::TEST_MERCHANT;
    let first = server.token_for(merchant, &[Scope::InventoryWrite], "POS Sync");
    let first = first.await;
    let second = server.token_for(merchant, &[Scope::InventoryWrite], "POS Sync");
    let second = second.await;
    let mut sources = Vec::new();
    for token in [first, second] {
        let mut change = adjust(&i, &l, S::None, S::InStock, "1");
        if let Some(Change::Adjustment(a)) = change.change.as_mut() {
            a.employee_id = "emp-42".into();
        }
        let mut inventory = server.clients(&token).inventory;
        let response = inventory.batch_change_inventory(batch(vec![change])).await;
        let a = only_adjustment(response.unwrap().into_inner());
        assert_eq!(a.employee_id, "emp-42");
        sources.push(a.source.unwrap());
    }
    assert_eq!(sources[0].name, "POS Sync");
    assert_eq!(sources[0].product(), pb::Product::ExternalApi);
    assert!(!sources[0].application_id.is_empty());
    let shared = "tokens of one application share its id";
    assert_eq!(sources[0], sources[1], "{shared}");
    let own = apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "1")]).await;
    let source = only_adjustment(own).source.unwrap();
    assert_eq!(source.name, "Test application");
}

/// The adjustment a one-adjustment batch recorded.
fn only_adjustment(response: pb::BatchChangeInventoryResponse) -> pb::InventoryAdjustment {
    match response.changes.into_iter().next().and_then(|c| c.change) {
        Some(Change::Adjustment(a)) => a,
        other => panic!("not an adjustment: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_cli_dev_token_and_logs_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display());
    let port = free_port();
    let mut command = serve(&url, port);
    command
        .args(["--shutdown-grace-seconds", "2"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let served = ServeProcess::spawn(command, port);

    let create = |scopes| {
        let app = ["--app-name", "Acme sync"];
        let args = ["token", "create", "--merchant", "acme", "--scopes", scopes];
        run(&[&args[..], &app[..]].concat(), &url)
    };
    let created = create("ITEMS_READ,ITEMS_WRITE");
    let stderr = String::from_utf8_lossy(&created.stderr);
    assert!(created.status.success(), "{stderr}");
    let stdout = String::from_utf8(created.stdout).unwrap();
    let token = stdout.trim().to_owned();
    assert_eq!(stdout, format!("{token}\n"), "the token is alone on stdout");
    assert!(!create("ROOT").status.success());

    let channel = served.channel().await;
    let mut clients = Clients::new(&channel, &token);
    let logged = pb::CreateInventoryItemRequest {
        inventory_item: Some(pb::InventoryItem {
            sku: "LOGGED?".into(),
            ..Default::default()
        }),
    };
    clients.items.create_inventory_item(logged).await.unwrap();
    let refused = clients
        .locations
        .list_locations(pb::ListLocationsRequest::default())
        .await;
    assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied);
    let (id_part, secret) = common::token_parts(&token);
    let forged = format!("{id_part}_{}", "B".repeat(43));
    let mut forged_items = Clients::new(&channel, &forged).items;
    let forged_list = forged_items
        .list_inventory_items(pb::ListInventoryItemsRequest::default())
        .await;
    assert_eq!(forged_list.unwrap_err().code(), Code::Unauthenticated);

    let listed = String::from_utf8(run(&["token", "list"], &url).stdout).unwrap();
    let id = stockledger::auth::token::parse(&token).unwrap().id;
    assert!(
        listed.contains(id) && listed.contains("Acme sync"),
        "{listed}"
    );
    assert!(listed.contains("Development token"), "{listed}");
    assert!(!listed.contains(secret));
    assert!(run(&["token", "revoke", id], &url).status.success());
    let revoked = refused_after_revocation(&clients, "ListInventoryItems").await;
    assert_eq!(revoked.unwrap_err().code(), Code::Unauthenticated);
    drop((clients, forged_items, channel));

    let ended = served.terminate().await;
    assert!(ended.status.success(), "exit status {}", ended.status);
    let (stdout, stderr) = (ended.stdout, ended.stderr);

    // The first start printed a development token once, with a grpcurl line, on stdout only.
    let dev_line = stdout
        .lines()
        .find(|l| l.contains("export STOCKLEDGER_TOKEN="))
        .expect("dev token printed");
    let dev_token = dev_line.split('=').nth(1).unwrap().trim();
    assert!(stockledger::auth::token::parse(dev_token).is_some());
    let grpcurl = "grpcurl -plaintext -H \"authorization: Bearer $STOCKLEDGER_TOKEN\"";
    assert!(stdout.contains(grpcurl), "{stdout}");
    let dev_secret = common::token_parts(dev_token).1;
    assert!(stderr.contains("grpc"), "trace logs were captured");
    for secret in [secret, dev_secret, &"B".repeat(43)] {
        let leaked = stderr.contains(secret);
        assert!(!leaked, "a token secret reached the log");
    }

    // A second start on the same database prints no new token.
    let second = start_and_stop(&url, &[]).await;
    assert!(!second.contains("STOCKLEDGER_TOKEN"), "{second}");
}

/// Starts `serve` on `url` with `extra` arguments, stops it with SIGTERM, returns its stdout.
async fn start_and_stop(url: &str, extra: &[&str]) -> String {
    let port = free_port();
    let mut command = serve(url, port);
    command.args(extra).stdout(Stdio::piped());
    ServeProcess::spawn(command, port).terminate().await.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_dev_token_flag_keeps_a_fresh_database_closed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("closed.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let out = start_and_stop(&url, &["--no-dev-token"]).await;
    assert!(!out.contains("STOCKLEDGER_TOKEN"));
    let listed = String::from_utf8(run(&["token", "list"], &url).stdout).unwrap();
    assert_eq!(listed.lines().count(), 1, "only the header: {listed}");
}
