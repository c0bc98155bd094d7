//! Counts as of a moment end to end (docs/ledger.md, "Counts as of a moment"): the rule on
//! a timeline, absent counts, calculated_at, refusals, cursors bound to their as_of, a
//! property test over random histories long enough to cross checkpoints against the
//! reference fold of the entries that occurred by then, and the rows one as-of count reads
//! on a long history — on SQLite and PostgreSQL.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;

use common::ledger::*;
use common::paging::list_all;
use common::{TestServer, assert_rejected};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseResult, TestRunner};
use prost_types::Timestamp;
use sea_orm::ConnectionTrait;
use stockledger::domain::asof::CHECKPOINT_EVERY;
use stockledger::domain::ledger::{CountKey, InventoryState};
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchRetrieveInventoryCountsRequest, InventoryCount,
    InventoryState as S, RetrieveInventoryCountRequest,
};
use stockledger::store::Store;
use tonic::Code;

const MINUTE: i64 = 60_000_000;

/// One count answered: (location, state) and quantity.
type Answered = ((String, S), String);

fn timestamp(micros: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    })
}

fn micros(ts: &Option<Timestamp>) -> i64 {
    let ts = ts.expect("timestamp");
    ts.seconds * 1_000_000 + i64::from(ts.nanos) / 1000
}

/// The counts of `item` as of `as_of` (µs), every page: (location, state) → quantity.
async fn item_as_of(
    server: &mut TestServer,
    item: &str,
    as_of: i64,
) -> BTreeMap<(String, S), String> {
    let request = BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: vec![item.into()],
        as_of: timestamp(as_of),
        limit: 1,
        ..Default::default()
    };
    list_all(server, request)
        .await
        .into_iter()
        .map(|c| {
            assert_eq!(micros(&c.calculated_at), as_of, "calculated_at is as_of");
            ((c.location_id.clone(), c.state()), c.quantity)
        })
        .collect()
}

on_both_backends!(the_square_timeline_as_of_each_moment);
async fn the_square_timeline_as_of_each_moment(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "MUG").await;
    let base = now_micros() - 3 * 3_600_000_000;
    let t = |minute: i64| base + minute * MINUTE;
    let minute = |m: i64| at_minute(base, m);
    apply(
        &mut server,
        vec![at(adjust(&i, &l, S::None, S::InStock, "100"), minute(0))],
    )
    .await;
    apply(
        &mut server,
        vec![at(adjust(&i, &l, S::InStock, S::Sold, "3"), minute(10))],
    )
    .await;
    apply(
        &mut server,
        vec![at(count(&i, &l, S::InStock, "95"), minute(30))],
    )
    .await;
    // Sent late: it happened at minute 20.
    apply(
        &mut server,
        vec![at(adjust(&i, &l, S::InStock, S::Sold, "2"), minute(20))],
    )
    .await;
    apply(
        &mut server,
        vec![at(adjust(&i, &l, S::InStock, S::Waste, "2"), minute(40))],
    )
    .await;
    let in_stock = |q: &str| vec![((l.clone(), S::InStock), q.to_owned())];
    let table: [(i64, Vec<Answered>); 9] = [
        (t(0) - 1, vec![]), // before the first change: absent, not 0
        (t(0), in_stock("100")),
        (t(10), in_stock("97")),
        (t(15), in_stock("97")),
        (t(20), in_stock("95")), // the late sale counts: it had happened by then
        (t(29), in_stock("95")),
        (t(30), in_stock("95")),
        (
            t(40),
            vec![
                ((l.clone(), S::InStock), "93".to_owned()),
                ((l.clone(), S::Waste), "2".to_owned()),
            ],
        ),
        (
            now_micros(),
            vec![
                ((l.clone(), S::InStock), "93".to_owned()),
                ((l.clone(), S::Waste), "2".to_owned()),
            ],
        ),
    ];
    for (as_of, expected) in table {
        let expected: BTreeMap<_, _> = expected.into_iter().collect();
        assert_eq!(
            item_as_of(&mut server, &i, as_of).await,
            expected,
            "as of {as_of}"
        );
    }
    // RetrieveInventoryCount answers the same.
    let retrieved = server
        .inventory
        .retrieve_inventory_count(RetrieveInventoryCountRequest {
            catalog_object_id: i.clone(),
            location_ids: vec![l.clone()],
            as_of: timestamp(t(15)),
            ..Default::default()
        })
        .await
        .expect("RetrieveInventoryCount as of")
        .into_inner();
    let answered: Vec<_> = retrieved
        .counts
        .iter()
        .map(|c| (c.state(), c.quantity.as_str(), micros(&c.calculated_at)))
        .collect();
    assert_eq!(answered, vec![(S::InStock, "97", t(15))]);
    // Current counts are unchanged by the feature.
    assert_quantity(&mut server, &i, &l, S::InStock, Some("93")).await;
    assert_verified(&server).await;
}

on_both_backends!(as_of_refusals_and_cursors);
async fn as_of_refusals_and_cursors(mut server: TestServer) {
    let (a, b) = (
        location(&mut server, "A").await,
        location(&mut server, "B").await,
    );
    let past = now_micros() - 3_600_000_000;
    let mut items = Vec::new();
    for n in 0..3 {
        let i = item(&mut server, &format!("AS-OF-{n}")).await;
        let changes = vec![
            at(adjust(&i, &a, S::None, S::InStock, "5"), timestamp(past)),
            at(adjust(&i, &b, S::None, S::InStock, "7"), timestamp(past)),
        ];
        apply(&mut server, changes).await;
        items.push(i);
    }
    // Later changes do not show as of `past`.
    apply(
        &mut server,
        vec![adjust(&items[0], &a, S::None, S::InStock, "100")],
    )
    .await;
    let request = |as_of: i64| BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: items.clone(),
        as_of: timestamp(as_of),
        limit: 2,
        ..Default::default()
    };
    let all: Vec<InventoryCount> = list_all(&mut server, request(past)).await;
    assert_eq!(all.len(), 6);
    let keys: Vec<_> = all
        .iter()
        .map(|c| (c.catalog_object_id.clone(), c.location_id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "as-of counts come in key order");
    assert!(
        all.iter().all(|c| c.quantity == "5" || c.quantity == "7"),
        "{all:?}"
    );
    // A cursor carries its as_of: continuing with it alone keeps it, another as_of is
    // INVALID_CURSOR.
    let first = server
        .inventory
        .batch_retrieve_inventory_counts(request(past))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.cursor.is_empty());
    let continued = server
        .inventory
        .batch_retrieve_inventory_counts(BatchRetrieveInventoryCountsRequest {
            cursor: first.cursor.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        continued
            .counts
            .iter()
            .all(|c| micros(&c.calculated_at) == past)
    );
    let other = server
        .inventory
        .batch_retrieve_inventory_counts(BatchRetrieveInventoryCountsRequest {
            cursor: first.cursor.clone(),
            as_of: timestamp(past + 1),
            ..Default::default()
        })
        .await;
    let refused = assert_rejected(other, Code::InvalidArgument, &["cursor"]);
    assert_eq!(refused.reason.as_deref(), Some("INVALID_CURSOR"));
    // A current-counts cursor is not an as-of one either.
    let current = server
        .inventory
        .batch_retrieve_inventory_counts(BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: items.clone(),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mixed = server
        .inventory
        .batch_retrieve_inventory_counts(BatchRetrieveInventoryCountsRequest {
            cursor: current.cursor,
            as_of: timestamp(past),
            ..Default::default()
        })
        .await;
    assert_rejected(mixed, Code::InvalidArgument, &["cursor"]);
    // updated_after applies to calculated_at, which is as_of.
    let before = BatchRetrieveInventoryCountsRequest {
        updated_after: timestamp(past - 1),
        ..request(past)
    };
    assert_eq!(list_all(&mut server, before).await.len(), 6);
    let after = BatchRetrieveInventoryCountsRequest {
        updated_after: timestamp(past),
        ..request(past)
    };
    assert!(list_all(&mut server, after).await.is_empty());
    // The future is refused, naming as_of, on both RPCs.
    let future = now_micros() + 60_000_000;
    let refused = server
        .inventory
        .batch_retrieve_inventory_counts(request(future))
        .await;
    let refused = assert_rejected(refused, Code::InvalidArgument, &["as_of"]);
    assert_eq!(refused.reason.as_deref(), Some("INVALID_TIME"));
    let refused = server
        .inventory
        .retrieve_inventory_count(RetrieveInventoryCountRequest {
            catalog_object_id: items[0].clone(),
            as_of: timestamp(future),
            ..Default::default()
        })
        .await;
    assert_rejected(refused, Code::InvalidArgument, &["as_of"]);
    // Long before anything: every count absent.
    assert!(list_all(&mut server, request(0)).await.is_empty());
}

/// One generated change of the property test: at location 0 or 1, `minute` minutes into
/// the history's 23 hours, of a whole `quantity`.
#[derive(Clone, Copy, Debug)]
struct Step {
    location: usize,
    minute: i64,
    quantity: i64,
    what: Move,
}

#[derive(Clone, Copy, Debug)]
enum Move {
    Receive,
    Sell,
    Waste,
    Transfer,
    Count { waste: bool },
}

/// Batches of 60 to 100 changes, 8 to 14 of them, on one item at two locations: each
/// IN_STOCK count gets hundreds of entries, so checkpoints are crossed, and occurred_at is
/// drawn independently of arrival, so most changes land late among earlier ones and
/// checkpoints. Physical counts are rare, so long runs of deltas remain.
fn histories() -> impl Strategy<Value = Vec<Vec<Step>>> {
    let what = prop_oneof![
        6 => Just(Move::Receive),
        6 => Just(Move::Sell),
        2 => Just(Move::Waste),
        4 => Just(Move::Transfer),
        1 => any::<bool>().prop_map(|waste| Move::Count { waste }),
    ];
    let step = (0..2_usize, 0..23 * 60_i64, 1..=20_i64, what).prop_map(
        |(location, minute, quantity, what)| Step {
            location,
            minute,
            quantity,
            what,
        },
    );
    proptest::collection::vec(proptest::collection::vec(step, 60..=100), 8..=14)
}

/// The instants a case asks about: minutes into its window, some on a change's minute
/// exactly (entries at as_of count), some between.
fn instants() -> impl Strategy<Value = Vec<(i64, bool)>> {
    proptest::collection::vec((-1..23 * 60 + 1_i64, any::<bool>()), 6)
}

/// One count's effects: (position, set, delta), position = (minute, arrival).
type Effects = Vec<((i64, usize), Option<i64>, i64)>;

/// The reference: the effects that occurred by the end of minute `minute` (every change
/// occurs on a whole minute, so at `minute` and 30 s later alike), sorted and folded.
fn reference_as_of(effects: &Effects, minute: i64) -> Option<i64> {
    let mut kept: Effects = effects
        .iter()
        .filter(|((m, _), _, _)| *m <= minute)
        .copied()
        .collect();
    if kept.is_empty() {
        return None;
    }
    kept.sort_by_key(|e| e.0);
    Some(
        kept.iter()
            .fold(0, |total, &(_, set, delta)| set.unwrap_or(total + delta)),
    )
}

async fn check_case(
    server: &mut TestServer,
    case: usize,
    history: &[Vec<Step>],
    asked: &[(i64, bool)],
) -> TestCaseResult {
    let locations = [
        location(server, &format!("case {case} location 0")).await,
        location(server, &format!("case {case} location 1")).await,
    ];
    let i = item(server, &format!("AS-OF-CASE-{case}")).await;
    let base = now_micros() - 23 * 3_600_000_000 - 30 * MINUTE;
    let mut effects: BTreeMap<(usize, S), Effects> = BTreeMap::new();
    let mut arrival = 0;
    for steps in history {
        let changes = steps.iter().map(|step| {
            let (l, other) = (&locations[step.location], &locations[1 - step.location]);
            let q = step.quantity.to_string();
            let change = match step.what {
                Move::Count { waste: true } => count(&i, l, S::Waste, &q),
                Move::Count { waste: false } => count(&i, l, S::InStock, &q),
                Move::Transfer => transfer(&i, l, other, &q),
                Move::Receive => adjust(&i, l, S::None, S::InStock, &q),
                Move::Sell => adjust(&i, l, S::InStock, S::Sold, &q),
                Move::Waste => adjust(&i, l, S::InStock, S::Waste, &q),
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
            let (l, q, at) = (step.location, step.quantity, (step.minute, arrival));
            let mut add = |location: usize, state: S, set: Option<i64>, delta: i64| {
                effects
                    .entry((location, state))
                    .or_default()
                    .push((at, set, delta));
            };
            match step.what {
                Move::Count { waste } => {
                    let state = if waste { S::Waste } else { S::InStock };
                    add(l, state, Some(q), 0);
                }
                Move::Transfer => {
                    add(l, S::InStock, None, -q);
                    add(1 - l, S::InStock, None, q);
                }
                Move::Receive => add(l, S::InStock, None, q),
                Move::Sell => add(l, S::InStock, None, -q),
                Move::Waste => {
                    add(l, S::InStock, None, -q);
                    add(l, S::Waste, None, q);
                }
            }
        }
    }
    for &(minute, half) in asked {
        let as_of = base + minute * MINUTE + if half { 30_000_000 } else { 0 };
        let expected: BTreeMap<(String, S), String> = effects
            .iter()
            .filter_map(|((location, state), effects)| {
                let q = reference_as_of(effects, minute)?;
                Some(((locations[*location].clone(), *state), q.to_string()))
            })
            .collect();
        let answered = item_as_of(server, &i, as_of).await;
        prop_assert_eq!(
            answered,
            expected,
            "as of minute {} (+30 s: {})",
            minute,
            half
        );
    }
    Ok(())
}

/// A few cases by default, from a fixed seed; PROPTEST_CASES and PROPTEST_RNG_SEED explore
/// further.
fn runner() -> TestRunner {
    let from_env = |name| std::env::var_os(name).is_some();
    let mut config = Config {
        failure_persistence: None,
        max_shrink_iters: 50,
        ..Config::default()
    };
    if !from_env("PROPTEST_CASES") {
        config.cases = 3;
    }
    if !from_env("PROPTEST_RNG_SEED") {
        config.rng_seed = RngSeed::Fixed(20_261_207);
    }
    TestRunner::new(config)
}

on_both_backends!(random_histories_as_of_random_moments_match_the_reference_fold);
async fn random_histories_as_of_random_moments_match_the_reference_fold(server: TestServer) {
    let server = RefCell::new(server);
    let cases = RefCell::new(0);
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner().run(&(histories(), instants()), |(history, asked)| {
            *cases.borrow_mut() += 1;
            let case = *cases.borrow();
            handle.block_on(check_case(&mut server.borrow_mut(), case, &history, &asked))
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let server = server.into_inner();
    let store = Store::connect(&server.database_url).await.expect("connect");
    let checkpoints = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            store.connection().get_database_backend(),
            "SELECT COUNT(*) FROM inventory_checkpoints",
        ))
        .await
        .expect("count checkpoints")
        .expect("a row");
    let checkpoints: i64 = checkpoints.try_get_by_index(0).expect("a number");
    assert!(checkpoints > 0, "the histories crossed checkpoints");
    store.close().await.ok();
    assert_verified(&server).await;
}

on_both_backends!(an_as_of_count_reads_at_most_k_rows_of_a_long_history);
async fn an_as_of_count_reads_at_most_k_rows_of_a_long_history(mut server: TestServer) {
    const ENTRIES: i64 = 10_000;
    let (l, i) = shop_and_item(&mut server, "LONG").await;
    let start = now_micros() - 20 * 3_600_000_000;
    let step = 6_000_000; // 6 s apart: 10,000 entries over 16.7 hours
    for batch_start in (0..ENTRIES).step_by(100) {
        let changes = (batch_start..batch_start + 100)
            .map(|n| {
                let change = if n % 2 == 0 {
                    adjust(&i, &l, S::None, S::InStock, "3")
                } else {
                    adjust(&i, &l, S::InStock, S::Sold, "1")
                };
                at(change, timestamp(start + n * step))
            })
            .collect();
        apply(&mut server, changes).await;
    }
    let store = Store::connect(&server.database_url).await.expect("connect");
    let merchant = store
        .ensure_merchant(common::TEST_MERCHANT)
        .await
        .expect("the test merchant");
    let key = CountKey {
        catalog_object_id: i.clone(),
        location_id: l.clone(),
        state: InventoryState::InStock,
    };
    let mut most = 0;
    for n in [0, 1, 511, 512, 513, 2_000, 5_555, 9_998, 9_999, ENTRIES + 5] {
        let as_of = start + n * step;
        let folded = store.count_as_of(&merchant, &key, as_of).await.unwrap();
        let entries = (n + 1).min(ENTRIES);
        let expected = (entries + 1) / 2 * 3 - entries / 2;
        assert_eq!(
            folded.quantity.map(|q| q.to_string()),
            Some(expected.to_string()),
            "as of entry {n}"
        );
        assert!(
            folded.rows_read <= CHECKPOINT_EVERY + 1,
            "as of entry {n}: {} rows read",
            folded.rows_read
        );
        most = most.max(folded.rows_read);
        println!(
            "as of entry {n:>5}: {:>3} rows read (a fold of the whole history would read {entries})",
            folded.rows_read
        );
    }
    println!(
        "most rows read by one as-of count over {ENTRIES} entries: {most} (bound K + 1 = {})",
        CHECKPOINT_EVERY + 1
    );
    store.close().await.ok();
    assert_verified(&server).await;
}
