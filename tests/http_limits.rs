//! The HTTP listener (`serve --http-listen`) held to the server's limits, tried as a careless
//! or hostile client would against the real binary on both backends: idle connections
//! beyond the one connection budget it shares with gRPC are closed while a gRPC health
//! check still connects and answers SERVING; a connection that trickles its headers, and
//! an idle keep-alive connection, are closed after `--http-header-timeout-seconds`; a request
//! body that stalls is answered 408 in its door's error shape after
//! `--http-body-timeout-seconds`, and its connection closed; under a low open-file limit,
//! the budget is fitted inside it so that idle HTTP connections cannot take the descriptors
//! the database and health need; and calls beyond `--max-in-flight` are shed at once with
//! the gRPC listener's refusal (`api::admission`), in the door's error shape.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::ledger::{item, location};
use common::process::{ServeProcess, serve};
use common::{Backend, Clients, mint_token};
use stockledger::auth::scopes::Scope;
use stockledger::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Runs each named `async fn(Backend)` as two tests, `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test(super::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test(super::Backend::Postgres).await;
                }
            }
        )+
    };
}

/// The server binary on a fresh `backend` database, both listeners on, with `flags`.
struct BothListeners {
    process: ServeProcess,
    http: SocketAddr,
    database_url: String,
    _dir: tempfile::TempDir,
}

impl BothListeners {
    async fn start(backend: Backend, flags: &[&str]) -> BothListeners {
        Self::start_with_open_files(backend, flags, None).await
    }

    /// [`BothListeners::start`] with, given `open_files`, the process's soft and hard
    /// open-file limits set to it, and its log (standard error) kept.
    async fn start_with_open_files(
        backend: Backend,
        flags: &[&str],
        open_files: Option<u64>,
    ) -> BothListeners {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display()),
            Backend::Postgres => common::postgres::fresh_database_url().await,
        };
        let port = common::ports::free_port();
        let http: SocketAddr = ([127, 0, 0, 1], common::ports::free_port()).into();
        let mut command = serve(&database_url, port);
        command
            .args(["--http-listen", &http.to_string(), "--no-dev-token"])
            .args(flags);
        if let Some(limit) = open_files {
            use std::os::unix::process::CommandExt;
            command.stderr(std::process::Stdio::piped());
            // SAFETY: setrlimit is a single system call, safe between fork and exec.
            unsafe {
                command.pre_exec(move || rlimit::setrlimit(rlimit::Resource::NOFILE, limit, limit));
            }
        }
        let process = ServeProcess::spawn(command, port);
        // The gRPC port listens a moment before the HTTP one.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(http).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the HTTP listener never listened"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the server close the probe and give back its place in the budget.
        tokio::time::sleep(Duration::from_millis(200)).await;
        BothListeners {
            process,
            http,
            database_url,
            _dir: dir,
        }
    }

    fn grpc(&self) -> SocketAddr {
        ([127, 0, 0, 1], self.process.port).into()
    }

    /// A new gRPC connection, or why none could be made within 3 s.
    async fn grpc_channel(&self) -> Result<Channel, String> {
        Channel::from_shared(format!("http://{}", self.grpc()))
            .unwrap()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(3))
            .connect()
            .await
            .map_err(|e| format!("connecting: {e}"))
    }
}

/// What a gRPC health check of the whole server answers on `channel`.
async fn health(channel: Channel) -> Result<i32, String> {
    let request = HealthCheckRequest {
        service: String::new(),
    };
    let answer = HealthClient::new(channel).check(request).await;
    Ok(answer.map_err(|s| s.to_string())?.into_inner().status)
}

/// How long after now the server closes `connection` (end of stream or reset), reading and
/// discarding whatever it sends; `None` if it is still open after `limit`.
async fn closed_within(connection: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match connection.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => continue,
            }
        }
    })
    .await
    .ok()
}

/// Sends a GET of `path` on `connection` and reads the whole answer; its status code.
async fn get(connection: &mut TcpStream, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: stockledger\r\n\r\n");
    connection.write_all(request.as_bytes()).await.unwrap();
    answer(connection).await.0
}

/// The next answer on `connection`: its status code and its body.
async fn answer(connection: &mut TcpStream) -> (u16, String) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let (head_len, body_len) = loop {
        let read = connection.read(&mut buf).await.unwrap();
        assert!(read > 0, "the connection closed before answering");
        received.extend_from_slice(&buf[..read]);
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            break (end + 4, length);
        }
    };
    while received.len() < head_len + body_len {
        let read = connection.read(&mut buf).await.unwrap();
        assert!(read > 0, "the connection closed inside the body");
        received.extend_from_slice(&buf[..read]);
    }
    let status_line = String::from_utf8_lossy(&received[..head_len]);
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let body = String::from_utf8_lossy(&received[head_len..head_len + body_len]);
    (status, body.into_owned())
}

on_both_backends!(idle_http_connections_beyond_the_budget_are_closed_while_grpc_health_answers);
async fn idle_http_connections_beyond_the_budget_are_closed_while_grpc_health_answers(
    backend: Backend,
) {
    // A budget of 32: 2 kept for gRPC, so HTTP may hold 30.
    let server = BothListeners::start(
        backend,
        &[
            "--max-connections",
            "32",
            "--http-header-timeout-seconds",
            "60",
        ],
    )
    .await;
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(server.http).await.unwrap());
    }
    let closing = idle
        .iter_mut()
        .map(|connection| closed_within(connection, Duration::from_millis(500)));
    let closed_after = futures::future::join_all(closing).await;
    let closed = closed_after.iter().flatten().count();
    let kept: Vec<TcpStream> = idle
        .into_iter()
        .zip(&closed_after)
        .filter_map(|(connection, closed)| closed.is_none().then_some(connection))
        .collect();
    println!(
        "200 idle HTTP connections at --max-connections 32: {} kept, {closed} closed, in {:?}",
        kept.len(),
        started.elapsed()
    );
    assert_eq!(
        kept.len(),
        30,
        "HTTP holds the budget less the places kept for gRPC"
    );
    assert_eq!(closed, 170);

    let health_channel = server.grpc_channel().await;
    let health_channel = health_channel.expect("a gRPC connection while HTTP is full");
    let status = health(health_channel.clone()).await;
    assert_eq!(
        status,
        Ok(ServingStatus::Serving as i32),
        "gRPC health while HTTP is full"
    );

    // One budget for both listeners: HTTP's 30, the health check's connection and one more
    // gRPC connection fill it; the next gRPC connection is closed at once.
    let mut last_grpc_place = TcpStream::connect(server.grpc()).await.unwrap();
    let mut beyond = TcpStream::connect(server.grpc()).await.unwrap();
    assert!(
        closed_within(&mut beyond, Duration::from_secs(2))
            .await
            .is_some(),
        "a gRPC connection beyond the shared budget is kept"
    );
    assert!(
        closed_within(&mut last_grpc_place, Duration::from_millis(300))
            .await
            .is_none(),
        "the last place was not given"
    );
    drop(health_channel);

    // Closing HTTP connections gives their places back.
    drop(kept);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut connection = TcpStream::connect(server.http).await.unwrap();
        if closed_within(&mut connection, Duration::from_millis(200))
            .await
            .is_none()
        {
            assert_eq!(get(&mut connection, "/openapi.json").await, 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "closed connections' places never came back"
        );
    }
}

on_both_backends!(a_connection_that_trickles_its_headers_is_closed_after_the_header_timeout);
async fn a_connection_that_trickles_its_headers_is_closed_after_the_header_timeout(
    backend: Backend,
) {
    let server = BothListeners::start(backend, &["--http-header-timeout-seconds", "1"]).await;
    let mut silent = TcpStream::connect(server.http).await.unwrap();
    let mut trickling = TcpStream::connect(server.http).await.unwrap();
    let started = Instant::now();
    trickling
        .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: stockledger\r\n")
        .await
        .unwrap();
    let trickle = async {
        // A header byte every 200 ms, never the blank line that ends the headers.
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if trickling.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    let silent_closed = async { closed_within(&mut silent, Duration::from_secs(5)).await };
    let (_, silent_closed) = tokio::join!(trickle, silent_closed);
    let trickled_for = started.elapsed();
    println!(
        "--http-header-timeout-seconds 1: a silent connection closed after {silent_closed:?}, \
         a trickling one after {trickled_for:?}"
    );
    let silent_closed = silent_closed.expect("a silent connection is still open after 5 s");
    assert!(
        silent_closed >= Duration::from_millis(900),
        "closed early: {silent_closed:?}"
    );
    assert!(
        trickled_for < Duration::from_secs(3),
        "a connection trickling its headers was kept {trickled_for:?}"
    );
    let mut buf = [0u8; 64];
    let after = tokio::time::timeout(Duration::from_secs(1), trickling.read(&mut buf)).await;
    assert!(
        matches!(after, Ok(Ok(0) | Err(_))),
        "the trickling connection is closed"
    );
}

on_both_backends!(an_idle_keep_alive_connection_is_closed_after_the_header_timeout);
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout(backend: Backend) {
    let server = BothListeners::start(backend, &["--http-header-timeout-seconds", "1"]).await;
    let mut connection = TcpStream::connect(server.http).await.unwrap();
    assert_eq!(get(&mut connection, "/openapi.json").await, 200);
    // Kept alive: a second request on the same connection, well within the timeout, is
    // answered, and the timeout runs again from its answer.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&mut connection, "/openapi.json").await, 200);
    let idle_for = closed_within(&mut connection, Duration::from_secs(5))
        .await
        .expect("an idle keep-alive connection is still open after 5 s");
    println!(
        "--http-header-timeout-seconds 1: an idle keep-alive connection closed after {idle_for:?}"
    );
    assert!(
        idle_for >= Duration::from_millis(900),
        "closed {idle_for:?} after its answer"
    );
    assert!(idle_for < Duration::from_secs(3));
    let channel = server.grpc_channel().await.expect("a gRPC connection");
    assert_eq!(
        health(channel).await,
        Ok(ServingStatus::Serving as i32),
        "the server goes on"
    );
}

on_both_backends!(a_request_body_that_stalls_is_answered_408_and_its_connection_closed);
async fn a_request_body_that_stalls_is_answered_408_and_its_connection_closed(backend: Backend) {
    let server = BothListeners::start(backend, &["--http-body-timeout-seconds", "1"]).await;
    let post = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: stockledger\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{{\"changes\": "
        )
    };
    for (path, door_says) in [
        ("/v2/inventory/changes/batch-create", "REQUEST_TIMEOUT"),
        (
            "/admin/api/2024-01/inventory_levels/set.json",
            "did not arrive",
        ),
    ] {
        let mut connection = TcpStream::connect(server.http).await.unwrap();
        let started = Instant::now();
        connection.write_all(post(path).as_bytes()).await.unwrap();
        let (status, body) = answer(&mut connection).await;
        let answered_after = started.elapsed();
        let closed = closed_within(&mut connection, Duration::from_secs(2)).await;
        println!(
            "--http-body-timeout-seconds 1: a stalled body on {path} answered {status} after \
             {answered_after:?}, its connection closed {closed:?} later: {body}"
        );
        assert_eq!(status, 408, "{body}");
        assert!(body.contains(door_says), "{body}");
        assert!(
            answered_after >= Duration::from_millis(900),
            "{answered_after:?}"
        );
        assert!(
            answered_after < Duration::from_secs(3),
            "{answered_after:?}"
        );
        assert!(closed.is_some(), "the connection of a stalled body is kept");
    }

    // A body that takes its time but arrives within the deadline is read (and the call
    // refused only for its missing token).
    let mut connection = TcpStream::connect(server.http).await.unwrap();
    let body = r#"{"idempotency_key": "slow", "changes": []}"#;
    let head = format!(
        "POST /v2/inventory/changes/batch-create HTTP/1.1\r\nHost: stockledger\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(10);
    connection.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    connection.write_all(rest.as_bytes()).await.unwrap();
    let (status, body) = answer(&mut connection).await;
    assert_eq!(status, 401, "{body}");
}

on_both_backends!(idle_http_connections_cannot_take_the_descriptors_health_and_the_database_need);
async fn idle_http_connections_cannot_take_the_descriptors_health_and_the_database_need(
    backend: Backend,
) {
    // This test's own 400 connections must not run it out of descriptors either.
    rlimit::increase_nofile_limit(4096).unwrap();
    // 256 descriptors, --max-connections left at 4096: the budget is lowered to 256 - 128.
    let server = BothListeners::start_with_open_files(
        backend,
        &[
            "--http-header-timeout-seconds",
            "60",
            "--log-format",
            "json",
        ],
        Some(256),
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..400 {
        idle.push(TcpStream::connect(server.http).await.unwrap());
    }
    let closing = idle
        .iter_mut()
        .map(|connection| closed_within(connection, Duration::from_millis(500)));
    let kept = futures::future::join_all(closing)
        .await
        .iter()
        .filter(|closed| closed.is_none())
        .count();
    // Health checks the database every second on a connection of its own: let it try while
    // HTTP holds every place it may.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let channel = server.grpc_channel().await.expect("a gRPC connection");
    let status = health(channel).await;
    let ended = server.process.terminate().await;
    let lowered = ended
        .stderr
        .lines()
        .find(|line| line.contains("--max-connections lowered"))
        .unwrap_or_default()
        .to_owned();
    println!(
        "open-file limit 256, --max-connections 4096: 400 idle HTTP connections, {kept} kept; \
         health {status:?}; log: {lowered}"
    );
    assert_eq!(status, Ok(ServingStatus::Serving as i32));
    assert_eq!(
        kept,
        128 - 8,
        "HTTP holds the fitted budget less the places kept for gRPC"
    );
    assert!(
        lowered.contains(r#""max_connections":128"#),
        "{}",
        ended.stderr
    );
    assert!(
        !ended.stderr.contains("Too many open files"),
        "{}",
        ended.stderr
    );
}

on_both_backends!(load_beyond_the_in_flight_limit_is_shed_at_once_by_the_doors_as_by_grpc);
async fn load_beyond_the_in_flight_limit_is_shed_at_once_by_the_doors_as_by_grpc(backend: Backend) {
    // This test's own 300 connections must not run it out of descriptors.
    rlimit::increase_nofile_limit(4096).unwrap();
    let server = BothListeners::start(backend, &["--max-in-flight", "2"]).await;
    let store = Store::connect(&server.database_url).await.unwrap();
    let token = mint_token(&store, "shed", &Scope::ALL, "HTTP limits test").await;
    store.close().await.unwrap();
    let mut clients = Clients::new(&server.grpc_channel().await.unwrap(), &token);
    let shop = location(&mut clients, "Shed Shop").await;
    let mug = item(&mut clients, "SHED-HTTP").await;
    let http = reqwest::Client::new();
    let batch = |i: usize| {
        serde_json::json!({
            "idempotency_key": format!("shed-{i}"),
            "changes": [{
                "type": "ADJUSTMENT",
                "adjustment": {
                    "from_state": "NONE", "to_state": "IN_STOCK", "location_id": shop,
                    "catalog_object_id": mug, "quantity": "1",
                    "occurred_at": chrono::Utc::now().to_rfc3339(),
                }
            }],
        })
    };
    let url = format!("http://{}/v2/inventory/changes/batch-create", server.http);
    let started = Instant::now();
    let calls = (0..300).map(|i| {
        let request = http.post(&url).bearer_auth(&token).json(&batch(i));
        async move {
            let response = request.send().await.expect("an answer");
            let status = response.status();
            (
                status,
                response.json::<serde_json::Value>().await.expect("JSON"),
            )
        }
    });
    let health_during = health(server.grpc_channel().await.unwrap());
    let (results, health_during) = tokio::join!(futures::future::join_all(calls), health_during);
    let elapsed = started.elapsed();
    let (mut applied, mut shed) = (0, 0);
    for (status, body) in results {
        if status == reqwest::StatusCode::OK {
            applied += 1;
            continue;
        }
        assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
        let error = &body["errors"][0];
        assert_eq!(error["code"], "SERVICE_UNAVAILABLE", "{body}");
        // The gRPC listener's words: one gate, implemented once.
        assert_eq!(
            error["detail"],
            "the server is serving its limit of 2 calls; retry with backoff (OVERLOADED)",
            "{body}"
        );
        shed += 1;
    }
    println!(
        "300 concurrent Square batches at --max-in-flight 2: {applied} applied, {shed} shed in \
         {elapsed:?}"
    );
    assert!(shed > 0 && applied > 0);
    assert_eq!(health_during, Ok(ServingStatus::Serving as i32));
}
