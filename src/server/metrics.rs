//! `GET /metrics`: the server's Prometheus metrics ([`crate::metrics`]), served on the HTTP
//! listener beside the front doors, or alone on `--metrics-listen` (with `/healthz`). The
//! write pool's gauges are read at each scrape. No token is asked: the metrics name no
//! merchant, and a scraper should not hold one.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::watch;

use crate::gateway::{HEALTHZ_PATH, Readiness, healthz_answer};
use crate::store::Store;

/// Where Prometheus scrapes.
pub const METRICS_PATH: &str = "/metrics";

/// `GET /metrics` alone (merged into the front doors' router).
pub fn router(store: Store) -> Router {
    Router::new().route(
        METRICS_PATH,
        get(move || {
            let store = store.clone();
            async move {
                let text = crate::metrics::render(|| {
                    let (in_use, idle) = store.pool_usage();
                    crate::metrics::db_pool(in_use, idle);
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

/// `GET /metrics` and `GET /healthz`, for the listener of `--metrics-listen`.
pub fn router_alone(store: Store, readiness: watch::Receiver<Readiness>) -> Router {
    router(store).route(
        HEALTHZ_PATH,
        get(move || {
            let readiness = *readiness.borrow();
            async move { healthz_answer(readiness) }
        }),
    )
}
