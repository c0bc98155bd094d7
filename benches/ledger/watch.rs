//! Scenario 5: WatchInventoryChanges commit → delivery latency under write load (4 writers
//! at 100 changes per batch, back to back) beside the same latency without load (1 writer,
//! a batch every 20 ms). Per batch it measures the writer's ack → the watcher's receipt
//! of the batch's last change: negative when the watcher had it before the writer had its
//! answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stockledger::proto::v1::inventory_change::Change;
use stockledger::proto::v1::{InventoryChange, WatchInventoryChangesRequest, WatchStart};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Context;
use crate::load::percentile;
use crate::report::{Row, ratio, signed_ms, thousands};
use crate::server::{Inventory, Server};
use crate::workload::{Catalog, Keys, batch_request, next_batch};

const BATCH: usize = 100;
const LOADED_WRITERS: usize = 4;
const IDLE_PAUSE: Duration = Duration::from_millis(20);

/// How long the watcher waits for a missing change once every write is acknowledged.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Ack → delivery of every batch's last change, µs.
struct FeedLatency {
    micros: Vec<i64>,
    batches: usize,
    missing: usize,
}

impl FeedLatency {
    fn p(&self, q: f64) -> i64 {
        percentile(&self.micros, q)
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "p50 {} p99 {} ({} batches)",
            signed_ms(self.p(0.5)),
            signed_ms(self.p(0.99)),
            thousands(self.batches as u64)
        );
        if self.missing > 0 {
            text.push_str(&format!(", {} NEVER DELIVERED", self.missing));
        }
        text
    }
}

/// Measures feed latency without and with write load on `server`.
pub async fn run(ctx: &Context<'_>, server: &Server, catalog: &Arc<Catalog>) -> Vec<Row> {
    let time_box = ctx.settings.time_box;
    let idle = feed_latency(server, catalog, 1, Some(IDLE_PAUSE), time_box).await;
    let loaded = feed_latency(server, catalog, LOADED_WRITERS, None, time_box).await;
    vec![Row::new(
        format!("WatchInventoryChanges ack→delivery, {LOADED_WRITERS} writers × {BATCH}/batch"),
        loaded.describe(),
        format!(
            "no load (1 writer, a batch every {} ms): {}",
            IDLE_PAUSE.as_millis(),
            idle.describe()
        ),
        format!(
            "p99 {}",
            ratio(loaded.p(0.99) as f64, idle.p(0.99).max(1) as f64)
        ),
    )]
}

/// One watcher from NOW and `writers` writers of [`BATCH`]-change batches, each pausing
/// `pause` between batches, for `time_box`.
async fn feed_latency(
    server: &Server,
    catalog: &Arc<Catalog>,
    writers: usize,
    pause: Option<Duration>,
    time_box: Duration,
) -> FeedLatency {
    let (expect, expected) = watch::channel(None);
    let watcher = spawn_watcher(server.inventory().await, expected).await;
    let deadline = Instant::now() + time_box;
    let tasks: Vec<_> = server
        .inventories(writers)
        .await
        .into_iter()
        .enumerate()
        .map(|(id, client)| tokio::spawn(write_until(client, catalog.clone(), id, pause, deadline)))
        .collect();
    let mut acks = Vec::new();
    for task in tasks {
        acks.extend(task.await.expect("writer panicked"));
    }
    expect.send_replace(Some(acks.len() * BATCH));
    let arrivals = watcher.await.expect("watcher panicked");

    let mut micros: Vec<i64> = acks
        .iter()
        .filter_map(|(id, acked)| {
            arrivals
                .get(id)
                .map(|arrived| signed_micros(*acked, *arrived))
        })
        .collect();
    micros.sort_unstable();
    FeedLatency {
        batches: acks.len(),
        missing: acks.len() - micros.len(),
        micros,
    }
}

/// `to − from` in µs, negative when `to` came first.
fn signed_micros(from: Instant, to: Instant) -> i64 {
    if to >= from {
        (to - from).as_micros() as i64
    } else {
        -((from - to).as_micros() as i64)
    }
}

/// Watches from NOW, recording when each change arrives, until `expected` (sent once the
/// writers are done) changes have arrived or none came for [`DRAIN_TIMEOUT`].
async fn spawn_watcher(
    mut client: Inventory,
    mut expected: watch::Receiver<Option<usize>>,
) -> JoinHandle<HashMap<String, Instant>> {
    let request = WatchInventoryChangesRequest {
        start: WatchStart::Now.into(),
        ..Default::default()
    };
    let mut stream = client
        .watch_inventory_changes(request)
        .await
        .expect("WatchInventoryChanges")
        .into_inner();
    // The watch's start position is fixed once the call is answered; leave it a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::spawn(async move {
        let mut arrivals = HashMap::new();
        loop {
            let target = *expected.borrow();
            if target.is_some_and(|n| arrivals.len() >= n) {
                break;
            }
            let message = tokio::select! {
                message = stream.message() => message,
                _ = expected.changed(), if target.is_none() => continue,
                _ = tokio::time::sleep(DRAIN_TIMEOUT), if target.is_some() => break,
            };
            let Ok(Some(message)) = message else { break };
            if let Some(id) = message.change.as_ref().and_then(change_id) {
                arrivals.insert(id.to_owned(), Instant::now());
            }
        }
        arrivals
    })
}

/// Writes batches until `deadline`; returns each batch's last change id and ack time.
async fn write_until(
    mut client: Inventory,
    catalog: Arc<Catalog>,
    id: usize,
    pause: Option<Duration>,
    deadline: Instant,
) -> Vec<(String, Instant)> {
    let mut acks = Vec::new();
    let mut counter = 0;
    while Instant::now() < deadline {
        let request = batch_request(&catalog, &next_batch(Keys::Spread, id, &mut counter, BATCH));
        let response = client
            .batch_change_inventory(request)
            .await
            .expect("BatchChangeInventory")
            .into_inner();
        let acked = Instant::now();
        let last = response
            .changes
            .last()
            .and_then(change_id)
            .expect("changes");
        acks.push((last.to_owned(), acked));
        if let Some(pause) = pause {
            tokio::time::sleep(pause).await;
        }
    }
    acks
}

/// The id of a recorded change.
fn change_id(change: &InventoryChange) -> Option<&str> {
    Some(match change.change.as_ref()? {
        Change::Adjustment(a) => &a.id,
        Change::PhysicalCount(c) => &c.id,
        Change::Transfer(t) => &t.id,
    })
}
