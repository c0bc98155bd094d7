//! Webhooks against a real receiver on a real port (docs/webhooks.md): notifications in
//! Square's and Shopify's form with their signatures, in feed order, once each while the
//! receiver answers; retried while it fails, dead-lettered after too many failures and
//! replayed; nothing lost when the server is SIGKILLed mid-delivery; one deliverer at a time
//! per subscription across two replicas on PostgreSQL. The vendors' own verification code
//! checks the signatures in clients/square-webhooks-python and clients/shopify-webhooks-node.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use common::ledger::{adjust, apply, count, transfer, two_locations_and_item};
use common::ports::free_port;
use common::process::{ServeProcess, run, serve};
use common::{Backend, Clients, TestServer, call_error, fresh_database};
use stockledger::proto::v1::{
    CreateReservationRequest, CreateWebhookSubscriptionRequest, GetWebhookSubscriptionRequest,
    InventoryState, ReplayWebhookSubscriptionRequest, ReservationLine,
    SetInventoryReorderPointRequest, WebhookDeliveryState, WebhookEventType, WebhookFormat,
    WebhookSubscription,
};

use InventoryState::{InStock, Sold};

/// What the receiver answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// 200 at once.
    Accept,
    /// 503: the receiver is down.
    Fail,
    /// 200 after a pause.
    Slow(Duration),
}

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
    accepted: bool,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .expect("an ASCII header")
    }

    /// Square's event id or Shopify's webhook id.
    fn event_id(&self) -> String {
        match self.headers.get("x-shopify-webhook-id") {
            Some(id) => id.to_str().expect("ASCII").to_owned(),
            None => self.json()["event_id"]
                .as_str()
                .expect("event_id")
                .to_owned(),
        }
    }
}

/// An HTTP receiver on a real port that records every POST.
#[derive(Clone)]
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    mode: Arc<Mutex<Mode>>,
}

impl Receiver {
    async fn start(port: u16) -> Receiver {
        let receiver = Receiver {
            port,
            got: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Accept)),
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("binding the receiver");
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        receiver
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// The notifications answered 200 on `path`, in the order they arrived.
    fn accepted(&self, path: &str) -> Vec<Received> {
        let got = self.got.lock().unwrap();
        got.iter()
            .filter(|r| r.accepted && r.path == path)
            .cloned()
            .collect()
    }

    fn attempts(&self, path: &str) -> usize {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// Waits until `path` has accepted `n` notifications (at most 30 s).
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let accepted = self.accepted(path);
            if accepted.len() >= n {
                return accepted;
            }
            assert!(
                Instant::now() < deadline,
                "{path}: {} of {n} notifications after 30 s",
                accepted.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mode = *receiver.mode.lock().unwrap();
    if let Mode::Slow(pause) = mode {
        tokio::time::sleep(pause).await;
    }
    let accepted = mode != Mode::Fail;
    receiver.got.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
        accepted,
    });
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

fn hmac_base64(key: &str, parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap();
    for part in parts {
        mac.update(part);
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks Square's signature of a notification as Square defines it, returns the body.
fn square_verified(received: &Received, key: &str, url: &str) -> Value {
    assert_eq!(
        received.header("x-square-hmacsha256-signature"),
        hmac_base64(key, &[url.as_bytes(), &received.body]),
        "Square signature of {}",
        String::from_utf8_lossy(&received.body)
    );
    received.json()
}

/// Checks Shopify's signature of a notification as Shopify defines it, returns the body.
fn shopify_verified(received: &Received, key: &str) -> Value {
    assert_eq!(
        received.header("x-shopify-hmac-sha256"),
        hmac_base64(key, &[&received.body]),
    );
    assert_eq!(
        received.header("x-shopify-topic"),
        "inventory_levels/update"
    );
    received.json()
}

async fn subscribe(
    clients: &mut Clients,
    url: String,
    format: WebhookFormat,
    events: &[WebhookEventType],
    from_sequence: i64,
) -> WebhookSubscription {
    clients
        .webhooks
        .create_webhook_subscription(CreateWebhookSubscriptionRequest {
            subscription: Some(WebhookSubscription {
                name: "test receiver".into(),
                notification_url: url,
                format: format.into(),
                event_types: events.iter().map(|e| (*e).into()).collect(),
                ..Default::default()
            }),
            from_sequence,
        })
        .await
        .expect("subscription created")
        .into_inner()
        .subscription
        .expect("subscription")
}

async fn get(clients: &mut Clients, id: &str) -> WebhookSubscription {
    clients
        .webhooks
        .get_webhook_subscription(GetWebhookSubscriptionRequest { id: id.into() })
        .await
        .expect("subscription read")
        .into_inner()
        .subscription
        .expect("subscription")
}

/// Polls the subscription until `done` holds (at most 30 s).
async fn wait_until_subscription(
    clients: &mut Clients,
    id: &str,
    what: &str,
    done: impl Fn(&WebhookSubscription) -> bool,
) -> WebhookSubscription {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let subscription = get(clients, id).await;
        if done(&subscription) {
            return subscription;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 30 s: {subscription:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ALL_EVENTS: [WebhookEventType; 4] = [
    WebhookEventType::CountUpdated,
    WebhookEventType::ChangeRecorded,
    WebhookEventType::ReservationExpired,
    WebhookEventType::LowStock,
];

/// Square's notifications as (type, sequence, IN_STOCK quantities by location and their
/// previous quantities).
fn square_summary(received: &[Received], key: &str, url: &str) -> Vec<(String, i64, String)> {
    received
        .iter()
        .map(|r| {
            let body = square_verified(r, key, url);
            let kind = body["type"].as_str().unwrap().to_owned();
            let sequence = body["data"]["sequence"].as_i64().unwrap();
            let detail = match kind.as_str() {
                "inventory.count.updated" => body["data"]["object"]["inventory_counts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["state"] == "IN_STOCK")
                    .map(|c| {
                        format!(
                            "{}:{}<-{}",
                            c["location_id"].as_str().unwrap(),
                            c["quantity"].as_str().unwrap(),
                            c["previous_quantity"].as_str().unwrap_or("none")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                "inventory.change.recorded" => body["data"]["object"]["inventory_change"]["type"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                "inventory.low_stock" => {
                    let alert = &body["data"]["object"]["alert"];
                    format!(
                        "{}:{}:{}/{}",
                        alert["kind"].as_str().unwrap(),
                        alert["location_id"].as_str().unwrap(),
                        alert["quantity"].as_str().unwrap(),
                        alert["reorder_point"].as_str().unwrap()
                    )
                }
                "inventory.reservation.expired" => {
                    let object = &body["data"]["object"];
                    assert!(
                        object["reservation_id"]
                            .as_str()
                            .is_some_and(|id| !id.is_empty())
                    );
                    object["inventory_change"]["type"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                }
                other => panic!("unexpected type {other}"),
            };
            (kind, sequence, detail)
        })
        .collect()
}

/// A subscription in each form receives every change's events, in feed order, signed:
/// counts (with their previous quantities), changes, and a reservation's expiry.
async fn every_event_arrives_in_order_in_both_forms(mut server: TestServer) {
    let receiver = Receiver::start(free_port()).await;
    let (square_url, shopify_url) = (receiver.url("/square"), receiver.url("/shopify"));
    let square = subscribe(
        &mut server,
        square_url.clone(),
        WebhookFormat::Square,
        &ALL_EVENTS,
        0,
    )
    .await;
    let shopify = subscribe(
        &mut server,
        shopify_url.clone(),
        WebhookFormat::Shopify,
        &[WebhookEventType::CountUpdated],
        0,
    )
    .await;
    assert!(!square.signature_key.is_empty());
    assert_ne!(square.signature_key, shopify.signature_key);

    let (a, b, item) = two_locations_and_item(&mut server, "WH-1").await;
    server
        .inventory
        .set_inventory_reorder_point(SetInventoryReorderPointRequest {
            catalog_object_id: item.clone(),
            location_id: a.clone(),
            reorder_point: "6.5".into(),
        })
        .await
        .expect("reorder point set");
    apply(&mut server, vec![count(&item, &a, InStock, "10")]).await;
    apply(&mut server, vec![adjust(&item, &a, InStock, Sold, "2.5")]).await;
    apply(&mut server, vec![transfer(&item, &a, &b, "1.5")]).await;
    server
        .reservations
        .create_reservation(CreateReservationRequest {
            idempotency_key: "hold-1".into(),
            lines: vec![ReservationLine {
                catalog_object_id: item.clone(),
                location_id: a.clone(),
                quantity: "1".into(),
                ..Default::default()
            }],
            ttl: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            expires_at: None,
            reference_id: "cart-1".into(),
        })
        .await
        .expect("reserved");

    // Five changes: the count, the sale, the transfer, the hold and its expiry; A's count
    // crosses its reorder point of 6.5 twice (up from nothing, then down).
    let square_got = receiver.wait_for("/square", 13).await;
    let shopify_got = receiver.wait_for("/shopify", 6).await;
    let (a4, b4) = (a.as_str(), b.as_str());
    let expected: Vec<(String, i64, String)> = [
        ("inventory.change.recorded", 1, "PHYSICAL_COUNT".to_owned()),
        ("inventory.count.updated", 1, format!("{a4}:10<-none")),
        ("inventory.low_stock", 1, format!("RECOVERED:{a4}:10/6.5")),
        ("inventory.change.recorded", 2, "ADJUSTMENT".to_owned()),
        ("inventory.count.updated", 2, format!("{a4}:7.5<-10")),
        // Square's 2026 model moves stock between locations by an adjustment.
        ("inventory.change.recorded", 3, "ADJUSTMENT".to_owned()),
        (
            "inventory.count.updated",
            3,
            format!("{a4}:6<-7.5,{b4}:1.5<-none"),
        ),
        ("inventory.low_stock", 3, format!("LOW:{a4}:6/6.5")),
        ("inventory.change.recorded", 4, "ADJUSTMENT".to_owned()),
        ("inventory.count.updated", 4, format!("{a4}:5<-6")),
        ("inventory.change.recorded", 5, "ADJUSTMENT".to_owned()),
        ("inventory.count.updated", 5, format!("{a4}:6<-5")),
        ("inventory.reservation.expired", 5, "ADJUSTMENT".to_owned()),
    ]
    .into_iter()
    .map(|(kind, seq, detail)| (kind.to_owned(), seq, detail))
    .collect();
    assert_eq!(
        square_summary(&square_got, &square.signature_key, &square_url),
        expected
    );
    let levels: Vec<(String, String)> = shopify_got
        .iter()
        .map(|r| {
            let level = shopify_verified(r, &shopify.signature_key);
            assert_eq!(level["inventory_item_id"], item.as_str());
            (
                level["location_id"].as_str().unwrap().to_owned(),
                level["available"].to_string(),
            )
        })
        .collect();
    let level = |loc: &str, available: &str| (loc.to_owned(), available.to_owned());
    assert_eq!(
        levels,
        [
            level(a4, "10"),
            level(a4, "7.5"),
            level(a4, "6"),
            level(b4, "1.5"),
            level(a4, "5"),
            level(a4, "6"),
        ]
    );
    // Every notification once, each with its own id; the subscriptions caught up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.attempts("/square"), 13);
    assert_eq!(receiver.attempts("/shopify"), 6);
    let ids: HashSet<String> = square_got.iter().map(Received::event_id).collect();
    assert_eq!(ids.len(), 13);
    let caught_up = get(&mut server, &square.id).await;
    assert_eq!(caught_up.delivered_sequence, 5);
    assert_eq!(caught_up.feed_sequence, 5);
    assert_eq!(caught_up.delivery_state(), WebhookDeliveryState::Active);
}

/// A subscription created `from_sequence` 2 starts with that change, and another
/// merchant's token sees none of this merchant's subscriptions.
async fn subscriptions_start_where_asked_and_belong_to_their_merchant(mut server: TestServer) {
    let (a, _, item) = two_locations_and_item(&mut server, "WH-2").await;
    for quantity in ["1", "2", "3"] {
        apply(&mut server, vec![count(&item, &a, InStock, quantity)]).await;
    }
    let receiver = Receiver::start(free_port()).await;
    let subscription = subscribe(
        &mut server,
        receiver.url("/late"),
        WebhookFormat::Square,
        &[WebhookEventType::CountUpdated],
        2,
    )
    .await;
    let got = receiver.wait_for("/late", 2).await;
    let sequences: Vec<i64> = got
        .iter()
        .map(|r| r.json()["data"]["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, [2, 3]);

    let other_token = server
        .token_for(
            "another-merchant",
            &[stockledger::auth::scopes::Scope::WebhooksRead],
            "other",
        )
        .await;
    let mut other = server.clients(&other_token);
    let refused = other
        .webhooks
        .get_webhook_subscription(GetWebhookSubscriptionRequest {
            id: subscription.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::NotFound);
    let beyond = server
        .webhooks
        .create_webhook_subscription(CreateWebhookSubscriptionRequest {
            subscription: Some(WebhookSubscription {
                notification_url: receiver.url("/x"),
                format: WebhookFormat::Square.into(),
                event_types: vec![WebhookEventType::CountUpdated.into()],
                ..Default::default()
            }),
            from_sequence: 5,
        })
        .await
        .unwrap_err();
    let error = call_error(beyond);
    assert_eq!(error.code, tonic::Code::OutOfRange);
    assert!(error.message.contains("from_sequence"), "{}", error.message);
}

on_both_backends!(
    every_event_arrives_in_order_in_both_forms,
    subscriptions_start_where_asked_and_belong_to_their_merchant
);

const SCOPES: &str = "INVENTORY_READ,INVENTORY_WRITE,ITEMS_WRITE,LOCATIONS_WRITE,\
                      WEBHOOKS_READ,WEBHOOKS_WRITE";

/// A migrated database of `backend` and a token of [`SCOPES`] for it.
async fn database_with_token(backend: Backend) -> (String, String, tempfile::TempDir) {
    let (url, dir) = fresh_database(backend).await;
    let out = run(
        &[
            "token",
            "create",
            "--merchant",
            "hooks",
            "--scopes",
            SCOPES,
            "--app-name",
            "webhook tests",
        ],
        &url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    (url, token, dir)
}

/// The release-style server binary on `url`, retrying webhooks at least every second.
async fn start_binary(url: &str, token: &str, extra: &[&str]) -> (ServeProcess, Clients) {
    let port = free_port();
    let mut command = serve(url, port);
    command
        .args([
            "--no-dev-token",
            "--webhook-max-retry-interval-seconds",
            "1",
        ])
        .args(extra);
    let process = ServeProcess::spawn(command, port);
    let clients = Clients::new(&process.channel().await, token);
    (process, clients)
}

/// Sequences of Square's notifications, in arrival order.
fn sequences(received: &[Received]) -> Vec<i64> {
    received
        .iter()
        .map(|r| r.json()["data"]["sequence"].as_i64().unwrap())
        .collect()
}

/// While the receiver fails, the subscription retries (RETRYING, failures counted, the
/// error kept); once it answers again, everything arrives in order, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_everything_in_order_once_it_answers() {
    let (url, token, _dir) = database_with_token(Backend::Sqlite).await;
    let (_server, mut clients) = start_binary(&url, &token, &[]).await;
    let receiver = Receiver::start(free_port()).await;
    let subscription = subscribe(
        &mut clients,
        receiver.url("/hook"),
        WebhookFormat::Square,
        &[WebhookEventType::CountUpdated],
        0,
    )
    .await;
    let (a, _, item) = two_locations_and_item(&mut clients, "WH-3").await;
    receiver.set(Mode::Fail);
    for quantity in 1..=6 {
        apply(
            &mut clients,
            vec![count(&item, &a, InStock, &quantity.to_string())],
        )
        .await;
    }
    let retrying = wait_until_subscription(&mut clients, &subscription.id, "retrying", |s| {
        s.failed_attempts >= 2
    })
    .await;
    assert_eq!(retrying.delivery_state(), WebhookDeliveryState::Retrying);
    assert!(
        retrying.last_error.contains("503"),
        "{}",
        retrying.last_error
    );
    assert!(retrying.next_attempt_at.is_some());
    assert_eq!(retrying.delivered_sequence, 0);
    assert!(receiver.accepted("/hook").is_empty());

    receiver.set(Mode::Accept);
    let got = receiver.wait_for("/hook", 6).await;
    assert_eq!(sequences(&got), [1, 2, 3, 4, 5, 6]);
    let caught_up = wait_until_subscription(&mut clients, &subscription.id, "caught up", |s| {
        s.delivered_sequence == 6
    })
    .await;
    assert_eq!(caught_up.delivery_state(), WebhookDeliveryState::Active);
    assert_eq!(caught_up.failed_attempts, 0);
    assert!(caught_up.last_error.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.accepted("/hook").len(), 6, "each delivered once");
}

/// A receiver that refuses connections dead-letters the subscription after
/// --webhook-max-attempts failures; nothing more is tried until a replay, which resumes
/// where delivery stopped; a replay from a sequence sends those notifications again, with
/// the same event ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_lettered_after_its_attempts_then_replayed() {
    let (url, token, _dir) = database_with_token(Backend::Sqlite).await;
    let metrics = format!("127.0.0.1:{}", free_port());
    let (_server, mut clients) = start_binary(
        &url,
        &token,
        &["--webhook-max-attempts", "2", "--metrics-listen", &metrics],
    )
    .await;
    let port = free_port(); // nothing listens here yet
    let hook = format!("http://127.0.0.1:{port}/hook");
    let subscription = subscribe(
        &mut clients,
        hook.clone(),
        WebhookFormat::Square,
        &[WebhookEventType::CountUpdated],
        0,
    )
    .await;
    let (a, _, item) = two_locations_and_item(&mut clients, "WH-4").await;
    for quantity in ["1", "2", "3"] {
        apply(&mut clients, vec![count(&item, &a, InStock, quantity)]).await;
    }
    let dead = wait_until_subscription(&mut clients, &subscription.id, "dead-lettered", |s| {
        s.delivery_state() == WebhookDeliveryState::DeadLettered
    })
    .await;
    assert_eq!(dead.failed_attempts, 2);
    assert!(!dead.last_error.is_empty());
    assert_eq!(dead.delivered_sequence, 0);
    let scraped = scrape(&metrics).await;
    assert_eq!(
        series(
            &scraped,
            r#"stockledger_webhook_subscriptions{state="dead_lettered"}"#
        ),
        1.0
    );
    assert_eq!(series(&scraped, "stockledger_webhook_backlog_changes"), 3.0);
    assert_eq!(
        series(
            &scraped,
            r#"stockledger_webhook_deliveries_total{outcome="failed"}"#
        ),
        2.0
    );

    // The receiver comes up; a dead-lettered subscription sends nothing by itself.
    let receiver = Receiver::start(port).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.attempts("/hook"), 0);

    let resumed = clients
        .webhooks
        .replay_webhook_subscription(ReplayWebhookSubscriptionRequest {
            id: subscription.id.clone(),
            from_sequence: 0,
        })
        .await
        .expect("replayed")
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(resumed.delivery_state(), WebhookDeliveryState::Active);
    assert_eq!(resumed.failed_attempts, 0);
    let first = receiver.wait_for("/hook", 3).await;
    assert_eq!(sequences(&first), [1, 2, 3]);
    wait_until_subscription(&mut clients, &subscription.id, "caught up", |s| {
        s.delivered_sequence == 3
    })
    .await;
    let scraped = scrape(&metrics).await;
    assert_eq!(series(&scraped, "stockledger_webhook_backlog_changes"), 0.0);
    assert_eq!(
        series(
            &scraped,
            r#"stockledger_webhook_subscriptions{state="active"}"#
        ),
        1.0
    );
    assert_eq!(
        series(
            &scraped,
            r#"stockledger_webhook_deliveries_total{outcome="delivered"}"#
        ),
        3.0
    );

    clients
        .webhooks
        .replay_webhook_subscription(ReplayWebhookSubscriptionRequest {
            id: subscription.id.clone(),
            from_sequence: 2,
        })
        .await
        .expect("replayed from 2");
    let again = receiver.wait_for("/hook", 5).await;
    assert_eq!(sequences(&again), [1, 2, 3, 2, 3]);
    let ids: Vec<String> = again.iter().map(Received::event_id).collect();
    assert_eq!(ids[1..3], ids[3..5], "a replay sends the same event ids");
}

/// The text of `GET /metrics` at `address`.
async fn scrape(address: &str) -> String {
    reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("scraping /metrics")
        .text()
        .await
        .expect("the metrics' text")
}

/// The value of the series written exactly `name{labels}` in `scraped`.
fn series(scraped: &str, name: &str) -> f64 {
    scraped
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{scraped}"))
        .trim()
        .parse()
        .expect("a number")
}

/// SIGKILL while notifications are being delivered loses none: after a restart on the same
/// database every notification arrives, the first arrivals in feed order; only what was in
/// flight at the kill may arrive twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_delivery_loses_no_notification() {
    let (url, token, _dir) = database_with_token(Backend::Sqlite).await;
    let (server, mut clients) = start_binary(&url, &token, &[]).await;
    let receiver = Receiver::start(free_port()).await;
    receiver.set(Mode::Slow(Duration::from_millis(60)));
    subscribe(
        &mut clients,
        receiver.url("/hook"),
        WebhookFormat::Square,
        &[
            WebhookEventType::CountUpdated,
            WebhookEventType::ChangeRecorded,
        ],
        0,
    )
    .await;
    let (a, _, item) = two_locations_and_item(&mut clients, "WH-5").await;
    const CHANGES: i64 = 30;
    for quantity in 1..=CHANGES {
        apply(
            &mut clients,
            vec![count(&item, &a, InStock, &quantity.to_string())],
        )
        .await;
    }
    receiver.wait_for("/hook", 8).await;
    drop(server); // SIGKILL
    let at_kill = receiver.accepted("/hook").len();
    assert!(
        at_kill < 2 * CHANGES as usize,
        "the kill came too late to test anything"
    );

    let (_server, _clients) = start_binary(&url, &token, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let distinct = loop {
        let got = receiver.accepted("/hook");
        let mut seen = HashSet::new();
        let firsts: Vec<Received> = got
            .iter()
            .filter(|r| seen.insert(r.event_id()))
            .cloned()
            .collect();
        if firsts.len() == 2 * CHANGES as usize {
            break (firsts, got.len());
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} after a restart",
            firsts.len(),
            2 * CHANGES
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (firsts, total) = distinct;
    let expected: Vec<i64> = (1..=CHANGES).flat_map(|s| [s, s]).collect();
    assert_eq!(sequences(&firsts), expected, "first arrivals in feed order");
    assert!(
        total - firsts.len() <= 2,
        "{} duplicates: only the notification in flight at the kill may repeat",
        total - firsts.len()
    );
}

/// Two replicas on one PostgreSQL database, writes through both: each subscription is
/// delivered by one replica at a time, so every notification arrives once and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_deliver_each_subscription_once_in_order() {
    let (url, token, _dir) = database_with_token(Backend::Postgres).await;
    let (_one, mut first) = start_binary(&url, &token, &[]).await;
    let (_two, mut second) = start_binary(&url, &token, &[]).await;
    let receiver = Receiver::start(free_port()).await;
    let paths = ["/a", "/b", "/c"];
    for path in paths {
        subscribe(
            &mut first,
            receiver.url(path),
            WebhookFormat::Square,
            &[WebhookEventType::CountUpdated],
            0,
        )
        .await;
    }
    let (a, _, item) = two_locations_and_item(&mut first, "WH-6").await;
    const CHANGES: i64 = 40;
    for quantity in 1..=CHANGES {
        let clients = if quantity % 2 == 0 {
            &mut first
        } else {
            &mut second
        };
        apply(
            clients,
            vec![count(&item, &a, InStock, &quantity.to_string())],
        )
        .await;
        if quantity % 8 == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for path in paths {
        let got = receiver.wait_for(path, CHANGES as usize).await;
        assert_eq!(sequences(&got), (1..=CHANGES).collect::<Vec<_>>(), "{path}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in paths {
        assert_eq!(
            receiver.attempts(path),
            CHANGES as usize,
            "{path}: each once"
        );
    }
}

/// `stockledger webhook` manages subscriptions on the database as WebhookService does: a
/// subscription it creates is delivered by a server; bad flags are named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_command_manages_subscriptions() {
    let (url, token, _dir) = database_with_token(Backend::Sqlite).await;
    let receiver = Receiver::start(free_port()).await;
    let hook = receiver.url("/cli");
    let created = run(
        &[
            "webhook",
            "create",
            "--merchant",
            "hooks",
            "--url",
            &hook,
            "--format",
            "square",
            "--events",
            "COUNT_UPDATED",
        ],
        &url,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).unwrap();
    let value = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in {stdout}"))
            .to_owned()
    };
    let (id, key) = (value("id"), value("signature_key"));

    let (_server, mut clients) = start_binary(&url, &token, &[]).await;
    let (a, _, item) = two_locations_and_item(&mut clients, "WH-7").await;
    apply(&mut clients, vec![count(&item, &a, InStock, "4")]).await;
    let got = receiver.wait_for("/cli", 1).await;
    let body = square_verified(&got[0], &key, &hook);
    assert_eq!(
        body["data"]["object"]["inventory_counts"][0]["quantity"],
        "4"
    );

    let listed = run(&["webhook", "list", "--merchant", "hooks"], &url);
    let listing = String::from_utf8(listed.stdout).unwrap();
    let row = listing
        .lines()
        .find(|l| l.starts_with(&id))
        .expect("listed");
    assert!(row.contains("\tSQUARE\tCOUNT_UPDATED\tACTIVE\t"), "{row}");

    for (args, named) in [
        (
            vec![
                "webhook",
                "create",
                "--merchant",
                "hooks",
                "--url",
                "ftp://x/",
                "--format",
                "square",
                "--events",
                "COUNT_UPDATED",
            ],
            "--url",
        ),
        (
            vec![
                "webhook",
                "create",
                "--merchant",
                "hooks",
                "--url",
                &hook,
                "--format",
                "shopify",
                "--events",
                "CHANGE_RECORDED",
            ],
            "--events",
        ),
        (
            vec![
                "webhook",
                "create",
                "--merchant",
                "nobody",
                "--url",
                &hook,
                "--format",
                "square",
                "--events",
                "COUNT_UPDATED",
            ],
            "--merchant",
        ),
        (
            vec![
                "webhook",
                "replay",
                "--merchant",
                "hooks",
                &id,
                "--from-sequence",
                "9",
            ],
            "--from-sequence",
        ),
    ] {
        let out = run(&args, &url);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(named),
            "{args:?}: {stderr}"
        );
    }
    let deleted = run(&["webhook", "delete", "--merchant", "hooks", &id], &url);
    assert!(deleted.status.success());
    let missing = get_status(&mut clients, &id).await;
    assert_eq!(missing, tonic::Code::NotFound);
}

async fn get_status(clients: &mut Clients, id: &str) -> tonic::Code {
    clients
        .webhooks
        .get_webhook_subscription(GetWebhookSubscriptionRequest { id: id.into() })
        .await
        .map(|_| tonic::Code::Ok)
        .unwrap_or_else(|status| status.code())
}
