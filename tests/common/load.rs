//! Write load for the abuse tests (crash safety, contention): `stockledger serve` processes
//! that can be killed and restarted, a seeded random source, writers that send a batch until
//! it is acknowledged — retrying with its idempotency key, as a real client does — and the
//! check that the ledger holds exactly the acknowledged batches, each once and whole.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use prost::Message;
use prost_types::Timestamp;
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchChangeInventoryResponse,
    BatchRetrieveInventoryChangesRequest, BatchRetrieveInventoryCountsRequest, InventoryChange,
    InventoryState as S, InventoryState, WatchInventoryChangesRequest, WatchStart,
    inventory_change::Change, inventory_service_client::InventoryServiceClient,
};
use stockledger::store::Store;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

use super::ledger::{adjust, at, count, now_micros, transfer};
use super::paging::list_all;
use super::ports::free_port;
use super::process::{ServeProcess, serve};
use super::{Authed, Backend, Bearer, Clients, TEST_MERCHANT, mint_token};

/// Longest a call may go unanswered: a server that takes longer hangs.
pub const CALL_LIMIT: Duration = Duration::from_secs(30);

/// Longest a batch may take to be acknowledged, retries included.
const BATCH_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Randomness

/// A small seeded random source (xorshift64*), so that a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    /// The run's source: seeded from `STOCKLEDGER_TEST_SEED` if set, from the clock
    /// otherwise. Prints the seed with the way to replay it.
    pub fn seeded(test: &str) -> Rng {
        let seed = match std::env::var("STOCKLEDGER_TEST_SEED") {
            Ok(text) => text.trim().parse().expect("STOCKLEDGER_TEST_SEED is a u64"),
            Err(_) => {
                let clock = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_nanos() as u64;
                clock ^ (u64::from(std::process::id()) << 32)
            }
        };
        println!("{test}: seed {seed} (replay with STOCKLEDGER_TEST_SEED={seed})");
        Rng::new(seed)
    }

    /// A source seeded with `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        // splitmix64 spreads the seed so that similar seeds give unrelated sequences.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `range` (inclusive).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// An independent source for another task.
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

// ---------------------------------------------------------------------------------------
// Server processes

/// Where each replica listens now (a restarted replica listens on a new port) and how
/// many calls are on their way to it. Shared by the writers and whoever kills replicas.
#[derive(Debug)]
pub struct Endpoints {
    ports: Vec<AtomicU16>,
    in_flight: Vec<AtomicUsize>,
    token: String,
}

impl Endpoints {
    /// How many replicas there are.
    pub fn replicas(&self) -> usize {
        self.ports.len()
    }

    /// How many calls to `replica` have been sent and not yet answered.
    pub fn in_flight(&self, replica: usize) -> usize {
        self.in_flight[replica].load(Ordering::SeqCst)
    }

    fn port(&self, replica: usize) -> u16 {
        self.ports[replica].load(Ordering::SeqCst)
    }
}

/// `stockledger serve` processes (replicas) on one fresh database, each of which can be
/// killed with SIGKILL and started again on the same database.
pub struct Fleet {
    /// The database every replica serves from.
    pub database_url: String,
    /// Where the replicas listen; hand it to writers.
    pub endpoints: Arc<Endpoints>,
    processes: Vec<Option<ServeProcess>>,
    _dir: tempfile::TempDir,
}

impl Fleet {
    /// Starts `replicas` servers on a fresh database of `backend`, one after the other (the
    /// first migrates it), with a token of every scope for [`TEST_MERCHANT`].
    pub async fn start(backend: Backend, replicas: usize) -> Fleet {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let database_url = match backend {
            Backend::Sqlite => {
                format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display())
            }
            Backend::Postgres => super::postgres::fresh_database_url().await,
        };
        Fleet::start_on(database_url, replicas, dir).await
    }

    /// [`Fleet::start`] on the empty database at `database_url`; `dir` lives as long as
    /// the fleet.
    pub async fn start_on(database_url: String, replicas: usize, dir: tempfile::TempDir) -> Fleet {
        let store = Store::connect(&database_url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let token = mint_token(&store, TEST_MERCHANT, &Scope::ALL, "Load test").await;
        store.close().await.ok();
        let mut fleet = Fleet {
            database_url,
            endpoints: Arc::new(Endpoints {
                ports: (0..replicas).map(|_| AtomicU16::new(0)).collect(),
                in_flight: (0..replicas).map(|_| AtomicUsize::new(0)).collect(),
                token,
            }),
            processes: (0..replicas).map(|_| None).collect(),
            _dir: dir,
        };
        for replica in 0..replicas {
            fleet.restart(replica).await;
        }
        fleet
    }

    /// Kills `replica` with SIGKILL (no chance to finish anything) and reaps it.
    pub async fn kill(&mut self, replica: usize) {
        let process = self.processes[replica].take().expect("replica running");
        // Dropping a ServeProcess sends SIGKILL and waits for the process to be gone.
        tokio::task::spawn_blocking(move || drop(process))
            .await
            .expect("killing task");
    }

    /// Starts `replica` (again) on the database, on a new port, and waits until it listens.
    pub async fn restart(&mut self, replica: usize) {
        assert!(self.processes[replica].is_none(), "replica still running");
        let url = self.database_url.clone();
        let process = tokio::task::spawn_blocking(move || {
            let port = free_port();
            let mut command = serve(&url, port);
            command
                .args(["--no-dev-token", "--shutdown-grace-seconds", "5"])
                // The fleet's one token drives all the load: no per-token rate limit.
                .args(["--rate-limit-per-second", "1000000000"])
                .args(["--rate-limit-burst", "1000000000"])
                // A call left hanging by the database (an outage) is given up in 10 s, well
                // before the writers' own limit.
                .args(["--call-timeout-seconds", "10"])
                // The writer's retries after meeting a concurrent writer, for the figures.
                .env("RUST_LOG", "info,stockledger::store::writer=debug")
                .stderr(std::process::Stdio::piped());
            ServeProcess::spawn(command, port)
        })
        .await
        .expect("starting task");
        self.endpoints.ports[replica].store(process.port, Ordering::SeqCst);
        self.processes[replica] = Some(process);
    }

    /// A channel to `replica` (no token: for health).
    pub async fn channel(&self, replica: usize) -> Channel {
        let process = self.processes[replica].as_ref().expect("replica running");
        process.channel().await
    }

    /// Clients of `replica` with the fleet's token.
    pub async fn clients(&self, replica: usize) -> Clients {
        let process = self.processes[replica].as_ref().expect("replica running");
        Clients::new(&process.channel().await, &self.endpoints.token)
    }

    /// Stops every replica with SIGTERM, asserting each exits cleanly, and returns what
    /// the running replicas logged (a killed replica's log is lost with it). The database
    /// stays until the fleet is dropped.
    pub async fn stop(&mut self) -> String {
        let mut logs = String::new();
        for (replica, process) in self.processes.iter_mut().enumerate() {
            if let Some(process) = process.take() {
                let ended = process.terminate().await;
                assert!(
                    ended.status.success(),
                    "replica {replica} exited with {} on SIGTERM:\n{}",
                    ended.status,
                    ended.stderr
                );
                logs.push_str(&ended.stderr);
            }
        }
        logs
    }
}

// ---------------------------------------------------------------------------------------
// Random batches

/// The items and locations the load writes to.
pub struct Shop {
    /// Three items.
    pub items: Vec<String>,
    /// Two locations.
    pub locations: Vec<String>,
}

impl Shop {
    /// Creates three items and two locations.
    pub async fn create(clients: &mut Clients) -> Shop {
        let mut items = Vec::new();
        for sku in ["MUG", "CUP", "JUG"] {
            items.push(super::ledger::item(clients, sku).await);
        }
        let mut locations = Vec::new();
        for name in ["Shop", "Depot"] {
            locations.push(super::ledger::location(clients, name).await);
        }
        Shop { items, locations }
    }
}

/// A quantity of `low..=high` units, now and then with a fraction.
fn quantity(rng: &mut Rng, low: u64, high: u64) -> String {
    let whole = rng.between(low, high);
    match rng.between(0, 7) {
        0 => format!("{whole}.5"),
        1 => format!("{whole}.00125"),
        _ => whole.to_string(),
    }
}

/// One random change: receipts, sales, waste, physical counts and transfers both ways,
/// some of them late (occurred up to five minutes ago).
fn random_change(rng: &mut Rng, shop: &Shop) -> InventoryChange {
    let i = rng.pick(&shop.items).as_str();
    let l = rng.pick(&shop.locations).as_str();
    let change = match rng.between(0, 99) {
        0..=29 => adjust(i, l, S::None, S::InStock, &quantity(rng, 1, 20)),
        30..=49 => adjust(i, l, S::InStock, S::Sold, &quantity(rng, 1, 5)),
        50..=59 => adjust(i, l, S::InStock, S::Waste, &quantity(rng, 1, 3)),
        60..=74 => {
            let state = if rng.chance(25) { S::Waste } else { S::InStock };
            count(i, l, state, &quantity(rng, 0, 50))
        }
        _ => {
            let other = shop
                .locations
                .iter()
                .find(|o| *o != l)
                .expect("two locations");
            transfer(i, l, other, &quantity(rng, 1, 5))
        }
    };
    if rng.chance(20) {
        let micros = now_micros() - rng.between(1_000_000, 300_000_000) as i64;
        let when = Timestamp {
            seconds: micros.div_euclid(1_000_000),
            nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
        };
        at(change, Some(when))
    } else {
        change
    }
}

/// A batch of 1–5 random changes with a fresh idempotency key; every change recorded
/// (a physical count equal to the count is recorded too), so that a whole batch is its
/// request.
pub fn random_batch(rng: &mut Rng, shop: &Shop) -> BatchChangeInventoryRequest {
    let size = rng.between(1, 5);
    BatchChangeInventoryRequest {
        forbid_negative_counts: None,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        changes: (0..size).map(|_| random_change(rng, shop)).collect(),
        ignore_unchanged_counts: Some(false),
    }
}

// ---------------------------------------------------------------------------------------
// Writers

/// A batch the server acknowledged, with the response as first received.
#[derive(Clone, Debug)]
pub struct Acked {
    /// What was sent (every attempt sent exactly this, idempotency key included).
    pub request: BatchChangeInventoryRequest,
    /// The first successful answer.
    pub response: BatchChangeInventoryResponse,
    /// Its protobuf encoding: what a replay must reproduce byte for byte.
    pub bytes: Vec<u8>,
    /// Calls it took (1 = acknowledged at once).
    pub attempts: u32,
    /// When its first call failed in transport, in microseconds since the epoch.
    pub first_interrupted_at: Option<i64>,
}

impl Acked {
    /// A batch acknowledged at its first call.
    pub fn first(
        request: BatchChangeInventoryRequest,
        response: BatchChangeInventoryResponse,
    ) -> Acked {
        let bytes = response.encode_to_vec();
        Acked {
            request,
            response,
            bytes,
            attempts: 1,
            first_interrupted_at: None,
        }
    }

    /// Whether the batch was committed before a call of it was interrupted — the answer
    /// lost with the server, recovered by the retry's replay: its changes were received
    /// (`created_at`) before the interruption.
    pub fn committed_before_interruption(&self) -> bool {
        let created = self
            .response
            .changes
            .first()
            .and_then(|c| match c.change.as_ref() {
                Some(Change::Adjustment(a)) => a.created_at,
                Some(Change::PhysicalCount(p)) => p.created_at,
                Some(Change::Transfer(t)) => t.created_at,
                None => None,
            });
        match (created, self.first_interrupted_at) {
            (Some(t), Some(interrupted)) => {
                t.seconds * 1_000_000 + i64::from(t.nanos) / 1000 < interrupted
            }
            _ => false,
        }
    }
}

/// What a writer may meet besides an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weather {
    /// Servers are killed: calls may fail in transport (no ErrorInfo from the server),
    /// and are then retried, on the next replica.
    Kills,
    /// Servers stay up: only ABORTED with reason CONCURRENT_WRITES may be retried.
    Calm,
    /// The database fails under the servers (a full disk, an outage, a failover): besides
    /// transport failures, UNAVAILABLE answers (STORAGE_FULL, DATABASE_UNAVAILABLE) and
    /// expired deadlines are retried, each counted by reason in [`Writer::refused`].
    Faults,
}

/// One client connection per replica, sending batches until they are acknowledged.
pub struct Writer {
    endpoints: Arc<Endpoints>,
    weather: Weather,
    clients: Vec<Option<(u16, InventoryServiceClient<Authed>)>>,
    /// Calls that failed in transport (the server died under them or was down).
    pub interrupted: u64,
    /// Calls answered ABORTED with reason CONCURRENT_WRITES.
    pub aborted: u64,
    /// Calls refused for an outage ([`Weather::Faults`]), by ErrorInfo reason (or code).
    pub refused: BTreeMap<String, u64>,
}

impl Writer {
    /// A writer to the replicas of `endpoints`.
    pub fn new(endpoints: Arc<Endpoints>, weather: Weather) -> Writer {
        let clients = (0..endpoints.replicas()).map(|_| None).collect();
        Writer {
            endpoints,
            weather,
            clients,
            interrupted: 0,
            aborted: 0,
            refused: BTreeMap::new(),
        }
    }

    /// Sends `request` to `replica` until it is acknowledged, retrying with the same
    /// idempotency key: after a transport failure on the next replica, after ABORTED
    /// (CONCURRENT_WRITES) on the same one. Panics on any other answer, and on a call that
    /// goes unanswered for [`CALL_LIMIT`] (a hang).
    pub async fn acknowledge(
        &mut self,
        replica: usize,
        request: BatchChangeInventoryRequest,
    ) -> Acked {
        let started = Instant::now();
        let mut replica = replica;
        let mut attempts = 0;
        let mut first_interrupted_at = None;
        loop {
            attempts += 1;
            let failure = match self.call(replica, &request).await {
                Ok(response) => {
                    let bytes = response.encode_to_vec();
                    return Acked {
                        request,
                        response,
                        bytes,
                        attempts,
                        first_interrupted_at,
                    };
                }
                Err(status) => status,
            };
            match self.retry_for(&failure) {
                Retry::Contention => {
                    self.aborted += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Retry::Outage(reason) => {
                    *self.refused.entry(reason).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Retry::Transport => {
                    self.interrupted += 1;
                    first_interrupted_at.get_or_insert_with(super::ledger::now_micros);
                    self.clients[replica] = None;
                    replica = (replica + 1) % self.endpoints.replicas();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            assert!(
                started.elapsed() < BATCH_LIMIT,
                "batch {} not acknowledged after {attempts} calls in {BATCH_LIMIT:?}; last \
                 answer {failure:?}",
                request.idempotency_key
            );
        }
    }

    async fn call(
        &mut self,
        replica: usize,
        request: &BatchChangeInventoryRequest,
    ) -> Result<BatchChangeInventoryResponse, tonic::Status> {
        let port = self.endpoints.port(replica);
        let stale = !matches!(&self.clients[replica], Some((p, _)) if *p == port);
        if stale {
            let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
                .expect("valid uri")
                .connect_timeout(Duration::from_secs(2))
                .connect()
                .await
                .map_err(|e| tonic::Status::unavailable(format!("connecting: {e}")))?;
            let bearer = Bearer::new(&self.endpoints.token);
            let client = InventoryServiceClient::with_interceptor(channel, bearer);
            self.clients[replica] = Some((port, client));
        }
        let (_, client) = self.clients[replica].as_mut().expect("connected");
        let in_flight = &self.endpoints.in_flight[replica];
        in_flight.fetch_add(1, Ordering::SeqCst);
        let answer =
            tokio::time::timeout(CALL_LIMIT, client.batch_change_inventory(request.clone())).await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
        let answer = answer.unwrap_or_else(|_| {
            panic!(
                "replica {replica} (port {port}) left batch {} unanswered for {CALL_LIMIT:?}",
                request.idempotency_key
            )
        });
        answer.map(tonic::Response::into_inner)
    }

    /// How a failed call may be retried; panics if it may not.
    fn retry_for(&self, status: &tonic::Status) -> Retry {
        let error = super::call_error(status.clone());
        match (error.code, error.reason.as_deref(), self.weather) {
            (Code::Aborted, Some("CONCURRENT_WRITES"), _) => Retry::Contention,
            (
                Code::Unavailable,
                Some(reason @ ("STORAGE_FULL" | "DATABASE_UNAVAILABLE" | "OVERLOADED")),
                Weather::Faults,
            ) => Retry::Outage(reason.to_owned()),
            // The server's own deadline for the call passed while the database hung: the
            // batch may or may not be committed, which the retry's replay settles.
            (Code::DeadlineExceeded, _, Weather::Faults) => {
                Retry::Outage("DEADLINE_EXCEEDED".to_owned())
            }
            (
                Code::Unavailable | Code::Unknown | Code::Cancelled | Code::Internal,
                None,
                Weather::Faults,
            ) => Retry::Transport,
            // A server told to stop while the call waited (not expected from SIGKILL, but a
            // retry is what it asks for).
            (Code::Unavailable, Some("SHUTTING_DOWN"), Weather::Kills) => Retry::Transport,
            // No ErrorInfo: the answer did not come from the server's handler but from the
            // connection breaking (or never being made).
            (
                Code::Unavailable | Code::Unknown | Code::Cancelled | Code::Internal,
                None,
                Weather::Kills,
            ) => Retry::Transport,
            _ => panic!(
                "a batch was answered {:?} (reason {:?}): {}",
                error.code, error.reason, error.message
            ),
        }
    }
}

enum Retry {
    Transport,
    Contention,
    Outage(String),
}

// ---------------------------------------------------------------------------------------
// The ledger check

/// A count: (item, location, state).
pub type Key = (String, String, i32);

/// What one change does to one count.
#[derive(Clone, Copy, Debug)]
pub enum Effect {
    /// Moves it by this many units (10⁻⁵).
    Delta(i64),
    /// Sets it to this many units (a physical count).
    Set(i64),
}

/// A decimal quantity (`"12.5"`, `"-3"`) in units of 10⁻⁵.
pub fn units(text: &str) -> i64 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(fraction.len() <= 5, "at most 5 decimal places: {text:?}");
    let whole: i64 = whole
        .parse()
        .unwrap_or_else(|_| panic!("a decimal: {text:?}"));
    let fraction: i64 = format!("{fraction:0<5}").parse().expect("fraction digits");
    let value = whole * 100_000 + fraction;
    if negative { -value } else { value }
}

fn keeps_count(state: i32) -> bool {
    state == InventoryState::InStock as i32 || state == InventoryState::Waste as i32
}

/// The effects of a change on the counts, per the ledger's rules (docs/ledger.md).
pub fn effects(change: &InventoryChange) -> Vec<(Key, Effect)> {
    let mut out = Vec::new();
    match change.change.as_ref().expect("member") {
        Change::Adjustment(a) => {
            let q = units(&a.quantity);
            let at = |state| (a.catalog_object_id.clone(), a.location_id.clone(), state);
            if keeps_count(a.from_state) {
                out.push((at(a.from_state), Effect::Delta(-q)));
            }
            if keeps_count(a.to_state) {
                out.push((at(a.to_state), Effect::Delta(q)));
            }
        }
        Change::PhysicalCount(c) => {
            let key = (c.catalog_object_id.clone(), c.location_id.clone(), c.state);
            out.push((key, Effect::Set(units(&c.quantity))));
        }
        Change::Transfer(t) => {
            let q = units(&t.quantity);
            let item = &t.catalog_object_id;
            out.push((
                (item.clone(), t.from_location_id.clone(), t.state),
                Effect::Delta(-q),
            ));
            out.push((
                (item.clone(), t.to_location_id.clone(), t.state),
                Effect::Delta(q),
            ));
        }
    }
    out
}

fn apply_effect(count: &mut i64, effect: Effect) {
    match effect {
        Effect::Delta(q) => *count += q,
        Effect::Set(q) => *count = q,
    }
}

/// What a change says, without what the server adds (ids, times, source): kind, item,
/// locations, states, quantity in units, and the requested occurred_at.
fn meaning(change: &InventoryChange) -> (u8, String, String, String, i32, i32, i64) {
    match change.change.as_ref().expect("member") {
        Change::Adjustment(a) => (
            0,
            a.catalog_object_id.clone(),
            a.location_id.clone(),
            String::new(),
            a.from_state,
            a.to_state,
            units(&a.quantity),
        ),
        Change::PhysicalCount(c) => (
            1,
            c.catalog_object_id.clone(),
            c.location_id.clone(),
            String::new(),
            0,
            c.state,
            units(&c.quantity),
        ),
        Change::Transfer(t) => (
            2,
            t.catalog_object_id.clone(),
            t.from_location_id.clone(),
            t.to_location_id.clone(),
            t.state,
            t.state,
            units(&t.quantity),
        ),
    }
}

/// A change's occurred_at, in microseconds.
fn occurred_micros(change: &InventoryChange) -> Option<i64> {
    let at = match change.change.as_ref().expect("member") {
        Change::Adjustment(a) => a.occurred_at,
        Change::PhysicalCount(c) => c.occurred_at,
        Change::Transfer(t) => t.occurred_at,
    };
    at.map(|t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000)
}

/// What [`check_ledger`] found.
pub struct LedgerFigures {
    /// Changes in the history (= in the feed = in the acknowledged responses).
    pub changes: usize,
    /// Counts stored.
    pub counts: usize,
}

/// Re-sends every acknowledged batch with its idempotency key (spread over the replicas)
/// and asserts that each replay answers with the very bytes of the first answer.
pub async fn assert_replays_identical(endpoints: &Arc<Endpoints>, acked: &[Acked]) {
    let lanes = 4;
    let mut tasks = Vec::new();
    for lane in 0..lanes {
        let mine: Vec<Acked> = acked.iter().skip(lane).step_by(lanes).cloned().collect();
        let mut writer = Writer::new(endpoints.clone(), Weather::Calm);
        tasks.push(tokio::spawn(async move {
            for (n, batch) in mine.into_iter().enumerate() {
                let replica = n % writer.endpoints.replicas();
                let replayed = writer.acknowledge(replica, batch.request.clone()).await;
                assert!(
                    replayed.bytes == batch.bytes,
                    "re-sending idempotency key {} answered other bytes than its first \
                     acknowledgement:\nfirst: {:?}\nreplay: {:?}",
                    batch.request.idempotency_key,
                    batch.response,
                    replayed.response
                );
            }
        }));
    }
    for task in tasks {
        task.await.expect("replaying task");
    }
}

/// Asserts that the ledger holds exactly the acknowledged batches, each once and whole:
///
/// - each response records every change of its request, as asked, in request order;
/// - the history holds exactly the changes of the responses, each once, as answered;
/// - WatchInventoryChanges from the beginning delivers sequences 1..=N with no gap, no
///   repeat and nothing after, each batch's changes as one run in request order;
/// - replaying the acknowledged batches one by one in feed (commit) order, placing each
///   change by (occurred_at, sequence), reproduces the counts every response reported —
///   no update lost or applied twice, ever — and the final stored counts;
/// - the stored counts equal the fold of the history as it is read back.
pub async fn check_ledger(clients: &mut Clients, acked: &[Acked]) -> LedgerFigures {
    // Each response is its request, recorded whole.
    let mut answered: HashMap<String, &InventoryChange> = HashMap::new();
    for batch in acked {
        let (asked, got) = (&batch.request.changes, &batch.response.changes);
        assert_eq!(
            asked.len(),
            got.len(),
            "batch {} recorded {} of its {} changes",
            batch.request.idempotency_key,
            got.len(),
            asked.len()
        );
        for (n, (asked, got)) in asked.iter().zip(got).enumerate() {
            assert_eq!(
                meaning(asked),
                meaning(got),
                "batch {} change {n} recorded otherwise than asked",
                batch.request.idempotency_key
            );
            if let Some(at) = occurred_micros(asked) {
                assert_eq!(occurred_micros(got), Some(at), "occurred_at kept");
            }
            let id = super::ledger::change_id(got);
            let again = answered.insert(id.clone(), got);
            assert!(again.is_none(), "change {id} answered in two batches");
        }
    }
    let total = answered.len();

    // The history: exactly the acknowledged changes, each once, as answered.
    let all = BatchRetrieveInventoryChangesRequest {
        limit: 1000,
        ..Default::default()
    };
    let history = list_all(clients, all).await;
    let mut seen = HashSet::new();
    for change in &history {
        let id = super::ledger::change_id(change);
        assert!(seen.insert(id.clone()), "change {id} twice in the history");
        match answered.get(&id) {
            Some(answer) => assert_eq!(*answer, change, "change {id} in history ≠ as answered"),
            None => {
                panic!("change {id} in the history belongs to no acknowledged batch: {change:?}")
            }
        }
    }
    assert_eq!(
        history.len(),
        total,
        "every acknowledged change is in the history"
    );

    // The feed: 1..=N, each batch one run.
    let mut inventory = clients.inventory.clone();
    let watch = WatchInventoryChangesRequest {
        start: WatchStart::Beginning.into(),
        ..Default::default()
    };
    let mut feed = inventory
        .watch_inventory_changes(watch)
        .await
        .expect("watch from the beginning")
        .into_inner();
    let mut feed_seq: HashMap<String, u64> = HashMap::with_capacity(total);
    for expected in 1..=total as u64 {
        let message = tokio::time::timeout(CALL_LIMIT, feed.next())
            .await
            .unwrap_or_else(|_| panic!("feed stalled before sequence {expected} of {total}"))
            .unwrap_or_else(|| panic!("feed ended before sequence {expected} of {total}"))
            .expect("feed message");
        assert_eq!(
            message.sequence, expected,
            "feed sequences are 1..=N without gaps"
        );
        let id = super::ledger::change_id(message.change.as_ref().expect("change"));
        assert!(
            answered.contains_key(&id),
            "feed delivered unknown change {id}"
        );
        feed_seq.insert(id, expected);
    }
    let after = tokio::time::timeout(Duration::from_millis(1000), feed.next()).await;
    assert!(
        after.is_err(),
        "nothing after the last acknowledged change: {after:?}"
    );

    let mut in_commit_order: Vec<(u64, &Acked)> = acked
        .iter()
        .map(|batch| {
            let seqs: Vec<u64> = batch
                .response
                .changes
                .iter()
                .map(|c| feed_seq[&super::ledger::change_id(c)])
                .collect();
            let run: Vec<u64> = (seqs[0]..seqs[0] + seqs.len() as u64).collect();
            assert_eq!(
                seqs, run,
                "batch {}'s changes are one run of the feed, in request order",
                batch.request.idempotency_key
            );
            (seqs[0], batch)
        })
        .collect();
    in_commit_order.sort_by_key(|(first, _)| *first);

    // Replay in commit order: each change placed by (occurred_at, feed sequence) — for one
    // count the same order as the server's (occurred_at, server sequence).
    let mut placed: HashMap<Key, Vec<(i64, u64, Effect)>> = HashMap::new();
    let fold = |entries: &[(i64, u64, Effect)]| {
        let mut count = 0;
        for (_, _, effect) in entries {
            apply_effect(&mut count, *effect);
        }
        count
    };
    for (_, batch) in &in_commit_order {
        let mut touched = BTreeMap::new();
        for change in &batch.response.changes {
            let at = occurred_micros(change).expect("recorded changes have occurred_at");
            let seq = feed_seq[&super::ledger::change_id(change)];
            for (key, effect) in effects(change) {
                let entries = placed.entry(key.clone()).or_default();
                let position = entries.partition_point(|(a, s, _)| (*a, *s) < (at, seq));
                entries.insert(position, (at, seq, effect));
                touched.insert(key, ());
            }
        }
        let reported: BTreeMap<Key, i64> = batch
            .response
            .counts
            .iter()
            .map(|c| {
                let key = (c.catalog_object_id.clone(), c.location_id.clone(), c.state);
                (key, units(&c.quantity))
            })
            .collect();
        let reported_keys: Vec<&Key> = reported.keys().collect();
        let touched_keys: Vec<&Key> = touched.keys().collect();
        assert_eq!(
            reported_keys, touched_keys,
            "batch {} reports the counts it touched",
            batch.request.idempotency_key
        );
        for (key, quantity) in &reported {
            assert_eq!(
                *quantity,
                fold(&placed[key]),
                "batch {} reported {key:?} at a quantity no serial order of the acknowledged \
                 batches gives (a lost or doubled update)",
                batch.request.idempotency_key
            );
        }
    }

    // The stored counts: the replay's, and the fold of the history as read back.
    let counts_request = BatchRetrieveInventoryCountsRequest {
        limit: 1000,
        ..Default::default()
    };
    let stored: BTreeMap<Key, i64> = list_all(clients, counts_request)
        .await
        .into_iter()
        .map(|c| {
            (
                (c.catalog_object_id, c.location_id, c.state),
                units(&c.quantity),
            )
        })
        .collect();
    let replayed: BTreeMap<Key, i64> = placed
        .iter()
        .map(|(key, entries)| (key.clone(), fold(entries)))
        .collect();
    assert_eq!(
        stored, replayed,
        "stored counts = the serial replay of the acknowledged batches"
    );
    let mut folded: BTreeMap<Key, i64> = BTreeMap::new();
    for change in &history {
        for (key, effect) in effects(change) {
            apply_effect(folded.entry(key).or_default(), effect);
        }
    }
    assert_eq!(stored, folded, "stored counts = the fold of the history");

    LedgerFigures {
        changes: total,
        counts: stored.len(),
    }
}

/// Asserts that `stockledger verify`, run as a process on `database_url`, finds every
/// count equal to its history.
pub fn assert_verify_passes(database_url: &str) {
    let out = super::process::run(&["verify"], database_url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("verified"),
        "stockledger verify failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}
