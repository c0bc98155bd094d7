//! `GET /metrics`: the server's Prometheus metrics ([`crate::metrics`]), served on the HTTP
//! listener beside the front doors, or alone on `--metrics-listen` (with `/healthz`). The
//! write pool's gauges, the feed lag and the webhook backlog are read at each scrape. No token is asked: the metrics name no
//! merchant, and a scraper should not hold one.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::watch;

use std::collections::HashMap;

use crate::api::streams::{StreamRegistry, WatchPlace};
use crate::gateway::{HEALTHZ_PATH, Readiness, healthz_answer};
use crate::store::Store;
use crate::store::webhooks::{DeliveryState, Subscription};

/// Where Prometheus scrapes.
pub const METRICS_PATH: &str = "/metrics";

/// `GET /metrics` alone (merged into the front doors' router).
pub fn router(store: Store, streams: StreamRegistry) -> Router {
    Router::new().route(
        METRICS_PATH,
        get(move || {
            let (store, streams) = (store.clone(), streams.clone());
            async move {
                let lag = feed_lag(&store, &streams).await;
                let webhooks = store.webhook_backlogs().await.ok();
                let text = crate::metrics::render(|| {
                    let (in_use, idle) = store.pool_usage();
                    crate::metrics::db_pool(in_use, idle);
                    if let Some(lag) = lag {
                        crate::metrics::feed_lag(lag);
                    }
                    if let Some(webhooks) = webhooks {
                        record_webhooks(&webhooks);
                    }
                });
                (
                    [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    text,
                )
                    .into_response()
            }
        }),
    )
}

/// The webhook gauges from every subscription and its backlog.
fn record_webhooks(subscriptions: &[(Subscription, i64)]) {
    let largest = subscriptions.iter().map(|(_, b)| *b).max().unwrap_or(0);
    let in_state = |state| {
        subscriptions
            .iter()
            .filter(|(s, _)| s.state == state)
            .count()
    };
    crate::metrics::webhooks(
        u64::try_from(largest).unwrap_or(0),
        in_state(DeliveryState::Active),
        in_state(DeliveryState::Retrying),
        in_state(DeliveryState::DeadLettered),
    );
}

/// How many committed changes the furthest-behind open watch has not sent: its merchant's
/// last feed sequence less the last it sent, 0 for a watch waiting for the next commit (it
/// sent everything its filter takes). `None` if the heads could not be read (the gauge
/// keeps its last value).
async fn feed_lag(store: &Store, streams: &StreamRegistry) -> Option<u64> {
    let places = streams.watch_places();
    let behind = places.iter().filter(|p| !p.caught_up);
    let heads = store
        .feed_heads(behind.map(|p| p.merchant.as_str()))
        .await
        .ok()?;
    Some(furthest_behind(&places, &heads))
}

/// The largest lag of `places` given their merchants' `heads` (see [`feed_lag`]).
fn furthest_behind(places: &[WatchPlace], heads: &HashMap<String, i64>) -> u64 {
    places
        .iter()
        .filter(|p| !p.caught_up)
        .map(|p| {
            let head = heads.get(&p.merchant).copied().unwrap_or(0);
            u64::try_from(head - p.sent).unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// `GET /metrics` and `GET /healthz`, for the listener of `--metrics-listen`.
pub fn router_alone(
    store: Store,
    streams: StreamRegistry,
    readiness: watch::Receiver<Readiness>,
) -> Router {
    router(store, streams).route(
        HEALTHZ_PATH,
        get(move || {
            let readiness = *readiness.borrow();
            async move { healthz_answer(readiness) }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(merchant: &str, sent: i64, caught_up: bool) -> WatchPlace {
        WatchPlace {
            merchant: merchant.into(),
            sent,
            caught_up,
        }
    }

    #[test]
    fn the_lag_is_the_furthest_behind_watch_and_a_caught_up_watch_has_none() {
        let heads = HashMap::from([("a".to_owned(), 100), ("b".to_owned(), 7)]);
        assert_eq!(furthest_behind(&[], &heads), 0);
        let places = [
            place("a", 60, false),
            place("b", 2, false),
            place("a", 90, false),
        ];
        assert_eq!(furthest_behind(&places, &heads), 40);
        // Waiting for a commit: everything its filter takes was sent, whatever `sent` says.
        let places = [place("a", 1, true), place("b", 2, false)];
        assert_eq!(furthest_behind(&places, &heads), 5);
        // A merchant with no feed yet has nothing to send.
        assert_eq!(furthest_behind(&[place("c", 0, false)], &heads), 0);
    }
}
