//! Feed latency benchmark: how soon a committed change reaches a watcher, on one node and
//! across two replicas sharing one PostgreSQL. Light load: one single-change batch every
//! 5 ms. For each change it measures send→delivery (an upper bound of commit→delivery, as
//! the commit happens inside the call) and ack→delivery (a lower bound; negative when the
//! watcher had it before the writer got its answer). Run with `cargo bench --bench feed`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::ledger::{adjust, batch, item, location};
use common::{Authed, Backend, TestServer};
use stockledger::proto::v1::inventory_service_client::InventoryServiceClient;
use stockledger::proto::v1::{InventoryState as S, WatchInventoryChangesRequest};
use tokio_stream::StreamExt;

const CHANGES: usize = 300;

fn report(label: &str, mut micros: Vec<i64>) {
    micros.sort();
    let at = |p: f64| micros[((micros.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
    println!(
        "  {label:<44} p50={:>7.3} ms  p99={:>7.3} ms  max={:>7.3} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

async fn measure(
    writer: &mut TestServer,
    mut watcher: InventoryServiceClient<Authed>,
    label: &str,
) {
    let (l, i) = (
        location(writer, &format!("L-{label}")).await,
        item(writer, &format!("I-{label}")).await,
    );
    let mut stream = watcher
        .watch_inventory_changes(WatchInventoryChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let arrivals = tokio::spawn(async move {
        let mut at = Vec::with_capacity(CHANGES);
        while at.len() < CHANGES {
            stream.next().await.unwrap().unwrap();
            at.push(Instant::now());
        }
        at
    });
    let mut sent = Vec::with_capacity(CHANGES);
    let mut acked = Vec::with_capacity(CHANGES);
    for _ in 0..CHANGES {
        sent.push(Instant::now());
        writer
            .inventory
            .batch_change_inventory(batch(vec![adjust(&i, &l, S::None, S::InStock, "1")]))
            .await
            .unwrap();
        acked.push(Instant::now());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let arrived = arrivals.await.unwrap();
    let delta = |from: &[Instant]| -> Vec<i64> {
        arrived
            .iter()
            .zip(from)
            .map(|(a, f)| {
                if a >= f {
                    (*a - *f).as_micros() as i64
                } else {
                    -((*f - *a).as_micros() as i64)
                }
            })
            .collect()
    };
    println!("{label}: {CHANGES} changes");
    report("send -> delivery (upper bound)", delta(&sent));
    report("ack -> delivery (lower bound)", delta(&acked));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut sqlite = TestServer::start(Backend::Sqlite).await;
    let own = sqlite.inventory.clone();
    measure(&mut sqlite, own, "SQLite, one node").await;

    let mut postgres = TestServer::start(Backend::Postgres).await;
    let own = postgres.inventory.clone();
    measure(&mut postgres, own, "PostgreSQL, one node").await;
    let replica = postgres.replica().await;
    measure(
        &mut postgres,
        replica.inventory.clone(),
        "PostgreSQL, write on A, watch on replica B",
    )
    .await;
}
