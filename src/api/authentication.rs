//! The tower layer that authenticates every call: [`crate::auth::authorize`] decides
//! (token, one-second cache, scope); this layer attaches the caller or answers the refusal
//! through the API's one error mapping. Once the caller's token is known, the call is
//! counted against the token's rate limit ([`TokenRateLimiter`]); public methods (health,
//! reflection) are never counted.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use tonic::Status;
use tower::{Layer, Service};

use super::ApiError;
use super::rate_limit::TokenRateLimiter;
use crate::auth::authorize;
use crate::auth::cache::TokenCache;
use crate::domain::tenant::Caller;
use crate::store::Store;

/// Who a call to `path` is — `None` for public methods (health, reflection) — once its
/// token is authenticated and the call counted against the token's rate limit: the one
/// decision both the gRPC layer below and the HTTP front door make.
pub async fn authenticate(
    store: &Store,
    cache: &TokenCache,
    rate: &TokenRateLimiter,
    path: &str,
    headers: &http::HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let caller = authorize(store, cache, path, headers).await?;
    if let Some(caller) = &caller {
        rate.check(&caller.token_id)?;
    }
    Ok(caller)
}

/// Wraps services so that every call but health and reflection needs a valid token.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    store: Store,
    cache: TokenCache,
    rate: TokenRateLimiter,
}

impl AuthLayer {
    /// A layer checking tokens against `store`, through `cache`, and holding each token to
    /// its rate limit in `rate`.
    pub fn new(store: Store, cache: TokenCache, rate: TokenRateLimiter) -> Self {
        AuthLayer { store, cache, rate }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            store: self.store.clone(),
            cache: self.cache.clone(),
            rate: self.rate.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    store: Store,
    cache: TokenCache,
    rate: TokenRateLimiter,
}

impl<S, B> Service<Request<B>> for AuthService<S>
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

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let store = self.store.clone();
        let cache = self.cache.clone();
        let rate = self.rate.clone();
        Box::pin(async move {
            let path = request.uri().path();
            match authenticate(&store, &cache, &rate, path, request.headers()).await {
                Ok(Some(caller)) => {
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Ok(None) => inner.call(request).await,
                Err(refusal) => Ok(Status::from(refusal).into_http()),
            }
        })
    }
}
