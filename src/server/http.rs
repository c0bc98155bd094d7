//! The HTTP listener of the front doors ([`crate::gateway`]): each accepted connection takes
//! a place in the [`ConnectionBudget`] it shares with gRPC (closed at once when there is
//! none) and is served as HTTP/1.1 by hyper, with a header-read timeout that runs whenever
//! the connection owes the server a request — from its opening, and again after each
//! response — so that a silent connection, one that trickles its headers and an idle
//! keep-alive connection are all closed after [`ConnectionLimits::http_header_timeout`].
//! (A stalled request body is the gateway's to refuse: [`crate::gateway::router`].) With
//! TLS ([`super::tls`]) the handshake runs in the connection's own task, within that same
//! timeout, so a slow handshake never holds up the accept loop.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio_rustls::TlsAcceptor;

use super::connections::{ConnectionBudget, ConnectionLimits, Listener};

/// How long to wait before accepting again after `accept` failed (e.g. out of descriptors).
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Serves `router` on `listener`, over TLS if given, under `budget` and `limits` until
/// `shutdown` resolves;
/// then stops accepting, lets each connection finish its request in progress, and returns
/// once every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    budget: ConnectionBudget,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let (stopping, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "the HTTP listener could not accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Dropping a refused stream closes it.
        if let Some(place) = budget.admit(Listener::Http) {
            let connection = serve_accepted(
                stream,
                tls.clone(),
                place,
                router.clone(),
                limits,
                stop.clone(),
            );
            tokio::spawn(connection);
        }
    }
    drop(listener);
    drop(stop);
    stopping.send_replace(true);
    // Each connection holds a receiver until it has closed.
    stopping.closed().await;
}

/// Serves a connection just accepted ([`serve_connection`]), after its TLS handshake if
/// `tls` is given: the handshake has the header timeout, and a connection that fails it or
/// runs out of time is closed (its place given back).
async fn serve_accepted(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    place: OwnedSemaphorePermit,
    router: Router,
    limits: ConnectionLimits,
    stop: watch::Receiver<bool>,
) {
    // Without TCP_NODELAY small responses wait on delayed ACKs (~40 ms each).
    stream.set_nodelay(true).ok();
    let Some(acceptor) = tls else {
        return serve_connection(stream, place, router, limits, stop).await;
    };
    match tokio::time::timeout(limits.http_header_timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_connection(stream, place, router, limits, stop).await,
        Ok(Err(err)) => tracing::debug!(error = %err, "TLS handshake failed"),
        Err(_) => tracing::debug!("TLS handshake timed out"),
    }
}

/// Serves one connection, holding `place` and `stop` until it closes; when `stop` turns true
/// it finishes the request in progress, if any, and closes.
async fn serve_connection(
    stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    place: OwnedSemaphorePermit,
    router: Router,
    limits: ConnectionLimits,
    stop: watch::Receiver<bool>,
) {
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.http_header_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
    tokio::pin!(connection);
    let mut told = stop.clone();
    let stopping = async move {
        // Stopping, or the listener is gone: either way, finish.
        let _ = told.wait_for(|stopping| *stopping).await;
    };
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = stopping => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = served {
        tracing::debug!(error = %err, "HTTP connection closed");
    }
    // Only now may `serve` return, and the place go to another connection.
    drop((stop, place));
}
