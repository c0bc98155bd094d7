//! Admission: the gate every call passes before authentication, on both listeners — as the
//! gRPC listener's tower layer, and through [`Admission::admit`], which the HTTP front doors
//! ask before each call. Each listener has a gate of its own, of `--max-in-flight` calls;
//! both refuse alike.
//!
//! - **Load shedding**: at most [`Admission::max_in_flight`] calls are served at once
//!   (counted until their response starts; streams are limited apart, in
//!   [`super::streams`]); one more is refused at once with UNAVAILABLE (`OVERLOADED`) rather
//!   than queued, so that a flood cannot build a queue of seconds. Health and reflection are
//!   never shed: health keeps telling the truth under load.
//! - **Transport refusals in this API's terms**: tonic answers a request it cannot decode
//!   itself, before any service runs — INTERNAL for a malformed protobuf body, OUT_OF_RANGE
//!   for a message over the size limit, with internal type names in the message and no
//!   details. This layer answers those as the API answers everything else: INVALID_ARGUMENT
//!   (`MALFORMED_REQUEST`) and RESOURCE_EXHAUSTED (`REQUEST_TOO_LARGE`), with ErrorInfo.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, Status};
use tower::{Layer, Service};

use super::ApiError;
use crate::auth::scopes::{Access, access_for};
use crate::domain::error::{Violation, reasons};

/// The largest request message accepted, bytes (tonic's default, set explicitly).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Wraps services with load shedding and the API's answers to undecodable requests; also
/// the gate itself, for a listener that is not a tower of tonic services. Clones share the
/// gate.
#[derive(Clone, Debug)]
pub struct Admission {
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
}

impl Admission {
    /// A layer serving at most `max_in_flight` calls at once.
    pub fn new(max_in_flight: usize) -> Self {
        Admission {
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
        }
    }

    /// The most calls served at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// A place for one more call, held until the returned permit is dropped, or at once
    /// UNAVAILABLE (`OVERLOADED`) when all [`Admission::max_in_flight`] places are taken.
    pub fn admit(&self) -> Result<Admitted, ApiError> {
        match self.in_flight.clone().try_acquire_owned() {
            Ok(place) => Ok(Admitted { _place: place }),
            Err(_) => {
                crate::metrics::shed(reasons::OVERLOADED);
                Err(ApiError::Unavailable {
                    reason: reasons::OVERLOADED,
                    message: format!(
                        "the server is serving its limit of {} calls; retry with backoff",
                        self.max_in_flight
                    ),
                    retry_after: None,
                })
            }
        }
    }
}

/// One call's place among those [`Admission`] serves at once: freed when dropped.
#[derive(Debug)]
pub struct Admitted {
    _place: OwnedSemaphorePermit,
}

impl<S> Layer<S> for Admission {
    type Service = AdmissionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AdmissionService {
            inner,
            admission: self.clone(),
        }
    }
}

/// See [`Admission`].
#[derive(Clone, Debug)]
pub struct AdmissionService<S> {
    inner: S,
    admission: Admission,
}

impl<S, B> Service<Request<B>> for AdmissionService<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let admitted = match access_for(request.uri().path()) {
            Access::Public => None,
            _ => match self.admission.admit() {
                Ok(admitted) => Some(admitted),
                Err(refusal) => {
                    return Box::pin(async move { Ok(Status::from(refusal).into_http()) });
                }
            },
        };
        Box::pin(async move {
            let response = inner.call(request).await?;
            drop(admitted);
            Ok(match transport_refusal(&response) {
                Some(refusal) => Status::from(refusal).into_http(),
                None => response,
            })
        })
    }
}

/// The API's answer to a refusal tonic made itself while decoding the request: a
/// headers-only response whose status has no details (every status of this API has).
fn transport_refusal<B>(response: &Response<B>) -> Option<ApiError> {
    let status = Status::from_header_map(response.headers())?;
    if !status.details().is_empty() {
        return None;
    }
    match status.code() {
        Code::Internal => Some(ApiError::from(Violation::new(
            "request",
            reasons::MALFORMED_REQUEST,
            "is not a valid protobuf encoding of this method's request message",
        ))),
        Code::OutOfRange if status.message().contains("message length too large") => {
            Some(ApiError::ResourceExhausted {
                reason: reasons::REQUEST_TOO_LARGE,
                message: format!(
                    "the request message is larger than the {MAX_REQUEST_BYTES} bytes this \
                     server accepts; send fewer or smaller items per call"
                ),
                retry_after: None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_beyond_the_limit_are_refused_overloaded_until_a_place_is_freed() {
        let admission = Admission::new(2);
        let first = admission.admit().expect("a place");
        let _second = admission.admit().expect("a place");
        let refused = admission.admit().unwrap_err();
        let ApiError::Unavailable {
            reason, message, ..
        } = &refused
        else {
            panic!("expected OVERLOADED, got {refused:?}");
        };
        assert_eq!(*reason, reasons::OVERLOADED);
        assert_eq!(
            message,
            "the server is serving its limit of 2 calls; retry with backoff"
        );
        assert!(
            admission.clone().admit().is_err(),
            "a clone is the same gate"
        );
        drop(first);
        admission.admit().expect("the freed place");
    }

    fn tonic_refusal(status: Status) -> Option<ApiError> {
        transport_refusal(&status.into_http::<()>())
    }

    #[test]
    fn tonics_own_refusals_are_answered_in_the_apis_terms() {
        let malformed = tonic_refusal(Status::internal(
            "failed to decode Protobuf message: InventoryChange.quantity: invalid wire type",
        ));
        assert!(
            matches!(malformed, Some(ApiError::Invalid(v)) if v.0[0].reason == reasons::MALFORMED_REQUEST)
        );
        let large = tonic_refusal(Status::out_of_range(
            "Error, decoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes",
        ));
        assert!(matches!(
            large,
            Some(ApiError::ResourceExhausted {
                reason: reasons::REQUEST_TOO_LARGE,
                ..
            })
        ));
    }

    #[test]
    fn the_apis_own_answers_pass_unchanged() {
        let ours: Status = ApiError::OutOfRange {
            reason: reasons::COUNT_OUT_OF_RANGE,
            field: "changes[0]".into(),
            message: "too far".into(),
        }
        .into();
        assert!(tonic_refusal(ours).is_none());
        assert!(tonic_refusal(Status::unimplemented("no such method")).is_none());
    }
}
