//! Accepted connections, held to two limits before HTTP/2 sees them: at most
//! [`ConnectionLimits::max_connections`] open at once (more are closed as they arrive), and
//! a connection that has not sent its HTTP/2 preface and first frame header within
//! [`ConnectionLimits::handshake_timeout`] is closed — so that idle sockets cannot pin the
//! server's memory and file descriptors. Dead peers of established connections are found by
//! HTTP/2 keepalive pings (configured on the server).

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
    /// Connections open at once.
    pub max_connections: usize,
    /// Time a new connection has to open HTTP/2.
    pub handshake_timeout: Duration,
}

/// `incoming` connections held to `limits`: beyond the cap a connection is closed at once.
pub fn limit<E>(
    incoming: impl Stream<Item = Result<TcpStream, E>>,
    limits: ConnectionLimits,
) -> impl Stream<Item = Result<LimitedConnection, E>> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    incoming.filter_map(move |accepted| {
        let admitted = accepted.map(|stream| match open.clone().try_acquire_owned() {
            Ok(permit) => Some(LimitedConnection::new(
                stream,
                permit,
                limits.handshake_timeout,
            )),
            Err(_) => {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection refused: the server holds as many connections as it may"
                );
                None // dropping the stream closes it
            }
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
