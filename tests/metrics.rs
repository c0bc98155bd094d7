//! `GET /metrics` (docs/operations.md, "Metrics") of the real binary: what a call, a door
//! request, a group commit, an open watch and a shed call leave in the Prometheus text, on
//! the doors' listener and on `--metrics-listen` alone (with `/healthz`), and that no series
//! names a merchant or a token. scripts/prometheus-check.sh has a real Prometheus scrape it.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::ledger::{adjust, item, location};
use common::process::{ServeProcess, serve};
use common::{Clients, sqlite_with_token};
use stockledger::proto::v1 as pb;

const MERCHANT: &str = "metrics-merchant";

/// The value of the series `name` whose labels include `labels`, if there is one.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, number) = line.rsplit_once(' ')?;
            let (series_name, found) = match series.split_once('{') {
                Some((n, rest)) => (n, parse_labels(rest.trim_end_matches('}'))),
                None => (series, BTreeMap::new()),
            };
            let matches = series_name == name
                && labels
                    .iter()
                    .all(|(k, v)| found.get(*k).map(String::as_str) == Some(*v));
            matches.then(|| number.parse().expect("a number"))
        })
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    text.split("\",")
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.to_owned(), v.trim_matches('"').to_owned()))
        })
        .collect()
}

async fn scrape(address: SocketAddr) -> String {
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("a scrape");
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    response.text().await.unwrap()
}

/// Scrapes until `wanted` holds of the text (5 s at most), returning the last text.
async fn scrape_until(address: SocketAddr, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = scrape(address).await;
        if wanted(&text) || Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_requests_commits_streams_and_shed_calls_are_counted_without_naming_merchants() {
    let (url, token, _dir) = sqlite_with_token(MERCHANT, "metrics test").await;
    let port = common::ports::free_port();
    let http: SocketAddr = ([127, 0, 0, 1], common::ports::free_port()).into();
    let metrics: SocketAddr = ([127, 0, 0, 1], common::ports::free_port()).into();
    let mut command = serve(&url, port);
    command.args([
        "--http-listen",
        &http.to_string(),
        "--metrics-listen",
        &metrics.to_string(),
        "--no-dev-token",
        "--rate-limit-per-second",
        "1",
        "--rate-limit-burst",
        "60",
    ]);
    let server = ServeProcess::spawn(command, port);
    let mut clients = Clients::new(&server.channel().await, &token);

    // Two created locations, one refused; an item; a batch through the group commit.
    let shop = location(&mut clients, "Metrics Shop").await;
    location(&mut clients, "Metrics Annex").await;
    let refused = clients
        .locations
        .create_location(pb::CreateLocationRequest {
            location: Some(pb::Location::default()),
        })
        .await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::InvalidArgument);
    let mug = item(&mut clients, "METRICS-MUG").await;
    clients
        .inventory
        .batch_change_inventory(pb::BatchChangeInventoryRequest {
            idempotency_key: "metrics-1".into(),
            changes: vec![adjust(
                &mug,
                &shop,
                pb::InventoryState::None,
                pb::InventoryState::InStock,
                "5",
            )],
            ..Default::default()
        })
        .await
        .expect("a batch");
    // A door request, counted under its route.
    let door = reqwest::Client::new()
        .post(format!("http://{http}/v2/inventory/counts/batch-retrieve"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "catalog_object_ids": [mug] }))
        .send()
        .await
        .unwrap();
    assert_eq!(door.status(), 200);
    // An open watch.
    let watch = clients
        .inventory
        .watch_inventory_changes(pb::WatchInventoryChangesRequest::default())
        .await
        .expect("a watch");

    let create = "/stockledger.v1.LocationService/CreateLocation";
    let text = scrape_until(metrics, |t| {
        value(t, "stockledger_open_streams", &[("kind", "watch_changes")]) == Some(1.0)
    })
    .await;
    let of = |name: &str, labels: &[(&str, &str)]| value(&text, name, labels);
    assert_eq!(
        of(
            "stockledger_grpc_requests_total",
            &[("method", create), ("code", "OK")]
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        of(
            "stockledger_grpc_requests_total",
            &[("method", create), ("code", "INVALID_ARGUMENT")]
        ),
        Some(1.0)
    );
    assert_eq!(
        of(
            "stockledger_grpc_request_duration_seconds_count",
            &[("method", create)]
        ),
        Some(3.0)
    );
    assert_eq!(
        of(
            "stockledger_http_requests_total",
            &[
                ("route", "/v2/inventory/counts/batch-retrieve"),
                ("status", "200")
            ]
        ),
        Some(1.0)
    );
    assert!(of("stockledger_group_commit_batches_count", &[]).is_some_and(|n| n >= 1.0));
    assert!(
        of(
            "stockledger_group_commit_duration_seconds_count",
            &[("outcome", "committed")]
        )
        .is_some_and(|n| n >= 1.0)
    );
    assert!(of("stockledger_db_pool_connections", &[("state", "idle")]).is_some());
    assert_eq!(
        of("stockledger_open_streams", &[("kind", "watch_changes")]),
        Some(1.0)
    );

    // The watch ends: its stream is no longer open.
    drop(watch);
    let text = scrape_until(metrics, |t| {
        value(t, "stockledger_open_streams", &[("kind", "watch_changes")]) == Some(0.0)
    })
    .await;
    assert_eq!(
        value(
            &text,
            "stockledger_open_streams",
            &[("kind", "watch_changes")]
        ),
        Some(0.0),
        "{text}"
    );

    // A watch whose client does not read falls behind the feed, and the lag says by how
    // much; once it has read everything, it has none.
    let lag = |t: &str| value(t, "stockledger_feed_lag_changes", &[]);
    // A small HTTP/2 window: the server can only send a few changes ahead of the reader.
    let narrow = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .initial_stream_window_size(Some(8 * 1024))
        .initial_connection_window_size(Some(8 * 1024))
        .connect()
        .await
        .unwrap();
    let mut behind = Clients::new(&narrow, &token)
        .inventory
        .watch_inventory_changes(pb::WatchInventoryChangesRequest::default())
        .await
        .expect("a watch")
        .into_inner();
    const CHANGES: usize = 1500;
    for batch in 0..CHANGES / 100 {
        let changes = (0..100)
            .map(|_| {
                adjust(
                    &mug,
                    &shop,
                    pb::InventoryState::None,
                    pb::InventoryState::InStock,
                    "1",
                )
            })
            .collect();
        clients
            .inventory
            .batch_change_inventory(pb::BatchChangeInventoryRequest {
                idempotency_key: format!("metrics-lag-{batch}"),
                changes,
                ..Default::default()
            })
            .await
            .expect("a batch");
    }
    let text = scrape_until(metrics, |t| lag(t).is_some_and(|n| n > 0.0)).await;
    let lagging = lag(&text).expect("the feed lag is exported");
    assert!(
        lagging > 0.0 && lagging <= CHANGES as f64,
        "a watch not read lags: {lagging}"
    );
    // The watch began after the first receipt: it has the batches' changes to send.
    for _ in 0..CHANGES {
        tokio::time::timeout(Duration::from_secs(10), behind.message())
            .await
            .expect("the watch sends on")
            .expect("the watch")
            .expect("a change");
    }
    let text = scrape_until(metrics, |t| lag(t) == Some(0.0)).await;
    assert_eq!(lag(&text), Some(0.0), "caught up, no lag");
    drop(behind);

    // Past the token's burst, calls are shed as RATE_LIMITED, and counted so.
    let mut limited = 0;
    for _ in 0..120 {
        let listed = clients
            .locations
            .list_locations(pb::ListLocationsRequest::default())
            .await;
        if listed.is_err_and(|s| s.code() == tonic::Code::ResourceExhausted) {
            limited += 1;
        }
    }
    assert!(limited > 0, "the burst of 60 was exceeded");
    let text = scrape(http).await;
    assert_eq!(
        value(
            &text,
            "stockledger_shed_calls_total",
            &[("reason", "RATE_LIMITED")]
        ),
        Some(f64::from(limited)),
        "{text}"
    );

    // No series names the merchant or the token.
    let token_id = common::token_parts(&token).0;
    for secret in [MERCHANT, token_id] {
        assert!(!text.contains(secret), "{secret} appears in /metrics");
    }

    // The metrics listener also answers /healthz.
    let health = reqwest::get(format!("http://{metrics}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
