//! BatchChangeInventory end to end: count rules, state rules, quantities, time window,
//! atomicity, idempotency and concurrency, on SQLite and PostgreSQL.

mod common;

use common::ledger::*;
use common::process::stockledger;
use common::{TestServer, UNKNOWN_ID, assert_rejected, call_error};
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchRetrieveInventoryChangesRequest, InventoryChange,
    InventoryChangeType, InventoryItem, InventoryState as S, Location, LocationStatus, Product,
    UpdateInventoryItemRequest, UpdateLocationRequest, inventory_change::Change,
};
use tonic::Code;

/// The seed's day for `item` at `location`: 100 received, 3 then 1 sold, 2 wasted.
fn seed_day(item: &str, location: &str) -> Vec<InventoryChange> {
    vec![
        adjust(item, location, S::None, S::InStock, "100"),
        adjust(item, location, S::InStock, S::Sold, "3"),
        adjust(item, location, S::InStock, S::Sold, "1"),
        adjust(item, location, S::InStock, S::Waste, "2"),
    ]
}

on_both_backends!(the_seed_day_ends_at_93);
async fn the_seed_day_ends_at_93(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "MUG").await;
    let response = apply(&mut server, seed_day(&i, &l)).await;
    let quantities: Vec<(S, &str)> = response
        .counts
        .iter()
        .map(|c| (c.state(), c.quantity.as_str()))
        .collect();
    assert_eq!(quantities, [(S::InStock, "94"), (S::Waste, "2")]);
    assert_eq!(response.changes.len(), 4);
    for change in &response.changes {
        let Some(Change::Adjustment(a)) = &change.change else {
            panic!("an adjustment answers an adjustment: {change:?}")
        };
        assert!(!a.id.is_empty() && a.created_at.is_some());
        assert_eq!(a.source.as_ref().unwrap().product(), Product::ExternalApi);
        let kind = change.r#type();
        assert_eq!(kind, InventoryChangeType::Adjustment, "type is filled in");
    }
    apply(&mut server, vec![count(&i, &l, S::InStock, "93")]).await;
    assert_quantity(&mut server, &i, &l, S::InStock, Some("93")).await;
    assert_quantity(&mut server, &i, &l, S::Waste, Some("2")).await;
    assert_verified(&server).await;
}

on_both_backends!(squares_timeline_keeps_95_then_93);
async fn squares_timeline_keeps_95_then_93(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "TEE").await;
    let base = now_micros() - 3_600_000_000; // 13:00 is an hour ago
    let at_13 = |minute| at_minute(base, minute);
    let receipt = at(adjust(&i, &l, S::None, S::InStock, "100"), at_13(0));
    apply(&mut server, vec![receipt]).await;
    let sale = at(adjust(&i, &l, S::InStock, S::Sold, "3"), at_13(10));
    apply(&mut server, vec![sale]).await;
    assert_quantity(&mut server, &i, &l, S::InStock, Some("97")).await;
    let physical = at(count(&i, &l, S::InStock, "95"), at_13(30));
    apply(&mut server, vec![physical]).await;
    let late_sale = at(adjust(&i, &l, S::InStock, S::Sold, "2"), at_13(20));
    let late = apply(&mut server, vec![late_sale]).await;
    assert_eq!(
        late.counts[0].quantity, "95",
        "a sale older than the physical count does not move the count"
    );
    let waste = at(adjust(&i, &l, S::InStock, S::Waste, "2"), at_13(40));
    apply(&mut server, vec![waste]).await;
    assert_quantity(&mut server, &i, &l, S::InStock, Some("93")).await;

    let of_item = BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: vec![i.clone()],
        ..Default::default()
    };
    let history = history(&mut server, of_item).await;
    assert_eq!(history.len(), 5, "the late sale is recorded in history");
    let kinds: Vec<i32> = history.iter().map(|c| c.r#type).collect();
    assert_eq!(
        kinds,
        [1, 1, 1, 2, 1],
        "history is in occurred_at order: the 13:20 sale sits before the 13:30 count"
    );
    assert_verified(&server).await;
}

on_both_backends!(a_late_physical_count_recomputes_from_the_changes_after_it);
async fn a_late_physical_count_recomputes_from_the_changes_after_it(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "CAP").await;
    let base = now_micros() - 3_600_000_000;
    let minute = |minute| at_minute(base, minute);
    let changes = vec![
        at(adjust(&i, &l, S::None, S::InStock, "10"), minute(10)),
        at(adjust(&i, &l, S::None, S::InStock, "5"), minute(50)),
        at(adjust(&i, &l, S::InStock, S::Sold, "1.5"), minute(55)),
    ];
    apply(&mut server, changes).await;
    assert_quantity(&mut server, &i, &l, S::InStock, Some("13.5")).await;
    let late_count = at(count(&i, &l, S::InStock, "100"), minute(40));
    apply(&mut server, vec![late_count]).await;
    assert_quantity(&mut server, &i, &l, S::InStock, Some("103.5")).await;
    // An older physical count than the current anchor is history only.
    let older_count = at(count(&i, &l, S::InStock, "7"), minute(20));
    apply(&mut server, vec![older_count]).await;
    assert_quantity(&mut server, &i, &l, S::InStock, Some("103.5")).await;
    assert_verified(&server).await;
}

on_both_backends!(ties_in_occurred_at_break_by_arrival);
async fn ties_in_occurred_at_break_by_arrival(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "TIE").await;
    let when = at_minute(now_micros() - 600_000_000, 0);
    let arrivals = [
        adjust(&i, &l, S::None, S::InStock, "4"),
        count(&i, &l, S::InStock, "10"),
        adjust(&i, &l, S::None, S::InStock, "1"),
    ];
    for change in arrivals {
        apply(&mut server, vec![at(change, when)]).await;
    }
    assert_quantity(&mut server, &i, &l, S::InStock, Some("11")).await;
    assert_verified(&server).await;
}

on_both_backends!(transfers_move_stock_between_locations);
async fn transfers_move_stock_between_locations(mut server: TestServer) {
    let a = location(&mut server, "Warehouse").await;
    let (b, i) = shop_and_item(&mut server, "BOX").await;
    apply(&mut server, vec![adjust(&i, &a, S::None, S::InStock, "50")]).await;
    let moved = apply(&mut server, vec![transfer(&i, &a, &b, "12.25")]).await;
    let mut quantities: Vec<(&str, &str)> = moved
        .counts
        .iter()
        .map(|c| (c.location_id.as_str(), c.quantity.as_str()))
        .collect();
    quantities.sort();
    let mut expected = vec![(a.as_str(), "37.75"), (b.as_str(), "12.25")];
    expected.sort();
    assert_eq!(quantities, expected);
    let same = try_apply(&mut server, vec![transfer(&i, &a, &a, "1")]).await;
    let to_location = "changes[0].transfer.to_location_id";
    assert_rejected(same, Code::InvalidArgument, &[to_location]);
    assert_verified(&server).await;
}

on_both_backends!(state_rules_name_the_offending_change);
async fn state_rules_name_the_offending_change(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "X").await;
    let receive = |quantity| adjust(&i, &l, S::None, S::InStock, quantity);
    let from_stock = |to| adjust(&i, &l, S::InStock, to, "1");
    let to_stock = |from| adjust(&i, &l, from, S::InStock, "1");
    let adjustment = |field| format!("changes[1].adjustment.{field}");
    let counted = |field| format!("changes[1].physical_count.{field}");
    let cases: Vec<(InventoryChange, String)> = vec![
        (from_stock(S::None), adjustment("to_state")),
        (from_stock(S::InStock), adjustment("to_state")),
        (to_stock(S::Custom), adjustment("from_state")),
        (from_stock(S::ReservedForSale), adjustment("to_state")),
        (to_stock(S::Unspecified), adjustment("from_state")),
        (count(&i, &l, S::Sold, "1"), counted("state")),
        (count(&i, &l, S::InStock, "-1"), counted("quantity")),
        (receive("0"), adjustment("quantity")),
        (receive("-2"), adjustment("quantity")),
        (receive("1.000001"), adjustment("quantity")),
        (receive("1e2"), adjustment("quantity")),
        (receive("1000000000.1"), adjustment("quantity")),
        (
            adjust("", &l, S::None, S::InStock, "1"),
            adjustment("catalog_object_id"),
        ),
        (
            adjust(&i, "", S::None, S::InStock, "1"),
            adjustment("location_id"),
        ),
        (
            adjust(UNKNOWN_ID, &l, S::None, S::InStock, "1"),
            adjustment("catalog_object_id"),
        ),
        (
            adjust(&i, UNKNOWN_ID, S::None, S::InStock, "1"),
            adjustment("location_id"),
        ),
        (
            InventoryChange {
                r#type: InventoryChangeType::PhysicalCount.into(),
                ..receive("1")
            },
            "changes[1].type".into(),
        ),
        (
            InventoryChange {
                expected_quantity: None,
                r#type: InventoryChangeType::Adjustment.into(),
                change: None,
            },
            "changes[1].adjustment".into(),
        ),
    ];
    for (bad, field) in cases {
        let result = try_apply(&mut server, vec![receive("1"), bad]).await;
        assert_rejected(result, Code::InvalidArgument, &[&field]);
    }
    assert_eq!(
        quantity(&mut server, &i, &l, S::InStock).await,
        None,
        "no rejected batch applied its valid change"
    );
    let history = history(&mut server, Default::default()).await;
    assert!(history.is_empty(), "{history:?}");
}

on_both_backends!(occurred_at_must_be_within_the_window);
async fn occurred_at_must_be_within_the_window(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "T").await;
    let received_at = |micros| receipt_at(&i, &l, at_minute(micros, 0));
    let now = now_micros();
    for bad in [now - 25 * 3_600_000_000, now + 3_600_000_000] {
        let result = try_apply(&mut server, vec![received_at(bad)]).await;
        let occurred_at = "changes[0].adjustment.occurred_at";
        let err = assert_rejected(result, Code::InvalidArgument, &[occurred_at]);
        assert_eq!(err.reason.as_deref(), Some("INVALID_TIME"));
    }
    apply(&mut server, vec![received_at(now - 23 * 3_600_000_000)]).await;
}

on_both_backends!(untracked_items_and_inactive_locations_are_refused);
async fn untracked_items_and_inactive_locations_are_refused(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "U").await;
    let mut inventory = server.inventory.clone();
    let mut assert_refused = async |item: &str, field: &str, reason: &str| {
        let receipt = batch(vec![adjust(item, &l, S::None, S::InStock, "1")]);
        let result = inventory.batch_change_inventory(receipt).await;
        let field = format!("changes[0].adjustment.{field}");
        let err = assert_rejected(result, Code::InvalidArgument, &[&field]);
        assert_eq!(err.reason.as_deref(), Some(reason));
    };

    let untrack = UpdateInventoryItemRequest {
        inventory_item: Some(InventoryItem {
            id: i.clone(),
            tracked: Some(false),
            ..Default::default()
        }),
        update_mask: None,
    };
    server.items.update_inventory_item(untrack).await.unwrap();
    assert_refused(&i, "catalog_object_id", "ITEM_NOT_TRACKED").await;

    let j = item(&mut server, "V").await;
    let deactivate = UpdateLocationRequest {
        location: Some(Location {
            id: l.clone(),
            status: LocationStatus::Inactive.into(),
            ..Default::default()
        }),
        update_mask: None,
    };
    server.locations.update_location(deactivate).await.unwrap();
    assert_refused(&j, "location_id", "LOCATION_INACTIVE").await;
}

on_both_backends!(quantities_are_exact_normalised_and_bounded);
async fn quantities_are_exact_normalised_and_bounded(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "Q").await;
    let receive = |quantity| adjust(&i, &l, S::None, S::InStock, quantity);
    let r = apply(&mut server, vec![receive("0.00001"), receive("2.50000")]).await;
    assert_eq!(r.counts[0].quantity, "2.50001");
    let r = apply(&mut server, vec![adjust(&i, &l, S::InStock, S::Sold, "10")]).await;
    let negative = &r.counts[0].quantity;
    assert_eq!(negative, "-7.49999", "negative counts record reality");

    // 1000 receipts of 10^9 reach 10^12; one more unit overflows the bound and changes nothing.
    for _ in 0..10 {
        apply(&mut server, vec![receive("1000000000"); 100]).await;
    }
    assert_quantity(&mut server, &i, &l, S::InStock, Some("999999999992.50001")).await;
    apply(&mut server, vec![receive("7.49999")]).await;
    let waste = adjust(&i, &l, S::InStock, S::Waste, "1");
    let over = try_apply(&mut server, vec![waste, receive("1.00001")]).await;
    let quantity_field = "changes[1].adjustment.quantity";
    let err = assert_rejected(over, Code::OutOfRange, &[quantity_field]);
    assert_eq!(err.reason.as_deref(), Some("COUNT_OUT_OF_RANGE"));
    assert_quantity(&mut server, &i, &l, S::InStock, Some("1000000000000")).await;
    assert_eq!(
        quantity(&mut server, &i, &l, S::Waste).await,
        None,
        "the rejected batch left nothing behind"
    );
    assert_verified(&server).await;
}

on_both_backends!(ignore_unchanged_counts_defaults_to_true);
async fn ignore_unchanged_counts_defaults_to_true(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "I").await;
    apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "5")]).await;
    let skipped = apply(&mut server, vec![count(&i, &l, S::InStock, "5")]).await;
    let not_recorded = "an unchanged physical count is not recorded";
    assert!(skipped.changes.is_empty(), "{not_recorded}");
    assert_eq!(skipped.counts[0].quantity, "5");
    let recorded = BatchChangeInventoryRequest {
        ignore_unchanged_counts: Some(false),
        ..batch(vec![count(&i, &l, S::InStock, "5")])
    };
    let recorded = server.inventory.batch_change_inventory(recorded).await;
    assert_eq!(recorded.unwrap().into_inner().changes.len(), 1);
    let first_zero = apply(&mut server, vec![count(&i, &l, S::Waste, "0")]).await;
    assert_eq!(
        first_zero.changes.len(),
        1,
        "a first count of 0 is recorded: it is not the same as never counted"
    );
    assert_quantity(&mut server, &i, &l, S::Waste, Some("0")).await;
}

on_both_backends!(idempotency_keys_replay_and_refuse_reuse);
async fn idempotency_keys_replay_and_refuse_reuse(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "K").await;
    let request = batch(vec![adjust(&i, &l, S::None, S::InStock, "3")]);
    let mut inventory = server.inventory.clone();
    let mut send = async |request: BatchChangeInventoryRequest| {
        let response = inventory.batch_change_inventory(request).await;
        response.map(tonic::Response::into_inner)
    };
    let first = send(request.clone()).await.unwrap();
    let again = send(request.clone()).await.unwrap();
    assert_eq!(first, again, "a retry returns the original response");
    assert_eq!(request.ignore_unchanged_counts, None);
    let spelled_out = BatchChangeInventoryRequest {
        ignore_unchanged_counts: Some(true),
        ..request.clone()
    };
    let replayed = send(spelled_out).await.unwrap();
    assert_eq!(
        first, replayed,
        "spelling out the default is the same request"
    );
    let mut respelled = request.clone();
    respelled.changes[0] = adjust(
        &i.to_uppercase(),
        &format!("{{{l}}}"),
        S::None,
        S::InStock,
        "3",
    );
    let replayed = send(respelled).await.unwrap();
    assert_eq!(
        first, replayed,
        "ids spelled otherwise (upper case, braces) are the same request"
    );
    let applied = quantity(&mut server, &i, &l, S::InStock).await;
    assert_eq!(applied.as_deref(), Some("3"), "and applies nothing twice");

    let mut other = request.clone();
    other.changes[0] = adjust(&i, &l, S::None, S::InStock, "4");
    let reused = send(other).await;
    let err = assert_rejected(reused, Code::AlreadyExists, &["idempotency_key"]);
    assert_eq!(err.reason.as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));

    for idempotency_key in [String::new(), "k".repeat(129)] {
        let bad_key = BatchChangeInventoryRequest {
            idempotency_key,
            ..request.clone()
        };
        let refused = send(bad_key).await;
        assert_rejected(refused, Code::InvalidArgument, &["idempotency_key"]);
    }
    let empty = send(batch(vec![])).await;
    assert_rejected(empty, Code::InvalidArgument, &["changes"]);
    let too_many = send(batch(vec![adjust(&i, &l, S::None, S::InStock, "1"); 101])).await;
    assert_rejected(too_many, Code::InvalidArgument, &["changes"]);
    assert_quantity(&mut server, &i, &l, S::InStock, Some("3")).await;
}

on_both_backends!(one_key_used_concurrently_applies_once);
async fn one_key_used_concurrently_applies_once(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "C").await;
    let request = batch(vec![adjust(&i, &l, S::None, S::InStock, "1")]);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let mut client = server.inventory.clone();
            let request = request.clone();
            tokio::spawn(async move { client.batch_change_inventory(request).await })
        })
        .collect();
    let mut responses = Vec::new();
    for call in calls {
        let response = call.await.unwrap().expect("every retry succeeds");
        responses.push(response.into_inner());
    }
    assert!(
        responses.windows(2).all(|w| w[0] == w[1]),
        "every caller sees the same response"
    );
    assert_quantity(&mut server, &i, &l, S::InStock, Some("1")).await;
    assert_eq!(history(&mut server, Default::default()).await.len(), 1);
}

on_both_backends!(verify_command_finds_tampered_counts);
async fn verify_command_finds_tampered_counts(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "V").await;
    apply(&mut server, seed_day(&i, &l)).await;
    let verify = || {
        let database_url = &server.database_url;
        let command = stockledger()
            .args(["verify", "--database-url", database_url])
            .output();
        command.expect("running stockledger verify")
    };
    let clean = verify();
    let stderr = String::from_utf8_lossy(&clean.stderr);
    assert!(clean.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(
        stdout.contains("every count equals its history"),
        "{stdout}"
    );

    let store = stockledger::store::Store::connect(&server.database_url)
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    store
        .connection()
        .execute_unprepared(
            "UPDATE inventory_counts SET quantity_units = quantity_units + 1 WHERE state = 'WASTE'",
        )
        .await
        .unwrap();
    store.close().await.unwrap();
    let dirty = verify();
    assert!(!dirty.status.success());
    let report = String::from_utf8_lossy(&dirty.stdout);
    assert!(
        report.contains("state=WASTE stored=2.00001 history=2"),
        "{report}"
    );
}

on_both_backends!(concurrent_writers_never_lose_an_update);
async fn concurrent_writers_never_lose_an_update(mut server: TestServer) {
    let (a, b, i) = two_locations_and_item(&mut server, "HOT").await;
    apply(
        &mut server,
        vec![adjust(&i, &a, S::None, S::InStock, "1000")],
    )
    .await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let mut client = server.inventory.clone();
            let (i, a, b) = (i.clone(), a.clone(), b.clone());
            tokio::spawn(async move {
                for n in 0..10 {
                    // Alternate lock order across writers: A then B, or B then A.
                    let changes = if (w + n) % 2 == 0 {
                        let sale = adjust(&i, &a, S::InStock, S::Sold, "0.5");
                        vec![transfer(&i, &a, &b, "1"), sale]
                    } else {
                        let receipt = adjust(&i, &b, S::None, S::InStock, "0.25");
                        vec![receipt, transfer(&i, &b, &a, "0.25")]
                    };
                    let written = client.batch_change_inventory(batch(changes)).await;
                    written.map_err(|e| call_error(e).message).expect("write");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    // 40 batches move 1 to B and sell 0.5 at A; 40 add 0.25 at B and move it back to A.
    assert_quantity(&mut server, &i, &a, S::InStock, Some("950")).await;
    assert_quantity(&mut server, &i, &b, S::InStock, Some("40")).await;
    assert_verified(&server).await;
}

#[test]
fn verify_refuses_a_missing_sqlite_database_without_creating_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("absent.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let out = stockledger()
        .args(["verify", "--database-url", &url])
        .output()
        .expect("running stockledger verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "verify passed on no database");
    assert!(
        stderr.contains("--database-url") && stderr.contains("no database at"),
        "{stderr}"
    );
    assert!(!file.exists(), "verify created {}", file.display());
}
