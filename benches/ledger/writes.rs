//! Scenario 1: BatchChangeInventory throughput and latency at 1, 10 and 100 changes per
//! batch × 1, 4, 16 and 64 clients (spread keys), plus one hot key at 100 per batch, each
//! beside baseline (a): the same rows written by raw SQL at the same concurrency.

use std::sync::Arc;

use crate::Context;
use crate::load::{Throughput, run_load};
use crate::raw::{Owner, RawConn, RawWriter};
use crate::report::{Row, ratio, throughput};
use crate::server::{MERCHANT, Server};
use crate::workload::{ApiWriter, Catalog, Keys};

const BATCH_SIZES: [usize; 3] = [1, 10, 100];
const CLIENTS: [usize; 4] = [1, 4, 16, 64];
const HOT_KEY_BATCH: usize = 100;

/// One write scenario.
#[derive(Clone, Copy, Debug)]
struct WriteScenario {
    batch: usize,
    clients: usize,
    keys: Keys,
}

impl WriteScenario {
    fn label(&self) -> String {
        let keys = match self.keys {
            Keys::Spread => "250 keys",
            Keys::Hot => "1 hot key",
        };
        let clients = match self.clients {
            1 => "1 client".to_owned(),
            n => format!("{n} clients"),
        };
        format!("writes {}/batch × {clients}, {keys}", self.batch)
    }
}

/// Spread keys over every batch size × concurrency, then the hot key at each concurrency.
fn scenarios() -> Vec<WriteScenario> {
    let spread = BATCH_SIZES.iter().flat_map(|&batch| {
        CLIENTS.iter().map(move |&clients| WriteScenario {
            batch,
            clients,
            keys: Keys::Spread,
        })
    });
    let hot = CLIENTS.iter().map(|&clients| WriteScenario {
        batch: HOT_KEY_BATCH,
        clients,
        keys: Keys::Hot,
    });
    spread.chain(hot).collect()
}

/// Runs every write scenario against `server` and against a raw database of its own.
pub async fn run(ctx: &Context<'_>, server: &Server, catalog: &Arc<Catalog>) -> Vec<Row> {
    let raw_url = ctx.prepared_database("raw-writes").await;
    let owner = {
        let mut conn = RawConn::connect(&raw_url).await.expect("raw connection");
        let owner = conn.owner(MERCHANT).await.expect("merchant");
        conn.close().await;
        Arc::new(owner)
    };
    let mut rows = Vec::new();
    for scenario in scenarios() {
        let api = through_api(ctx, server, catalog, scenario).await;
        let raw = through_raw(ctx, &raw_url, &owner, catalog, scenario).await;
        rows.push(Row::new(
            scenario.label(),
            throughput("changes", &api),
            format!("raw sqlx {}", throughput("changes", &raw)),
            ratio(api.rate, raw.rate),
        ));
    }
    rows
}

async fn through_api(
    ctx: &Context<'_>,
    server: &Server,
    catalog: &Arc<Catalog>,
    s: WriteScenario,
) -> Throughput {
    let writers = server
        .inventories(s.clients)
        .await
        .into_iter()
        .enumerate()
        .map(|(id, client)| ApiWriter::new(client, catalog.clone(), s.keys, id, s.batch))
        .collect();
    run_load(writers, ctx.settings.time_box).await
}

async fn through_raw(
    ctx: &Context<'_>,
    url: &str,
    owner: &Arc<Owner>,
    catalog: &Arc<Catalog>,
    s: WriteScenario,
) -> Throughput {
    let mut writers = Vec::with_capacity(s.clients);
    for id in 0..s.clients {
        let conn = RawConn::connect(url).await.expect("raw connection");
        writers.push(RawWriter::new(
            conn,
            owner.clone(),
            catalog.clone(),
            s.keys,
            id,
            s.batch,
        ));
    }
    run_load(writers, ctx.settings.time_box).await
}
