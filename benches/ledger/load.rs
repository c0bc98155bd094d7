//! Time-boxed closed-loop load: N clients call back to back until the time box ends, and
//! the run's rate and call latency percentiles are computed from what completed.

use std::future::Future;
use std::time::{Duration, Instant};

/// One client of a load run, owning its own connection.
pub trait Client: Send + 'static {
    /// Makes one call and returns how many units it completed (changes written, reads…).
    fn call(&mut self) -> impl Future<Output = Result<u64, String>> + Send;
}

/// What a load run achieved.
#[derive(Clone, Debug)]
pub struct Throughput {
    /// Units completed per second of wall time.
    pub rate: f64,
    /// Call latencies.
    pub latency: Latency,
    /// Failed calls.
    pub failures: u64,
    /// The first failure, if any.
    pub first_failure: Option<String>,
}

/// Percentiles of a latency sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latency {
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
}

impl Latency {
    /// Percentiles of `samples` (nearest rank).
    pub fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort_unstable();
        Latency {
            p50: percentile(&samples, 0.50),
            p99: percentile(&samples, 0.99),
        }
    }
}

/// The `p` quantile (0..=1) of sorted samples; zero for none.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct ClientRun {
    latencies: Vec<Duration>,
    units: u64,
    failures: u64,
    first_failure: Option<String>,
}

/// Runs every client concurrently, each calling back to back until `time_box` has passed;
/// calls in flight at the end complete and count.
pub async fn run_load<C: Client>(clients: Vec<C>, time_box: Duration) -> Throughput {
    let started = Instant::now();
    let deadline = started + time_box;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(drive(client, deadline)))
        .collect();
    let mut runs = Vec::with_capacity(tasks.len());
    for task in tasks {
        runs.push(task.await.expect("load client panicked"));
    }
    let elapsed = started.elapsed();
    let units: u64 = runs.iter().map(|r| r.units).sum();
    Throughput {
        rate: units as f64 / elapsed.as_secs_f64(),
        failures: runs.iter().map(|r| r.failures).sum(),
        first_failure: runs.iter_mut().find_map(|r| r.first_failure.take()),
        latency: Latency::of(runs.into_iter().flat_map(|r| r.latencies).collect()),
    }
}

async fn drive<C: Client>(mut client: C, deadline: Instant) -> ClientRun {
    let mut run = ClientRun {
        latencies: Vec::new(),
        units: 0,
        failures: 0,
        first_failure: None,
    };
    while Instant::now() < deadline {
        let sent = Instant::now();
        match client.call().await {
            Ok(units) => {
                run.latencies.push(sent.elapsed());
                run.units += units;
            }
            Err(err) => {
                run.failures += 1;
                run.first_failure.get_or_insert(err);
            }
        }
    }
    run
}
