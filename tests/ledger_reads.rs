//! Ledger reads end to end: counts, history paging, retrieval by id, streaming history,
//! and a property test against a reference fold, on SQLite and PostgreSQL.

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use common::ledger::*;
use common::paging::{Paged, list_all};
use common::{Clients, TestServer, assert_ids_checked, assert_rejected};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseResult, TestRunner};
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchRetrieveInventoryChangesRequest,
    BatchRetrieveInventoryCountsRequest, InventoryChangeType, InventoryCount, InventoryState as S,
    RetrieveInventoryAdjustmentRequest, RetrieveInventoryCountRequest,
    RetrieveInventoryPhysicalCountRequest, RetrieveInventoryTransferRequest,
    StreamInventoryChangesRequest, StreamInventoryChangesResponse, inventory_change::Change,
};
use tokio_stream::StreamExt;
use tonic::{Code, Status};

/// Every count of `catalog_object_id` (RetrieveInventoryCount).
async fn counts_of(
    clients: &mut Clients,
    catalog_object_id: &str,
) -> Result<Vec<InventoryCount>, tonic::Status> {
    let request = RetrieveInventoryCountRequest {
        catalog_object_id: catalog_object_id.into(),
        ..Default::default()
    };
    let response = clients.inventory.retrieve_inventory_count(request).await?;
    Ok(response.into_inner().counts)
}

/// The first page of counts `request` asks for.
async fn counts_page(
    clients: &mut Clients,
    request: BatchRetrieveInventoryCountsRequest,
) -> Result<Vec<InventoryCount>, tonic::Status> {
    let response = clients.inventory.batch_retrieve_inventory_counts(request);
    Ok(response.await?.into_inner().counts)
}

/// Every message of a StreamInventoryChanges call, read to its end.
async fn stream_all(
    clients: &mut Clients,
    request: StreamInventoryChangesRequest,
) -> Vec<StreamInventoryChangesResponse> {
    let stream = clients.inventory.stream_inventory_changes(request).await;
    let mut stream = stream.expect("StreamInventoryChanges").into_inner();
    let mut all = Vec::new();
    while let Some(message) = stream.next().await {
        all.push(message.expect("streamed message"));
    }
    all
}

/// The ids of the changes in `messages`.
fn streamed_ids(messages: &[StreamInventoryChangesResponse]) -> Vec<String> {
    let id = |m: &StreamInventoryChangesResponse| change_id(m.change.as_ref().expect("change"));
    messages.iter().map(id).collect()
}

on_both_backends!(never_touched_counts_are_absent_not_zero);
async fn never_touched_counts_are_absent_not_zero(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "NEW").await;
    assert!(counts_of(&mut server, &i).await.unwrap().is_empty());
    let in_and_out = vec![
        adjust(&i, &l, S::None, S::InStock, "1"),
        adjust(&i, &l, S::InStock, S::Sold, "1"),
    ];
    apply(&mut server, in_and_out).await;
    let counts = counts_of(&mut server, &i).await.unwrap();
    let kept = "SOLD keeps no count; IN_STOCK is 0, not absent";
    assert_eq!(counts.len(), 1, "{kept}");
    let count = (counts[0].state(), counts[0].quantity.as_str());
    assert_eq!(count, (S::InStock, "0"));
    let malformed = counts_of(&mut server, "x").await;
    assert_rejected(malformed, Code::InvalidArgument, &["catalog_object_id"]);
}

on_both_backends!(counts_filter_and_page_newest_first);
async fn counts_filter_and_page_newest_first(mut server: TestServer) {
    let (a, b) = (
        location(&mut server, "A").await,
        location(&mut server, "B").await,
    );
    let mut items = Vec::new();
    for n in 0..5 {
        let i = item(&mut server, &format!("P{n}")).await;
        let changes = vec![
            adjust(&i, &a, S::None, S::InStock, "10"),
            adjust(&i, &b, S::None, S::InStock, "10"),
            adjust(&i, &a, S::InStock, S::Waste, "1"),
        ];
        apply(&mut server, changes).await;
        items.push(i);
    }
    let limited = |limit| BatchRetrieveInventoryCountsRequest {
        limit,
        ..Default::default()
    };
    let seen = list_all(&mut server, limited(4)).await;
    assert_eq!(seen.len(), 15);
    let keys: HashSet<_> = seen
        .iter()
        .map(|c| (&c.catalog_object_id, &c.location_id, c.state))
        .collect();
    assert_eq!(keys.len(), 15, "no count repeated");
    let times: Vec<_> = seen
        .iter()
        .map(|c| c.calculated_at.map(|t| (t.seconds, t.nanos)).unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "calculated_at descending"
    );
    assert_eq!(seen[0].catalog_object_id, items[4], "the newest first");

    let waste_at_a = BatchRetrieveInventoryCountsRequest {
        location_ids: vec![a.clone()],
        states: vec![S::Waste.into()],
        ..Default::default()
    };
    let waste_at_a = counts_page(&mut server, waste_at_a).await.unwrap();
    assert_eq!(waste_at_a.len(), 5);
    assert!(
        waste_at_a
            .iter()
            .all(|c| c.quantity == "1" && c.location_id == a)
    );
    let one_item = BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: vec![items[2].clone()],
        ..Default::default()
    };
    assert_eq!(counts_page(&mut server, one_item).await.unwrap().len(), 3);
    let recent = BatchRetrieveInventoryCountsRequest {
        updated_after: seen[3].calculated_at,
        ..Default::default()
    };
    let recent = counts_page(&mut server, recent).await.unwrap();
    assert!(recent.iter().all(|c| c.catalog_object_id == items[4]));

    let first = server
        .inventory
        .batch_retrieve_inventory_counts(limited(2))
        .await;
    let cursor = first.unwrap().into_inner().cursor;
    let other_filter = BatchRetrieveInventoryCountsRequest {
        location_ids: vec![b.clone()],
        ..Default::default()
    };
    let other_filter = counts_page(&mut server, other_filter.after(cursor.clone())).await;
    assert_rejected(other_filter, Code::InvalidArgument, &["cursor"]);
    let on_history = BatchRetrieveInventoryChangesRequest::default().after(cursor);
    let on_history = server
        .inventory
        .batch_retrieve_inventory_changes(on_history);
    assert_rejected(on_history.await, Code::InvalidArgument, &["cursor"]);
    for limit in [-1, 1001] {
        let bad = counts_page(&mut server, limited(limit)).await;
        assert_rejected(bad, Code::InvalidArgument, &["limit"]);
    }
    let unspecified = BatchRetrieveInventoryCountsRequest {
        states: vec![S::Unspecified.into()],
        ..Default::default()
    };
    let bad_state = counts_page(&mut server, unspecified).await;
    assert_rejected(bad_state, Code::InvalidArgument, &["states[0]"]);
}

on_both_backends!(history_paging_never_skips_or_repeats_while_writes_continue);
async fn history_paging_never_skips_or_repeats_while_writes_continue(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "H").await;
    let base = now_micros() - 7_200_000_000;
    let receipt = |minute| receipt_at(&i, &l, at_minute(base, minute));
    let mut existing = HashSet::new();
    for n in 0..6 {
        let changes = (0..10).map(|k| receipt(n * 10 + k)).collect();
        existing.extend(
            apply(&mut server, changes)
                .await
                .changes
                .iter()
                .map(change_id),
        );
    }
    let mut writer = server.inventory.clone();
    let sale = adjust(&i, &l, S::InStock, S::Sold, "1");
    let writes = tokio::spawn(async move {
        for n in 0..30 {
            // Backdated writes land before, inside and after the pages being read.
            let when = at_minute(base, (n * 7) % 70);
            let sold = writer.batch_change_inventory(batch(vec![at(sale.clone(), when)]));
            sold.await.unwrap();
        }
    });
    let paged = BatchRetrieveInventoryChangesRequest {
        limit: 7,
        ..Default::default()
    };
    let seen: Vec<String> = list_all(&mut server, paged)
        .await
        .iter()
        .map(change_id)
        .collect();
    writes.await.unwrap();
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no change repeated");
    let none_skipped = "no change that existed at the first page is skipped";
    assert!(existing.is_subset(&unique), "{none_skipped}");
    assert_verified(&server).await;
}

on_both_backends!(history_filters_by_type_state_location_and_time);
async fn history_filters_by_type_state_location_and_time(mut server: TestServer) {
    let (a, b, i) = two_locations_and_item(&mut server, "F").await;
    let applied = apply(&mut server, vec![adjust(&i, &a, S::None, S::InStock, "5")]).await;
    let Some(Change::Adjustment(first)) = &applied.changes[0].change else {
        panic!("an adjustment: {applied:?}")
    };
    let created = first.created_at;
    apply(
        &mut server,
        vec![count(&i, &a, S::Waste, "1"), transfer(&i, &a, &b, "2")],
    )
    .await;
    let of_types = |types: &[InventoryChangeType]| BatchRetrieveInventoryChangesRequest {
        types: types.iter().map(|&t| t.into()).collect(),
        ..Default::default()
    };
    let cases = [
        (of_types(&[InventoryChangeType::Transfer]), 1, "transfers"),
        (
            of_types(&[
                InventoryChangeType::Adjustment,
                InventoryChangeType::PhysicalCount,
            ]),
            2,
            "adjustments and counts",
        ),
        (
            BatchRetrieveInventoryChangesRequest {
                states: vec![S::Waste.into()],
                ..Default::default()
            },
            1,
            "in WASTE",
        ),
        (
            BatchRetrieveInventoryChangesRequest {
                location_ids: vec![b.clone()],
                ..Default::default()
            },
            1,
            "at B, either end of a transfer",
        ),
        (
            BatchRetrieveInventoryChangesRequest {
                updated_after: created,
                ..Default::default()
            },
            2,
            "after the first",
        ),
        (
            BatchRetrieveInventoryChangesRequest {
                updated_before: created,
                ..Default::default()
            },
            0,
            "before the first",
        ),
    ];
    for (request, expected, what) in cases {
        assert_eq!(
            history(&mut server, request).await.len(),
            expected,
            "{what}"
        );
    }
    let bad = BatchRetrieveInventoryChangesRequest {
        types: vec![9],
        ..Default::default()
    };
    let bad = server.inventory.batch_retrieve_inventory_changes(bad).await;
    assert_rejected(bad, Code::InvalidArgument, &["types[0]"]);
}

/// Retrieves change `id` through the Retrieve RPC of its `kind`.
async fn retrieve(
    clients: &mut Clients,
    kind: InventoryChangeType,
    id: &str,
) -> Result<Change, Status> {
    let (inventory, id) = (&mut clients.inventory, id.to_owned());
    let change = match kind {
        InventoryChangeType::Adjustment => {
            let request = RetrieveInventoryAdjustmentRequest { adjustment_id: id };
            let response = inventory.retrieve_inventory_adjustment(request).await?;
            response.into_inner().adjustment.map(Change::Adjustment)
        }
        InventoryChangeType::PhysicalCount => {
            let request = RetrieveInventoryPhysicalCountRequest {
                physical_count_id: id,
            };
            let response = inventory.retrieve_inventory_physical_count(request).await?;
            response
                .into_inner()
                .physical_count
                .map(Change::PhysicalCount)
        }
        InventoryChangeType::Transfer => {
            let request = RetrieveInventoryTransferRequest { transfer_id: id };
            let response = inventory.retrieve_inventory_transfer(request).await?;
            response.into_inner().transfer.map(Change::Transfer)
        }
        InventoryChangeType::Unspecified => panic!("no Retrieve RPC for {kind:?}"),
    };
    Ok(change.expect("the retrieved change"))
}

on_both_backends!(changes_are_retrievable_by_id_and_type);
async fn changes_are_retrievable_by_id_and_type(mut server: TestServer) {
    let (a, b, i) = two_locations_and_item(&mut server, "R").await;
    let mut receipt = adjust(&i, &a, S::None, S::InStock, "5");
    if let Some(Change::Adjustment(x)) = receipt.change.as_mut() {
        x.reference_id = "PO-7".into();
        x.team_member_id = "tm-1".into();
    }
    let changes = vec![
        receipt,
        count(&i, &a, S::InStock, "4"),
        transfer(&i, &a, &b, "1"),
    ];
    let recorded = apply(&mut server, changes).await.changes;
    let kinds = [
        (InventoryChangeType::Adjustment, "adjustment_id"),
        (InventoryChangeType::PhysicalCount, "physical_count_id"),
        (InventoryChangeType::Transfer, "transfer_id"),
    ];
    for (change, (kind, id_field)) in recorded.iter().zip(kinds) {
        let id = change_id(change);
        let found = retrieve(&mut server, kind, &id).await.unwrap();
        assert_eq!(Some(&found), change.change.as_ref(), "as recorded");
        assert_ids_checked(id_field, async |id| retrieve(&mut server, kind, id).await).await;
        // Each RPC finds only changes of its own kind.
        for (other, other_field) in kinds.iter().filter(|(other, _)| *other != kind) {
            let wrong_type = retrieve(&mut server, *other, &id).await;
            assert_rejected(wrong_type, Code::NotFound, &[other_field]);
        }
    }
    let Some(Change::Adjustment(adjustment)) = &recorded[0].change else {
        panic!("an adjustment first: {recorded:?}")
    };
    let fields = (
        adjustment.quantity.as_str(),
        adjustment.reference_id.as_str(),
        adjustment.team_member_id.as_str(),
    );
    assert_eq!(fields, ("5", "PO-7", "tm-1"));
    let Some(Change::Transfer(t)) = &recorded[2].change else {
        panic!("a transfer last: {recorded:?}")
    };
    let ends = (t.from_location_id.as_str(), t.to_location_id.as_str());
    assert_eq!(ends, (a.as_str(), b.as_str()));
}

on_both_backends!(streaming_covers_long_histories_resumes_and_cancels);
async fn streaming_covers_long_histories_resumes_and_cancels(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "S").await;
    let base = now_micros() - 7_200_000_000;
    let receipt = |minute| receipt_at(&i, &l, at_minute(base, minute));
    let everything = StreamInventoryChangesRequest::default;
    // 2,500 changes: more than two of the pages the server reads the history in.
    for n in 0..25 {
        let changes = (0..100).map(|k| receipt((n * 100 + k) % 110)).collect();
        apply(&mut server, changes).await;
    }
    let all = stream_all(&mut server, everything()).await;
    assert_eq!(all.len(), 2500, "the whole history is streamed");
    let occurred_at = |m: &StreamInventoryChangesResponse| match &m.change.as_ref()?.change {
        Some(Change::Adjustment(a)) => a.occurred_at.map(|t| (t.seconds, t.nanos)),
        _ => None,
    };
    let times: Vec<_> = all.iter().map(|m| occurred_at(m).unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");

    // Resuming from a cursor inside the second page continues right after it.
    let after = |cursor: &str| StreamInventoryChangesRequest {
        cursor: cursor.into(),
        ..Default::default()
    };
    let resumed = stream_all(&mut server, after(&all[1199].cursor)).await;
    let expected = streamed_ids(&all[1200..]);
    assert_eq!(
        streamed_ids(&resumed),
        expected,
        "continues right after the cursor"
    );

    // The same cursor also pages BatchRetrieveInventoryChanges.
    let last_page = BatchRetrieveInventoryChangesRequest::default().after(all[2498].cursor.clone());
    let last_page: Vec<String> = history(&mut server, last_page)
        .await
        .iter()
        .map(change_id)
        .collect();
    assert_eq!(last_page, expected[expected.len() - 1..]);

    // Clients that open streams and stop reading, on a connection of their own, do not hold
    // the server up: writes, reads and whole new streams still complete promptly.
    let mut stalled = server.new_connection().await;
    let mut unread = Vec::new();
    for _ in 0..3 {
        let stream = stalled
            .inventory
            .stream_inventory_changes(everything())
            .await;
        let mut stream = stream.unwrap().into_inner();
        stream.next().await.expect("a first message").unwrap();
        unread.push(stream);
    }
    let receipt = || adjust(&i, &l, S::None, S::InStock, "1");
    let write = apply(&mut server, vec![receipt()]);
    let within = Duration::from_secs(5);
    tokio::time::timeout(within, write)
        .await
        .expect("a prompt write");
    let read = quantity(&mut server, &i, &l, S::InStock);
    let read = tokio::time::timeout(within, read)
        .await
        .expect("a prompt read");
    assert_eq!(read.as_deref(), Some("2501"));
    let stream = stream_all(&mut server, everything());
    let stream = tokio::time::timeout(within, stream)
        .await
        .expect("a prompt stream");
    assert_eq!(stream.len(), 2501);

    // And once they go away, the server goes on serving.
    drop((unread, stalled));
    let write = apply(&mut server, vec![receipt()]);
    tokio::time::timeout(within, write)
        .await
        .expect("a prompt write");
    let counts_only = StreamInventoryChangesRequest {
        types: vec![InventoryChangeType::PhysicalCount.into()],
        ..Default::default()
    };
    assert!(stream_all(&mut server, counts_only).await.is_empty());
    assert_eq!(stream_all(&mut server, everything()).await.len(), 2502);
}

/// What one generated change does.
#[derive(Clone, Copy, Debug)]
enum Move {
    /// A physical count of IN_STOCK, or of WASTE.
    Count { waste: bool },
    /// IN_STOCK moved to the other location.
    Transfer,
    /// NONE → IN_STOCK.
    Receive,
    /// IN_STOCK → SOLD.
    Sell,
    /// IN_STOCK → WASTE.
    Waste,
}

/// One generated change: on item 0 or 1, at location 0 or 1, `minute` minutes into the
/// history's window, of a whole `quantity`.
#[derive(Clone, Copy, Debug)]
struct Step {
    item: usize,
    location: usize,
    minute: i64,
    quantity: i64,
    what: Move,
}

/// Batches of 1 to 4 changes, 1 to 12 of them, sent in the order generated: occurred_at is
/// drawn independently, so arrival order and time order differ, and two hours of minutes
/// make ties common.
fn histories() -> impl Strategy<Value = Vec<Vec<Step>>> {
    let what = prop_oneof![
        Just(Move::Receive),
        Just(Move::Sell),
        Just(Move::Waste),
        Just(Move::Transfer),
        any::<bool>().prop_map(|waste| Move::Count { waste }),
    ];
    let step = (0..2_usize, 0..2_usize, 0..120_i64, 1..=20_i64, what).prop_map(
        |(item, location, minute, quantity, what)| Step {
            item,
            location,
            minute,
            quantity,
            what,
        },
    );
    proptest::collection::vec(proptest::collection::vec(step, 1..=4), 1..=12)
}

/// Where a change falls in a count's history: (minute, arrival).
type Position = (i64, usize);
/// A count: (item, location, state), by index.
type CountKey = (usize, usize, S);
/// One effect on a count: where it falls, and either the quantity it sets or its delta.
type Effect = (Position, Option<i64>, i64);

/// The effects of `step`, the `arrival`-th change received.
fn effects(step: &Step, arrival: usize) -> Vec<(CountKey, Effect)> {
    let (i, l, q) = (step.item, step.location, step.quantity);
    let at = (step.minute, arrival);
    match step.what {
        Move::Count { waste } => {
            let state = if waste { S::Waste } else { S::InStock };
            vec![((i, l, state), (at, Some(q), 0))]
        }
        Move::Transfer => vec![
            ((i, l, S::InStock), (at, None, -q)),
            ((i, 1 - l, S::InStock), (at, None, q)),
        ],
        Move::Receive => vec![((i, l, S::InStock), (at, None, q))],
        Move::Sell => vec![((i, l, S::InStock), (at, None, -q))],
        Move::Waste => vec![
            ((i, l, S::InStock), (at, None, -q)),
            ((i, l, S::Waste), (at, None, q)),
        ],
    }
}

/// The reference: sort one count's effects by position and fold.
fn reference_fold(mut effects: Vec<Effect>) -> i64 {
    effects.sort_by_key(|e| e.0);
    effects
        .iter()
        .fold(0, |total, &(_, set, delta)| set.unwrap_or(total + delta))
}

/// Sends `history` for two new items at two new locations and compares every count the
/// server reports for them with the reference fold.
async fn check_history(
    server: &mut TestServer,
    case: usize,
    history: &[Vec<Step>],
) -> TestCaseResult {
    let mut locations = Vec::new();
    let mut items = Vec::new();
    for n in 0..2 {
        locations.push(location(server, &format!("case {case} location {n}")).await);
        items.push(item(server, &format!("CASE-{case}-ITEM-{n}")).await);
    }
    let base = now_micros() - 20 * 3_600_000_000;
    let mut expected: BTreeMap<CountKey, Vec<Effect>> = BTreeMap::new();
    let mut arrival = 0;
    for steps in history {
        let changes = steps.iter().map(|step| {
            let (i, l) = (&items[step.item], &locations[step.location]);
            let q = step.quantity.to_string();
            let change = match step.what {
                Move::Count { waste: true } => count(i, l, S::Waste, &q),
                Move::Count { waste: false } => count(i, l, S::InStock, &q),
                Move::Transfer => transfer(i, l, &locations[1 - step.location], &q),
                Move::Receive => adjust(i, l, S::None, S::InStock, &q),
                Move::Sell => adjust(i, l, S::InStock, S::Sold, &q),
                Move::Waste => adjust(i, l, S::InStock, S::Waste, &q),
            };
            at(change, at_minute(base, step.minute))
        });
        let request = BatchChangeInventoryRequest {
            ignore_unchanged_counts: Some(false),
            ..batch(changes.collect())
        };
        let response = server.inventory.batch_change_inventory(request).await;
        prop_assert_eq!(
            response.expect("batch applied").into_inner().changes.len(),
            steps.len()
        );
        for step in steps {
            arrival += 1;
            for (key, effect) in effects(step, arrival) {
                expected.entry(key).or_default().push(effect);
            }
        }
    }
    let expected: BTreeMap<CountKey, String> = expected
        .into_iter()
        .map(|(key, effects)| (key, reference_fold(effects).to_string()))
        .collect();
    let of_case = BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: items.clone(),
        ..Default::default()
    };
    let index = |ids: &[String], id: &str| ids.iter().position(|x| x == id).expect("known id");
    let reported: BTreeMap<CountKey, String> = list_all(server, of_case)
        .await
        .into_iter()
        .map(|c| {
            let key = (
                index(&items, &c.catalog_object_id),
                index(&locations, &c.location_id),
                c.state(),
            );
            (key, c.quantity)
        })
        .collect();
    prop_assert_eq!(reported, expected);
    Ok(())
}

/// A few cases by default, from a fixed seed so that every run checks the same histories;
/// PROPTEST_CASES and PROPTEST_RNG_SEED explore further.
fn runner() -> TestRunner {
    let from_env = |name| std::env::var_os(name).is_some();
    let mut config = Config {
        failure_persistence: None,
        max_shrink_iters: 500,
        ..Config::default()
    };
    if !from_env("PROPTEST_CASES") {
        config.cases = 12;
    }
    if !from_env("PROPTEST_RNG_SEED") {
        config.rng_seed = RngSeed::Fixed(20_240_611);
    }
    TestRunner::new(config)
}

on_both_backends!(random_histories_in_random_order_match_the_reference_fold);
async fn random_histories_in_random_order_match_the_reference_fold(server: TestServer) {
    let server = RefCell::new(server);
    let cases = RefCell::new(0);
    let handle = tokio::runtime::Handle::current();
    // proptest drives the cases synchronously; each case runs on this test's runtime.
    let result = tokio::task::block_in_place(|| {
        runner().run(&histories(), |history| {
            *cases.borrow_mut() += 1;
            let case = *cases.borrow();
            handle.block_on(check_history(&mut server.borrow_mut(), case, &history))
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    assert_verified(&server.into_inner()).await;
}
