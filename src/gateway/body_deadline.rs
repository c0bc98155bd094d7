//! A deadline for reading a request body whole: a client that stalls or trickles its body
//! must not hold a connection (and its place in the connection budget) for ever. Every
//! request's body is read through a [`DeadlineBody`] ([`read_within`], a layer of
//! [`super::router`]); past the deadline the read fails with [`BodyTimedOut`], which each
//! door answers 408 in its own error shape ([`super::read_json`]), and the connection is
//! closed after the answer, since the rest of the body was never read.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

/// Why a request body could not be read: it had not arrived whole within the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive within {} s", .0.as_secs_f64())]
pub struct BodyTimedOut(pub Duration);

/// `request` with its body read through a [`DeadlineBody`] of `limit` from now.
pub fn read_within(request: Request, limit: Duration) -> Request {
    request.map(|body| Body::new(DeadlineBody::new(body, limit)))
}

/// A body that fails with [`BodyTimedOut`] once its deadline has passed before its end.
pub struct DeadlineBody {
    body: Body,
    deadline: Pin<Box<Sleep>>,
    limit: Duration,
}

impl DeadlineBody {
    /// `body`, to be read whole within `limit` from now.
    pub fn new(body: Body, limit: Duration) -> DeadlineBody {
        DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(limit)),
            limit,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(this.limit))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Whether `error`, or any error it was caused by, is a [`BodyTimedOut`].
pub fn timed_out(error: &(dyn std::error::Error + 'static)) -> Option<BodyTimedOut> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(timed_out) = error.downcast_ref::<BodyTimedOut>() {
            return Some(*timed_out);
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    /// A body whose first bytes arrive and whose rest never does.
    fn stalled() -> Body {
        let first =
            futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from("{\"a\":")) });
        Body::from_stream(first.chain(futures::stream::pending()))
    }

    #[tokio::test]
    async fn a_body_that_stalls_fails_at_its_deadline() {
        let limit = Duration::from_millis(100);
        let body = Body::new(DeadlineBody::new(stalled(), limit));
        let read = tokio::time::timeout(Duration::from_secs(5), axum::body::to_bytes(body, 1024))
            .await
            .expect("the deadline ends the read");
        assert_eq!(timed_out(&read.unwrap_err()), Some(BodyTimedOut(limit)));
    }

    #[tokio::test]
    async fn a_body_that_arrives_in_time_is_read_whole() {
        let body = Body::new(DeadlineBody::new(
            Body::from("{}"),
            Duration::from_millis(100),
        ));
        assert_eq!(axum::body::to_bytes(body, 1024).await.unwrap(), "{}");
    }
}
