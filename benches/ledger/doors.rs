//! Scenario 6: what the HTTP front doors (`serve --http-listen`, src/gateway) cost beside
//! gRPC. On a server of its own with both listeners, at 8 clients each on a connection of
//! its own (HTTP/1.1 keep-alive, one `reqwest::Client` per client):
//!
//! - reads of one item at one location — gRPC `RetrieveInventoryCount`, Square's
//!   `GET /v2/inventory/{id}?location_ids=…` and Shopify's `GET inventory_levels.json` —
//!   beside baseline (b), Health/Check, and the HTTP ones beside the gRPC read;
//! - writes of one adjustment NONE → IN_STOCK, 1 per call over the 250 item × location
//!   pairs — gRPC `BatchChangeInventory`, Square's `POST /v2/inventory/changes/batch-create`
//!   and Shopify's `POST inventory_levels/adjust.json` — beside the gRPC write and
//!   Health/Check.
//!
//! An HTTP call counts only when answered 200 (anything else is a failure, shown in the
//! row).

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::json;
use stockledger::proto::v1::inventory_change::Change;
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, InventoryAdjustment, InventoryChange, InventoryState,
};
use tonic_health::pb::health_client::HealthClient;

use crate::Context;
use crate::load::{Client, Throughput, run_load};
use crate::reads::{CountReader, HealthChecker};
use crate::report::{Row, ratio, throughput};
use crate::server::{Inventory, Server};
use crate::workload::{Catalog, PAIRS};

const CLIENTS: usize = 8;

/// The Shopify API version in the paths (every version is answered alike).
const SHOPIFY_VERSION: &str = "2025-10";

/// The front door an HTTP client calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Door {
    Square,
    Shopify,
}

/// An HTTP client of one door with a keep-alive connection of its own, walking the pairs.
struct HttpClient {
    http: reqwest::Client,
    base: String,
    door: Door,
    catalog: Arc<Catalog>,
    next: usize,
    step: usize,
}

impl HttpClient {
    /// Client number `id` of `door`; `step` is how far it moves through the pairs per call.
    fn new(server: &Server, door: Door, catalog: &Arc<Catalog>, id: usize, step: usize) -> Self {
        let mut headers = HeaderMap::new();
        let (name, value) = match door {
            Door::Square => (AUTHORIZATION, format!("Bearer {}", server.token)),
            Door::Shopify => (
                reqwest::header::HeaderName::from_static("x-shopify-access-token"),
                server.token.clone(),
            ),
        };
        headers.insert(name, HeaderValue::from_str(&value).expect("a token header"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .build()
            .expect("an HTTP client");
        HttpClient {
            http,
            base: server.http_base(),
            door,
            catalog: catalog.clone(),
            next: id * 7919,
            step,
        }
    }

    /// The next (item, location).
    fn next_pair(&mut self) -> (String, String) {
        self.next += self.step;
        let (item, location) = self.catalog.pair(self.next % PAIRS);
        (item.to_owned(), location.to_owned())
    }

    /// Sends `request`, reads the whole answer (so the connection is reused) and fails
    /// unless it is 200 and names `item` (an answer without the item's level would make a
    /// cheaper call than the one meant).
    async fn send(request: reqwest::RequestBuilder, item: &str) -> Result<u64, String> {
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body);
            return Err(format!(
                "{status}: {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        if !body.windows(item.len()).any(|w| w == item.as_bytes()) {
            let text = String::from_utf8_lossy(&body);
            let text: String = text.chars().take(200).collect();
            return Err(format!("200 without the item: {text}"));
        }
        Ok(1)
    }
}

/// Reads one item's count at one location through a door.
struct HttpReader(HttpClient);

impl Client for HttpReader {
    async fn call(&mut self) -> Result<u64, String> {
        let (item, location) = self.0.next_pair();
        let c = &self.0;
        let request = match c.door {
            Door::Square => c
                .http
                .get(format!("{}/v2/inventory/{item}", c.base))
                .query(&[("location_ids", &location)]),
            Door::Shopify => c
                .http
                .get(format!(
                    "{}/admin/api/{SHOPIFY_VERSION}/inventory_levels.json",
                    c.base
                ))
                .query(&[("inventory_item_ids", &item), ("location_ids", &location)]),
        };
        HttpClient::send(request, &item).await
    }
}

/// Writes one adjustment NONE → IN_STOCK, 1 through a door.
struct HttpWriter(HttpClient);

impl Client for HttpWriter {
    async fn call(&mut self) -> Result<u64, String> {
        let (item, location) = self.0.next_pair();
        let c = &self.0;
        let request = match c.door {
            Door::Square => c
                .http
                .post(format!("{}/v2/inventory/changes/batch-create", c.base))
                .json(&json!({
                    "idempotency_key": uuid::Uuid::new_v4().to_string(),
                    "changes": [{
                        "type": "ADJUSTMENT",
                        "adjustment": {
                            "from_state": "NONE",
                            "to_state": "IN_STOCK",
                            "location_id": location,
                            "catalog_object_id": item,
                            "quantity": "1",
                        },
                    }],
                })),
            Door::Shopify => c
                .http
                .post(format!(
                    "{}/admin/api/{SHOPIFY_VERSION}/inventory_levels/adjust.json",
                    c.base
                ))
                .json(&json!({
                    "location_id": location,
                    "inventory_item_id": item,
                    "available_adjustment": 1,
                })),
        };
        HttpClient::send(request, &item).await
    }
}

/// The same adjustment as [`HttpWriter`] through gRPC `BatchChangeInventory`.
struct GrpcWriter {
    client: Inventory,
    catalog: Arc<Catalog>,
    next: usize,
    step: usize,
}

impl Client for GrpcWriter {
    async fn call(&mut self) -> Result<u64, String> {
        self.next += self.step;
        let (item, location) = self.catalog.pair(self.next % PAIRS);
        let request = BatchChangeInventoryRequest {
            forbid_negative_counts: None,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            changes: vec![InventoryChange {
                expected_quantity: None,
                r#type: 0,
                change: Some(Change::Adjustment(InventoryAdjustment {
                    catalog_object_id: item.to_owned(),
                    location_id: location.to_owned(),
                    from_state: InventoryState::None.into(),
                    to_state: InventoryState::InStock.into(),
                    quantity: "1".to_owned(),
                    ..Default::default()
                })),
            }],
            ignore_unchanged_counts: None,
        };
        self.client
            .batch_change_inventory(request)
            .await
            .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?;
        Ok(1)
    }
}

/// Steps through the pairs: 31 is coprime with [`PAIRS`], so consecutive calls walk every
/// pair (as the write scenarios' spread keys do).
const STEP: usize = 31;

/// Every count once, so that the reads find a count at each pair.
async fn seed(server: &Server, catalog: &Arc<Catalog>) {
    let mut writer = GrpcWriter {
        client: server.inventory().await,
        catalog: catalog.clone(),
        next: 0,
        step: 1,
    };
    for _ in 0..PAIRS {
        writer.call().await.expect("seeding a count");
    }
}

/// Runs scenario 6 on a server started with the front doors.
pub async fn run(ctx: &Context<'_>, server: &Server, catalog: &Arc<Catalog>) -> Vec<Row> {
    let time_box = ctx.settings.time_box;
    seed(server, catalog).await;

    let mut checkers = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        checkers.push(HealthChecker(HealthClient::new(server.channel().await)));
    }
    let health = run_load(checkers, time_box).await;

    let grpc_readers = server
        .inventories(CLIENTS)
        .await
        .into_iter()
        .enumerate()
        .map(|(id, client)| CountReader::new(client, catalog.clone(), id))
        .collect();
    let grpc_read = run_load(grpc_readers, time_box).await;
    let http_readers = |door| -> Vec<HttpReader> {
        (0..CLIENTS)
            .map(|id| HttpReader(HttpClient::new(server, door, catalog, id, 1)))
            .collect()
    };
    let square_read = run_load(http_readers(Door::Square), time_box).await;
    let shopify_read = run_load(http_readers(Door::Shopify), time_box).await;

    let grpc_writers = server
        .inventories(CLIENTS)
        .await
        .into_iter()
        .enumerate()
        .map(|(id, client)| GrpcWriter {
            client,
            catalog: catalog.clone(),
            next: id * 7919,
            step: STEP,
        })
        .collect();
    let grpc_write = run_load(grpc_writers, time_box).await;
    let http_writers = |door| -> Vec<HttpWriter> {
        (0..CLIENTS)
            .map(|id| HttpWriter(HttpClient::new(server, door, catalog, id, STEP)))
            .collect()
    };
    let square_write = run_load(http_writers(Door::Square), time_box).await;
    let shopify_write = run_load(http_writers(Door::Shopify), time_box).await;

    let health_text = format!("Health/Check {}", throughput("calls", &health));
    let beside_health = |label: &str, t: &Throughput| {
        Row::new(
            format!("{label} × {CLIENTS} clients"),
            throughput("calls", t),
            health_text.clone(),
            format!("{} (÷ health)", ratio(t.rate, health.rate)),
        )
    };
    let beside_both = |label: &str, t: &Throughput, grpc_label: &str, grpc: &Throughput| {
        Row::new(
            format!("{label} × {CLIENTS} clients"),
            throughput("calls", t),
            format!(
                "{grpc_label} {}; Health/Check {}",
                crate::report::rate(grpc.rate, "calls"),
                crate::report::rate(health.rate, "calls"),
            ),
            format!(
                "{} (÷ gRPC), {} (÷ health)",
                ratio(t.rate, grpc.rate),
                ratio(t.rate, health.rate)
            ),
        )
    };
    vec![
        beside_health(
            "read: gRPC RetrieveInventoryCount (1 item, 1 location)",
            &grpc_read,
        ),
        beside_both(
            "read: Square GET /v2/inventory/{id}?location_ids=",
            &square_read,
            "gRPC read",
            &grpc_read,
        ),
        beside_both(
            "read: Shopify GET inventory_levels.json (1 item, 1 location)",
            &shopify_read,
            "gRPC read",
            &grpc_read,
        ),
        beside_health(
            "write: gRPC BatchChangeInventory (1 adjustment)",
            &grpc_write,
        ),
        beside_both(
            "write: Square POST changes/batch-create (1 adjustment)",
            &square_write,
            "gRPC write",
            &grpc_write,
        ),
        beside_both(
            "write: Shopify POST inventory_levels/adjust.json",
            &shopify_write,
            "gRPC write",
            &grpc_write,
        ),
    ]
}
