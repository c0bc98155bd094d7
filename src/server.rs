//! Wires the services, health and reflection into one tonic server and runs it until a
//! shutdown signal, letting in-flight calls finish.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

use crate::api::authentication::AuthLayer;
use crate::api::cursor::Cursors;
use crate::api::inventory::InventoryApi;
use crate::api::items::InventoryItemApi;
use crate::api::locations::LocationApi;
use crate::auth::cache::TokenCache;
use crate::feed::{self, Feed};
use crate::proto::{
    FILE_DESCRIPTOR_SET,
    v1::{
        inventory_item_service_server::InventoryItemServiceServer,
        inventory_service_server::InventoryServiceServer,
        location_service_server::LocationServiceServer,
    },
};
use crate::store::{Store, StoreError};

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
}

/// Serves every service on `listener` from `store` until `shutdown` resolves; in-flight
/// calls finish before this returns. The database must already be migrated.
pub async fn serve(
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<InventoryServiceServer<InventoryApi>>()
        .await;
    health
        .set_serving::<InventoryItemServiceServer<InventoryItemApi>>()
        .await;
    health
        .set_serving::<LocationServiceServer<LocationApi>>()
        .await;

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
    let revoked = tokens.clone();
    feed::spawn_listener(&store, feed.clone(), move |id| revoked.invalidate(id));
    let cursors = Cursors::load(&store).await?;
    let inventory = InventoryServiceServer::new(InventoryApi::new(
        store.clone(),
        feed.clone(),
        cursors.clone(),
    ));
    // Live feeds never end by themselves: end them first so that shutdown can complete.
    let shutdown = async move {
        shutdown.await;
        feed.close();
    };
    let items =
        InventoryItemServiceServer::new(InventoryItemApi::new(store.clone(), cursors.clone()));
    let locations = LocationServiceServer::new(LocationApi::new(store.clone(), cursors));

    tonic::transport::Server::builder()
        .trace_fn(|request| tracing::info_span!("grpc", method = %request.uri().path()))
        .layer(AuthLayer::new(store, tokens))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(inventory)
        .add_service(items)
        .add_service(locations)
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY small responses wait on delayed ACKs (~40 ms each).
            TcpIncoming::from(listener)
                .with_nodelay(Some(true))
                .with_keepalive(Some(Duration::from_secs(60))),
            shutdown,
        )
        .await?;
    Ok(())
}

/// Serves until SIGINT or SIGTERM, then lets in-flight calls finish for at most `grace`.
pub async fn serve_until_signal(
    store: Store,
    listener: TcpListener,
    grace: Duration,
) -> Result<(), ServeError> {
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown_signal().await;
        signalled.send_replace(true);
    };
    let server = serve(store, listener, shutdown);
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
