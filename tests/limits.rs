//! The limits that keep one client from hurting the others, tried as a careless or hostile
//! client would, against the real binary where a flag sets the limit: streams per token and
//! the memory 10,000 attempted streams cost, revocation ending open streams (on every
//! replica), malformed and oversize requests, load shedding with truthful health, silent
//! connections, catch-up reads that cannot starve unary calls, and health while the
//! database is unreachable.

mod common;

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use common::ledger::*;
use common::process::{ServeProcess, serve};
use common::{Clients, TestServer, call_error, mint_token};
use futures::StreamExt;
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{
    CreateLocationRequest, InventoryState as S, ListLocationsRequest, Location,
    WatchInventoryChangesRequest, WatchStart,
};
use stockledger::store::Store;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// A server binary on a fresh database with `flags`, and a token of every scope.
struct Limited {
    process: ServeProcess,
    token: String,
    database_url: String,
    _dir: tempfile::TempDir,
}

impl Limited {
    /// On a fresh SQLite file.
    async fn start(flags: &[&str]) -> Limited {
        Limited::start_on(common::Backend::Sqlite, flags).await
    }

    async fn start_on(backend: common::Backend, flags: &[&str]) -> Limited {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            common::Backend::Sqlite => {
                format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display())
            }
            common::Backend::Postgres => common::postgres::fresh_database_url().await,
        };
        let store = Store::connect(&database_url).await.unwrap();
        store.migrate().await.unwrap();
        let token = mint_token(&store, "limited", &Scope::ALL, "Limits test").await;
        store.close().await.unwrap();
        let port = common::ports::free_port();
        let mut command = serve(&database_url, port);
        command.args(flags).arg("--no-dev-token");
        Limited {
            process: ServeProcess::spawn(command, port),
            token,
            database_url,
            _dir: dir,
        }
    }

    async fn clients(&self, token: &str) -> Clients {
        Clients::new(&self.process.channel().await, token)
    }

    /// Another token of every scope for merchant `merchant`.
    async fn token(&self, merchant: &str) -> String {
        let store = Store::connect(&self.database_url).await.unwrap();
        let token = mint_token(&store, merchant, &Scope::ALL, "Limits test").await;
        store.close().await.unwrap();
        token
    }

    /// Resident memory of the server process, KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.pid()))
            .expect("reading the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }
}

fn watch_from_beginning() -> WatchInventoryChangesRequest {
    WatchInventoryChangesRequest {
        start: WatchStart::Beginning.into(),
        ..Default::default()
    }
}

async fn health(channel: tonic::transport::Channel) -> Result<i32, tonic::Status> {
    let mut health = HealthClient::new(channel);
    let request = HealthCheckRequest {
        service: String::new(),
    };
    Ok(health.check(request).await?.into_inner().status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_streams_on_one_connection_cost_bounded_memory() {
    // 10,000 calls at once: far beyond the token's default rate limit, which is not what
    // this test measures.
    let server = Limited::start(&[
        "--max-streams-per-token",
        "100",
        "--rate-limit-per-second",
        "1000000",
        "--rate-limit-burst",
        "1000000",
    ])
    .await;
    let clients = server.clients(&server.token).await;
    let rss_before = server.rss_kib();
    let attempts = 10_000;
    let mut opened = Vec::new();
    let mut refused = 0;
    let calls = futures::stream::iter(0..attempts)
        .map(|_| {
            let mut clients = clients.clone();
            async move {
                clients
                    .inventory
                    .watch_inventory_changes(watch_from_beginning())
                    .await
            }
        })
        .buffer_unordered(512);
    tokio::pin!(calls);
    while let Some(result) = calls.next().await {
        match result {
            Ok(stream) => opened.push(stream.into_inner()),
            Err(status) => {
                let err = call_error(status);
                assert_eq!(err.code, Code::ResourceExhausted, "{}", err.message);
                assert_eq!(err.reason.as_deref(), Some("TOO_MANY_STREAMS"));
                refused += 1;
            }
        }
    }
    let rss_after = server.rss_kib();
    println!(
        "{attempts} watch attempts on one connection: {} open, {refused} refused; server RSS \
         {} MiB before, {} MiB after",
        opened.len(),
        rss_before / 1024,
        rss_after / 1024
    );
    assert_eq!(opened.len(), 100, "the token holds exactly its quota");
    assert_eq!(refused, attempts - 100);
    assert!(
        rss_after < 200 * 1024,
        "10,000 attempted streams must not cost the server {} MiB",
        rss_after / 1024
    );

    // Another token is unaffected; closing streams frees the quota.
    let other = server.token("another-merchant").await;
    let mut others = server.clients(&other).await;
    assert!(
        others
            .inventory
            .watch_inventory_changes(watch_from_beginning())
            .await
            .is_ok()
    );
    opened.truncate(90);
    let mut clients = clients.clone();
    let reopened = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match clients
                .inventory
                .watch_inventory_changes(watch_from_beginning())
                .await
            {
                Ok(stream) => return stream,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    assert!(reopened.is_ok(), "a closed stream's place is free again");
}

on_both_backends!(revoking_a_token_ends_its_open_streams_everywhere);
async fn revoking_a_token_ends_its_open_streams_everywhere(server: TestServer) {
    let token = server
        .token_for("revoked-merchant", &Scope::ALL, "Soon revoked")
        .await;
    let replica = server.replica().await;
    let mut streams = Vec::new();
    for target in [&server, &replica] {
        let mut clients = target.clients(&token);
        let watch = clients
            .inventory
            .watch_inventory_changes(watch_from_beginning())
            .await
            .expect("a watch");
        let history = clients
            .inventory
            .watch_inventory_counts(stockledger::proto::v1::WatchInventoryCountsRequest {
                start: WatchStart::Beginning.into(),
                ..Default::default()
            })
            .await
            .expect("a counts watch");
        streams.push((watch.into_inner().map(|m| m.map(|_| ())).boxed(), "changes"));
        streams.push((
            history.into_inner().map(|m| m.map(|_| ())).boxed(),
            "counts",
        ));
    }
    // Revoked through the other server's database handle, as `stockledger token revoke` does.
    let id = stockledger::auth::token::parse(&token)
        .unwrap()
        .id
        .to_owned();
    let store = Store::connect(&server.database_url).await.unwrap();
    let revoked_at = Instant::now();
    store.revoke_token(&id).await.unwrap();
    for (mut stream, what) in streams {
        let ended = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                match stream.next().await {
                    Some(Ok(_)) => continue,
                    Some(Err(status)) => return Some(status),
                    None => return None,
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the {what} watch still runs 3 s after revocation"));
        let status = ended.expect("the stream ends with a status");
        assert_eq!(status.code(), Code::Unauthenticated, "{}", status.message());
        assert!(status.message().contains("revoked"));
        let reason = call_error(status).reason;
        assert_eq!(reason.as_deref(), Some("ACCESS_TOKEN_REVOKED"));
    }
    println!(
        "four streams on two servers ended {} ms after revocation",
        revoked_at.elapsed().as_millis()
    );
    assert!(revoked_at.elapsed() < Duration::from_millis(1500));
}

/// Calls `path` with `body` as its raw request message.
async fn raw_call(
    channel: tonic::transport::Channel,
    token: &str,
    path: &'static str,
    body: Vec<u8>,
) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(body);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    grpc.unary::<_, Vec<u8>, _>(request, path.parse().unwrap(), RawCodec)
        .await
        .expect_err("a malformed body is refused")
}

on_both_backends!(undecodable_and_oversize_requests_are_refused_in_the_apis_terms);
async fn undecodable_and_oversize_requests_are_refused_in_the_apis_terms(mut server: TestServer) {
    for (path, body) in [
        (
            "/stockledger.v1.LocationService/ListLocations",
            vec![0xff, 0xff, 0xff],
        ),
        (
            "/stockledger.v1.InventoryService/BatchChangeInventory",
            vec![0x0a, 0x05, b'a'],
        ),
        (
            "/stockledger.v1.InventoryItemService/CreateInventoryItem",
            vec![0x12, 0x80],
        ),
    ] {
        let status = raw_call(server.channel.clone(), &server.token, path, body).await;
        let err = call_error(status);
        assert_eq!(err.code, Code::InvalidArgument, "{path}: {}", err.message);
        assert_eq!(err.reason.as_deref(), Some("MALFORMED_REQUEST"));
        assert!(!err.message.contains("Protobuf") && !err.message.contains("stockledger."));
    }
    let oversize = CreateLocationRequest {
        location: Some(Location {
            name: "x".repeat(5 * 1024 * 1024),
            ..Default::default()
        }),
    };
    let err = call_error(
        server
            .locations
            .create_location(oversize)
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, Code::ResourceExhausted, "{}", err.message);
    assert_eq!(err.reason.as_deref(), Some("REQUEST_TOO_LARGE"));
    assert!(err.message.len() < 300);
    let listed = server
        .locations
        .list_locations(ListLocationsRequest::default())
        .await
        .unwrap();
    assert!(
        listed.into_inner().locations.is_empty(),
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_beyond_the_in_flight_limit_is_shed_at_once_while_health_answers() {
    let server = Limited::start(&["--max-in-flight", "2"]).await;
    let mut clients = server.clients(&server.token).await;
    let (location, item) = shop_and_item(&mut clients, "SHED-1").await;
    let started = Instant::now();
    let calls = (0..300).map(|_| {
        let mut clients = clients.clone();
        let change = adjust(&item, &location, S::None, S::InStock, "1");
        async move { try_apply(&mut clients, vec![change]).await }
    });
    let health_during = health(server.process.channel().await);
    let (results, health_during) = tokio::join!(futures::future::join_all(calls), health_during);
    let elapsed = started.elapsed();
    let mut applied = 0;
    let mut shed = 0;
    for result in results {
        match result {
            Ok(_) => applied += 1,
            Err(status) => {
                let err = call_error(status);
                assert_eq!(err.code, Code::Unavailable, "{}", err.message);
                assert_eq!(err.reason.as_deref(), Some("OVERLOADED"));
                shed += 1;
            }
        }
    }
    println!(
        "300 concurrent batches at --max-in-flight 2: {applied} applied, {shed} shed in {elapsed:?}"
    );
    assert!(shed > 0 && applied > 0);
    assert_eq!(health_during.unwrap(), ServingStatus::Serving as i32);
    let count = quantity(&mut clients, &item, &location, S::InStock).await;
    let count: rust_decimal::Decimal = count.expect("a count").parse().unwrap();
    assert_eq!(
        count,
        applied.into(),
        "every applied batch counted, no shed one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_open_http2_are_closed() {
    use tokio::io::AsyncReadExt;
    let server = Limited::start(&["--handshake-timeout-seconds", "1"]).await;
    let addr = format!("127.0.0.1:{}", server.process.port);
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let started = Instant::now();
    for mut connection in silent {
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            // The server may greet with its own SETTINGS first; then it closes.
            loop {
                match connection.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "a silent connection is still open");
    }
    println!(
        "300 silent connections closed within {:?}",
        started.elapsed()
    );
    let mut clients = server.clients(&server.token).await;
    let listed = clients
        .locations
        .list_locations(ListLocationsRequest::default())
        .await;
    assert!(listed.is_ok(), "a real client is still served");
}

on_both_backends!(catching_up_watches_cannot_starve_unary_calls);
async fn catching_up_watches_cannot_starve_unary_calls(mut server: TestServer) {
    let (location, item) = shop_and_item(&mut server, "FAIR-1").await;
    for _ in 0..40 {
        let changes = (0..100)
            .map(|_| adjust(&item, &location, S::None, S::InStock, "1"))
            .collect();
        apply(&mut server, changes).await;
    }
    // 300 watches from the beginning of a 4,000-change history, never read, opened all at
    // once over 3 tokens and 30 connections, while another merchant lists its locations.
    let mut tokens = Vec::new();
    for t in 0..3 {
        let name = format!("Idle {t}");
        tokens.push(
            server
                .token_for(common::TEST_MERCHANT, &Scope::ALL, &name)
                .await,
        );
    }
    let mut connections = Vec::new();
    for i in 0..30 {
        let channel = common::connect(server.addr).await;
        connections.push(Clients::new(&channel, &tokens[i % 3]));
    }
    let opening = futures::stream::iter(0..300)
        .map(|i| {
            let mut clients = connections[i % 30].clone();
            async move {
                clients
                    .inventory
                    .watch_inventory_changes(watch_from_beginning())
                    .await
                    .expect("a watch")
            }
        })
        .buffer_unordered(300)
        .collect::<Vec<_>>();
    let other = server
        .token_for("bystander", &Scope::ALL, "Bystander")
        .await;
    let mut bystander = server.clients(&other);
    let listing = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let started = Instant::now();
            bystander
                .locations
                .list_locations(ListLocationsRequest::default())
                .await
                .expect("ListLocations");
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slowest
    };
    let (idle, slowest) = tokio::join!(opening, listing);
    println!("another merchant's ListLocations while 300 watches catch up: slowest {slowest:?}");
    assert!(
        slowest < Duration::from_secs(3),
        "slowest ListLocations {slowest:?}"
    );
    drop(idle);
}

/// Health says NOT_SERVING while the database refuses connections, SERVING once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_tells_the_truth_when_the_database_is_unreachable() {
    use sea_orm::{ConnectionTrait, Database};
    let server = TestServer::start(common::Backend::Postgres).await;
    let (admin_url, name) = server.database_url.rsplit_once('/').unwrap();
    let admin = Database::connect(format!("{admin_url}/postgres"))
        .await
        .unwrap();
    let status_within = |wanted: ServingStatus| {
        let channel = server.channel.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let status = health(channel.clone()).await.expect("health answers");
                if status == wanted as i32 {
                    return true;
                }
                if Instant::now() > deadline {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert!(status_within(ServingStatus::Serving).await);
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    assert!(
        status_within(ServingStatus::NotServing).await,
        "health still says SERVING with the database unreachable"
    );
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    assert!(
        status_within(ServingStatus::Serving).await,
        "health does not recover with the database"
    );
}

/// Sends and receives raw message bytes: to put bodies on the wire that no generated client
/// would.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// 1,500 concurrent history reads keep every pooled database connection busy, so that a
/// call waits seconds for one: health still answers SERVING every time it is asked, since
/// it checks the database on a connection of its own (a balancer must not pull every
/// replica in a spike while the database is fine).
async fn health_stays_serving_under_a_load_that_saturates_the_pool(backend: common::Backend) {
    let unlimited = [
        "--rate-limit-per-second",
        "1000000000",
        "--rate-limit-burst",
        "1000000000",
    ];
    let mut flags = vec!["--max-in-flight", "4000"];
    flags.extend(unlimited);
    let server = Limited::start_on(backend, &flags).await;
    let mut clients = server.clients(&server.token).await;
    let (location, item) = shop_and_item(&mut clients, "BUSY-1").await;
    for _ in 0..20 {
        let changes = (0..100)
            .map(|_| adjust(&item, &location, S::None, S::InStock, "1"))
            .collect();
        try_apply(&mut clients, changes).await.expect("a batch");
    }
    // Answered, shed, and the slowest call in milliseconds, across the readers.
    let figures = std::sync::Arc::new([(); 3].map(|_| AtomicU64::new(0)));
    let readers: Vec<_> = (0..1_500)
        .map(|_| {
            let (mut clients, figures) = (clients.clone(), figures.clone());
            tokio::spawn(async move {
                loop {
                    let started = Instant::now();
                    let request = stockledger::proto::v1::BatchRetrieveInventoryChangesRequest {
                        limit: 1000,
                        ..Default::default()
                    };
                    match clients
                        .inventory
                        .batch_retrieve_inventory_changes(request)
                        .await
                    {
                        Ok(_) => figures[0].fetch_add(1, Relaxed),
                        // Waited past the pool's limit for a connection: shed, to retry.
                        Err(status) => {
                            let error = call_error(status);
                            assert_eq!(
                                (error.code, error.reason.as_deref()),
                                (Code::Unavailable, Some("DATABASE_UNAVAILABLE")),
                                "a read under load: {}",
                                error.message
                            );
                            figures[1].fetch_add(1, Relaxed)
                        }
                    };
                    figures[2].fetch_max(started.elapsed().as_millis() as u64, Relaxed);
                }
            })
        })
        .collect();
    let channel = server.process.channel().await;
    let mut checks = 0;
    // Until some call has waited longer than health's own 2 s limit, then 3 s more.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut saturated_at = None;
    while saturated_at.is_none_or(|at: Instant| at.elapsed() < Duration::from_secs(3)) {
        assert!(
            Instant::now() < deadline,
            "no call waited longer than 2 s in 60 s of load"
        );
        let status = health(channel.clone()).await.expect("health answers");
        assert_eq!(
            status,
            ServingStatus::Serving as i32,
            "health under a read load, check {checks}"
        );
        checks += 1;
        if saturated_at.is_none() && figures[2].load(Relaxed) > 2_000 {
            saturated_at = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for reader in readers {
        reader.abort();
    }
    let [answered, shed, slowest] = figures.as_ref().each_ref().map(|f| f.load(Relaxed));
    println!(
        "{backend:?}: 1,500 concurrent history reads ({answered} answered, {shed} shed after \
         waiting for a connection, slowest {slowest} ms): health answered SERVING {checks} \
         times out of {checks}"
    );
}

mod health_stays_serving_under_load {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        health_stays_serving_under_a_load_that_saturates_the_pool(common::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        health_stays_serving_under_a_load_that_saturates_the_pool(common::Backend::Postgres).await;
    }
}
