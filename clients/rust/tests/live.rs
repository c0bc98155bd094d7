//! Live tests against a running Stockledger, named by `STOCKLEDGER_ADDR` (host:port) and
//! `STOCKLEDGER_TOKEN` (a token with every scope). Built only
//! with `--features live-tests`; `test.sh` runs them.
//!
//! Each test makes its own location and item (a unique SKU) and filters every read by that
//! item, so the tests run in parallel and on a server other clients use at the same time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{StreamExt, TryStreamExt};
use stockledger_client::changes::{
    Expected, adjustment, custom_reason, physical_count, reason, transfer,
};
use stockledger_client::pb::{self, InventoryState as S};
use stockledger_client::{
    ADJUSTMENT_REASON_DELETED, Adjustment, AdjustmentReasonFilter, CLIENT_DOMAIN, Change,
    ChangeBatch, ChangeFilter, Client, Commit, Count, CountFilter, CountKey, Decimal, GuardRefusal,
    Hold, INSUFFICIENT_QUANTITY, INVALID_VALUE, ItemFilter, ItemUpdate, LocationFilter,
    LocationUpdate, Messages, NewAdjustmentReason, NewItem, NewLocation, NewReservation,
    QUANTITY_MISMATCH, RESERVATION_NOT_HELD, Reservation, ReservationFilter, ReservationLine,
};
use tonic::Code;

/// How long any one expected message may take.
const WAIT: Duration = Duration::from_secs(15);

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the live tests need a running server \
             (STOCKLEDGER_ADDR=host:port, STOCKLEDGER_TOKEN=token); run clients/rust/test.sh"
        )
    })
}

async fn client() -> Client {
    let (addr, token) = (var("STOCKLEDGER_ADDR"), var("STOCKLEDGER_TOKEN"));
    Client::connect(&addr, &token)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"))
}

/// A string no other run or test uses.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

fn q(units: i64) -> Decimal {
    Decimal::from(units)
}

/// A new location and a new tracked item: (location id, item id).
async fn location_and_item(client: &Client) -> (String, String) {
    let location = client
        .create_location(NewLocation::new(unique("rust-client-shop")))
        .await
        .expect("create location");
    assert_eq!(location.status, pb::LocationStatus::Active);
    let item = client
        .create_inventory_item(
            NewItem::new()
                .sku(unique("RUST-SKU"))
                .cost(Decimal::new(2550, 2))
                .unwrap(),
        )
        .await
        .expect("create item");
    assert_eq!(item.cost, Some(Decimal::new(255, 1)));
    assert!(item.tracked);
    let created = item.created_at.expect("created_at");
    let age = SystemTime::now()
        .duration_since(created)
        .unwrap_or(Duration::ZERO);
    assert!(age < Duration::from_secs(600), "created_at is server now");
    (location.id, item.id)
}

async fn apply(client: &Client, changes: Vec<pb::InventoryChange>) -> ChangeBatch {
    client
        .batch_change_inventory(pb::BatchChangeInventoryRequest {
            forbid_negative_counts: None,
            idempotency_key: unique("rust-batch"),
            changes,
            ignore_unchanged_counts: None,
        })
        .await
        .expect("batch applied")
}

/// `(state, quantity)` of each count, sorted by state.
fn counts(counts: &[Count]) -> Vec<(S, Decimal)> {
    let mut out: Vec<_> = counts.iter().map(|c| (c.state, c.quantity)).collect();
    out.sort_by_key(|(state, _)| *state as i32);
    out
}

/// The seed's day: 100 received, 3 and 1 sold, 2 wasted in one batch; then 93 counted.
/// Returns the ids of the five changes, in order.
async fn seed_day(client: &Client, location: &str, item: &str) -> Vec<String> {
    let day = apply(
        client,
        vec![
            adjustment(item, location, S::None, S::InStock, q(100)).unwrap(),
            adjustment(item, location, S::InStock, S::Sold, q(3)).unwrap(),
            adjustment(item, location, S::InStock, S::Sold, q(1)).unwrap(),
            adjustment(item, location, S::InStock, S::Waste, q(2)).unwrap(),
        ],
    )
    .await;
    assert_eq!(counts(&day.counts), [(S::InStock, q(94)), (S::Waste, q(2))]);
    assert_eq!(day.changes.len(), 4);
    let counted = apply(
        client,
        vec![physical_count(item, location, S::InStock, q(93)).unwrap()],
    )
    .await;
    assert_eq!(counts(&counted.counts), [(S::InStock, q(93))]);
    day.changes
        .iter()
        .chain(&counted.changes)
        .map(|c| c.id().to_owned())
        .collect()
}

/// The next message of `stream`, failing after [`WAIT`].
async fn next<T>(stream: &mut Messages<T>) -> T {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a message in time")
        .expect("the stream is still open")
        .expect("a message, not an error")
}

#[tokio::test]
async fn seed_day_counts_history_and_stream() {
    let client = client().await;
    let (location, item) = location_and_item(&client).await;
    let ids = seed_day(&client, &location, &item).await;

    // Counts back.
    let read = client
        .retrieve_inventory_count(pb::RetrieveInventoryCountRequest {
            catalog_object_id: item.clone(),
            location_ids: vec![location.clone()],
            ..Default::default()
        })
        .await
        .expect("retrieve count");
    assert_eq!(
        counts(&read.counts),
        [(S::InStock, q(93)), (S::Waste, q(2))]
    );
    assert!(read.cursor.is_empty());
    assert!(read.counts.iter().all(|c| c.location_id == location
        && c.catalog_object_id == item
        && c.calculated_at.is_some()));

    // History, two at a time, until the cursor is empty.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest {
                catalog_object_ids: vec![item.clone()],
                cursor: cursor.clone(),
                limit: 2,
                ..Default::default()
            })
            .await
            .expect("a page of changes");
        assert!(page.changes.len() <= 2);
        paged.extend(page.changes.iter().map(|c| c.id().to_owned()));
        pages += 1;
        assert!(pages <= 10, "the cursor never ran out");
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(paged, ids, "every change once, oldest first");
    assert_eq!(pages, 3);

    // The same history as a stream, to its end.
    let mut stream = client
        .stream_inventory_changes(pb::StreamInventoryChangesRequest {
            catalog_object_ids: vec![item.clone()],
            ..Default::default()
        })
        .await
        .expect("stream");
    let mut streamed = Vec::new();
    while let Some(message) = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("the stream goes on or ends in time")
    {
        let message = message.expect("a streamed change");
        assert!(!message.cursor.is_empty());
        streamed.push(message.change.id().to_owned());
    }
    assert_eq!(streamed, ids);

    // Every page as one typed stream, both ways round.
    let listed: Vec<Change> = client
        .list_inventory_changes(ChangeFilter::all().items([&item]).page_size(2))
        .try_collect()
        .await
        .expect("the listed history");
    assert_eq!(listed.iter().map(Change::id).collect::<Vec<_>>(), ids);
    assert_eq!(
        listed.iter().map(Change::quantity).collect::<Vec<_>>(),
        [q(100), q(3), q(1), q(2), q(93)]
    );
    let newest_first: Vec<String> = client
        .list_inventory_changes(ChangeFilter::all().items([&item]).newest_first())
        .map_ok(|change| change.id().to_owned())
        .try_collect()
        .await
        .expect("the history newest first");
    assert_eq!(newest_first, ids.iter().rev().cloned().collect::<Vec<_>>());
    let counted: Vec<Change> = client
        .list_inventory_changes(
            ChangeFilter::all()
                .items([&item])
                .types([pb::InventoryChangeType::PhysicalCount]),
        )
        .try_collect()
        .await
        .expect("the physical counts");
    assert!(
        matches!(counted.as_slice(), [Change::PhysicalCount(c)] if c.id == ids[4] && c.state == S::InStock),
        "{counted:?}"
    );

    // One adjustment read back by id, with its decimals and times.
    let first = client
        .retrieve_inventory_adjustment(&ids[0])
        .await
        .expect("retrieve adjustment");
    assert_eq!(first.quantity, q(100));
    assert_eq!((first.from_state, first.to_state), (S::None, S::InStock));
    assert!(first.occurred_at.is_some() && first.created_at.is_some());
    assert_eq!(
        first.source.as_ref().map(|source| source.product),
        Some(pb::Product::ExternalApi)
    );

    // The physical count read back by id: the last change of the day.
    let counted = client
        .retrieve_inventory_physical_count(&ids[4])
        .await
        .expect("retrieve physical count");
    assert_eq!((counted.state, counted.quantity), (S::InStock, q(93)));
    assert_eq!(counted.catalog_object_id, item);
    // An adjustment's id names no physical count.
    let err = client
        .retrieve_inventory_physical_count(&ids[0])
        .await
        .expect_err("not a physical count");
    assert_eq!(err.code(), Code::NotFound, "{err}");
}

#[tokio::test]
async fn watch_from_now_then_resume_from_a_token() {
    let client = client().await;
    let (location, item) = location_and_item(&client).await;
    let receive = |n: i64| vec![adjustment(&item, &location, S::None, S::InStock, q(n)).unwrap()];

    let mut watch = client
        .watch_inventory_changes(pb::WatchInventoryChangesRequest {
            catalog_object_ids: vec![item.clone()],
            start: pb::WatchStart::Now.into(),
            ..Default::default()
        })
        .await
        .expect("watch");
    let live = apply(&client, receive(1)).await;
    let first = next(&mut watch).await;
    assert_eq!(first.change.id(), live.changes[0].id());
    assert!(!first.resume_token.is_empty());
    drop(watch);

    let mut written = Vec::new();
    for n in [2, 3] {
        let r = apply(&client, receive(n)).await;
        written.push(r.changes[0].id().to_owned());
    }
    let mut resumed = client
        .resume_inventory_changes(first.resume_token.clone())
        .await
        .expect("resume");
    let (second, third) = (next(&mut resumed).await, next(&mut resumed).await);
    let got: Vec<_> = [&second, &third]
        .iter()
        .map(|m| m.change.id().to_owned())
        .collect();
    assert_eq!(
        got, written,
        "exactly the changes after the token, in order"
    );
    // The merchant's feed sequence is gap-free over all its changes; the other tests of
    // this file write for the same merchant meanwhile, so a watch filtered to one item sees
    // increasing sequences, not necessarily consecutive ones.
    assert!(
        first.sequence < second.sequence && second.sequence < third.sequence,
        "sequences in commit order: {}, {}, {}",
        first.sequence,
        second.sequence,
        third.sequence
    );
    let more = tokio::time::timeout(Duration::from_millis(500), resumed.next()).await;
    assert!(more.is_err(), "nothing else was written: {more:?}");
}

#[tokio::test]
async fn reorder_points_and_their_alerts_are_typed() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    let set = client
        .set_inventory_reorder_point(&item, &shop, Decimal::new(25, 1))
        .await
        .expect("set reorder point");
    assert_eq!(
        (set.reorder_point.reorder_point, set.quantity, set.low),
        (Decimal::new(25, 1), None, true)
    );
    let listed: Vec<_> = client
        .list_inventory_reorder_points(vec![item.clone()], vec![])
        .try_collect()
        .await
        .expect("list reorder points");
    assert_eq!(listed, std::slice::from_ref(&set.reorder_point));
    let mut feed = client
        .watch_inventory_alerts(pb::WatchInventoryAlertsRequest {
            catalog_object_ids: vec![item.clone()],
            start: pb::WatchStart::Now.into(),
            ..Default::default()
        })
        .await
        .expect("watch alerts");
    apply(
        &client,
        vec![adjustment(&item, &shop, S::None, S::InStock, "3").unwrap()],
    )
    .await;
    apply(
        &client,
        vec![adjustment(&item, &shop, S::InStock, S::Sold, "1").unwrap()],
    )
    .await;
    let recovered = next(&mut feed).await;
    let low = next(&mut feed).await;
    assert_eq!(
        (recovered.alert.kind, recovered.alert.quantity),
        (pb::InventoryAlertKind::Recovered, q(3))
    );
    assert_eq!(
        (low.alert.kind, low.alert.quantity, low.alert.reorder_point),
        (pb::InventoryAlertKind::Low, q(2), Decimal::new(25, 1))
    );
    assert_eq!(low.sequence, recovered.sequence + 1);
    client
        .delete_inventory_reorder_point(&item, &shop)
        .await
        .expect("delete");
    let again = client.delete_inventory_reorder_point(&item, &shop).await;
    assert_eq!(again.unwrap_err().code(), Code::NotFound);
}

#[tokio::test]
async fn a_transfer_and_the_count_feed_are_typed() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    let depot = client
        .create_location(NewLocation::new(unique("rust-client-depot")))
        .await
        .expect("create depot")
        .id;
    let mut feed = client
        .watch_inventory_counts(pb::WatchInventoryCountsRequest {
            catalog_object_ids: vec![item.clone()],
            start: pb::WatchStart::Now.into(),
            ..Default::default()
        })
        .await
        .expect("watch counts");
    let received = apply(
        &client,
        vec![adjustment(&item, &shop, S::None, S::InStock, "4.5").unwrap()],
    )
    .await;
    let moved = apply(
        &client,
        vec![transfer(&item, &shop, &depot, S::InStock, "1.25").unwrap()],
    )
    .await;

    // The transfer as the batch answered it, and read back by id: the same value.
    let Change::Transfer(sent) = &moved.changes[0] else {
        panic!("not a transfer: {:?}", moved.changes[0])
    };
    assert_eq!(
        (
            sent.quantity,
            sent.state,
            sent.from_location_id.as_str(),
            sent.to_location_id.as_str()
        ),
        (
            Decimal::new(125, 2),
            S::InStock,
            shop.as_str(),
            depot.as_str()
        )
    );
    let read = client
        .retrieve_inventory_transfer(&sent.id)
        .await
        .expect("retrieve transfer");
    assert_eq!(&read, sent);
    // The counts it left at both ends.
    let mut after: Vec<_> = moved
        .counts
        .iter()
        .map(|c| (c.location_id.clone(), c.state, c.quantity))
        .collect();
    after.sort();
    let mut expected_counts = vec![
        (shop.clone(), S::InStock, Decimal::new(325, 2)),
        (depot.clone(), S::InStock, Decimal::new(125, 2)),
    ];
    expected_counts.sort();
    assert_eq!(after, expected_counts);

    // The count feed: the receipt creates the shop's count (no previous quantity, which is
    // not zero), the transfer lowers it and creates the depot's.
    let receipt = next(&mut feed).await.update;
    assert_eq!(
        (
            receipt.location_id.as_str(),
            receipt.previous_quantity,
            receipt.quantity
        ),
        (shop.as_str(), None, Decimal::new(45, 1))
    );
    assert_eq!(receipt.change_id, received.changes[0].id());
    assert_eq!(receipt.change_type, pb::InventoryChangeType::Adjustment);
    assert!(receipt.calculated_at.is_some());
    let mut updates = [next(&mut feed).await.update, next(&mut feed).await.update];
    updates.sort_by(|a, b| a.location_id.cmp(&b.location_id));
    let expected = {
        let mut expected = vec![
            (
                shop.clone(),
                Some(Decimal::new(45, 1)),
                Decimal::new(325, 2),
            ),
            (depot.clone(), None, Decimal::new(125, 2)),
        ];
        expected.sort();
        expected
    };
    assert_eq!(
        updates
            .iter()
            .map(|u| (u.location_id.clone(), u.previous_quantity, u.quantity))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(
        updates
            .iter()
            .all(|u| u.change_id == sent.id && u.change_type == pb::InventoryChangeType::Transfer)
    );
}

/// An import (the test token carries `INVENTORY_IMPORT`): kept ids make a second run find
/// every change already present, and a change the ledger refuses holds back its whole batch,
/// named by its index over the whole import and its field.
#[tokio::test]
async fn an_import_applies_once_and_names_what_it_refuses() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    let with_id = |mut change: pb::InventoryChange| {
        if let Some(pb::inventory_change::Change::Adjustment(a)) = &mut change.change {
            a.id = uuid::Uuid::new_v4().to_string();
        }
        change
    };
    let receipt = with_id(adjustment(&item, &shop, S::None, S::InStock, q(3)).unwrap());
    let sale = with_id(adjustment(&item, &shop, S::InStock, S::Sold, q(1)).unwrap());
    let unknown_shop = uuid::Uuid::new_v4().to_string();
    let stray = with_id(adjustment(&item, &unknown_shop, S::None, S::InStock, q(1)).unwrap());
    let batches = || {
        futures::stream::iter([
            pb::ImportInventoryChangesRequest {
                changes: vec![receipt.clone()],
                source: None,
            },
            pb::ImportInventoryChangesRequest {
                changes: vec![sale.clone(), stray.clone()],
                source: None,
            },
        ])
    };
    let first = client
        .import_inventory_changes(batches())
        .await
        .expect("an import");
    assert_eq!(
        (
            first.applied,
            first.already_present,
            first.refused,
            first.held_back
        ),
        (1, 0, 1, 1),
        "{first:?}"
    );
    assert_eq!(first.refused_changes.len(), 1, "{first:?}");
    assert_eq!(first.refused_changes[0].index, 2, "{first:?}");
    assert_eq!(
        first.refused_changes[0].field, "adjustment.location_id",
        "{first:?}"
    );
    let again = client
        .import_inventory_changes(batches())
        .await
        .expect("the same import again");
    assert_eq!((again.applied, again.already_present), (0, 1), "{again:?}");
    let page = client
        .batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![item],
            ..Default::default()
        })
        .await
        .expect("history");
    assert_eq!(
        page.changes.len(),
        1,
        "the receipt alone was imported, once"
    );
    assert_eq!(page.changes[0].id(), receipt_id(&receipt));
}

/// The id of an adjustment message.
fn receipt_id(change: &pb::InventoryChange) -> &str {
    match &change.change {
        Some(pb::inventory_change::Change::Adjustment(a)) => &a.id,
        _ => panic!("an adjustment"),
    }
}

#[tokio::test]
async fn a_refused_request_is_a_typed_error() {
    let client = client().await;
    let (location, item) = location_and_item(&client).await;
    // Too precise for the client's own builder, so written by hand.
    let mut change = adjustment(&item, &location, S::None, S::InStock, q(1)).unwrap();
    if let Some(pb::inventory_change::Change::Adjustment(a)) = &mut change.change {
        a.quantity = "1.123456".into();
    }
    let err = client
        .batch_change_inventory(pb::BatchChangeInventoryRequest {
            forbid_negative_counts: None,
            idempotency_key: unique("rust-refused"),
            changes: vec![change],
            ignore_unchanged_counts: None,
        })
        .await
        .expect_err("six decimal places are refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert_eq!(err.reason(), Some("INVALID_VALUE"), "{err}");
    assert_eq!(err.domain(), Some("stockledger"), "{err}");
    assert_eq!(
        err.field_violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect::<Vec<_>>(),
        ["changes[0].adjustment.quantity"],
        "{err}"
    );
    assert!(!err.field_violations()[0].description.is_empty());

    // Nothing was applied.
    let read = client
        .retrieve_inventory_count(pb::RetrieveInventoryCountRequest {
            catalog_object_id: item,
            ..Default::default()
        })
        .await
        .expect("retrieve count");
    assert!(read.counts.is_empty(), "{:?}", read.counts);

    // The same quantity never leaves this side through the builders.
    let local = adjustment("i", "l", S::None, S::InStock, Decimal::new(1_123_456, 6));
    let err = local.expect_err("refused locally");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.field(), Some("adjustment.quantity"));
}

#[tokio::test]
async fn a_bad_token_is_unauthenticated() {
    let addr = var("STOCKLEDGER_ADDR");
    let client = Client::connect(&addr, "not-a-real-token")
        .await
        .expect("connect");
    let err = client.get_location("any").await.expect_err("refused");
    assert_eq!(err.code(), Code::Unauthenticated, "{err}");
}

/// A batch of `changes` that must be refused, with `forbid_negative_counts`.
async fn refused(
    client: &Client,
    forbid_negative_counts: Option<bool>,
    changes: Vec<pb::InventoryChange>,
) -> stockledger_client::Error {
    client
        .batch_change_inventory(pb::BatchChangeInventoryRequest {
            idempotency_key: unique("rust-guarded"),
            changes,
            forbid_negative_counts,
            ..Default::default()
        })
        .await
        .expect_err("the batch is refused")
}

#[tokio::test]
async fn guarded_changes_are_refused_with_typed_outcomes() {
    let client = client().await;
    // A web shop: by default no batch may take one of its counts below zero.
    let shop = client
        .create_location(NewLocation::new(unique("rust-web-shop")).forbid_negative_counts(true))
        .await
        .expect("create location");
    assert!(shop.forbid_negative_counts);
    let item = client
        .create_inventory_item(NewItem::new().sku(unique("RUST-GUARD")))
        .await
        .expect("create item")
        .id;
    let at = shop.id.as_str();
    let in_stock = CountKey {
        catalog_object_id: item.clone(),
        location_id: shop.id.clone(),
        state: S::InStock,
    };

    // Expected::Absent: the first receipt, only if the count does not exist yet.
    let receipt = adjustment(&item, at, S::None, S::InStock, q(10))
        .unwrap()
        .expecting(Expected::Absent)
        .unwrap();
    let first = apply(&client, vec![receipt.clone()]).await;
    assert_eq!(counts(&first.counts), [(S::InStock, q(10))]);
    let again = refused(&client, None, vec![receipt]).await;
    assert!(again.is_quantity_mismatch(), "{again}");
    assert!(matches!(
        again.guard_refusal(),
        Some(GuardRefusal::QuantityMismatch { actual_quantity: Some(actual), .. }) if actual == q(10)
    ));

    // Two guarded sales: the second expects 10 but finds what the first left.
    let sale = |quantity: Decimal| adjustment(&item, at, S::InStock, S::Sold, quantity).unwrap();
    let mismatch = refused(
        &client,
        None,
        vec![
            sale(Decimal::new(15, 1)).expecting(q(10)).unwrap(),
            sale(q(1)).expecting(Decimal::new(1000, 2)).unwrap(),
        ],
    )
    .await;
    assert_eq!(mismatch.code(), Code::FailedPrecondition, "{mismatch}");
    assert!(mismatch.is_quantity_mismatch() && !mismatch.is_insufficient_quantity());
    assert_eq!(mismatch.reason(), Some(QUANTITY_MISMATCH));
    assert_eq!(
        mismatch.guard_refusal(),
        Some(GuardRefusal::QuantityMismatch {
            count: in_stock.clone(),
            field: "changes[1].expected_quantity".into(),
            actual_quantity: Some(Decimal::new(85, 1)),
        })
    );
    assert_eq!(mismatch.available_quantity(), None);
    assert!(
        mismatch.names_field("changes[1].expected_quantity"),
        "{mismatch}"
    );

    // Absent is not zero: a WASTE count that does not exist.
    let absent = refused(
        &client,
        None,
        vec![
            physical_count(&item, at, S::Waste, q(1))
                .unwrap()
                .expecting(q(0))
                .unwrap(),
        ],
    )
    .await;
    let refusal = absent.guard_refusal().expect("a guard refusal");
    assert!(matches!(
        refusal,
        GuardRefusal::QuantityMismatch {
            actual_quantity: None,
            ..
        }
    ));
    assert_eq!(refusal.count().state, S::Waste);

    // Selling 11 of 10 at the web shop: refused with what was available.
    let short = refused(&client, None, vec![sale(q(11))]).await;
    assert_eq!(short.code(), Code::FailedPrecondition, "{short}");
    assert!(short.is_insufficient_quantity() && !short.is_quantity_mismatch());
    assert_eq!(short.reason(), Some(INSUFFICIENT_QUANTITY));
    assert_eq!(short.available_quantity(), Some(q(10)));
    assert_eq!(
        short.guard_refusal(),
        Some(GuardRefusal::InsufficientQuantity {
            count: in_stock,
            field: "changes[0].adjustment.quantity".into(),
            available_quantity: q(10),
        })
    );
    assert!(
        short.names_field("changes[0].adjustment.quantity"),
        "{short}"
    );

    // The batch overrides the location's default; the matching guarded sale goes through.
    let oversold = client
        .batch_change_inventory(pb::BatchChangeInventoryRequest {
            idempotency_key: unique("rust-oversold"),
            changes: vec![sale(q(11)).expecting(q(10)).unwrap()],
            forbid_negative_counts: Some(false),
            ..Default::default()
        })
        .await
        .expect("the batch allows a negative count");
    assert_eq!(counts(&oversold.counts), [(S::InStock, q(-1))]);

    // And a batch can forbid what its location allows.
    let (location, other) = location_and_item(&client).await;
    apply(
        &client,
        vec![adjustment(&other, &location, S::None, S::InStock, Decimal::new(225, 2)).unwrap()],
    )
    .await;
    let forbidden = refused(
        &client,
        Some(true),
        vec![adjustment(&other, &location, S::InStock, S::Waste, q(3)).unwrap()],
    )
    .await;
    assert_eq!(
        forbidden.available_quantity(),
        Some(Decimal::new(225, 2)),
        "{forbidden}"
    );
}

#[tokio::test]
async fn reservations_hold_commit_release_and_expire() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    apply(
        &client,
        vec![adjustment(&item, &shop, S::None, S::InStock, q(3)).unwrap()],
    )
    .await;
    let line = |quantity| vec![ReservationLine::new(&item, &shop, quantity)];

    // Reserve 2 of 3 (a fresh idempotency key is made).
    let cart = unique("cart");
    let held = client
        .create_reservation(
            NewReservation::new(line(q(2)), Hold::For(Duration::from_secs(300)))
                .reference_id(&cart),
        )
        .await
        .expect("reserve 2 of 3");
    assert_eq!(held.state, pb::ReservationState::Held);
    assert_eq!(held.reference_id, cart);
    assert_eq!(
        held.lines,
        [ReservationLine {
            held_quantity: q(2),
            ..ReservationLine::new(&item, &shop, q(2))
        }]
    );
    assert!(held.expires_at.expect("expires_at") > SystemTime::now());
    assert!(held.created_at.is_some());
    assert_eq!(client.get_reservation(&held.id).await.expect("get"), held);

    // A second reservation of 2 is refused: 1 is available.
    let err = client
        .create_reservation(NewReservation::new(
            line(Decimal::new(200, 2)),
            Hold::Until(SystemTime::now() + Duration::from_secs(60)),
        ))
        .await
        .expect_err("only 1 available");
    assert!(
        err.is_insufficient_quantity() && !err.is_reservation_not_held(),
        "{err}"
    );
    assert_eq!(err.reason(), Some(INSUFFICIENT_QUANTITY));
    assert_eq!(
        err.guard_refusal(),
        Some(GuardRefusal::InsufficientQuantity {
            count: CountKey {
                catalog_object_id: item.clone(),
                location_id: shop.clone(),
                state: S::Unspecified,
            },
            field: "lines[0].quantity".into(),
            available_quantity: q(1),
        })
    );

    // Extend it, commit 1 (retried with the same key: nothing more), release the rest.
    let later = SystemTime::now() + Duration::from_secs(600);
    let extended = client
        .extend_reservation(&held.id, Hold::Until(later))
        .await
        .expect("extend");
    let moved = extended.expires_at.expect("expires_at");
    let gap = moved
        .duration_since(later)
        .or_else(|e| Ok::<_, ()>(e.duration()))
        .unwrap();
    assert!(
        gap < Duration::from_secs(1),
        "expires_at {moved:?} is {later:?}"
    );
    let commit = Commit::line(0, q(1))
        .total_price(Decimal::new(950, 2), "EUR")
        .idempotency_key(unique("commit"));
    for _ in 0..2 {
        let committed = client
            .commit_reservation(&held.id, commit.clone())
            .await
            .expect("commit 1");
        assert_eq!(committed.state, pb::ReservationState::Held);
        assert_eq!(
            (
                committed.lines[0].committed_quantity,
                committed.lines[0].held_quantity
            ),
            (q(1), q(1))
        );
    }
    let released = client.release_reservation(&held.id).await.expect("release");
    assert_eq!(released.state, pb::ReservationState::Released);
    assert_eq!(
        released.lines[0],
        ReservationLine {
            committed_quantity: q(1),
            released_quantity: q(1),
            ..ReservationLine::new(&item, &shop, q(2))
        }
    );
    let now = client
        .retrieve_inventory_count(pb::RetrieveInventoryCountRequest {
            catalog_object_id: item.clone(),
            ..Default::default()
        })
        .await
        .expect("counts");
    let now = counts(&now.counts);
    assert!(now.contains(&(S::InStock, q(2))), "{now:?}");
    assert!(
        now.iter()
            .all(|(state, quantity)| *state != S::ReservedForSale || quantity.is_zero()),
        "{now:?}"
    );

    // Nothing is held any more.
    let err = client
        .commit_reservation(&held.id, Commit::all())
        .await
        .expect_err("nothing held");
    assert!(
        err.is_reservation_not_held() && !err.is_reservation_expired(),
        "{err}"
    );
    assert_eq!(err.reason(), Some(RESERVATION_NOT_HELD));
    assert_eq!(
        err.reservation_state(),
        Some(pb::ReservationState::Released)
    );
    assert!(err.guard_refusal().is_none());
    let err = client
        .extend_reservation(&held.id, Hold::For(Duration::from_secs(60)))
        .await
        .expect_err("nothing held");
    assert!(err.is_reservation_not_held(), "{err}");

    // A 1-second hold expires by itself.
    let brief = client
        .create_reservation(NewReservation::new(
            line(Decimal::new(5, 1)),
            Hold::For(Duration::from_secs(1)),
        ))
        .await
        .expect("reserve 0.5");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = client.get_reservation(&brief.id).await.expect("get");
    assert_eq!(expired.state, pb::ReservationState::Expired);
    assert_eq!(expired.lines[0].released_quantity, Decimal::new(5, 1));
    let err = client
        .commit_reservation(&brief.id, Commit::all())
        .await
        .expect_err("expired");
    assert_eq!(
        err.reservation_state(),
        Some(pb::ReservationState::Expired),
        "{err}"
    );
}

#[tokio::test]
async fn list_reservations_pages_and_filters() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    apply(
        &client,
        vec![adjustment(&item, &shop, S::None, S::InStock, q(10)).unwrap()],
    )
    .await;

    // Three held reservations, each with its own reference id; the second is released.
    let refs: Vec<String> = (0..3).map(|_| unique("order")).collect();
    let mut ids = Vec::new();
    for reference in &refs {
        let created = client
            .create_reservation(
                NewReservation::new(
                    vec![ReservationLine::new(&item, &shop, q(1))],
                    Hold::For(Duration::from_secs(300)),
                )
                .reference_id(reference),
            )
            .await
            .expect("reserve 1");
        ids.push(created.id);
    }
    let released = client.release_reservation(&ids[1]).await.expect("release");
    assert_eq!(released.state, pb::ReservationState::Released);

    let list = |filter: ReservationFilter| {
        client
            .list_reservations(filter)
            .try_collect::<Vec<Reservation>>()
    };
    let id_list = |reservations: Vec<Reservation>| -> Vec<String> {
        reservations.into_iter().map(|r| r.id).collect()
    };
    // This test's, in the order listed (the file's other tests reserve for the same
    // merchant at the same time).
    let ours = |listed: &[String]| -> Vec<String> {
        listed
            .iter()
            .filter(|id| ids.contains(id))
            .cloned()
            .collect()
    };

    // Every reservation, two a page.
    let first = client
        .reservations()
        .list_reservations(pb::ListReservationsRequest {
            limit: 2,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    assert_eq!(first.reservations.len(), 2);
    assert!(!first.cursor.is_empty(), "more than one page");
    let all = id_list(
        list(ReservationFilter::all().page_size(2))
            .await
            .expect("list all"),
    );
    assert_eq!(
        all[..2],
        [
            first.reservations[0].id.clone(),
            first.reservations[1].id.clone()
        ]
    );
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), all.len(), "no reservation is listed twice");
    assert_eq!(ours(&all), ids);

    // By state, and by reference id.
    let held = id_list(
        list(
            ReservationFilter::all()
                .state(pb::ReservationState::Held)
                .page_size(2),
        )
        .await
        .expect("list held"),
    );
    assert_eq!(ours(&held), [ids[0].clone(), ids[2].clone()]);
    let gone = id_list(
        list(
            ReservationFilter::all()
                .state(pb::ReservationState::Released)
                .page_size(2),
        )
        .await
        .expect("list released"),
    );
    assert_eq!(ours(&gone), [ids[1].clone()]);
    assert_eq!(
        list(ReservationFilter::all().reference_id(&refs[1]))
            .await
            .expect("by reference id"),
        [released]
    );
    let both = ReservationFilter::all().reference_id(&refs[2]);
    assert_eq!(
        id_list(
            list(both.clone().state(pb::ReservationState::Held))
                .await
                .expect("held with a reference id")
        ),
        [ids[2].clone()]
    );
    assert!(
        list(both.state(pb::ReservationState::Released))
            .await
            .expect("released with a reference id")
            .is_empty()
    );

    // A refused page ends the stream with its error.
    let mut refused = client.list_reservations(ReservationFilter::all().page_size(251));
    let err = refused
        .next()
        .await
        .expect("an item")
        .expect_err("page size 251");
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert!(refused.next().await.is_none(), "the stream ends");
}

/// The custom reason ids among what ListInventoryAdjustmentReasons answers.
async fn custom_reason_ids(client: &Client, include_deleted: bool) -> Vec<String> {
    let filter = if include_deleted {
        AdjustmentReasonFilter::default().include_deleted()
    } else {
        AdjustmentReasonFilter::default()
    };
    client
        .list_inventory_adjustment_reasons(filter)
        .await
        .expect("list reasons")
        .into_iter()
        .filter(|r| r.reason_type() == pb::InventoryAdjustmentReasonType::Custom)
        .map(|r| r.custom_reason_id().to_owned())
        .collect()
}

fn adjustment_of(change: &Change) -> &Adjustment {
    match change {
        Change::Adjustment(a) => a,
        other => panic!("not an adjustment: {other:?}"),
    }
}

#[tokio::test]
async fn adjustment_reasons_custom_receipts_filters_delete_and_restore() {
    let client = client().await;
    let (location, item) = location_and_item(&client).await;
    let name = unique("Found in the back room");
    let key = unique("rust-reason");
    let new_reason =
        NewAdjustmentReason::new(&name, pb::InventoryAdjustmentReasonDirection::Increase)
            .idempotency_key(&key);
    let created = client
        .create_inventory_adjustment_reason(new_reason.clone())
        .await
        .expect("create reason");
    let id = created.id.clone();
    // A retry with the same key answers the reason first created.
    assert_eq!(
        client
            .create_inventory_adjustment_reason(new_reason)
            .await
            .expect("retry"),
        created
    );
    assert_eq!(id.r#type(), pb::InventoryAdjustmentReasonType::Custom);
    assert!(!id.custom_reason_id.is_empty());
    assert_eq!(id, custom_reason(&id.custom_reason_id));
    assert_eq!(created.name, name);
    assert_eq!(
        created.direction,
        pb::InventoryAdjustmentReasonDirection::Increase
    );
    assert!(!created.is_deleted);
    assert!(created.created_at.is_some());

    // Listed with the standard reasons, and retrievable.
    let damaged = reason(pb::InventoryAdjustmentReasonType::Damaged);
    let listed = client
        .list_inventory_adjustment_reasons(AdjustmentReasonFilter::default())
        .await
        .expect("list reasons");
    let ours: Vec<_> = listed.iter().filter(|r| r.id == id).collect();
    assert_eq!(ours, [&created]);
    let standard = listed
        .iter()
        .find(|r| r.id == damaged)
        .expect("DAMAGED is listed");
    assert_eq!((standard.name.as_str(), standard.created_at), ("", None));
    let retrieved = client
        .retrieve_inventory_adjustment_reason(id.clone())
        .await
        .expect("retrieve reason");
    assert_eq!(retrieved, created);

    // A receipt carrying the reason, a cost and a vendor is answered with them.
    let vendor = unique("vendor");
    let received = apply(
        &client,
        vec![
            adjustment(&item, &location, S::None, S::InStock, q(7))
                .unwrap()
                .with_reason(id.clone())
                .with_cost(Decimal::new(1250, 2), "EUR")
                .unwrap()
                .with_vendor(&vendor),
            adjustment(&item, &location, S::InStock, S::Waste, q(1))
                .unwrap()
                .with_reason(damaged.clone()),
        ],
    )
    .await;
    let receipt = adjustment_of(&received.changes[0]);
    assert_eq!(receipt.reason_id.as_ref(), Some(&id));
    let cost = receipt.cost.as_ref().expect("cost");
    assert_eq!(
        (cost.amount, cost.currency.as_str()),
        (Decimal::new(125, 1), "EUR")
    );
    assert_eq!(receipt.vendor_id, vendor);
    assert_eq!(
        adjustment_of(&received.changes[1]).reason_id.as_ref(),
        Some(&damaged)
    );

    // The history filtered by the reason: exactly that change, on both reads.
    let page = client
        .batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![item.clone()],
            reason_ids: vec![id.clone()],
            ..Default::default()
        })
        .await
        .expect("history by reason");
    let ids: Vec<_> = page.changes.iter().map(Change::id).collect();
    assert_eq!(ids, [receipt.id.as_str()]);
    assert!(page.cursor.is_empty());
    let streamed: Vec<String> = client
        .stream_inventory_changes(ChangeFilter::all().items([&item]).reasons([id.clone()]))
        .await
        .expect("stream by reason")
        .map_ok(|m| m.change.id().to_owned())
        .try_collect()
        .await
        .expect("streamed");
    assert_eq!(streamed, [receipt.id.as_str()]);

    let renamed = client
        .update_inventory_adjustment_reason(id.clone(), format!("{name} (renamed)"))
        .await
        .expect("rename");
    assert_eq!(renamed.name, format!("{name} (renamed)"));
    assert!(renamed.updated_at >= created.updated_at);
    assert_eq!(
        renamed.direction,
        pb::InventoryAdjustmentReasonDirection::Increase
    );

    // Deleted: no longer listed, and a new change naming it is refused.
    let deleted = client
        .delete_inventory_adjustment_reason(id.clone())
        .await
        .expect("delete");
    assert!(deleted.is_deleted);
    assert!(
        !custom_reason_ids(&client, false)
            .await
            .contains(&id.custom_reason_id)
    );
    assert!(
        custom_reason_ids(&client, true)
            .await
            .contains(&id.custom_reason_id)
    );
    let receive_one = || {
        adjustment(&item, &location, S::None, S::InStock, q(1))
            .unwrap()
            .with_reason(id.clone())
    };
    let err = refused(&client, None, vec![receive_one()]).await;
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert_eq!(err.reason(), Some(ADJUSTMENT_REASON_DELETED), "{err}");
    assert!(err.is_adjustment_reason_deleted());
    let stale = client
        .update_inventory_adjustment_reason(id.clone(), format!("{name} again"))
        .await
        .expect_err("a deleted reason cannot be renamed");
    assert_eq!(stale.code(), Code::FailedPrecondition, "{stale}");
    let now = client
        .retrieve_inventory_count(pb::RetrieveInventoryCountRequest {
            catalog_object_id: item.clone(),
            ..Default::default()
        })
        .await
        .expect("counts");
    assert_eq!(counts(&now.counts), [(S::InStock, q(6)), (S::Waste, q(1))]);

    // Restored: accepted again.
    let restored = client
        .restore_inventory_adjustment_reason(id.clone())
        .await
        .expect("restore");
    assert!(!restored.is_deleted);
    assert_eq!(restored.name, format!("{name} (renamed)"));
    let again = apply(&client, vec![receive_one()]).await;
    assert_eq!(
        adjustment_of(&again.changes[0]).reason_id.as_ref(),
        Some(&id)
    );
    assert_eq!(counts(&again.counts), [(S::InStock, q(7))]);
}

#[tokio::test]
async fn locations_are_created_read_listed_and_updated_as_typed_values() {
    let client = client().await;
    let name = unique("rust-typed-shop");
    let shop = client
        .create_location(NewLocation::new(&name).description("by the door"))
        .await
        .expect("create location");
    assert_eq!(
        (shop.name.as_str(), shop.description.as_str(), shop.status),
        (name.as_str(), "by the door", pb::LocationStatus::Active)
    );
    assert!(!shop.forbid_negative_counts);
    assert!(shop.created_at.is_some() && shop.updated_at.is_some());
    assert_eq!(client.get_location(&shop.id).await.expect("get"), shop);

    // A name already taken: the server's refusal, with its code, reason and field path.
    let err = client
        .create_location(NewLocation::new(&name))
        .await
        .expect_err("a taken name is refused");
    assert_eq!(err.code(), Code::AlreadyExists, "{err}");
    assert_eq!(err.reason(), Some("ALREADY_EXISTS"), "{err}");
    assert_eq!(err.domain(), Some("stockledger"));
    assert!(
        err.field().is_some_and(|field| field.ends_with("name")),
        "{err} names the field {:?}",
        err.field()
    );

    // Only the fields given change: the description stays.
    let updated = client
        .update_location(
            &shop.id,
            LocationUpdate::new()
                .status(pb::LocationStatus::Inactive)
                .forbid_negative_counts(true),
        )
        .await
        .expect("update location");
    assert_eq!(updated.status, pb::LocationStatus::Inactive);
    assert!(updated.forbid_negative_counts);
    assert_eq!(updated.description, "by the door");
    assert_eq!(updated.created_at, shop.created_at);
    assert!(updated.updated_at >= shop.updated_at);

    // Paged: a page size of 1 still reads every inactive location, this one among them.
    let inactive: Vec<_> = client
        .list_locations(
            LocationFilter::all()
                .status(pb::LocationStatus::Inactive)
                .page_size(1),
        )
        .try_collect()
        .await
        .expect("list locations");
    assert!(inactive.contains(&updated), "{inactive:?}");
    assert!(
        inactive
            .iter()
            .all(|l| l.status == pb::LocationStatus::Inactive)
    );
    let err = client
        .get_location("no-such-location")
        .await
        .expect_err("an unknown id is refused");
    assert!(
        matches!(err.code(), Code::NotFound | Code::InvalidArgument),
        "{err}"
    );
}

#[tokio::test]
async fn items_are_created_read_listed_and_updated_with_exact_costs() {
    let client = client().await;
    let sku = unique("RUST-TYPED");
    let item = client
        .create_inventory_item(NewItem::new().sku(&sku).cost("0.1").unwrap())
        .await
        .expect("create item");
    assert_eq!(item.cost, Some(Decimal::new(1, 1)));
    assert!(item.tracked && item.requires_shipping);
    let twin = client
        .create_inventory_item(NewItem::new().sku(&sku).cost(Decimal::new(2, 1)).unwrap())
        .await
        .expect("a second item with the same SKU");
    // Exact: 0.1 + 0.2 is 0.3.
    assert_eq!(item.cost.unwrap() + twin.cost.unwrap(), Decimal::new(3, 1));
    assert_eq!(
        client.get_inventory_item(&item.id).await.expect("get"),
        item
    );
    // A well-formed id that names no item (a location's): left out.
    let (shop, _) = location_and_item(&client).await;
    let both = client
        .batch_get_inventory_items([&twin.id, &item.id, &shop])
        .await
        .expect("batch get");
    assert_eq!(both, [twin.clone(), item.clone()], "in the order asked");
    let listed: Vec<_> = client
        .list_inventory_items(ItemFilter::all().sku(&sku).page_size(1))
        .try_collect()
        .await
        .expect("list items");
    assert_eq!(
        listed,
        [item.clone(), twin.clone()],
        "oldest first, every page"
    );

    let updated = client
        .update_inventory_item(
            &item.id,
            ItemUpdate::new().cost("12.34567").unwrap().tracked(false),
        )
        .await
        .expect("update item");
    assert_eq!(updated.cost, Some(Decimal::new(1_234_567, 5)));
    assert!(!updated.tracked);
    assert_eq!(updated.sku, sku, "a field not given stays");
    let cleared = client
        .update_inventory_item(&item.id, ItemUpdate::new().no_cost())
        .await
        .expect("clear the cost");
    assert_eq!(cleared.cost, None);
    let since: Vec<_> = client
        .list_inventory_items(
            ItemFilter::all()
                .ids([&item.id, &twin.id])
                .updated_after(twin.updated_at.unwrap()),
        )
        .try_collect()
        .await
        .expect("list updated items");
    assert_eq!(since, [cleared]);

    // The server's refusal of a field: code, reason and its path.
    let err = client
        .update_inventory_item(&item.id, ItemUpdate::new().origin("ZZ", ""))
        .await
        .expect_err("no such country");
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert_eq!(err.domain(), Some("stockledger"));
    assert!(err.reason().is_some(), "{err}");
    assert!(
        err.field()
            .is_some_and(|field| field.ends_with("country_code_of_origin")),
        "{err} names the field {:?}",
        err.field()
    );
}

#[tokio::test]
async fn a_bad_quantity_is_refused_here_as_the_same_error() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    // Not sent: refused with the shape the server uses, the field named.
    let err = adjustment(&item, &shop, S::None, S::InStock, "12 units").expect_err("not a decimal");
    assert_eq!(
        (err.code(), err.reason(), err.domain(), err.field()),
        (
            Code::InvalidArgument,
            Some(INVALID_VALUE),
            Some(CLIENT_DOMAIN),
            Some("adjustment.quantity")
        )
    );
    let err = client
        .create_reservation(NewReservation::new(
            vec![ReservationLine::new(&item, &shop, Decimal::new(1, 6))],
            Hold::For(Duration::from_secs(60)),
        ))
        .await
        .expect_err("six decimal places");
    assert_eq!(err.field(), Some("lines[0].quantity"));
    assert_eq!(err.domain(), Some(CLIENT_DOMAIN));
    // The string that is a decimal goes through, as sent.
    let receipt = adjustment(&item, &shop, S::None, S::InStock, "2.50").expect("a decimal string");
    apply(&client, vec![receipt]).await;
    let count = client
        .retrieve_inventory_count(pb::RetrieveInventoryCountRequest {
            catalog_object_id: item.clone(),
            location_ids: vec![shop.clone()],
            ..Default::default()
        })
        .await
        .expect("count");
    assert_eq!(count.counts[0].quantity, Decimal::new(25, 1));
}

#[tokio::test]
async fn counts_are_listed_page_after_page_with_exact_quantities() {
    let client = client().await;
    let (shop, item) = location_and_item(&client).await;
    apply(
        &client,
        vec![
            adjustment(&item, &shop, S::None, S::InStock, "7").unwrap(),
            adjustment(&item, &shop, S::InStock, S::Waste, "2.5").unwrap(),
        ],
    )
    .await;
    let mut counts: Vec<_> = client
        .list_inventory_counts(CountFilter::all().items([&item]).page_size(1))
        .try_collect()
        .await
        .expect("list counts");
    counts.sort_by_key(|count| count.state as i32);
    let read: Vec<_> = counts
        .iter()
        .map(|c| (c.location_id.as_str(), c.state, c.quantity))
        .collect();
    assert_eq!(
        read,
        [
            (shop.as_str(), S::InStock, Decimal::new(45, 1)),
            (shop.as_str(), S::Waste, Decimal::new(25, 1)),
        ]
    );
    assert!(counts.iter().all(|c| c.calculated_at.is_some()));
    let waste: Vec<_> = client
        .list_inventory_counts(
            CountFilter::all()
                .items([&item])
                .locations([&shop])
                .states([S::Waste]),
        )
        .try_collect()
        .await
        .expect("list waste");
    assert_eq!(waste, [counts[1].clone()]);
    // One page by hand: a count and the cursor of the other.
    let first = client
        .batch_retrieve_inventory_counts(CountFilter::all().items([&item]).page_size(1))
        .await
        .expect("one page of counts");
    assert_eq!(first.counts.len(), 1);
    assert!(counts.contains(&first.counts[0]), "{first:?}");
    assert!(!first.cursor.is_empty());
    // SOLD keeps no count: the server's refusal names the field.
    let err = client
        .list_inventory_counts(
            CountFilter::all()
                .items([&item])
                .states([S::InStock, S::Sold]),
        )
        .try_collect::<Vec<_>>()
        .await
        .expect_err("no SOLD count");
    assert_eq!(
        (err.code(), err.field()),
        (Code::InvalidArgument, Some("states[1]"))
    );
}
