//! Crash safety: the real `stockledger serve` binary, killed with SIGKILL at random moments
//! while concurrent clients write and restarted on the same database, loses no acknowledged
//! batch, applies none twice or by halves, replays each one's response byte for byte, and
//! leaves a gap-free feed and counts equal to their history — on SQLite (one server) and on
//! PostgreSQL (two replicas, one killed at a time). See docs/reliability.md, "Crash safety".

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Backend;
use common::load::{
    Acked, Fleet, Rng, Shop, Weather, Writer, assert_replays_identical, assert_verify_passes,
    check_ledger, random_batch,
};

/// How many times a server is killed in one run.
const KILLS: usize = 24;

/// Writers write through every replica while replicas are killed with SIGKILL, one at a
/// time (alternating), at random moments with writes in flight, and restarted at once on the
/// same database; then every acknowledged batch must be in the ledger exactly once.
async fn survive_kills(backend: Backend, replicas: usize, writers: usize) {
    let started = Instant::now();
    let mut rng = Rng::seeded(&format!("crash::{backend:?}"));
    let mut fleet = Fleet::start(backend, replicas).await;
    let shop = Arc::new(Shop::create(&mut fleet.clients(0).await).await);

    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let mut writer = Writer::new(fleet.endpoints.clone(), Weather::Kills);
            let mut rng = rng.fork();
            let (shop, stop) = (shop.clone(), stop.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let request = random_batch(&mut rng, &shop);
                    acked.push(writer.acknowledge(w % replicas, request).await);
                }
                (acked, writer.interrupted, writer.aborted)
            })
        })
        .collect();

    let mut in_flight_at_kills = 0;
    for kill in 0..KILLS {
        let replica = kill % replicas;
        tokio::time::sleep(Duration::from_millis(rng.between(30, 300))).await;
        // The moment stays random, but a kill must land on writes in flight.
        let waited = Instant::now();
        while fleet.endpoints.in_flight(replica) == 0 {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "no write in flight to replica {replica} for 10 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        in_flight_at_kills += fleet.endpoints.in_flight(replica);
        fleet.kill(replica).await;
        tokio::time::sleep(Duration::from_millis(rng.between(0, 100))).await;
        fleet.restart(replica).await;
    }
    stop.store(true, Ordering::SeqCst);

    let mut acked: Vec<Acked> = Vec::new();
    let (mut interrupted, mut aborted) = (0, 0);
    for task in tasks {
        let (mine, i, a) = task.await.expect("writer");
        acked.extend(mine);
        interrupted += i;
        aborted += a;
    }
    let retried = acked.iter().filter(|b| b.attempts > 1).count();
    let lost_answers = acked
        .iter()
        .filter(|b| b.committed_before_interruption())
        .count();
    assert!(
        interrupted > 0 && retried > 0,
        "the kills interrupted writes ({interrupted} calls interrupted, {retried} batches retried)"
    );
    let load_time = started.elapsed();

    assert_replays_identical(&fleet.endpoints, &acked).await;
    let figures = check_ledger(&mut fleet.clients(0).await, &acked).await;
    fleet.stop().await;
    assert_verify_passes(&fleet.database_url);

    println!(
        "crash::{backend:?}: {KILLS} kills survived ({in_flight_at_kills} calls in flight at \
         the kills, {interrupted} calls interrupted, {retried} batches retried, {lost_answers} \
         of them committed before their answer was lost, {aborted} ABORTED); {} batches \
         acknowledged ({} changes, {} counts) from {writers} writers through {replicas} \
         replica(s); load {:.1} s, total {:.1} s",
        acked.len(),
        figures.changes,
        figures.counts,
        load_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

mod sigkill_mid_write_loses_and_repeats_nothing {
    use super::*;

    /// One server, killed and restarted on the same SQLite file (WAL, synchronous=FULL).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        survive_kills(Backend::Sqlite, 1, 6).await;
    }

    /// Two replicas on one database, killed in turn while clients write through both.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        survive_kills(Backend::Postgres, 2, 8).await;
    }
}
