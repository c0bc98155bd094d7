//! Ledger requests and calls shared by the tests: the shop to work in, changes and batches,
//! counts and history, and the check that every count equals its history.

use prost_types::Timestamp;
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchChangeInventoryResponse,
    BatchRetrieveInventoryChangesRequest, CreateInventoryItemRequest, CreateLocationRequest,
    InventoryAdjustment, InventoryChange, InventoryItem, InventoryPhysicalCount, InventoryState,
    InventoryTransfer, Location, RetrieveInventoryCountRequest, inventory_change::Change,
};

use super::{Clients, TestServer};

/// Now, in microseconds since the epoch.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as i64
}

/// A timestamp `minutes` after one hour ago (so 0..60 are all in the accepted window).
pub fn at_minute(base: i64, minutes: i64) -> Option<Timestamp> {
    let micros = base + minutes * 60_000_000;
    Some(Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    })
}

/// Creates a location and returns its id.
pub async fn location(clients: &mut Clients, name: &str) -> String {
    clients
        .locations
        .create_location(CreateLocationRequest {
            location: Some(Location {
                name: name.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("create location")
        .into_inner()
        .location
        .expect("location")
        .id
}

/// Creates a tracked item and returns its id.
pub async fn item(clients: &mut Clients, sku: &str) -> String {
    clients
        .items
        .create_inventory_item(CreateInventoryItemRequest {
            inventory_item: Some(InventoryItem {
                sku: sku.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("create item")
        .into_inner()
        .inventory_item
        .expect("item")
        .id
}

/// Creates a location named "Shop" and an item with `sku`: (location id, item id).
pub async fn shop_and_item(clients: &mut Clients, sku: &str) -> (String, String) {
    let shop = location(clients, "Shop").await;
    (shop, item(clients, sku).await)
}

/// Creates locations named "A" and "B" and an item with `sku`: (A's id, B's id, item id).
pub async fn two_locations_and_item(clients: &mut Clients, sku: &str) -> (String, String, String) {
    let a = location(clients, "A").await;
    let b = location(clients, "B").await;
    (a, b, item(clients, sku).await)
}

/// An adjustment of `quantity` from one state to another.
pub fn adjust(
    item: &str,
    location: &str,
    from: InventoryState,
    to: InventoryState,
    quantity: &str,
) -> InventoryChange {
    InventoryChange {
        expected_quantity: None,
        r#type: 0,
        change: Some(Change::Adjustment(InventoryAdjustment {
            catalog_object_id: item.into(),
            location_id: location.into(),
            from_state: from.into(),
            to_state: to.into(),
            quantity: quantity.into(),
            ..Default::default()
        })),
    }
}

/// A receipt (NONE → IN_STOCK) of one unit that occurred at `when`.
pub fn receipt_at(item: &str, location: &str, when: Option<Timestamp>) -> InventoryChange {
    at(
        adjust(
            item,
            location,
            InventoryState::None,
            InventoryState::InStock,
            "1",
        ),
        when,
    )
}

/// A physical count.
pub fn count(item: &str, location: &str, state: InventoryState, quantity: &str) -> InventoryChange {
    InventoryChange {
        expected_quantity: None,
        r#type: 0,
        change: Some(Change::PhysicalCount(InventoryPhysicalCount {
            catalog_object_id: item.into(),
            location_id: location.into(),
            state: state.into(),
            quantity: quantity.into(),
            ..Default::default()
        })),
    }
}

/// A transfer of IN_STOCK between two locations.
pub fn transfer(item: &str, from: &str, to: &str, quantity: &str) -> InventoryChange {
    InventoryChange {
        expected_quantity: None,
        r#type: 0,
        change: Some(Change::Transfer(InventoryTransfer {
            catalog_object_id: item.into(),
            from_location_id: from.into(),
            to_location_id: to.into(),
            state: InventoryState::InStock.into(),
            quantity: quantity.into(),
            ..Default::default()
        })),
    }
}

/// The same change with `occurred_at` set.
pub fn at(mut change: InventoryChange, occurred_at: Option<Timestamp>) -> InventoryChange {
    match change.change.as_mut().expect("member") {
        Change::Adjustment(a) => a.occurred_at = occurred_at,
        Change::PhysicalCount(c) => c.occurred_at = occurred_at,
        Change::Transfer(t) => t.occurred_at = occurred_at,
    }
    change
}

/// The id of a change, whatever its kind.
pub fn change_id(change: &InventoryChange) -> String {
    match change.change.as_ref().expect("member") {
        Change::Adjustment(a) => a.id.clone(),
        Change::PhysicalCount(c) => c.id.clone(),
        Change::Transfer(t) => t.id.clone(),
    }
}

/// A batch with a fresh idempotency key.
pub fn batch(changes: Vec<InventoryChange>) -> BatchChangeInventoryRequest {
    BatchChangeInventoryRequest {
        forbid_negative_counts: None,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        changes,
        ignore_unchanged_counts: None,
    }
}

/// Sends `changes` as one batch.
pub async fn try_apply(
    clients: &mut Clients,
    changes: Vec<InventoryChange>,
) -> Result<BatchChangeInventoryResponse, tonic::Status> {
    let response = clients
        .inventory
        .batch_change_inventory(batch(changes))
        .await?;
    Ok(response.into_inner())
}

/// Applies a batch, panicking on failure.
pub async fn apply(
    clients: &mut Clients,
    changes: Vec<InventoryChange>,
) -> BatchChangeInventoryResponse {
    try_apply(clients, changes).await.expect("batch applied")
}

/// The first page of the history `request` asks for.
pub async fn history(
    clients: &mut Clients,
    request: BatchRetrieveInventoryChangesRequest,
) -> Vec<InventoryChange> {
    let page = clients
        .inventory
        .batch_retrieve_inventory_changes(request)
        .await;
    page.expect("BatchRetrieveInventoryChanges")
        .into_inner()
        .changes
}

/// The current quantity of (item, location, state), `None` if never counted.
pub async fn quantity(
    clients: &mut Clients,
    item: &str,
    location: &str,
    state: InventoryState,
) -> Option<String> {
    let counts = clients
        .inventory
        .retrieve_inventory_count(RetrieveInventoryCountRequest {
            catalog_object_id: item.into(),
            location_ids: vec![location.into()],
            ..Default::default()
        })
        .await
        .expect("retrieve count")
        .into_inner()
        .counts;
    counts
        .into_iter()
        .find(|c| c.state() == state)
        .map(|c| c.quantity)
}

/// Asserts the current quantity of (item, location, state): `None` if never counted.
#[track_caller]
pub fn assert_quantity<'a>(
    clients: &'a mut Clients,
    item: &'a str,
    location: &'a str,
    state: InventoryState,
    expected: Option<&'a str>,
) -> impl std::future::Future<Output = ()> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let actual = quantity(clients, item, location, state).await;
        assert_eq!(
            actual.as_deref(),
            expected,
            "{state:?} (asserted at {caller})"
        );
    }
}

/// Asserts that `stockledger verify`'s checks (counts and checkpoints) find no difference.
pub async fn assert_verified(server: &TestServer) {
    let store = stockledger::store::Store::connect(&server.database_url)
        .await
        .expect("connect");
    let differences = store.verify_counts().await.expect("verify");
    assert!(
        differences.is_empty(),
        "counts differ from history: {differences:?}"
    );
    let checkpoints = store
        .verify_checkpoints()
        .await
        .expect("verify checkpoints");
    assert!(
        checkpoints.is_empty(),
        "checkpoints differ from history: {checkpoints:?}"
    );
    store.close().await.ok();
}

/// The export directories of one round trip: the server's merchant exported, imported into
/// a fresh database of the same backend (which `verify` accepts), and exported again.
pub struct RoundTrip {
    /// The first export.
    pub first: std::path::PathBuf,
    /// The export of the database the first one was imported into.
    pub second: std::path::PathBuf,
}

/// Runs `stockledger`, panicking with its output unless it succeeds.
fn succeed(args: &[&str], database_url: &str) {
    let out = super::process::run(args, database_url);
    assert!(
        out.status.success(),
        "{args:?}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exports the test merchant of `server` in `format` under `dir`, imports its items,
/// locations and changes into a fresh database, verifies it, and exports that one too.
pub async fn export_import_round_trip(
    server: &TestServer,
    dir: &std::path::Path,
    format: &str,
) -> RoundTrip {
    let backend = if server.database_url.starts_with("sqlite") {
        super::Backend::Sqlite
    } else {
        super::Backend::Postgres
    };
    let export = |url: &str, out: &std::path::Path| {
        let out = out.display().to_string();
        let merchant = super::TEST_MERCHANT;
        succeed(
            &[
                "export",
                "--merchant",
                merchant,
                "--format",
                format,
                "--out",
                &out,
            ],
            url,
        );
    };
    let first = dir.join(format!("first-{format}"));
    export(&server.database_url, &first);
    let (second_url, _second_dir) = super::fresh_database(backend).await;
    let files: Vec<String> = ["items", "locations", "changes"]
        .iter()
        .map(|k| first.join(format!("{k}.{format}")).display().to_string())
        .collect();
    let mut args = vec!["import", "--merchant", super::TEST_MERCHANT];
    args.extend(files.iter().map(String::as_str));
    succeed(&args, &second_url);
    succeed(&["verify"], &second_url);
    let second = dir.join(format!("second-{format}"));
    export(&second_url, &second);
    RoundTrip { first, second }
}
