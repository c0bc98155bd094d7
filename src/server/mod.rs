//! Wires the services, health and reflection into one tonic server, held to its limits
//! ([`ServerLimits`]), and runs it until a shutdown signal, letting in-flight calls finish.

use std::future::Future;
use std::num::NonZeroU32;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

pub mod access_log;
pub mod connections;
pub mod http;
pub mod metrics;
pub mod open_files;
pub mod tls;

use connections::{ConnectionBudget, ConnectionLimits};
use tls::Tls;

use crate::api::admission::{Admission, MAX_REQUEST_BYTES};
use crate::api::authentication::{AuthLayer, Authenticator};
use crate::api::cursor::Cursors;
use crate::api::inventory::InventoryApi;
use crate::api::items::InventoryItemApi;
use crate::api::locations::LocationApi;
use crate::api::rate_limit::{RateLimit, TokenRateLimiter};
use crate::api::reservations::{ReservationApi, sweep_expired};
use crate::api::streams::{StreamLimits, StreamRegistry};
use crate::api::webhooks::WebhookApi;
use crate::auth::cache::TokenCache;
use crate::domain::webhook::RetryPolicy;
use crate::feed::{self, Feed};
use crate::gateway::{self, Gateway, Readiness};
use crate::proto::{
    FILE_DESCRIPTOR_SET,
    v1::{
        inventory_item_service_server::InventoryItemServiceServer,
        inventory_service_server::InventoryServiceServer,
        location_service_server::LocationServiceServer,
        reservation_service_server::ReservationServiceServer,
        webhook_service_server::WebhookServiceServer,
    },
};
use crate::store::{Store, StoreError};
use crate::webhook::Deliverer;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be prepared.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// Reflection could not load the descriptor set.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The webhook deliverer's HTTP client could not be built.
    #[error("webhook client: {0}")]
    WebhookClient(#[from] reqwest::Error),
}

/// Every limit the server holds calls, streams and connections to (see docs/limits.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Calls served at once before more are shed with UNAVAILABLE.
    pub max_in_flight: usize,
    /// The longest any call may take (a client's shorter `grpc-timeout` wins).
    pub call_timeout: Duration,
    /// HTTP/2 streams (calls) one connection may have open at once.
    pub max_streams_per_connection: u32,
    /// Server streams per token, and their share of the database.
    pub streams: StreamLimits,
    /// Connections open at once, and the time a new one has to open HTTP/2.
    pub connections: ConnectionLimits,
    /// Calls each token may make: a token bucket per token.
    pub rate_limit: RateLimit,
    /// How far in the future a change sent through Square's door may say it occurred (its
    /// clock's skew): Square refuses any future `occurred_at`, so 0 unless told otherwise.
    pub square_clock_skew: Duration,
    /// How failed webhook notifications are retried (docs/webhooks.md).
    pub webhook_retry: RetryPolicy,
}

impl ServerLimits {
    /// The limits `serve` holds to unless told otherwise.
    pub const DEFAULT: ServerLimits = ServerLimits {
        max_in_flight: 512,
        call_timeout: Duration::from_secs(60),
        max_streams_per_connection: 256,
        streams: StreamLimits {
            per_token: 100,
            database_connections: 4,
        },
        connections: ConnectionLimits {
            max_connections: 4096,
            handshake_timeout: Duration::from_secs(10),
            http_header_timeout: Duration::from_secs(10),
            http_body_timeout: Duration::from_secs(30),
        },
        rate_limit: RateLimit {
            per_second: NonZeroU32::new(1000).expect("non-zero"),
            burst: NonZeroU32::new(2000).expect("non-zero"),
        },
        square_clock_skew: Duration::ZERO,
        webhook_retry: RetryPolicy::DEFAULT,
    };
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits::DEFAULT
    }
}

/// How often health checks that the database answers.
const HEALTH_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// How long a database check may take before health reports NOT_SERVING.
const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How often an idle connection is pinged, and how long the peer has to answer.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves every service on `listener` from `store` with the default limits until
/// `shutdown` resolves; in-flight calls finish before this returns. The database must
/// already be migrated.
pub async fn serve(
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    serve_with(store, listener, ServerLimits::default(), shutdown).await
}

/// [`serve`] with `limits`.
pub async fn serve_with(
    store: Store,
    listener: TcpListener,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    serve_with_http(store, listener, None, limits, shutdown).await
}

/// [`serve_with`], and — given `http` — the HTTP/JSON front doors on that second listener
/// ([`crate::gateway`], docs/square.md, docs/shopify.md): the same services, the same
/// authenticator (tokens, per-token rate limits), admission by the same gate
/// ([`Admission`]) with `max_in_flight` places of its own, the same call timeout and the
/// same connection budget ([`ConnectionBudget`]). Both stop on `shutdown`.
pub async fn serve_with_http(
    store: Store,
    listener: TcpListener,
    http: Option<TcpListener>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let listeners = Listeners {
        grpc: listener,
        http,
        metrics: None,
        tls: None,
    };
    serve_on(store, listeners, limits, shutdown).await
}

/// The listeners a server serves on.
#[derive(Debug)]
pub struct Listeners {
    /// gRPC: every service, health and reflection.
    pub grpc: TcpListener,
    /// The HTTP front doors, `/healthz` and `/metrics` ([`serve_with_http`]).
    pub http: Option<TcpListener>,
    /// `/metrics` and `/healthz` alone.
    pub metrics: Option<TcpListener>,
    /// TLS on every listener (`--tls-cert`), or plaintext.
    pub tls: Option<Tls>,
}

/// [`serve_with_http`] on `listeners`, `/metrics` on its own listener too if given.
pub async fn serve_on(
    store: Store,
    listeners: Listeners,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let Listeners {
        grpc: listener,
        http,
        metrics: metrics_listener,
        tls,
    } = listeners;
    let http_tls = tls.as_ref().map(Tls::http);
    crate::metrics::install();
    let upkeep = tokio::spawn(crate::metrics::upkeep());
    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let feed = Feed::new();
    let tokens = TokenCache::default();
    let streams = StreamRegistry::start(store.clone(), limits.streams);
    let (revoked_tokens, revoked_streams) = (tokens.clone(), streams.clone());
    feed::spawn_listener(&store, feed.clone(), move |id| {
        revoked_tokens.invalidate(id);
        revoked_streams.revoke(id);
    });
    // The first report is made before serving, so no caller sees a service unknown.
    let status = database_health(&store).await;
    report(&health, status).await;
    let (readiness, readiness_view) = tokio::sync::watch::channel(status.readiness());
    let metrics_alone =
        metrics::router_alone(store.clone(), streams.clone(), readiness_view.clone());
    let metrics_streams = streams.clone();
    tokio::spawn(keep_health_truthful(
        store.clone(),
        (health, readiness),
        status,
        feed.closing(),
    ));
    let cursors = Cursors::load(&store).await?;
    let inventory_api = InventoryApi::new(store.clone(), feed.clone(), cursors.clone(), streams);
    let items_api = InventoryItemApi::new(store.clone(), cursors.clone());
    let locations_api = LocationApi::new(store.clone(), cursors.clone());
    let authenticator = Authenticator::new(
        store.clone(),
        tokens,
        TokenRateLimiter::new(limits.rate_limit),
    );
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let budget = ConnectionBudget::new(open_files::fit_connections(
        limits.connections.max_connections,
    ));
    let ledger = inventory_api.ledger().clone();
    let reservations_api = ReservationApi::new(store.clone(), ledger.clone(), cursors);
    let webhooks_api = WebhookApi::new(store.clone());
    let front_door = http.map(|http| {
        let gateway = Gateway::new(
            (
                inventory_api.clone(),
                items_api.clone(),
                locations_api.clone(),
                reservations_api.clone(),
                webhooks_api.clone(),
            ),
            authenticator.clone(),
            // Its own gate, of the same size: each listener serves --max-in-flight calls
            // (and the doors, as always, at least one).
            Admission::new(limits.max_in_flight.max(1)),
            limits.call_timeout,
            readiness_view,
        )
        .with_square_clock_skew(limits.square_clock_skew);
        let router = gateway::router(gateway, limits.connections.http_body_timeout)
            .merge(metrics::router(store.clone(), metrics_streams));
        spawn_http(
            http,
            router,
            http_tls.clone(),
            &budget,
            limits.connections,
            &stop,
        )
    });
    let metrics_door = metrics_listener.map(|listener| {
        spawn_http(
            listener,
            metrics_alone,
            http_tls,
            &budget,
            limits.connections,
            &stop,
        )
    });
    let inventory =
        InventoryServiceServer::new(inventory_api).max_decoding_message_size(MAX_REQUEST_BYTES);
    let items =
        InventoryItemServiceServer::new(items_api).max_decoding_message_size(MAX_REQUEST_BYTES);
    let locations =
        LocationServiceServer::new(locations_api).max_decoding_message_size(MAX_REQUEST_BYTES);
    let sweep = tokio::spawn(sweep_expired(
        store.clone(),
        ledger.clone(),
        RESERVATION_SWEEP_INTERVAL,
    ));
    let reservations = ReservationServiceServer::new(reservations_api)
        .max_decoding_message_size(MAX_REQUEST_BYTES);
    let webhooks =
        WebhookServiceServer::new(webhooks_api).max_decoding_message_size(MAX_REQUEST_BYTES);
    let deliverer =
        tokio::spawn(Deliverer::new(store.clone(), limits.webhook_retry)?.run(feed.clone()));
    // Live feeds never end by themselves: end them first so that shutdown can complete.
    let shutdown = async move {
        shutdown.await;
        stopping.send_replace(true);
        feed.close();
    };

    // Without TCP_NODELAY small responses wait on delayed ACKs (~40 ms each).
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)));
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &tls {
        builder = builder.tls_config(tls.grpc())?;
    }
    let served = builder
        .trace_fn(|request| {
            // `merchant` is filled in by authentication, for the access log's line; the
            // rest only when traces are exported (crate::telemetry).
            let path = request.uri().path();
            let span = crate::telemetry::call_span!("grpc", method = %path);
            access_log::trace_call(&span, request.headers(), path);
            span
        })
        .timeout(limits.call_timeout)
        .max_concurrent_streams(limits.max_streams_per_connection)
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .http2_max_header_list_size(MAX_HEADER_BYTES)
        .layer(access_log::AccessLogLayer)
        .layer(Admission::new(limits.max_in_flight))
        .layer(AuthLayer::new(authenticator))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(inventory)
        .add_service(items)
        .add_service(locations)
        .add_service(reservations)
        .add_service(webhooks)
        .serve_with_incoming_shutdown(
            connections::limit(incoming, budget, limits.connections.handshake_timeout),
            shutdown,
        )
        .await;
    for door in front_door.into_iter().chain(metrics_door) {
        if served.is_ok() {
            door.await.ok(); // stopping: let its in-flight calls finish
        } else {
            door.abort();
        }
    }
    sweep.abort();
    upkeep.abort();
    // The feed closed with the server: the deliverer gives up its claims and ends.
    deliverer.await.ok();
    served?;
    Ok(())
}

/// Serves `router` on `listener` ([`http::serve`]), over TLS if given, in a task of its own, under `budget`,
/// until `stop` turns true.
fn spawn_http(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<TlsAcceptor>,
    budget: &ConnectionBudget,
    limits: ConnectionLimits,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut stop = stop.clone();
    let stopped = async move {
        stop.wait_for(|s| *s).await.ok();
    };
    tokio::spawn(http::serve(
        listener,
        router,
        tls,
        budget.clone(),
        limits,
        stopped,
    ))
}

/// The most header (metadata) bytes a call may send.
const MAX_HEADER_BYTES: u32 = 16 * 1024;

/// The services health reports on: each service and the server as a whole (`""`).
const HEALTH_NAMES: [&str; 6] = [
    "",
    <InventoryServiceServer<InventoryApi> as NamedService>::NAME,
    <InventoryItemServiceServer<InventoryItemApi> as NamedService>::NAME,
    <LocationServiceServer<LocationApi> as NamedService>::NAME,
    <ReservationServiceServer<ReservationApi> as NamedService>::NAME,
    <WebhookServiceServer<WebhookApi> as NamedService>::NAME,
];

/// How often the server releases reservations past their `expires_at`.
const RESERVATION_SWEEP_INTERVAL: Duration = Duration::from_millis(500);

/// What health reports: the server as a whole (`""`) and each of its services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Health {
    server: ServingStatus,
    services: ServingStatus,
}

impl Health {
    /// As `/healthz` tells it.
    fn readiness(self) -> Readiness {
        Readiness {
            serving: self.server == ServingStatus::Serving,
            writes: self.services == ServingStatus::Serving,
        }
    }
}

/// Everything SERVING if the database answers within [`HEALTH_CHECK_TIMEOUT`] (on a
/// connection of its own, so a busy pool never counts as a dead database), else
/// NOT_SERVING. While writes are being refused for a full disk, the services report
/// NOT_SERVING (each writes) and the server as a whole SERVING (reads go on).
async fn database_health(store: &Store) -> Health {
    let answers = match tokio::time::timeout(HEALTH_CHECK_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "health: the database does not answer");
            store.note_unreachable();
            false
        }
        Err(_) => {
            tracing::warn!("health: the database did not answer in time");
            store.note_unreachable();
            false
        }
    };
    let serving = |yes: bool| {
        if yes {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        }
    };
    Health {
        server: serving(answers),
        services: serving(answers && !store.storage_full()),
    }
}

/// Reports `status` for every name health answers for.
async fn report(health: &HealthReporter, status: Health) {
    for name in HEALTH_NAMES {
        let status = if name.is_empty() {
            status.server
        } else {
            status.services
        };
        health.set_service_status(name, status).await;
    }
}

/// Keeps health (the gRPC service and `/healthz`) truthful after the first report
/// (`reported`), as [`database_health`] finds it every [`HEALTH_CHECK_INTERVAL`] until
/// shutdown.
async fn keep_health_truthful(
    store: Store,
    (health, readiness): (HealthReporter, tokio::sync::watch::Sender<Readiness>),
    mut reported: Health,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(HEALTH_CHECK_INTERVAL) => {}
            _ = closing.wait_for(|c| *c) => return,
        }
        let status = database_health(&store).await;
        if status != reported {
            report(&health, status).await;
            readiness.send_replace(status.readiness());
            reported = status;
        }
    }
}

/// Serves until SIGINT or SIGTERM, then lets in-flight calls finish for at most `grace`.
pub async fn serve_until_signal(
    store: Store,
    listeners: Listeners,
    limits: ServerLimits,
    grace: Duration,
) -> Result<(), ServeError> {
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown_signal().await;
        signalled.send_replace(true);
    };
    let server = serve_on(store, listeners, limits, shutdown);
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        _ = on_signal.wait_for(|s| *s) => {}
    }
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "calls still open after the grace period; stopping anyway"
            );
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.ok();
    tracing::info!("shutdown requested; finishing in-flight calls");
}
