//! Guarded changes end to end (docs/ledger.md, "Guarded changes"): `expected_quantity`
//! (compare-and-swap) and `forbid_negative_counts` (per batch, or a location's default),
//! through real servers on both backends — including the races they exist for: the last
//! units bought by many buyers at once through two server processes, and read → set
//! loops that must lose no update.

mod common;

use std::collections::HashMap;

use common::ledger::{adjust, apply, assert_verified, batch, count, quantity, shop_and_item};
use common::load::{Fleet, assert_verify_passes};
use common::{Backend, Clients, TestServer, assert_rejected, call_error, mask};
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, ImportInventoryChangesRequest, InventoryChange, InventoryState,
    Location, UpdateLocationRequest,
};
use tonic::Code;
use tonic_types::StatusExt;

use InventoryState::{InStock, None as NoState, Sold, UnlinkedReturn};

fn expecting(mut change: InventoryChange, expected: &str) -> InventoryChange {
    change.expected_quantity = Some(expected.into());
    change
}

fn sale(item: &str, shop: &str, quantity: &str) -> InventoryChange {
    adjust(item, shop, InStock, Sold, quantity)
}

fn receipt(item: &str, shop: &str, quantity: &str) -> InventoryChange {
    adjust(item, shop, NoState, InStock, quantity)
}

fn forbidding(changes: Vec<InventoryChange>, forbid: Option<bool>) -> BatchChangeInventoryRequest {
    BatchChangeInventoryRequest {
        forbid_negative_counts: forbid,
        ..batch(changes)
    }
}

/// A guard's refusal: FAILED_PRECONDITION with `reason`, naming `field`; returns the
/// ErrorInfo metadata.
#[track_caller]
fn assert_guarded<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    reason: &str,
    field: &str,
) -> HashMap<String, String> {
    let status = result.expect_err("the guard should refuse the batch");
    let metadata = status
        .get_details_error_info()
        .map(|info| info.metadata)
        .unwrap_or_default();
    let err = call_error(status);
    assert_eq!(err.code, Code::FailedPrecondition, "{}", err.message);
    assert_eq!(err.reason.as_deref(), Some(reason), "{}", err.message);
    assert_eq!(err.fields, [field], "{}", err.message);
    assert_eq!(metadata.get("field").map(String::as_str), Some(field));
    metadata
}

async fn in_stock(clients: &mut Clients, item: &str, shop: &str) -> Option<String> {
    quantity(clients, item, shop, InStock).await
}

on_both_backends!(expected_quantities_guard_every_kind_of_change);
async fn expected_quantities_guard_every_kind_of_change(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "MUG").await;
    // "Must not exist": the first receipt of a count.
    apply(
        &mut server,
        vec![expecting(receipt(&item, &shop, "10"), "ABSENT")],
    )
    .await;
    let again = server
        .inventory
        .batch_change_inventory(batch(vec![expecting(receipt(&item, &shop, "1"), "ABSENT")]))
        .await;
    let metadata = assert_guarded(again, "QUANTITY_MISMATCH", "changes[0].expected_quantity");
    assert_eq!(metadata["actual_quantity"], "10");
    assert_eq!(metadata["catalog_object_id"], item);
    assert_eq!(metadata["location_id"], shop);
    assert_eq!(metadata["state"], "IN_STOCK");

    // A stale expectation on the second change refuses the whole batch.
    let stale = server
        .inventory
        .batch_change_inventory(batch(vec![
            expecting(sale(&item, &shop, "1"), "10"),
            expecting(sale(&item, &shop, "1"), "10"),
        ]))
        .await;
    let metadata = assert_guarded(stale, "QUANTITY_MISMATCH", "changes[1].expected_quantity");
    assert_eq!(
        metadata["actual_quantity"], "9",
        "as the first change left it"
    );
    assert_eq!(
        in_stock(&mut server, &item, &shop).await.as_deref(),
        Some("10")
    );

    // Compare-and-swap on a physical count, and on a sale, each seeing the one before.
    apply(
        &mut server,
        vec![
            expecting(count(&item, &shop, InStock, "7.5"), "10"),
            expecting(sale(&item, &shop, "0.5"), "7.5"),
        ],
    )
    .await;
    assert_eq!(
        in_stock(&mut server, &item, &shop).await.as_deref(),
        Some("7")
    );

    // Zero is not absent: a count that exists at 0 is not ABSENT, and an absent one is not 0.
    apply(
        &mut server,
        vec![expecting(count(&item, &shop, InStock, "0"), "7")],
    )
    .await;
    let absent = server
        .inventory
        .batch_change_inventory(batch(vec![expecting(receipt(&item, &shop, "1"), "ABSENT")]))
        .await;
    let metadata = assert_guarded(absent, "QUANTITY_MISMATCH", "changes[0].expected_quantity");
    assert_eq!(metadata["actual_quantity"], "0");
    let other = common::ledger::location(&mut server, "Back room").await;
    let zero = server
        .inventory
        .batch_change_inventory(batch(vec![expecting(receipt(&item, &other, "1"), "0")]))
        .await;
    let metadata = assert_guarded(zero, "QUANTITY_MISMATCH", "changes[0].expected_quantity");
    assert_eq!(metadata["actual_quantity"], "ABSENT");
    assert_verified(&server).await;
}

on_both_backends!(negative_counts_can_be_forbidden_per_batch_or_per_location);
async fn negative_counts_can_be_forbidden_per_batch_or_per_location(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "MUG").await;
    apply(&mut server, vec![receipt(&item, &shop, "10")]).await;
    let oversell = forbidding(
        vec![sale(&item, &shop, "4"), sale(&item, &shop, "7")],
        Some(true),
    );
    let refused = server
        .inventory
        .batch_change_inventory(oversell.clone())
        .await;
    let metadata = assert_guarded(
        refused,
        "INSUFFICIENT_QUANTITY",
        "changes[1].adjustment.quantity",
    );
    assert_eq!(metadata["available_quantity"], "6");
    assert_eq!(
        in_stock(&mut server, &item, &shop).await.as_deref(),
        Some("10")
    );

    // A retry with the same key answers the same refusal, even once the stock is there.
    apply(&mut server, vec![receipt(&item, &shop, "5")]).await;
    let retried = server.inventory.batch_change_inventory(oversell).await;
    let metadata = assert_guarded(
        retried,
        "INSUFFICIENT_QUANTITY",
        "changes[1].adjustment.quantity",
    );
    assert_eq!(metadata["available_quantity"], "6");
    assert_eq!(
        in_stock(&mut server, &item, &shop).await.as_deref(),
        Some("15")
    );

    // Without the guard, counts record reality and may go negative.
    apply(&mut server, vec![sale(&item, &shop, "16")]).await;
    assert_eq!(
        in_stock(&mut server, &item, &shop).await.as_deref(),
        Some("-1")
    );

    // A location that forbids negative counts by default; a batch may still allow them.
    let updated = server
        .locations
        .update_location(UpdateLocationRequest {
            location: Some(Location {
                id: shop.clone(),
                forbid_negative_counts: true,
                ..Location::default()
            }),
            update_mask: mask(&["forbid_negative_counts"]),
        })
        .await
        .expect("update location")
        .into_inner()
        .location
        .expect("location");
    assert!(updated.forbid_negative_counts);
    let refused = server
        .inventory
        .batch_change_inventory(batch(vec![sale(&item, &shop, "1")]))
        .await;
    let metadata = assert_guarded(
        refused,
        "INSUFFICIENT_QUANTITY",
        "changes[0].adjustment.quantity",
    );
    assert_eq!(metadata["available_quantity"], "-1");
    // Rising while below zero is allowed, so is a batch that says so.
    apply(&mut server, vec![receipt(&item, &shop, "0.5")]).await;
    let allowed = forbidding(vec![sale(&item, &shop, "1")], Some(false));
    server
        .inventory
        .batch_change_inventory(allowed)
        .await
        .expect("the batch allows negative counts");
    assert_eq!(
        in_stock(&mut server, &item, &shop).await.as_deref(),
        Some("-1.5")
    );
    assert_verified(&server).await;
}

on_both_backends!(bad_guards_are_refused_naming_the_field);
async fn bad_guards_are_refused_naming_the_field(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "MUG").await;
    let cases = [
        (
            expecting(sale(&item, &shop, "1"), "ten"),
            Code::InvalidArgument,
        ),
        (
            expecting(sale(&item, &shop, "1"), ""),
            Code::InvalidArgument,
        ),
        (
            expecting(sale(&item, &shop, "1"), "1.000001"),
            Code::InvalidArgument,
        ),
        (
            expecting(sale(&item, &shop, "1"), "1000000000000.1"),
            Code::InvalidArgument,
        ),
        (
            expecting(adjust(&item, &shop, Sold, UnlinkedReturn, "1"), "1"),
            Code::InvalidArgument,
        ),
    ];
    for (change, code) in cases {
        let refused = server
            .inventory
            .batch_change_inventory(batch(vec![change]))
            .await;
        assert_rejected(refused, code, &["changes[0].expected_quantity"]);
    }
    // An import records history as it was: it takes no guard.
    let message = ImportInventoryChangesRequest {
        changes: vec![expecting(receipt(&item, &shop, "1"), "ABSENT")],
        source: None,
    };
    let imported = server
        .inventory
        .import_inventory_changes(tokio_stream::iter(vec![message]))
        .await
        .expect("import answers")
        .into_inner();
    assert_eq!((imported.applied, imported.refused), (0, 1));
    assert_eq!(imported.refused_changes[0].field, "expected_quantity");
    assert_eq!(in_stock(&mut server, &item, &shop).await, None);
}

/// Buyers at once, each buying one of the last units with the guard on.
const BUYERS: usize = 64;
/// The units there are.
const UNITS: usize = 10;

async fn last_units_go_to_exactly_as_many_buyers(backend: Backend, replicas: usize) {
    let fleet = Fleet::start(backend, replicas).await;
    let mut clients = fleet.clients(0).await;
    let (shop, item) = shop_and_item(&mut clients, "LAST").await;
    apply(
        &mut clients,
        vec![receipt(&item, &shop, &UNITS.to_string())],
    )
    .await;
    let mut buyers = tokio::task::JoinSet::new();
    for buyer in 0..BUYERS {
        let mut clients = fleet.clients(buyer % replicas).await;
        let request = forbidding(vec![sale(&item, &shop, "1")], Some(true));
        buyers.spawn(async move { clients.inventory.batch_change_inventory(request).await });
    }
    let (mut sold, mut refused) = (0, 0);
    while let Some(outcome) = buyers.join_next().await {
        match outcome.expect("buyer task") {
            Ok(_) => sold += 1,
            Err(status) => {
                let err = call_error(status);
                assert_eq!(
                    (err.code, err.reason.as_deref()),
                    (Code::FailedPrecondition, Some("INSUFFICIENT_QUANTITY")),
                    "{}",
                    err.message
                );
                refused += 1;
            }
        }
    }
    println!(
        "guards::{backend:?}: {BUYERS} buyers of {UNITS} units through {replicas} \
         process(es): {sold} sold, {refused} refused"
    );
    assert_eq!((sold, refused), (UNITS, BUYERS - UNITS));
    assert_eq!(
        in_stock(&mut clients, &item, &shop).await.as_deref(),
        Some("0")
    );
    assert_verify_passes(&fleet.database_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_units_race_sqlite() {
    last_units_go_to_exactly_as_many_buyers(Backend::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_units_race_postgres_two_processes() {
    last_units_go_to_exactly_as_many_buyers(Backend::Postgres, 2).await;
}

/// Writers at once, each setting the count by compare-and-swap in a read → set loop.
const SETTERS: usize = 16;
/// Accepted sets per writer.
const SETS_EACH: usize = 5;

async fn compare_and_swap_loses_no_update(backend: Backend, replicas: usize) {
    let fleet = Fleet::start(backend, replicas).await;
    let mut clients = fleet.clients(0).await;
    let (shop, item) = shop_and_item(&mut clients, "CAS").await;
    apply(&mut clients, vec![receipt(&item, &shop, "1000")]).await;
    let mut setters = tokio::task::JoinSet::new();
    for setter in 0..SETTERS {
        let mut clients = fleet.clients(setter % replicas).await;
        let (shop, item) = (shop.clone(), item.clone());
        setters.spawn(async move {
            // Each writer adds its own delta (setter + 1 hundredths) per accepted set.
            let delta = rust_decimal::Decimal::new(setter as i64 + 1, 2);
            let (mut accepted, mut mismatches) = (rust_decimal::Decimal::ZERO, 0);
            let mut done = 0;
            while done < SETS_EACH {
                let seen = in_stock(&mut clients, &item, &shop).await.expect("a count");
                let next = seen.parse::<rust_decimal::Decimal>().unwrap() + delta;
                let set = expecting(count(&item, &shop, InStock, &next.to_string()), &seen);
                match clients
                    .inventory
                    .batch_change_inventory(batch(vec![set]))
                    .await
                {
                    Ok(_) => {
                        accepted += delta;
                        done += 1;
                    }
                    Err(status) => {
                        let err = call_error(status);
                        assert_eq!(err.reason.as_deref(), Some("QUANTITY_MISMATCH"));
                        mismatches += 1;
                    }
                }
            }
            (accepted, mismatches)
        });
    }
    let (mut total, mut mismatches) = (rust_decimal::Decimal::from(1000), 0);
    while let Some(outcome) = setters.join_next().await {
        let (accepted, missed) = outcome.expect("setter task");
        total += accepted;
        mismatches += missed;
    }
    println!(
        "guards::{backend:?}: {SETTERS} compare-and-swap writers through {replicas} \
         process(es): {} sets accepted, {mismatches} refused as stale",
        SETTERS * SETS_EACH
    );
    let stored = in_stock(&mut clients, &item, &shop).await.expect("a count");
    assert_eq!(stored.parse::<rust_decimal::Decimal>().unwrap(), total);
    assert_verify_passes(&fleet.database_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_race_sqlite() {
    compare_and_swap_loses_no_update(Backend::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_race_postgres_two_processes() {
    compare_and_swap_loses_no_update(Backend::Postgres, 2).await;
}
