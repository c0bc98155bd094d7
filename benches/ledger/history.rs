//! Scenarios 3 and 4 on a long history: count-read latency at 1,000 vs N history rows, and
//! StreamInventoryChanges over all N beside baseline (c), the bare stream of the same
//! messages, with the server's resident memory before, after and at its peak.
//!
//! The history is seeded by SQL directly into the server's tables while the server is
//! stopped (see [`RawConn::seed_history`]): sending a million changes through the API would
//! take longer than the whole benchmark.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use prost::Message;
use stockledger::proto::v1::{StreamInventoryChangesRequest, StreamInventoryChangesResponse};
use tokio::task::JoinHandle;

use crate::Context;
use crate::bare::BareServer;
use crate::load::Throughput;
use crate::raw::{Owner, RawConn};
use crate::reads::count_read_latency;
use crate::report::{Row, latency, mib, ms, rate, ratio, thousands};
use crate::server::{Inventory, MERCHANT, Server, authed_inventory, memory_of};
use crate::workload::Catalog;

/// History rows of the short-history count-read measurement.
const SHORT_HISTORY: i64 = 1_000;

/// Streamed messages kept as the bare server's samples.
const SAMPLES: usize = 1_000;

/// Runs scenarios 3 and 4 on a fresh database.
pub async fn run(ctx: &Context<'_>) -> Vec<Row> {
    let history = ctx.settings.history.max(SHORT_HISTORY);
    let url = ctx.prepared_database("history").await;
    let server = ctx.start_server(&url, "history").await;
    let catalog = Arc::new(Catalog::create(&server).await);
    server.stop().await;

    let owner = {
        let mut raw = RawConn::connect(&url).await.expect("raw connection");
        let owner = raw.owner(MERCHANT).await.expect("merchant");
        raw.close().await;
        owner
    };
    seed(&url, &owner, &catalog, 1, SHORT_HISTORY).await;
    let server = ctx.start_server(&url, "history").await;
    let short = count_read_latency(&server, &catalog, ctx.settings.time_box).await;
    server.stop().await;

    seed(&url, &owner, &catalog, SHORT_HISTORY + 1, history).await;
    let server = ctx.start_server(&url, "history").await;
    let long = count_read_latency(&server, &catalog, ctx.settings.time_box).await;
    let mut rows = vec![count_read_row(history, &short, &long)];
    rows.extend(stream_rows(&server, history).await);
    server.stop().await;
    rows
}

/// Seeds changes `first..=last` with the server stopped.
async fn seed(url: &str, owner: &Owner, catalog: &Catalog, first: i64, last: i64) {
    let started = Instant::now();
    let mut raw = RawConn::connect(url).await.expect("raw connection");
    raw.seed_history(owner, catalog, first, last)
        .await
        .expect("seeding the history");
    raw.close().await;
    eprintln!(
        "  .. seeded history rows {}..={} by SQL in {:.1?}",
        thousands(first as u64),
        thousands(last as u64),
        started.elapsed()
    );
}

fn count_read_row(history: i64, short: &Throughput, long: &Throughput) -> Row {
    let p = |t: &Throughput| (t.latency.p50.as_secs_f64(), t.latency.p99.as_secs_f64());
    let ((short50, short99), (long50, long99)) = (p(short), p(long));
    Row::new(
        format!(
            "RetrieveInventoryCount × 1 client, {} history rows",
            thousands(history as u64)
        ),
        latency(&long.latency),
        format!(
            "{} history rows: {}",
            thousands(SHORT_HISTORY as u64),
            latency(&short.latency)
        ),
        format!(
            "p50 {} / p99 {}",
            ratio(long50, short50),
            ratio(long99, short99)
        ),
    )
}

/// Streams the whole history from the server, then the same number of the same messages
/// from the bare server.
async fn stream_rows(server: &Server, history: i64) -> Vec<Row> {
    let before = server.memory();
    let peak = PeakRss::watch(server.pid);
    let served = stream_all(&mut server.inventory().await).await;
    let peak = peak.finish().await;
    let after = server.memory();
    assert_eq!(
        served.messages, history as u64,
        "the stream should carry every seeded change"
    );

    let bytes: usize = served.sample.iter().map(Message::encoded_len).sum();
    let mean_bytes = bytes / served.sample.len().max(1);
    let bare_server = BareServer::start(served.sample.clone(), served.messages).await;
    let channel =
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", bare_server.port))
            .expect("valid uri")
            .tcp_nodelay(true)
            .connect()
            .await
            .expect("connecting to the bare server");
    let bare = stream_all(&mut authed_inventory(channel, "unused")).await;
    bare_server.stop().await;

    let stream = Row::new(
        format!(
            "StreamInventoryChanges, {} changes (seeded by SQL)",
            thousands(served.messages)
        ),
        format!(
            "{} in {}",
            rate(served.rate(), "changes"),
            secs(served.elapsed)
        ),
        format!(
            "bare tonic stream, same {mean_bytes} B messages: {} in {}",
            rate(bare.rate(), "changes"),
            secs(bare.elapsed)
        ),
        ratio(served.rate(), bare.rate()),
    );
    // VmHWM catches a peak between two samples.
    let peak = peak.max(after.peak_kib);
    let memory = Row::new(
        "server RSS over that stream",
        format!("after {}, peak {}", mib(after.rss_kib), mib(peak)),
        format!("before {}", mib(before.rss_kib)),
        format!("+{} peak growth", mib(peak.saturating_sub(before.rss_kib))),
    );
    vec![stream, memory]
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// What streaming the whole history took.
struct StreamRun {
    messages: u64,
    elapsed: Duration,
    /// The first [`SAMPLES`] messages.
    sample: Vec<StreamInventoryChangesResponse>,
}

impl StreamRun {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}

/// Reads StreamInventoryChanges (no filter) to its end, keeping the first messages.
async fn stream_all(client: &mut Inventory) -> StreamRun {
    let started = Instant::now();
    let mut stream = client
        .stream_inventory_changes(StreamInventoryChangesRequest::default())
        .await
        .expect("StreamInventoryChanges")
        .into_inner();
    let mut sample = Vec::with_capacity(SAMPLES);
    let mut messages = 0;
    while let Some(message) = stream.message().await.expect("a streamed change") {
        if sample.len() < SAMPLES {
            sample.push(message);
        }
        messages += 1;
    }
    StreamRun {
        messages,
        elapsed: started.elapsed(),
        sample,
    }
}

/// Samples a process's VmRSS every 10 ms and keeps the largest.
struct PeakRss {
    stop: Arc<AtomicBool>,
    task: JoinHandle<u64>,
}

impl PeakRss {
    fn watch(pid: u32) -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !stopped.load(Ordering::Relaxed) {
                peak = peak.max(memory_of(pid).rss_kib);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            peak
        });
        PeakRss { stop, task }
    }

    /// The largest RSS seen, KiB.
    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("RSS sampler")
    }
}
