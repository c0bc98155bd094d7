//! Ledger load benchmark: a real server on SQLite and on a throw-away PostgreSQL cluster,
//! driven over gRPC. Prints write throughput, batch latency, count-read latency and
//! history-streaming throughput. Run with `cargo bench --bench ledger`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::ledger::{adjust, batch, item, location};
use common::{Backend, TestServer};
use stockledger::proto::v1::{
    InventoryState as S, RetrieveInventoryCountRequest, StreamInventoryChangesRequest,
};
use tokio_stream::StreamExt;

const WRITERS: usize = 4;
const BATCHES_PER_WRITER: usize = 25;
const CHANGES_PER_BATCH: usize = 100;
const READS: usize = 2000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "  {label:<28} n={:<6} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.last().unwrap()
    );
}

async fn run(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let mut locations = Vec::new();
    for n in 0..5 {
        locations.push(location(&mut server, &format!("L{n}")).await);
    }
    let mut items = Vec::new();
    for n in 0..50 {
        items.push(item(&mut server, &format!("SKU-{n}")).await);
    }
    println!("{backend:?}:");

    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mut client = server.inventory.clone();
            let (items, locations) = (items.clone(), locations.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for b in 0..BATCHES_PER_WRITER {
                    let changes = (0..CHANGES_PER_BATCH)
                        .map(|c| {
                            let n = w * 7919 + b * 104_729 + c * 31;
                            let (i, l) = (&items[n % items.len()], &locations[n % locations.len()]);
                            if c % 4 == 0 {
                                adjust(i, l, S::InStock, S::Sold, "1")
                            } else {
                                adjust(i, l, S::None, S::InStock, "2.5")
                            }
                        })
                        .collect();
                    let t = Instant::now();
                    client
                        .batch_change_inventory(batch(changes))
                        .await
                        .expect("batch");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for writer in writers {
        latencies.extend(writer.await.unwrap());
    }
    let elapsed = started.elapsed();
    let total = WRITERS * BATCHES_PER_WRITER * CHANGES_PER_BATCH;
    println!(
        "  writes: {total} changes in {:.2?} with {WRITERS} concurrent writers = {:.0} changes/s",
        elapsed,
        total as f64 / elapsed.as_secs_f64()
    );
    report("BatchChangeInventory (100)", latencies);

    let mut reads = Vec::with_capacity(READS);
    for n in 0..READS {
        let t = Instant::now();
        let counts = server
            .inventory
            .retrieve_inventory_count(RetrieveInventoryCountRequest {
                catalog_object_id: items[n % items.len()].clone(),
                location_ids: vec![locations[n % locations.len()].clone()],
                ..Default::default()
            })
            .await
            .expect("read");
        reads.push(t.elapsed());
        assert!(!counts.into_inner().counts.is_empty());
    }
    report("RetrieveInventoryCount", reads);

    let t = Instant::now();
    let mut stream = server
        .inventory
        .stream_inventory_changes(StreamInventoryChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut streamed = 0;
    while let Some(message) = stream.next().await {
        message.unwrap();
        streamed += 1;
    }
    let elapsed = t.elapsed();
    println!(
        "  StreamInventoryChanges: {streamed} changes in {elapsed:.2?} = {:.0} changes/s",
        streamed as f64 / elapsed.as_secs_f64()
    );
    server.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
}
