//! Faults of the database under a live load: the real `stockledger serve` binary keeps
//! writing while its database runs out of disk, stops, freezes or fails over, with writers
//! that retry every refused or broken call with the same idempotency key, as a real client
//! does. Afterwards nothing acknowledged is lost or doubled: every acknowledged batch
//! replays byte for byte, the history and the gap-free feed hold exactly the acknowledged
//! batches, counts equal their history (also after a restart, and per `stockledger
//! verify`). Each scenario prints its figures. See docs/reliability.md, "Faults".

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::cluster::OwnCluster;
use common::load::{
    Acked, Fleet, Rng, Shop, Weather, Writer, assert_replays_identical, assert_verify_passes,
    check_ledger, random_batch,
};
use common::tmpfs::Tmpfs;
use common::{Clients, call_error};
use stockledger::proto::v1::RetrieveInventoryCountRequest;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_types::StatusExt;

/// Writers sending at once.
const WRITERS: usize = 8;

/// What writers may be refused while PostgreSQL is down, frozen or failing over.
const OUTAGE_REASONS: &[&str] = &["DATABASE_UNAVAILABLE", "DEADLINE_EXCEEDED"];

/// What the writers did.
struct Outcome {
    acked: Vec<Acked>,
    /// Calls refused for an outage, by reason.
    refused: BTreeMap<String, u64>,
    /// Calls that failed in transport.
    interrupted: u64,
}

/// Writers sending random batches through replica 0 (and the others after a transport
/// failure) until told to stop, each batch retried until acknowledged.
struct Load {
    stop: Arc<AtomicBool>,
    writers: Vec<JoinHandle<(Vec<Acked>, Writer)>>,
}

impl Load {
    fn start(fleet: &Fleet, shop: &Arc<Shop>, rng: &mut Rng) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let writers = (0..WRITERS)
            .map(|w| {
                let mut writer = Writer::new(fleet.endpoints.clone(), Weather::Faults);
                let mut rng = rng.fork();
                let (shop, stop) = (shop.clone(), stop.clone());
                let replica = w % fleet.endpoints.replicas();
                tokio::spawn(async move {
                    let mut acked = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        let request = random_batch(&mut rng, &shop);
                        acked.push(writer.acknowledge(replica, request).await);
                    }
                    (acked, writer)
                })
            })
            .collect();
        Load { stop, writers }
    }

    async fn finish(self) -> Outcome {
        self.stop.store(true, Ordering::SeqCst);
        let mut outcome = Outcome {
            acked: Vec::new(),
            refused: BTreeMap::new(),
            interrupted: 0,
        };
        for writer in self.writers {
            let (acked, writer) = writer.await.expect("writer");
            outcome.acked.extend(acked);
            outcome.interrupted += writer.interrupted;
            for (reason, n) in writer.refused {
                *outcome.refused.entry(reason).or_default() += n;
            }
        }
        outcome
    }
}

/// One fault ridden out: a fleet under load, the test's own probes, and the figures.
struct Scenario {
    name: &'static str,
    started: Instant,
    rng: Rng,
    fleet: Fleet,
    shop: Arc<Shop>,
    /// Clients of replica 0, for the test's own calls while the fault lasts.
    clients: Clients,
    /// A channel to replica 0, for health.
    channel: Channel,
    load: Load,
    /// Batches the test itself had acknowledged.
    probes: Vec<Acked>,
}

impl Scenario {
    /// Creates the shop and starts the writers; returns after a second of load.
    async fn start(name: &'static str, fleet: Fleet) -> Scenario {
        let mut rng = Rng::seeded(&format!("faults::{name}"));
        let mut clients = fleet.clients(0).await;
        let shop = Arc::new(Shop::create(&mut clients).await);
        let channel = fleet.channel(0).await;
        let load = Load::start(&fleet, &shop, &mut rng);
        tokio::time::sleep(Duration::from_secs(1)).await;
        Scenario {
            name,
            started: Instant::now(),
            rng,
            fleet,
            shop,
            clients,
            channel,
            load,
            probes: Vec::new(),
        }
    }

    /// How long a fresh batch, sent (and retried) from `healed`, took to be acknowledged:
    /// the time writes took to resume after the fault was undone.
    async fn time_to_recover(&mut self, healed: Instant) -> Duration {
        let mut writer = Writer::new(self.fleet.endpoints.clone(), Weather::Faults);
        let batch = random_batch(&mut self.rng, &self.shop);
        self.probes.push(writer.acknowledge(0, batch).await);
        healed.elapsed()
    }

    /// Once the fault is undone: how long writes took to resume, health SERVING again,
    /// then [`Scenario::finish`] with `reasons` and `fault`.
    async fn recover_and_finish(mut self, reasons: &[&str], fault: &str) {
        let recovery = self.time_to_recover(Instant::now()).await;
        wait_for_health(
            &self.channel,
            (ServingStatus::Serving, ServingStatus::Serving),
        )
        .await;
        self.finish(reasons, recovery, fault).await;
    }

    /// After a second more of load, stops the writers, asserts that they met the fault
    /// (a refusal with one of `reasons`, or a broken call) and nothing else, runs every
    /// check of the ledger, and prints the figures.
    async fn finish(mut self, reasons: &[&str], recovery: Duration, fault: &str) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut outcome = self.load.finish().await;
        outcome.acked.append(&mut self.probes);
        let refused: u64 = outcome.refused.values().sum();
        assert!(
            refused + outcome.interrupted > 0,
            "the writers never met the fault"
        );
        assert!(
            outcome
                .refused
                .keys()
                .all(|r| reasons.contains(&r.as_str())),
            "refusals other than {reasons:?}: {:?}",
            outcome.refused
        );
        let changes = check_everything(&mut self.fleet, &outcome.acked).await;
        println!(
            "faults::{}: {fault}; {} batches acknowledged ({changes} changes) by {WRITERS} \
             writers through {} replica(s): 0 lost, 0 doubled (across a restart too); \
             refused {:?}, {} calls broken; writes resumed {} ms after the fault was undone; \
             total {:.1} s",
            self.name,
            outcome.acked.len(),
            self.fleet.endpoints.replicas(),
            outcome.refused,
            outcome.interrupted,
            recovery.as_millis(),
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// Every check of the ledger, then again after a clean restart of every replica (a batch
/// that only seemed committed would be gone then), then `stockledger verify`.
async fn check_everything(fleet: &mut Fleet, acked: &[Acked]) -> usize {
    assert_replays_identical(&fleet.endpoints, acked).await;
    let figures = check_ledger(&mut fleet.clients(0).await, acked).await;
    fleet.stop().await;
    for replica in 0..fleet.endpoints.replicas() {
        fleet.restart(replica).await;
    }
    let again = check_ledger(&mut fleet.clients(0).await, acked).await;
    assert_eq!(again.changes, figures.changes, "changes after a restart");
    fleet.stop().await;
    assert_verify_passes(&fleet.database_url);
    figures.changes
}

/// Two servers on a new database of `cluster`.
async fn two_replicas_on(cluster: &OwnCluster) -> Fleet {
    let url = cluster.create_database("ledger").await;
    Fleet::start_on(url, 2, tempfile::tempdir().expect("tempdir")).await
}

/// What health answers for the server as a whole (`""`) and for InventoryService.
async fn health(channel: &Channel) -> (ServingStatus, ServingStatus) {
    let mut client = HealthClient::new(channel.clone());
    let mut status = async |service: &str| {
        let answer = client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health answers");
        answer.into_inner().status()
    };
    let server = status("").await;
    let inventory = status("stockledger.v1.InventoryService").await;
    (server, inventory)
}

/// Polls health until it answers `expected`, for at most 10 s.
async fn wait_for_health(channel: &Channel, expected: (ServingStatus, ServingStatus)) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = health(channel).await;
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "health answers {now:?} (server, InventoryService), not {expected:?}, after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// While the disk is full: a write is refused UNAVAILABLE, reason STORAGE_FULL, with a
/// retry delay (the writers' load may slip a write into space SQLite reuses, so this sends
/// until one is refused; those acknowledged join `acked`), and a read of a count answers.
async fn assert_full_disk_refuses_writes_not_reads(
    clients: &mut Clients,
    shop: &Shop,
    acked: &mut Vec<Acked>,
) {
    let mut rng = Rng::new(7);
    let deadline = Instant::now() + Duration::from_secs(10);
    let refusal = loop {
        let request = random_batch(&mut rng, shop);
        match clients
            .inventory
            .batch_change_inventory(request.clone())
            .await
        {
            Err(status) => break status,
            Ok(response) => {
                acked.push(Acked::first(request, response.into_inner()));
                assert!(
                    Instant::now() < deadline,
                    "writes still acknowledged 10 s after the disk filled"
                )
            }
        }
    };
    let details = refusal.get_error_details();
    let error = call_error(refusal);
    assert_eq!(
        (error.code, error.reason.as_deref()),
        (Code::Unavailable, Some("STORAGE_FULL")),
        "a write on a full disk: {}",
        error.message
    );
    assert!(
        details.retry_info().is_some(),
        "STORAGE_FULL carries a retry delay"
    );
    let read = clients
        .inventory
        .retrieve_inventory_count(RetrieveInventoryCountRequest {
            catalog_object_id: shop.items[0].clone(),
            ..Default::default()
        })
        .await;
    assert!(read.is_ok(), "a read on a full disk: {read:?}");
}

/// The disk holding a SQLite database fills while 8 writers write, stays full for a few
/// seconds (writes refused STORAGE_FULL, reads answered, health telling), then has space
/// freed: writes resume by themselves, and nothing acknowledged — before, during or after
/// — is lost or doubled, also across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_then_freed() {
    let disk = Tmpfs::mount(64);
    let url = format!(
        "sqlite://{}?mode=rwc",
        disk.path().join("ledger.db").display()
    );
    let fleet = Fleet::start_on(url, 1, tempfile::tempdir().expect("tempdir")).await;
    ride_out_full_disk("sqlite_disk_full", fleet, &disk).await;
}

/// The same on PostgreSQL: the cluster's data directory on a tmpfs that fills (its WAL on
/// another disk, as production setups keep it), two replicas writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_disk_full_then_freed() {
    let disk = Tmpfs::mount(128);
    let wal = tempfile::tempdir().expect("tempdir");
    let cluster = OwnCluster::init(disk.path(), Some(wal.path()), &[]);
    let fleet = two_replicas_on(&cluster).await;
    ride_out_full_disk("postgres_disk_full", fleet, &disk).await;
    drop(cluster);
}

async fn ride_out_full_disk(name: &'static str, fleet: Fleet, disk: &Tmpfs) {
    let mut scenario = Scenario::start(name, fleet).await;
    let filled = disk.fill();
    let Scenario {
        clients,
        shop,
        probes,
        channel,
        ..
    } = &mut scenario;
    assert_full_disk_refuses_writes_not_reads(clients, shop, probes).await;
    // Health: the server answers (reads go on); its services cannot write.
    wait_for_health(channel, (ServingStatus::Serving, ServingStatus::NotServing)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    disk.free();
    let recovery = scenario.time_to_recover(Instant::now()).await;
    wait_for_health(
        &scenario.channel,
        (ServingStatus::Serving, ServingStatus::Serving),
    )
    .await;
    let fault = format!(
        "the disk filled ({} MB of filler) and was freed",
        filled / 1_000_000
    );
    scenario.finish(&["STORAGE_FULL"], recovery, &fault).await;
}

/// PostgreSQL stopped by its operator (`pg_ctl stop -m fast`) for 20 s under load, then
/// started again: calls are refused DATABASE_UNAVAILABLE meanwhile, health reports
/// NOT_SERVING, and writes resume by themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_20_s() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cluster = OwnCluster::init(dir.path(), None, &[]);
    let fleet = two_replicas_on(&cluster).await;
    let mut scenario = Scenario::start("postgres_stopped_20_s", fleet).await;
    cluster.stop();
    let stopped = Instant::now();
    wait_for_health(
        &scenario.channel,
        (ServingStatus::NotServing, ServingStatus::NotServing),
    )
    .await;
    let refusal = scenario
        .clients
        .inventory
        .batch_change_inventory(random_batch(&mut scenario.rng, &scenario.shop))
        .await
        .expect_err("a write while the database is stopped");
    let error = call_error(refusal);
    assert_eq!(
        (error.code, error.reason.as_deref()),
        (Code::Unavailable, Some("DATABASE_UNAVAILABLE")),
        "a write while the database is stopped: {}",
        error.message
    );
    tokio::time::sleep(Duration::from_secs(20).saturating_sub(stopped.elapsed())).await;
    cluster.start();
    scenario
        .recover_and_finish(
            OUTAGE_REASONS,
            "PostgreSQL stopped for 20 s and started again",
        )
        .await;
}

/// `/healthz` on the HTTP listener tells an outage as gRPC health does: 200 SERVING while
/// PostgreSQL answers, 503 NOT_SERVING within seconds of its stop, 200 again once it is
/// back — what a load balancer polls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_tells_a_postgres_outage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cluster = OwnCluster::init(dir.path(), None, &[]);
    let url = cluster.create_database("healthz").await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let doors = common::front_doors::FrontDoors::start_on(url, tmp, "healthz", "Probe").await;
    let healthz = format!("{}/healthz", doors.base);
    let probe = async || {
        let answer = doors
            .http
            .get(&healthz)
            .send()
            .await
            .expect("healthz answers");
        let code = answer.status().as_u16();
        let body: serde_json::Value = answer.json().await.expect("a JSON body");
        (code, body["status"].as_str().unwrap_or_default().to_owned())
    };
    let wait_for = async |expected: (u16, &str)| {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (code, status) = probe().await;
            if (code, status.as_str()) == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/healthz answers {code} {status}, not {expected:?}, after 15 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(probe().await, (200, "SERVING".to_owned()));
    cluster.stop();
    wait_for((503, "NOT_SERVING")).await;
    cluster.start();
    wait_for((200, "SERVING")).await;
}

/// Every PostgreSQL process frozen (SIGSTOP) for 30 s under load, then continued: calls
/// waiting on it are answered within the server's call timeout, health reports NOT_SERVING
/// meanwhile, and writes resume by themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_frozen_30_s() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = OwnCluster::init(dir.path(), None, &[]);
    let fleet = two_replicas_on(&cluster).await;
    let scenario = Scenario::start("postgres_frozen_30_s", fleet).await;
    cluster.signal_all("STOP");
    let frozen = Instant::now();
    wait_for_health(
        &scenario.channel,
        (ServingStatus::NotServing, ServingStatus::NotServing),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(frozen.elapsed())).await;
    cluster.signal_all("CONT");
    scenario
        .recover_and_finish(
            OUTAGE_REASONS,
            "every PostgreSQL process frozen (SIGSTOP) for 30 s, then continued",
        )
        .await;
}

/// Failover: a primary with a synchronous streaming standby (made with `pg_basebackup`;
/// `synchronous_standby_names` names it, so an acknowledged commit is on both). Every
/// process of the primary is killed mid-load and the standby promoted; the servers, given
/// both hosts in one URL, find the new primary by themselves and resume writes without a
/// restart, and nothing acknowledged is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_failover_to_a_synchronous_standby() {
    let (primary_dir, standby_dir) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let mut primary = OwnCluster::init(
        primary_dir.path(),
        None,
        &[
            "synchronous_standby_names = 'standby1'",
            "synchronous_commit = on",
        ],
    );
    let standby = primary.standby(standby_dir.path(), "standby1");
    primary.wait_for_synchronous_standby("standby1").await;
    primary.create_database("ledger").await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/ledger",
        primary.port, standby.port
    );
    let fleet = Fleet::start_on(url, 2, tempfile::tempdir().expect("tempdir")).await;
    let mut scenario = Scenario::start("postgres_failover", fleet).await;
    primary.kill();
    let killed = Instant::now();
    // An operator (or its tooling) notices, then promotes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    standby.promote();
    // The new primary has no standby yet: without this, its commits would wait for one
    // forever (failover tooling such as Patroni does the same).
    standby
        .sql("ALTER SYSTEM SET synchronous_standby_names = ''")
        .await;
    standby.sql("SELECT pg_reload_conf()").await;
    let promoted = Instant::now();
    let recovery = scenario.time_to_recover(promoted).await;
    wait_for_health(
        &scenario.channel,
        (ServingStatus::Serving, ServingStatus::Serving),
    )
    .await;
    let fault = format!(
        "the primary killed and its synchronous standby promoted 2 s later; writes \
         resumed {} ms after the kill",
        (promoted - killed + recovery).as_millis()
    );
    scenario.finish(OUTAGE_REASONS, recovery, &fault).await;
}
