//! Scenario 2: count reads at 8 clients beside baseline (b), the same server's
//! `grpc.health.v1.Health/Check` at 8 clients; and the count-read latency of one client
//! (scenario 4 uses it at two history lengths).

use std::sync::Arc;
use std::time::Duration;

use stockledger::proto::v1::{BatchRetrieveInventoryCountsRequest, RetrieveInventoryCountRequest};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::Context;
use crate::load::{Client, Throughput, run_load};
use crate::report::{Row, ratio, throughput};
use crate::server::{Inventory, Server};
use crate::workload::{Catalog, ITEMS, PAIRS};

const READ_CLIENTS: usize = 8;

/// Items per BatchRetrieveInventoryCounts call (each at every location).
const ITEMS_PER_BATCH_READ: usize = 5;

/// Calls Health/Check (baseline (b)).
pub struct HealthChecker(pub HealthClient<Channel>);

impl Client for HealthChecker {
    async fn call(&mut self) -> Result<u64, String> {
        self.0
            .check(HealthCheckRequest::default())
            .await
            .map_err(|s| s.to_string())?;
        Ok(1)
    }
}

/// Calls RetrieveInventoryCount for one item at one location, walking every pair.
pub struct CountReader {
    client: Inventory,
    catalog: Arc<Catalog>,
    next: usize,
}

impl CountReader {
    /// Reader number `id` (readers start at different pairs).
    pub fn new(client: Inventory, catalog: Arc<Catalog>, id: usize) -> Self {
        CountReader {
            client,
            catalog,
            next: id * 37,
        }
    }
}

impl Client for CountReader {
    async fn call(&mut self) -> Result<u64, String> {
        self.next += 1;
        let (item, location) = self.catalog.pair(self.next % PAIRS);
        let request = RetrieveInventoryCountRequest {
            catalog_object_id: item.to_owned(),
            location_ids: vec![location.to_owned()],
            ..Default::default()
        };
        self.client
            .retrieve_inventory_count(request)
            .await
            .map_err(|s| s.to_string())?;
        Ok(1)
    }
}

/// Calls BatchRetrieveInventoryCounts for [`ITEMS_PER_BATCH_READ`] items at every location.
struct BatchReader {
    client: Inventory,
    catalog: Arc<Catalog>,
    next: usize,
}

impl Client for BatchReader {
    async fn call(&mut self) -> Result<u64, String> {
        self.next += ITEMS_PER_BATCH_READ;
        let items = (0..ITEMS_PER_BATCH_READ)
            .map(|n| self.catalog.items[(self.next + n) % ITEMS].clone())
            .collect();
        let request = BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: items,
            ..Default::default()
        };
        self.client
            .batch_retrieve_inventory_counts(request)
            .await
            .map_err(|s| s.to_string())?;
        Ok(1)
    }
}

/// Count reads at 8 clients beside Health/Check at 8 clients, on a server whose counts
/// the write scenarios filled.
pub async fn run(ctx: &Context<'_>, server: &Server, catalog: &Arc<Catalog>) -> Vec<Row> {
    let time_box = ctx.settings.time_box;
    let mut checkers = Vec::with_capacity(READ_CLIENTS);
    for _ in 0..READ_CLIENTS {
        checkers.push(HealthChecker(HealthClient::new(server.channel().await)));
    }
    let health = run_load(checkers, time_box).await;

    let single: Vec<_> = (server
        .inventories(READ_CLIENTS)
        .await
        .into_iter()
        .enumerate())
    .map(|(id, client)| CountReader::new(client, catalog.clone(), id))
    .collect();
    let single = run_load(single, time_box).await;

    let batch: Vec<_> = (server
        .inventories(READ_CLIENTS)
        .await
        .into_iter()
        .enumerate())
    .map(|(id, client)| BatchReader {
        client,
        catalog: catalog.clone(),
        next: id * 7,
    })
    .collect();
    let batch = run_load(batch, time_box).await;

    let beside_health = |label: &str, reads: &Throughput| {
        Row::new(
            format!("{label} × {READ_CLIENTS} clients"),
            throughput("calls", reads),
            format!("Health/Check {}", throughput("calls", &health)),
            ratio(reads.rate, health.rate),
        )
    };
    vec![
        beside_health("RetrieveInventoryCount (1 item, 1 location)", &single),
        beside_health(
            &format!("BatchRetrieveInventoryCounts ({ITEMS_PER_BATCH_READ} items)"),
            &batch,
        ),
    ]
}

/// RetrieveInventoryCount at one client for `time_box`, after a warm-up of a tenth of it
/// (a freshly started server has cold caches).
pub async fn count_read_latency(
    server: &Server,
    catalog: &Arc<Catalog>,
    time_box: Duration,
) -> Throughput {
    let warm_up = CountReader::new(server.inventory().await, catalog.clone(), 0);
    run_load(vec![warm_up], time_box / 10).await;
    let reader = CountReader::new(server.inventory().await, catalog.clone(), 0);
    run_load(vec![reader], time_box).await
}
