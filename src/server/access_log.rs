//! The access log: one `info` line per gRPC call once its response has been sent (for a
//! stream, once the stream ends), inside the call's `grpc` span — which names the method
//! and, once authentication has run, the merchant — with the gRPC code and the duration.
//! The token is never logged. When traces are exported the same span is the call's
//! OpenTelemetry span ([`trace_call`]), and its outcome is set here. Each call is counted in the metrics too
//! ([`crate::metrics::grpc_call`]). Outermost of the gRPC listener's layers, so that calls shed
//! for load or refused by authentication are logged too.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::Code;
use tower::{Layer, Service};

/// Logs every call of the service it wraps.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccessLogLayer;

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> AccessLog<S> {
        AccessLog { inner }
    }
}

/// [`AccessLogLayer`]'s service.
#[derive(Clone, Debug)]
pub struct AccessLog<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for AccessLog<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let method = request.uri().path().to_owned();
        let answered = self.inner.call(request);
        Box::pin(async move {
            // Here, not in `call`: tonic enters the call's span only while polling.
            let span = tracing::Span::current();
            let response = answered.await?;
            // A refusal answers in the headers alone; a served call in its trailers.
            let code = code_in(response.headers());
            Ok(response.map(|body| {
                tonic::body::Body::new(LoggedBody {
                    inner: body,
                    call: Some(Call {
                        started,
                        method,
                        span,
                        code,
                    }),
                })
            }))
        })
    }
}

/// What the log line of one call needs.
struct Call {
    started: Instant,
    /// The request's path, `/package.Service/Method`.
    method: String,
    span: tracing::Span,
    code: Option<Code>,
}

impl Call {
    /// The line; a response that ended without a status (the client went away, the
    /// connection broke) is logged as `CANCELLED`.
    fn log(self) {
        let code = self.code.unwrap_or(Code::Cancelled);
        let took = self.started.elapsed();
        crate::metrics::grpc_call(&self.method, code, took);
        let micros = took.as_micros() as u64;
        let outcome = crate::metrics::code_name(code);
        crate::telemetry::server_span_ended(
            &self.span,
            outcome,
            ("rpc.grpc.status_code", code as i64),
            server_fault(code).then_some(outcome),
        );
        self.span.in_scope(|| {
            tracing::info!(code = ?code, duration_us = micros, "call");
        });
    }
}

/// Sets up the traced span of the call to `path` (`/package.Service/Method`): its parent
/// from the W3C `traceparent` metadata, its name `package.Service/Method` and the `rpc.*`
/// attributes of OpenTelemetry's conventions. Nothing when traces are off.
pub fn trace_call(span: &tracing::Span, headers: &HeaderMap, path: &str) {
    if !crate::telemetry::traces_on() {
        return;
    }
    let name = path.trim_start_matches('/');
    let (service, method) = name.split_once('/').unwrap_or((name, ""));
    crate::telemetry::server_span(
        span,
        headers,
        name,
        &[
            ("rpc.system", "grpc"),
            ("rpc.service", service),
            ("rpc.method", method),
        ],
    );
}

/// Whether `code` says the server failed the call (OpenTelemetry's rule for a server
/// span's error status), not that the caller's request was refused.
fn server_fault(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

fn code_in(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32)
}

/// A response body that logs its call when it is dropped: after its last frame was sent,
/// or when the call ends early.
struct LoggedBody {
    inner: tonic::body::Body,
    call: Option<Call>,
}

impl Body for LoggedBody {
    type Data = <tonic::body::Body as Body>::Data;
    type Error = <tonic::body::Body as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(trailers) = frame.trailers_ref()
            && let Some(call) = &mut self.call
        {
            call.code = code_in(trailers).or(call.code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.log();
        }
    }
}
