//! The web console's HTTP side (docs/console.md) against the real `stockledger` binary with
//! `--http-listen`: the page and its assets served without a token under a strict policy,
//! every data path refused without a token (401) or without its scope (403, naming it), the
//! JSON each view reads, and the live feed's lines as changes commit. The page itself in a
//! browser is scripts/console-check.sh.

mod common;

use std::time::{Duration, Instant};

use common::ledger::{adjust, apply, item, location, transfer};
use common::process::{ServeProcess, run, serve};
use common::{Backend, Clients, fresh_database, mint_token};
use reqwest::StatusCode;
use serde_json::Value;
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{self as pb, InventoryState};
use stockledger::store::Store;

/// A server with its HTTP listener, and tokens: one with every scope, one without
/// RESERVATIONS_READ, one without INVENTORY_READ.
struct Console {
    _server: ServeProcess,
    base: String,
    all: String,
    no_reservations: String,
    no_inventory: String,
    clients: Clients,
    http: reqwest::Client,
    database_url: String,
    _dir: tempfile::TempDir,
}

impl Console {
    async fn start() -> Console {
        let (url, dir) = fresh_database(Backend::Sqlite).await;
        let store = Store::connect(&url).await.expect("connecting");
        store.migrate().await.expect("migrating");
        let merchant = "console-merchant";
        let all = mint_token(&store, merchant, &Scope::ALL, "Console test").await;
        let but = |left: Scope| {
            Scope::ALL
                .into_iter()
                .filter(|s| *s != left)
                .collect::<Vec<_>>()
        };
        let no_reservations = mint_token(
            &store,
            merchant,
            &but(Scope::ReservationsRead),
            "Console test",
        )
        .await;
        let no_inventory =
            mint_token(&store, merchant, &but(Scope::InventoryRead), "Console test").await;
        store.close().await.expect("closing the store");
        let port = common::ports::free_port();
        let http = common::ports::free_port();
        let mut command = serve(&url, port);
        command.args([
            "--http-listen",
            &format!("127.0.0.1:{http}"),
            "--no-dev-token",
        ]);
        let server = ServeProcess::spawn(command, port);
        let clients = Clients::new(&server.channel().await, &all);
        Console {
            _server: server,
            base: format!("http://127.0.0.1:{http}"),
            all,
            no_reservations,
            no_inventory,
            clients,
            http: reqwest::Client::new(),
            database_url: url,
            _dir: dir,
        }
    }

    /// GET `path` with `token` (none when `None`).
    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET")
    }

    /// GET `path` with the all-scopes token: its status and JSON.
    async fn json(&self, path: &str) -> (StatusCode, Value) {
        let response = self.get(path, Some(&self.all)).await;
        (response.status(), response.json().await.expect("JSON body"))
    }
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_without_a_token_under_a_strict_policy() {
    let console = Console::start().await;
    let page = console.get("/console", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(header(&page, "content-type").starts_with("text/html"));
    let policy = header(&page, "content-security-policy").to_owned();
    assert!(policy.starts_with("default-src 'self';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    let html = page.text().await.unwrap();
    // Nothing from elsewhere; the feed is a polite live region; inputs are labelled.
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains(r#"id="feed-list" aria-live="polite""#));
    assert!(html.contains(r#"<label for="token">"#));
    for (path, kind) in [
        ("/console/console.js", "text/javascript"),
        ("/console/console.css", "text/css"),
        ("/console/favicon.svg", "image/svg+xml"),
    ] {
        assert!(html.contains(path), "the page does not load {path}");
        let asset = console.get(path, None).await;
        assert_eq!(asset.status(), StatusCode::OK, "{path}");
        assert!(header(&asset, "content-type").starts_with(kind), "{path}");
        assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
    }
    // The script keeps the token in sessionStorage, never in a cookie or the address.
    let script = console
        .get("/console/console.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(script.contains("sessionStorage.setItem"));
    assert!(!script.contains("document.cookie") && !script.contains("localStorage"));
    let unknown = console
        .get("/console/api/nothing", Some(&console.all))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_needs_a_valid_token_and_the_scope_it_names() {
    let console = Console::start().await;
    let paths = [
        "/console/api/locations",
        "/console/api/stock",
        "/console/api/items/01a20c5a-8f67-7031-9d39-e3d5cae5d630/changes",
        "/console/api/reservations",
        "/console/api/reorder-points",
        "/console/api/feed",
    ];
    for path in paths {
        for token in [None, Some("not-a-token")] {
            let refused = console.get(path, token).await;
            assert_eq!(
                refused.status(),
                StatusCode::UNAUTHORIZED,
                "{path} {token:?}"
            );
            assert_eq!(header(&refused, "x-content-type-options"), "nosniff");
            let body: Value = refused.json().await.unwrap();
            assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{path}");
            assert_eq!(body["error"]["reason"], "UNAUTHORIZED", "{path}");
        }
    }
    for (path, token, scope) in [
        (
            "/console/api/reservations",
            &console.no_reservations,
            "RESERVATIONS_READ",
        ),
        ("/console/api/feed", &console.no_inventory, "INVENTORY_READ"),
        (
            "/console/api/reorder-points",
            &console.no_inventory,
            "INVENTORY_READ",
        ),
        (
            "/console/api/items/01a20c5a-8f67-7031-9d39-e3d5cae5d630/changes",
            &console.no_inventory,
            "INVENTORY_READ",
        ),
    ] {
        let refused = console.get(path, Some(token)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["reason"], "INSUFFICIENT_SCOPES", "{path}");
        assert_eq!(body["error"]["required_scope"], scope, "{path}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(scope),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_history_and_reservations_answer_the_views_json() {
    let mut console = Console::start().await;
    let clients = &mut console.clients;
    let (north, south) = (
        location(clients, "North").await,
        location(clients, "South").await,
    );
    let mug = item(clients, "CONSOLE-MUG").await;
    let cup = item(clients, "CONSOLE-CUP").await;
    use InventoryState::{InStock, None as Nothing, Waste};
    apply(clients, vec![adjust(&mug, &north, Nothing, InStock, "10")]).await;
    apply(clients, vec![adjust(&mug, &north, InStock, Waste, "1.5")]).await;
    apply(clients, vec![transfer(&mug, &north, &south, "3")]).await;
    apply(clients, vec![adjust(&cup, &south, Nothing, InStock, "4")]).await;
    clients
        .reservations
        .create_reservation(pb::CreateReservationRequest {
            idempotency_key: "console-r1".into(),
            lines: vec![pb::ReservationLine {
                catalog_object_id: cup.clone(),
                location_id: south.clone(),
                quantity: "2".into(),
                ..Default::default()
            }],
            ttl: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
            reference_id: "order-7".into(),
            ..Default::default()
        })
        .await
        .expect("a reservation");

    let (status, locations) = console.json("/console/api/locations").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = locations["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["North", "South"]);

    // Everything, a page; then the mug by SKU and by id, then at one location.
    let (_, all) = console.json("/console/api/stock").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["cursor"], "");
    let quantity = |stock: &Value, item: &str, at: &str, state: &str| {
        stock["counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["catalog_object_id"] == item && c["location_id"] == at && c["state"] == state
            })
            .map(|c| c["quantity"].as_str().unwrap().to_owned())
    };
    for q in ["CONSOLE-MUG", mug.as_str()] {
        let (status, stock) = console.json(&format!("/console/api/stock?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{stock}");
        assert_eq!(stock["items"][0]["id"], mug.as_str(), "{q}");
        assert_eq!(stock["items"][0]["sku"], "CONSOLE-MUG");
        assert_eq!(stock["items"].as_array().unwrap().len(), 1, "{q}");
        assert_eq!(
            quantity(&stock, &mug, &north, "IN_STOCK").as_deref(),
            Some("5.5")
        );
        assert_eq!(
            quantity(&stock, &mug, &north, "WASTE").as_deref(),
            Some("1.5")
        );
        assert_eq!(
            quantity(&stock, &mug, &south, "IN_STOCK").as_deref(),
            Some("3")
        );
    }
    let (_, at_south) = console
        .json(&format!(
            "/console/api/stock?q=CONSOLE-MUG&location_id={south}"
        ))
        .await;
    assert_eq!(
        at_south["counts"].as_array().unwrap().len(),
        1,
        "{at_south}"
    );
    let (_, nothing) = console.json("/console/api/stock?q=NO-SUCH-SKU").await;
    assert_eq!(nothing["items"], Value::Array(vec![]));
    let (status, bad) = console.json("/console/api/stock?color=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // The mug's history, newest first: transfer, waste, receipt.
    let (status, history) = console
        .json(&format!("/console/api/items/{mug}/changes"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let changes = history["changes"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["to_state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("TRANSFER", "IN_STOCK"),
            ("ADJUSTMENT", "WASTE"),
            ("ADJUSTMENT", "IN_STOCK")
        ]
    );
    assert_eq!(changes[0]["location_id"], north.as_str());
    assert_eq!(changes[0]["to_location_id"], south.as_str());
    assert_eq!(changes[1]["from_state"], "IN_STOCK");
    assert_eq!(changes[1]["quantity"], "1.5");
    assert_eq!(changes[2]["source"], "Console test");
    assert_eq!(history["cursor"], "");
    let (status, bad) = console.json("/console/api/items/not-an-id/changes").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["error"]["code"], "INVALID_ARGUMENT");

    // Reservations, all and by state.
    let (_, held) = console.json("/console/api/reservations?state=HELD").await;
    let reservation = &held["reservations"][0];
    assert_eq!(reservation["state"], "HELD");
    assert_eq!(reservation["reference_id"], "order-7");
    assert_eq!(reservation["lines"][0]["held_quantity"], "2");
    assert!(reservation["expires_at"].is_string());
    let (_, committed) = console
        .json("/console/api/reservations?state=COMMITTED")
        .await;
    assert_eq!(committed["reservations"], Value::Array(vec![]));
    let (status, bad) = console.json("/console/api/reservations?state=LOST").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["field"], "state");
}

/// Reads the feed's lines until `wanted` are in, failing after `within`.
async fn lines_until(
    feed: &mut reqwest::Response,
    buffer: &mut String,
    wanted: usize,
    within: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    let mut lines = Vec::new();
    while lines.len() < wanted {
        if let Some(end) = buffer.find('\n') {
            let line: String = buffer.drain(..=end).collect();
            lines.push(serde_json::from_str(&line).expect("a JSON line"));
            continue;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, feed.chunk())
            .await
            .unwrap_or_else(|_| panic!("{wanted} lines not in within {within:?}: {lines:?}"))
            .expect("reading the feed")
            .expect("the feed ended");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_sends_each_change_and_count_as_it_commits() {
    let mut console = Console::start().await;
    let shop = location(&mut console.clients, "Feed Shop").await;
    let mug = item(&mut console.clients, "FEED-MUG").await;
    // A reorder point of 5: the receipt of 8 takes the count (absent: 0) above it.
    console
        .clients
        .inventory
        .set_inventory_reorder_point(stockledger::proto::v1::SetInventoryReorderPointRequest {
            catalog_object_id: mug.clone(),
            location_id: shop.clone(),
            reorder_point: "5".into(),
        })
        .await
        .expect("reorder point set");
    let points: Value = console
        .get("/console/api/reorder-points", Some(&console.all))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        points["reorder_points"][0]["catalog_object_id"],
        mug.as_str()
    );
    assert_eq!(points["reorder_points"][0]["location_id"], shop.as_str());
    assert_eq!(points["reorder_points"][0]["reorder_point"], "5");
    let mut feed = console.get("/console/api/feed", Some(&console.all)).await;
    assert_eq!(feed.status(), StatusCode::OK);
    assert_eq!(header(&feed, "content-type"), "application/x-ndjson");
    let mut buffer = String::new();
    let open = lines_until(&mut feed, &mut buffer, 1, Duration::from_secs(5)).await;
    assert_eq!(open[0]["kind"], "open");

    let written = Instant::now();
    use InventoryState::{InStock, None as Nothing};
    apply(
        &mut console.clients,
        vec![adjust(&mug, &shop, Nothing, InStock, "8")],
    )
    .await;
    let lines = lines_until(&mut feed, &mut buffer, 3, Duration::from_secs(1)).await;
    assert!(written.elapsed() < Duration::from_secs(1));
    let alert = lines
        .iter()
        .find(|l| l["kind"] == "alert")
        .expect("an alert line");
    assert_eq!(alert["alert"]["kind"], "RECOVERED");
    assert_eq!(alert["alert"]["quantity"], "8");
    assert_eq!(alert["alert"]["reorder_point"], "5");
    let change = lines
        .iter()
        .find(|l| l["kind"] == "change")
        .expect("a change line");
    let count = lines
        .iter()
        .find(|l| l["kind"] == "count")
        .expect("a count line");
    assert_eq!(change["change"]["catalog_object_id"], mug.as_str());
    assert_eq!(change["change"]["to_state"], "IN_STOCK");
    assert_eq!(change["change"]["quantity"], "8");
    assert_eq!(count["count"]["location_id"], shop.as_str());
    assert_eq!(count["count"]["quantity"], "8");
    assert_eq!(count["previous_quantity"], Value::Null);
    assert_eq!(count["change_id"], change["change"]["id"]);
    assert_eq!(count["sequence"], change["sequence"]);
    assert_eq!(alert["sequence"], change["sequence"]);
    assert_eq!(alert["alert"]["change_id"], change["change"]["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_ends_saying_so_when_its_token_is_revoked() {
    let console = Console::start().await;
    let token = console.no_reservations.clone();
    let mut feed = console.get("/console/api/feed", Some(&token)).await;
    let mut buffer = String::new();
    let open = lines_until(&mut feed, &mut buffer, 1, Duration::from_secs(5)).await;
    assert_eq!(open[0]["kind"], "open");
    let id = stockledger::auth::token::parse(&token).unwrap().id;
    let revoked = run(&["token", "revoke", id], &console.database_url);
    assert!(revoked.status.success(), "{revoked:?}");
    let end = lines_until(&mut feed, &mut buffer, 1, Duration::from_secs(3)).await;
    assert_eq!(end[0]["kind"], "end", "{end:?}");
    assert_eq!(end[0]["error"]["code"], "UNAUTHENTICATED");
    assert_eq!(end[0]["error"]["reason"], "ACCESS_TOKEN_REVOKED");
    let after = tokio::time::timeout(Duration::from_secs(3), feed.chunk()).await;
    assert!(
        matches!(after, Ok(Ok(None))),
        "the feed goes on after its end line"
    );
}
