//! Webhook delivery benchmark: how fast one subscription catches up on a backlog, beside
//! the floor of any in-order, at-least-once delivery — the same receiver taking the same
//! number of POSTs of the same size, one after the other, from a bare HTTP client in this
//! process (no database, no signature). Each backend: 2,000 changes committed (100 per
//! batch), then a subscription created from sequence 1 (Square's form, COUNT_UPDATED: one
//! notification per change); the time runs from its creation to the 2,000th notification
//! received. Run with `cargo bench --bench webhooks` (`-- sqlite` or `-- postgres` for one).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use common::ledger::{adjust, batch, item, location};
use common::{Backend, TestServer};
use stockledger::proto::v1::{
    CreateWebhookSubscriptionRequest, InventoryState as S, WebhookEventType, WebhookFormat,
    WebhookSubscription,
};

const CHANGES: usize = 2_000;
const PER_BATCH: usize = 100;

/// A receiver that counts the POSTs it answers and remembers a body's size.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<AtomicUsize>,
    body_bytes: Arc<AtomicUsize>,
}

async fn receive(State(receiver): State<Receiver>, body: Bytes) -> StatusCode {
    receiver.body_bytes.store(body.len(), Ordering::Relaxed);
    receiver.received.fetch_add(1, Ordering::Relaxed);
    StatusCode::OK
}

async fn start_receiver() -> (Receiver, String) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(receive)
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (receiver, url)
}

async fn wait_for(receiver: &Receiver, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while receiver.received.load(Ordering::Relaxed) < n {
        assert!(Instant::now() < deadline, "notifications did not arrive");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Posts per second of a bare client sending `n` bodies of `size` bytes one at a time.
async fn bare_posts_per_second(n: usize, size: usize) -> f64 {
    let (receiver, url) = start_receiver().await;
    let client = reqwest::Client::new();
    let body = vec![b'x'; size];
    let started = Instant::now();
    for _ in 0..n {
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
    wait_for(&receiver, n).await;
    n as f64 / started.elapsed().as_secs_f64()
}

async fn measure(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let (shop, mug) = (
        location(&mut server, "Shop").await,
        item(&mut server, "MUG").await,
    );
    for _ in 0..CHANGES / PER_BATCH {
        let changes = (0..PER_BATCH)
            .map(|_| adjust(&mug, &shop, S::None, S::InStock, "1"))
            .collect();
        server
            .inventory
            .batch_change_inventory(batch(changes))
            .await
            .unwrap();
    }
    let (receiver, url) = start_receiver().await;
    let started = Instant::now();
    server
        .webhooks
        .create_webhook_subscription(CreateWebhookSubscriptionRequest {
            subscription: Some(WebhookSubscription {
                notification_url: url,
                format: WebhookFormat::Square.into(),
                event_types: vec![WebhookEventType::CountUpdated.into()],
                ..Default::default()
            }),
            from_sequence: 1,
        })
        .await
        .unwrap();
    wait_for(&receiver, CHANGES).await;
    let delivered = CHANGES as f64 / started.elapsed().as_secs_f64();
    let size = receiver.body_bytes.load(Ordering::Relaxed);
    let bare = bare_posts_per_second(CHANGES, size).await;
    println!(
        "{backend:?}: {CHANGES} notifications of {size} bytes: {delivered:>8.0}/s delivered; \
         bare sequential POSTs {bare:>8.0}/s; ratio {:.3}",
        delivered / bare
    );
    server.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    println!("webhook catch-up: one subscription, Square's form, one notification per change");
    if wanted("sqlite") {
        measure(Backend::Sqlite).await;
    }
    if wanted("postgres") {
        measure(Backend::Postgres).await;
    }
}
