//! Contention: many concurrent writers on a few hot counts — two `stockledger serve`
//! processes on one PostgreSQL database, one process on SQLite — lose no update and apply
//! none twice. Transfers cross the hot counts in both directions (A→B and B→A) beside
//! physical counts, so the lock order is exercised; the same batch sent through both
//! replicas at once races for its idempotency key. The only refusal a writer may meet is
//! ABORTED with reason CONCURRENT_WRITES, which it retries with the same idempotency key;
//! every batch must end up acknowledged exactly once. See docs/reliability.md, "Contention".

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::Backend;
use common::ledger::{adjust, count, item, location, transfer};
use common::load::{
    Acked, Fleet, Rng, Weather, Writer, assert_replays_identical, assert_verify_passes,
    check_ledger, units,
};
use stockledger::proto::v1::{BatchChangeInventoryRequest, InventoryChange, InventoryState as S};
use tokio::sync::Barrier;

/// Concurrent writers.
const WRITERS: usize = 16;
/// Batches each writer sends, one after the other.
const BATCHES_PER_WRITER: usize = 60;
/// Every this many batches, a writer sends the batch through every replica at once.
const RACE_EVERY: usize = 5;

/// The hot counts: one item IN_STOCK at A and at B, and WASTE at A.
struct Hot {
    item: String,
    a: String,
    b: String,
}

/// One batch on the hot counts. WASTE at A only ever moves by adjustments, so its final
/// count must be the sum of the acknowledged ones; the IN_STOCK counts see every kind of
/// change, transfers both ways and physical counts included.
fn hot_batch(rng: &mut Rng, hot: &Hot) -> BatchChangeInventoryRequest {
    let (i, a, b) = (hot.item.as_str(), hot.a.as_str(), hot.b.as_str());
    let q = |rng: &mut Rng, high| rng.between(1, high).to_string();
    let here = if rng.chance(50) { a } else { b };
    let changes: Vec<InventoryChange> = match rng.between(0, 6) {
        0 => vec![adjust(i, here, S::None, S::InStock, &q(rng, 10))],
        1 => vec![
            transfer(i, a, b, &q(rng, 5)),
            adjust(i, b, S::InStock, S::Sold, &q(rng, 3)),
        ],
        2 => vec![
            transfer(i, b, a, &q(rng, 5)),
            adjust(i, a, S::InStock, S::Sold, &q(rng, 3)),
        ],
        3 => vec![
            transfer(i, a, b, &q(rng, 5)),
            transfer(i, b, a, &q(rng, 5)),
            adjust(i, a, S::InStock, S::Waste, &q(rng, 2)),
        ],
        4 => vec![count(i, here, S::InStock, &rng.between(0, 100).to_string())],
        5 => vec![adjust(i, a, S::InStock, S::Waste, &q(rng, 3))],
        _ => vec![
            adjust(i, b, S::None, S::InStock, &q(rng, 10)),
            transfer(i, b, a, &q(rng, 5)),
            count(i, b, S::InStock, &rng.between(0, 100).to_string()),
        ],
    };
    BatchChangeInventoryRequest {
        forbid_negative_counts: None,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        changes,
        ignore_unchanged_counts: Some(false),
    }
}

/// What one writer task brings back.
struct Written {
    acked: Vec<Acked>,
    aborted: u64,
    races: usize,
}

async fn hot_keys_lose_nothing(backend: Backend, replicas: usize) {
    let started = Instant::now();
    let mut rng = Rng::seeded(&format!("contention::{backend:?}"));
    let mut fleet = Fleet::start(backend, replicas).await;
    let hot = {
        let mut clients = fleet.clients(0).await;
        let a = location(&mut clients, "A").await;
        let b = location(&mut clients, "B").await;
        Arc::new(Hot {
            item: item(&mut clients, "HOT").await,
            a,
            b,
        })
    };

    let start = Arc::new(Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            // One connection per replica for the writer, and a twin for its races.
            let mut mine = Writer::new(fleet.endpoints.clone(), Weather::Calm);
            let mut twin = Writer::new(fleet.endpoints.clone(), Weather::Calm);
            let mut rng = rng.fork();
            let (hot, start) = (hot.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut acked = Vec::new();
                let mut races = 0;
                for n in 0..BATCHES_PER_WRITER {
                    let request = hot_batch(&mut rng, &hot);
                    if n % RACE_EVERY == RACE_EVERY - 1 {
                        // A client that gave up waiting and sent again elsewhere: the same
                        // batch through both replicas at once (twice to a lone server).
                        let (one, two) = tokio::join!(
                            mine.acknowledge(0, request.clone()),
                            twin.acknowledge(replicas - 1, request)
                        );
                        assert!(
                            one.bytes == two.bytes,
                            "the same batch sent twice at once answers the same bytes: \
                             {:?}\n{:?}",
                            one.response,
                            two.response
                        );
                        acked.push(one);
                        races += 1;
                    } else {
                        acked.push(mine.acknowledge((w + n) % replicas, request).await);
                    }
                }
                Written {
                    acked,
                    aborted: mine.aborted + twin.aborted,
                    races,
                }
            })
        })
        .collect();

    let mut acked: Vec<Acked> = Vec::new();
    let (mut aborted, mut races) = (0, 0);
    for task in tasks {
        let written = task.await.expect("writer");
        acked.extend(written.acked);
        aborted += written.aborted;
        races += written.races;
    }
    let write_time = started.elapsed();
    assert_eq!(
        acked.len(),
        WRITERS * BATCHES_PER_WRITER,
        "every batch acknowledged"
    );

    assert_replays_identical(&fleet.endpoints, &acked).await;
    let mut clients = fleet.clients(0).await;
    let figures = check_ledger(&mut clients, &acked).await;

    // The count only adjustments move is their sum.
    let waste_added: i64 = acked
        .iter()
        .flat_map(|b| &b.request.changes)
        .filter_map(|c| match c.change.as_ref() {
            Some(stockledger::proto::v1::inventory_change::Change::Adjustment(a))
                if a.to_state == S::Waste as i32 =>
            {
                Some(units(&a.quantity))
            }
            _ => None,
        })
        .sum();
    let waste = common::ledger::quantity(&mut clients, &hot.item, &hot.a, S::Waste).await;
    assert_eq!(
        waste.as_deref().map(units),
        Some(waste_added),
        "WASTE at A is the sum of the acknowledged adjustments to it"
    );

    let logs = fleet.stop().await;
    assert_verify_passes(&fleet.database_url);
    let retried_groups = logs.matches("group met a concurrent writer").count();
    let deadlocks = logs.matches("deadlock detected").count();
    let split_groups = logs
        .matches("group failed; applying its batches one by one")
        .count();
    println!(
        "contention::{backend:?}: {WRITERS} writers on 3 hot counts through {replicas} \
         process(es); {} batches acknowledged exactly once ({} changes, {races} sent twice at \
         once, {aborted} ABORTED CONCURRENT_WRITES retried by the writers); the servers retried \
         {retried_groups} groups after meeting a concurrent writer ({deadlocks} deadlocks) and \
         split {split_groups}; writes {:.1} s, total {:.1} s",
        acked.len(),
        figures.changes,
        write_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

mod hot_keys_lose_no_update {
    use super::*;

    /// Two server processes on one PostgreSQL database: row locks across processes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        hot_keys_lose_nothing(Backend::Postgres, 2).await;
    }

    /// One server process on SQLite: the group-commit writer is the only writer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        hot_keys_lose_nothing(Backend::Sqlite, 1).await;
    }
}
