//! Accepted connections and the one budget they share: at most
//! [`ConnectionLimits::max_connections`] open at once on the gRPC and HTTP listeners together
//! ([`ConnectionBudget`]; more are closed as they arrive), of which a small share only gRPC may
//! take, so that health checks and calls still connect while HTTP clients hold the rest. A
//! gRPC connection that has not sent its HTTP/2 preface and first frame header within
//! [`ConnectionLimits::handshake_timeout`] is closed — so that idle sockets cannot pin the
//! server's memory and file descriptors. Dead peers of established connections are found by
//! HTTP/2 keepalive pings (configured on the server). The HTTP listener's own timeouts are in
//! [`super::http`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Bytes a client sends to open HTTP/2: the 24-byte preface and the 9-byte header of its
/// SETTINGS frame.
const HANDSHAKE_BYTES: usize = 24 + 9;

/// The limits every accepted connection is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, gRPC and HTTP together.
    pub max_connections: usize,
    /// Time a new gRPC connection has to open HTTP/2.
    pub handshake_timeout: Duration,
    /// Time an HTTP connection has to send a request's complete headers, counted from its
    /// opening or from its previous response (so also how long it may stay idle).
    pub http_header_timeout: Duration,
    /// Time an HTTP request's body has to arrive whole, from its headers; later it is
    /// answered 408 and the connection closed.
    pub http_body_timeout: Duration,
}

/// At most one sixteenth of the budget, and at most this many connections, is kept for gRPC.
const MOST_KEPT_FOR_GRPC: usize = 64;

/// The connections the gRPC and HTTP listeners may hold open at once, shared: a connection
/// takes a place when accepted and gives it back when it closes. HTTP connections take
/// places from the shared part only; gRPC ones from it and then from the part kept for gRPC
/// ([`ConnectionBudget::kept_for_grpc`]), so a flood of HTTP connections can never keep a
/// health check out. Clones share the budget.
#[derive(Clone, Debug)]
pub struct ConnectionBudget {
    shared: Arc<Semaphore>,
    grpc_only: Arc<Semaphore>,
    max_connections: usize,
}

/// Whose connection asks for a place in the [`ConnectionBudget`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// The gRPC listener: may take the places kept for gRPC.
    Grpc,
    /// The HTTP front doors' listener.
    Http,
}

impl ConnectionBudget {
    /// A budget of `max_connections` places, [`ConnectionBudget::kept_for_grpc`] of them kept
    /// for gRPC.
    pub fn new(max_connections: usize) -> ConnectionBudget {
        let grpc_only = Self::kept_for_grpc(max_connections);
        ConnectionBudget {
            shared: Arc::new(Semaphore::new(max_connections - grpc_only)),
            grpc_only: Arc::new(Semaphore::new(grpc_only)),
            max_connections,
        }
    }

    /// The places of a budget of `max_connections` that only gRPC connections may take: a
    /// sixteenth, at least one and at most [`MOST_KEPT_FOR_GRPC`], always leaving HTTP one.
    pub fn kept_for_grpc(max_connections: usize) -> usize {
        (max_connections / 16)
            .clamp(1, MOST_KEPT_FOR_GRPC)
            .min(max_connections.saturating_sub(1))
    }

    /// A place for a connection accepted by `listener`, held until dropped, or `None` (and a
    /// warning logged) when the budget is spent: the caller then closes the connection.
    pub fn admit(&self, listener: Listener) -> Option<OwnedSemaphorePermit> {
        let shared = self.shared.clone().try_acquire_owned();
        let place = match listener {
            Listener::Grpc => shared.or_else(|_| self.grpc_only.clone().try_acquire_owned()),
            Listener::Http => shared,
        };
        if place.is_err() {
            tracing::warn!(
                max_connections = self.max_connections,
                listener = ?listener,
                "connection refused: the server holds as many connections as it may"
            );
        }
        place.ok()
    }
}

/// `incoming` gRPC connections, each holding a place in `budget` and given
/// `handshake_timeout` to open HTTP/2: when the budget is spent a connection is closed at
/// once.
pub fn limit<E>(
    incoming: impl Stream<Item = Result<TcpStream, E>>,
    budget: ConnectionBudget,
    handshake_timeout: Duration,
) -> impl Stream<Item = Result<LimitedConnection, E>> {
    incoming.filter_map(move |accepted| {
        let admitted = accepted.map(|stream| {
            // Dropping a refused stream closes it.
            budget
                .admit(Listener::Grpc)
                .map(|place| LimitedConnection::new(stream, place, handshake_timeout))
        });
        futures::future::ready(admitted.transpose())
    })
}

/// An accepted connection holding its place under the cap until it closes.
#[derive(Debug)]
pub struct LimitedConnection {
    stream: TcpStream,
    /// Running until the client has opened HTTP/2; `None` afterwards.
    handshake: Option<Pin<Box<Sleep>>>,
    received: usize,
    _place: OwnedSemaphorePermit,
}

impl LimitedConnection {
    fn new(stream: TcpStream, place: OwnedSemaphorePermit, handshake: Duration) -> Self {
        LimitedConnection {
            stream,
            handshake: Some(Box::pin(tokio::time::sleep(handshake))),
            received: 0,
            _place: place,
        }
    }
}

impl Connected for LimitedConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for LimitedConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(deadline) = this.handshake.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not open HTTP/2 in time",
            )));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        this.received += buf.filled().len() - before;
        if this.received >= HANDSHAKE_BYTES {
            this.handshake = None;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for LimitedConnection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    fn place() -> OwnedSemaphorePermit {
        Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap()
    }

    #[test]
    fn http_connections_cannot_take_the_places_kept_for_grpc() {
        let budget = ConnectionBudget::new(32);
        assert_eq!(ConnectionBudget::kept_for_grpc(32), 2);
        let http: Vec<_> = std::iter::from_fn(|| budget.admit(Listener::Http)).collect();
        assert_eq!(http.len(), 30);
        let grpc: Vec<_> = std::iter::from_fn(|| budget.admit(Listener::Grpc)).collect();
        assert_eq!(grpc.len(), 2, "gRPC still has its kept places");
        drop(http);
        assert!(
            budget.admit(Listener::Http).is_some(),
            "closing frees places"
        );
    }

    #[test]
    fn the_share_kept_for_grpc_is_small_and_leaves_http_a_place() {
        assert_eq!(ConnectionBudget::kept_for_grpc(1), 0);
        assert_eq!(ConnectionBudget::kept_for_grpc(2), 1);
        assert_eq!(ConnectionBudget::kept_for_grpc(200), 12);
        assert_eq!(ConnectionBudget::kept_for_grpc(4096), MOST_KEPT_FOR_GRPC);
    }

    #[tokio::test]
    async fn a_silent_client_is_cut_off_after_the_handshake_timeout() {
        let (_client, accepted) = pair().await;
        let mut connection = LimitedConnection::new(accepted, place(), Duration::from_millis(100));
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(5), connection.read(&mut buf))
            .await
            .expect("the deadline ends the read");
        assert_eq!(read.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_client_that_opens_http2_in_time_is_kept() {
        let (mut client, accepted) = pair().await;
        let mut connection = LimitedConnection::new(accepted, place(), Duration::from_millis(200));
        client.write_all(&[0u8; HANDSHAKE_BYTES]).await.unwrap();
        let mut buf = [0u8; HANDSHAKE_BYTES];
        connection.read_exact(&mut buf).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        client.write_all(b"x").await.unwrap();
        assert_eq!(connection.read(&mut buf).await.unwrap(), 1);
    }
}
