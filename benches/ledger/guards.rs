//! Scenario 7: what a guard costs. The same one-change batches as scenario 1 (receipts,
//! every fourth a sale, over 250 keys) sent with `forbid_negative_counts` beside the same
//! batches without it, at 1, 16 and 64 clients, on counts stocked well above zero first so
//! that every guarded batch passes: the figure is the price of checking, not of refusing.
//! The two loads alternate per concurrency, in the same run, on the same server.

use std::sync::Arc;

use stockledger::proto::v1::InventoryState;

use crate::Context;
use crate::load::{Throughput, run_load};
use crate::report::{Row, ratio, throughput};
use crate::server::Server;
use crate::workload::{ApiWriter, Catalog, Keys, PAIRS};

const CLIENTS: [usize; 3] = [1, 16, 64];

/// Runs the guarded and unguarded loads at each concurrency against `server`.
pub async fn run(ctx: &Context<'_>, server: &Server, catalog: &Arc<Catalog>) -> Vec<Row> {
    stock_every_pair(server, catalog).await;
    let mut rows = Vec::new();
    for clients in CLIENTS {
        let unguarded = through_api(ctx, server, catalog, clients, false).await;
        let guarded = through_api(ctx, server, catalog, clients, true).await;
        let label = match clients {
            1 => "guarded writes 1/batch × 1 client".to_owned(),
            n => format!("guarded writes 1/batch × {n} clients"),
        };
        rows.push(Row::new(
            label,
            throughput("changes", &guarded),
            format!("unguarded {}", throughput("changes", &unguarded)),
            ratio(guarded.rate, unguarded.rate),
        ));
    }
    rows
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
