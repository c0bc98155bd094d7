//! Scenario 7: what a guard costs. The same one-change batches as scenario 1 (receipts,
//! every fourth a sale, over 250 keys) sent with `forbid_negative_counts` beside the same
//! batches without it, at 1, 16 and 64 clients, on counts stocked well above zero first so
//! that every guarded batch passes: the figure is the price of checking, not of refusing.
//! The two loads alternate per concurrency, three rounds in alternating order, in the same
//! run, on the same server; the median round is reported. Then what
//! a reservation costs: CreateReservation + CommitReservation of one unit (two calls, two
//! changes) beside one BatchChangeInventory of a receipt and a sale (one call, two changes),
//! at 16 clients, each on a pair of its own.

use std::sync::Arc;

use stockledger::proto::v1::reservation_service_client::ReservationServiceClient;
use stockledger::proto::v1::{
    CommitReservationRequest, CreateReservationRequest, InventoryState, ReservationLine,
};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::bearer::Bearer;

use crate::Context;
use crate::load::{Throughput, run_load};
use crate::report::{Row, ratio, throughput};
use crate::server::Server;
use crate::workload::{ApiWriter, Catalog, Keys, PAIRS};

const CLIENTS: [usize; 3] = [1, 16, 64];
/// Guarded/unguarded pairs per concurrency.
const ROUNDS: usize = 3;

/// Runs the guarded and unguarded loads at each concurrency against `server`.
pub async fn run(ctx: &Context<'_>, server: &Server, catalog: &Arc<Catalog>) -> Vec<Row> {
    stock_every_pair(server, catalog).await;
    let mut rows = Vec::new();
    for clients in CLIENTS {
        // Rounds in alternating order (U G, G U, U G): a machine whose speed drifts during
        // the run favours neither side; the row gives the median round's ratio.
        let mut rounds = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let guarded_first = round % 2 == 1;
            let first = through_api(ctx, server, catalog, clients, guarded_first).await;
            let second = through_api(ctx, server, catalog, clients, !guarded_first).await;
            let (guarded, unguarded) = if guarded_first {
                (first, second)
            } else {
                (second, first)
            };
            rounds.push((guarded.rate / unguarded.rate, guarded, unguarded));
        }
        rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
        let spread: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.0)).collect();
        let (_, guarded, unguarded) = &rounds[ROUNDS / 2];
        let label = match clients {
            1 => "guarded writes 1/batch × 1 client".to_owned(),
            n => format!("guarded writes 1/batch × {n} clients"),
        };
        rows.push(Row::new(
            label,
            throughput("changes", guarded),
            format!(
                "unguarded {}; rounds {}",
                throughput("changes", unguarded),
                spread.join(" ")
            ),
            ratio(guarded.rate, unguarded.rate),
        ));
    }
    let batches = two_change_batches(ctx, server, catalog).await;
    let reserved = reservations(ctx, server, catalog).await;
    rows.push(Row::new(
        format!("reservation create+commit × {RESERVATION_CLIENTS} clients"),
        throughput("reservations", &reserved),
        format!("2-change batches {}", throughput("batches", &batches)),
        ratio(reserved.rate, batches.rate),
    ));
    rows
}

const RESERVATION_CLIENTS: usize = 16;

/// One receipt and one sale of a unit as one batch, per call.
struct TwoChangeWriter {
    client: crate::server::Inventory,
    item: String,
    location: String,
}

impl crate::load::Client for TwoChangeWriter {
    async fn call(&mut self) -> Result<u64, String> {
        let changes = vec![
            crate::workload::adjustment(
                &self.item,
                &self.location,
                (InventoryState::None, InventoryState::InStock),
                "1",
            ),
            crate::workload::adjustment(
                &self.item,
                &self.location,
                (InventoryState::InStock, InventoryState::Sold),
                "1",
            ),
        ];
        self.client
            .batch_change_inventory(crate::workload::request(changes))
            .await
            .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?;
        Ok(1)
    }
}

type Reservations = ReservationServiceClient<InterceptedService<Channel, Bearer>>;

/// Reserves one unit and commits it, per call.
struct ReservingBuyer {
    client: Reservations,
    item: String,
    location: String,
}

impl crate::load::Client for ReservingBuyer {
    async fn call(&mut self) -> Result<u64, String> {
        let status = |s: tonic::Status| format!("{:?}: {}", s.code(), s.message());
        let created = self
            .client
            .create_reservation(CreateReservationRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                lines: vec![ReservationLine {
                    catalog_object_id: self.item.clone(),
                    location_id: self.location.clone(),
                    quantity: "1".into(),
                    ..Default::default()
                }],
                ttl: Some(prost_types::Duration {
                    seconds: 600,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await
            .map_err(status)?;
        let id = created
            .into_inner()
            .reservation
            .map(|r| r.id)
            .unwrap_or_default();
        self.client
            .commit_reservation(CommitReservationRequest {
                id,
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                ..Default::default()
            })
            .await
            .map_err(status)?;
        Ok(1)
    }
}

async fn two_change_batches(ctx: &Context<'_>, server: &Server, catalog: &Catalog) -> Throughput {
    let writers = server
        .inventories(RESERVATION_CLIENTS)
        .await
        .into_iter()
        .enumerate()
        .map(|(id, client)| {
            let (item, location) = catalog.pair(id % PAIRS);
            TwoChangeWriter {
                client,
                item: item.to_owned(),
                location: location.to_owned(),
            }
        })
        .collect();
    run_load(writers, ctx.settings.time_box).await
}

async fn reservations(ctx: &Context<'_>, server: &Server, catalog: &Catalog) -> Throughput {
    let mut buyers = Vec::with_capacity(RESERVATION_CLIENTS);
    for id in 0..RESERVATION_CLIENTS {
        let (item, location) = catalog.pair(id % PAIRS);
        let channel = server.channel().await;
        buyers.push(ReservingBuyer {
            client: ReservationServiceClient::new(InterceptedService::new(
                channel,
                Bearer::new(&server.token),
            )),
            item: item.to_owned(),
            location: location.to_owned(),
        });
    }
    run_load(buyers, ctx.settings.time_box).await
}

/// Receives 1,000,000 units on every pair, so that no guarded sale is refused.
async fn stock_every_pair(server: &Server, catalog: &Catalog) {
    let mut client = server.inventories(1).await.remove(0);
    for first in (0..PAIRS).step_by(100) {
        let changes = (first..(first + 100).min(PAIRS))
            .map(|pair| {
                let (item, location) = catalog.pair(pair);
                crate::workload::adjustment(
                    item,
                    location,
                    (InventoryState::None, InventoryState::InStock),
                    "1000000",
                )
            })
            .collect();
        let request = crate::workload::request(changes);
        client
            .batch_change_inventory(request)
            .await
            .expect("stocking the guarded pairs");
    }
}

async fn through_api(
    ctx: &Context<'_>,
    server: &Server,
    catalog: &Arc<Catalog>,
    clients: usize,
    guarded: bool,
) -> Throughput {
    let writers = server
        .inventories(clients)
        .await
        .into_iter()
        .enumerate()
        .map(|(id, client)| {
            let writer = ApiWriter::new(client, catalog.clone(), Keys::Spread, id, 1);
            if guarded { writer.guarded() } else { writer }
        })
        .collect();
    run_load(writers, ctx.settings.time_box).await
}
