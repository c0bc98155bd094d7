//! Tokens that expire and refusals that say why (issue 12): `token create --expires-in`,
//! `token list`'s expiry and status, the reasons ACCESS_TOKEN_EXPIRED, ACCESS_TOKEN_REVOKED
//! and UNAUTHORIZED (calls and open streams alike), `--database-url` on every subcommand
//! that touches the database, and the per-token rate limit of the real binary.

mod common;

use std::time::{Duration, Instant};

use common::ports::free_port;
use common::process::{ServeProcess, run, serve};
use common::{Clients, TestServer, call_error, mint_token};
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{
    self as pb, WatchInventoryChangesRequest, WatchStart,
    location_service_client::LocationServiceClient,
};
use stockledger::store::Store;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_types::StatusExt;

/// A `DATABASE_URL` no command can open: a command that ignored `--database-url` fails.
const NOWHERE: &str = "sqlite:///nonexistent-stockledger-dir/none.db?mode=rw";

/// `stockledger token create` for merchant `merchant` with every scope, `extra` arguments
/// after it, the database given by `--database-url` only; the bearer token it prints.
fn create_with_cli(database_url: &str, merchant: &str, extra: &[&str]) -> String {
    let scopes = Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>();
    let scopes = scopes.join(",");
    let args = [
        "token",
        "create",
        "--merchant",
        merchant,
        "--scopes",
        &scopes,
        "--app-name",
        "Tokens test",
        "--database-url",
        database_url,
    ];
    let output = run(&[&args[..], extra].concat(), NOWHERE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "token create failed: {stderr}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The id part of a bearer token.
fn id_of(token: &str) -> String {
    stockledger::auth::token::parse(token)
        .unwrap()
        .id
        .to_owned()
}

async fn list_locations(clients: &Clients) -> Result<(), tonic::Status> {
    let mut locations = clients.locations.clone();
    locations
        .list_locations(pb::ListLocationsRequest::default())
        .await
        .map(drop)
}

/// The ErrorInfo reason of a refused call, after checking its code.
#[track_caller]
fn reason(result: Result<(), tonic::Status>, code: Code) -> String {
    let err = call_error(result.expect_err("the call should have been refused"));
    assert_eq!(err.code, code, "{}", err.message);
    err.reason.expect("an ErrorInfo reason")
}

fn micros_now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

on_both_backends!(an_expired_token_is_refused_from_its_expiry_and_its_streams_end);
async fn an_expired_token_is_refused_from_its_expiry_and_its_streams_end(server: TestServer) {
    let token = create_with_cli(&server.database_url, "expiring", &["--expires-in", "3s"]);
    let store = Store::connect(&server.database_url).await.unwrap();
    let record = store.token_credentials(&id_of(&token)).await.unwrap();
    store.close().await.ok();
    let expires_at = record
        .unwrap()
        .record
        .expires_at
        .expect("an expiry was stored");
    let left = expires_at - micros_now();
    assert!(
        (1_000_000..=3_000_000).contains(&left),
        "expires {left} µs from now"
    );
    let clients = server.clients(&token);
    let mut inventory = clients.inventory.clone();
    let watch = inventory
        .watch_inventory_changes(WatchInventoryChangesRequest {
            start: WatchStart::Beginning.into(),
            ..Default::default()
        })
        .await;
    let mut watch = watch.expect("a watch opens before expiry").into_inner();

    // Call every 50 ms: no call that starts at or after the expiry passes (the one-second
    // cache holds the token, yet expiry is checked at every use), and the first refusal
    // says the token expired.
    let refused = loop {
        let started = micros_now();
        match list_locations(&clients).await {
            Ok(()) => assert!(
                started < expires_at,
                "a call {} µs after the expiry passed",
                started - expires_at
            ),
            Err(status) => break (status, started),
        }
        assert!(micros_now() < expires_at + 2_000_000, "never refused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (status, started) = refused;
    assert!(
        started >= expires_at - 100_000,
        "refused {} µs before the expiry",
        expires_at - started
    );
    assert_eq!(
        reason(Err(status), Code::Unauthenticated),
        "ACCESS_TOKEN_EXPIRED"
    );

    // The open stream ends too, saying why (the streams' sweep runs every 0.5 s).
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match watch.next().await {
                Some(Ok(_)) => continue,
                Some(Err(status)) => return status,
                None => panic!("the watch ended without a status"),
            }
        }
    })
    .await
    .expect("the watch ends within 3 s of the expiry");
    assert_eq!(
        reason(Err(ended), Code::Unauthenticated),
        "ACCESS_TOKEN_EXPIRED"
    );
    // The server's own token is unaffected.
    list_locations(&server.clients).await.unwrap();
}

on_both_backends!(refusals_say_whether_a_token_is_revoked_or_unknown);
async fn refusals_say_whether_a_token_is_revoked_or_unknown(server: TestServer) {
    let token = create_with_cli(&server.database_url, "revoked", &[]);
    let clients = server.clients(&token);
    list_locations(&clients).await.expect("a new token works");
    let id = id_of(&token);
    let revoke = [
        "token",
        "revoke",
        &id,
        "--database-url",
        &server.database_url,
    ];
    let revoked = run(&revoke, NOWHERE);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let deadline = Instant::now() + Duration::from_millis(1500);
    let refused = loop {
        let result = list_locations(&clients).await;
        if result.is_err() || Instant::now() > deadline {
            break result;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        reason(refused, Code::Unauthenticated),
        "ACCESS_TOKEN_REVOKED"
    );

    let (id_part, _) = common::token_parts(&server.token);
    let wrong_secret = format!("{id_part}_{}", "A".repeat(43));
    let unknown = format!("slk_{}_{}", "0".repeat(32), "A".repeat(43));
    for bad in ["", "nonsense", "slk_abc_def", &wrong_secret, &unknown] {
        let result = list_locations(&server.clients(bad)).await;
        assert_eq!(
            reason(result, Code::Unauthenticated),
            "UNAUTHORIZED",
            "{bad:?}"
        );
    }
    let mut anonymous = LocationServiceClient::new(server.channel.clone());
    let missing = anonymous
        .list_locations(pb::ListLocationsRequest::default())
        .await
        .map(drop);
    assert_eq!(reason(missing, Code::Unauthenticated), "UNAUTHORIZED");
}

/// `token list`'s rows: id → (status, expires).
fn listed(database_url: &str) -> Vec<(String, String, String)> {
    let output = run(&["token", "list", "--database-url", database_url], NOWHERE);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("ID\tMERCHANT\tAPPLICATION\tSCOPES\tSTATUS\tEXPIRES")
    );
    lines
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 6, "{line}");
            (columns[0].into(), columns[4].into(), columns[5].into())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_list_shows_each_tokens_expiry_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let forever = id_of(&create_with_cli(&url, "m", &[]));
    let quarter = id_of(&create_with_cli(&url, "m", &["--expires-in", "90d"]));
    let short = id_of(&create_with_cli(&url, "m", &["--expires-in", "1s"]));
    let revoked = id_of(&create_with_cli(&url, "m", &["--expires-in", "12h 30m"]));
    assert!(
        run(
            &["token", "revoke", &revoked, "--database-url", &url],
            NOWHERE
        )
        .status
        .success()
    );
    for bad in ["0s", "soon", "-5m", "99999999999d"] {
        let args = ["--app-name", "x", "--expires-in", bad];
        let with = [
            &[
                "token",
                "create",
                "--merchant",
                "m",
                "--scopes",
                "ITEMS_READ",
            ][..],
            &args[..],
        ]
        .concat();
        assert!(!run(&with, &url).status.success(), "--expires-in {bad}");
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let rows = listed(&url);
    assert_eq!(rows.len(), 4, "{rows:?}");
    let row = |id: &str| rows.iter().find(|r| r.0 == id).unwrap().clone();
    assert_eq!(
        row(&forever),
        (forever.clone(), "active".into(), "never".into())
    );
    let (_, status, expires) = row(&quarter);
    assert_eq!(status, "active");
    let expires = chrono::DateTime::parse_from_rfc3339(&expires).unwrap();
    let in_90_days = chrono::Utc::now() + chrono::Duration::days(90);
    let off = (expires.timestamp() - in_90_days.timestamp()).abs();
    assert!(off < 60, "90d expires at {expires}, {off} s off");
    assert_eq!(row(&short).1, "expired");
    assert_eq!(row(&revoked).1, "revoked");
    assert_ne!(row(&revoked).2, "never");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_database_subcommand_takes_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
    let ok = |args: &[&str]| {
        let output = run(args, NOWHERE);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8(output.stdout).unwrap()
    };
    // Each fails against NOWHERE (the environment's DATABASE_URL) unless the flag is used.
    assert!(!run(&["migrate"], NOWHERE).status.success());
    ok(&["migrate", "--database-url", &url]);
    let token = create_with_cli(&url, "m", &[]);
    let id = id_of(&token);
    assert!(ok(&["token", "list", "--database-url", &url]).contains(&id));
    // The flag before the token subcommand's name still works.
    assert!(ok(&["token", "--database-url", &url, "list"]).contains(&id));
    ok(&["verify", "--database-url", &url]);
    let port = free_port();
    let mut command = serve(NOWHERE, port);
    command.args(["--database-url", &url, "--no-dev-token"]);
    let process = ServeProcess::spawn(command, port);
    let clients = Clients::new(&process.channel().await, &token);
    list_locations(&clients)
        .await
        .expect("serve used --database-url");
    drop(clients);
    assert!(process.terminate().await.status.success());
    ok(&["token", "revoke", &id, "--database-url", &url]);
}

/// The real binary on a fresh SQLite file with a low rate limit, and two tokens.
struct RateLimited {
    process: ServeProcess,
    tokens: [String; 2],
    _dir: tempfile::TempDir,
}

impl RateLimited {
    async fn start(per_second: u32, burst: u32) -> RateLimited {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let first = mint_token(&store, "busy", &Scope::ALL, "Busy").await;
        let second = mint_token(&store, "calm", &Scope::ALL, "Calm").await;
        store.close().await.unwrap();
        let port = free_port();
        let mut command = serve(&url, port);
        command.arg("--no-dev-token").args([
            "--rate-limit-per-second",
            &per_second.to_string(),
            "--rate-limit-burst",
            &burst.to_string(),
        ]);
        RateLimited {
            process: ServeProcess::spawn(command, port),
            tokens: [first, second],
            _dir: dir,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_rate_limit_is_refused_with_a_retry_delay_for_that_token_only() {
    // One call a second after a burst of five. Rounds of 20 calls at once are sent until one
    // is refused, and after each round no more may have passed than the limit allows in the
    // time taken (the burst, and one more per second begun). A server that refuses nothing
    // fails that bound as soon as a round of 20 takes less than 15 s, and the rounds are
    // bounded too: the test cannot pass without a refusal, however slow the machine.
    const PER_SECOND: u32 = 1;
    const BURST: u32 = 5;
    const ROUNDS: usize = 10;
    let server = RateLimited::start(PER_SECOND, BURST).await;
    let channel = server.process.channel().await;
    let busy = Clients::new(&channel, &server.tokens[0]);
    let calm = Clients::new(&channel, &server.tokens[1]);
    let started = Instant::now();
    let mut passed = 0;
    let mut delays = vec![];
    for round in 1..=ROUNDS {
        let results = futures::future::join_all((0..20).map(|_| {
            let mut locations = busy.locations.clone();
            async move {
                locations
                    .list_locations(pb::ListLocationsRequest::default())
                    .await
            }
        }))
        .await;
        for result in results {
            match result {
                Ok(_) => passed += 1,
                Err(status) => {
                    let delay = status
                        .get_details_retry_info()
                        .and_then(|info| info.retry_delay)
                        .expect("a RetryInfo delay");
                    let err = call_error(status);
                    assert_eq!(err.code, Code::ResourceExhausted, "{}", err.message);
                    assert_eq!(err.reason.as_deref(), Some("RATE_LIMITED"));
                    delays.push(delay);
                }
            }
        }
        let elapsed = started.elapsed();
        let allowed =
            BURST as usize + (elapsed.as_secs_f64().ceil() as usize) * PER_SECOND as usize;
        println!(
            "round {round}: {passed} passed, {} refused in {elapsed:?} (at most {allowed} may pass)",
            delays.len()
        );
        assert!(
            passed <= allowed,
            "{passed} calls passed in {elapsed:?} at {PER_SECOND}/s, burst {BURST}: \
             the rate limit let more through than it allows"
        );
        if !delays.is_empty() {
            break;
        }
    }
    assert!(
        !delays.is_empty(),
        "no call refused in {ROUNDS} rounds of 20 ({passed} passed)"
    );
    assert!(
        passed >= BURST as usize,
        "the burst passes: {passed} passed"
    );
    let longest = Duration::from_secs(1) / PER_SECOND;
    assert!(
        delays.iter().all(|d| *d > Duration::ZERO && *d <= longest),
        "retry delays {delays:?}"
    );

    // Another token is unaffected; health is never limited.
    for _ in 0..5 {
        list_locations(&calm)
            .await
            .expect("the calm token is not limited");
    }
    let mut health = HealthClient::new(channel.clone());
    for _ in 0..50 {
        let check = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health is never limited");
        assert_eq!(check.into_inner().status, ServingStatus::Serving as i32);
    }
    // After the delay, the busy token may call again.
    let waited = delays.iter().max().copied().unwrap_or_default();
    tokio::time::sleep(waited + Duration::from_millis(10)).await;
    list_locations(&busy)
        .await
        .expect("a call passes after the retry delay");
    drop((busy, calm, health, channel));
    server.process.terminate().await;
}
