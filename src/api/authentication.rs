//! Authentication of every call, on both listeners: an [`Authenticator`] owns what deciding
//! needs — the store tokens are checked against, the one-second token cache and the per-token
//! rate limiter ([`TokenRateLimiter`]) — and [`crate::auth::authorize`] decides (token,
//! cache, scope). Once the caller's token is known, the call is counted against the token's
//! rate limit; public methods (health, reflection) are never counted. The gRPC listener runs
//! it as a tower layer ([`AuthLayer`]), which attaches the caller or answers the refusal
//! through the API's one error mapping; the HTTP doors call
//! [`Authenticator::authenticate`] with the path of the RPC a door path stands for.

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

/// Decides who a call is, for both listeners; cheap to clone (clones share the token cache
/// and the rate limiter's buckets).
#[derive(Clone, Debug)]
pub struct Authenticator {
    store: Store,
    cache: TokenCache,
    rate: TokenRateLimiter,
}

impl Authenticator {
    /// Checks tokens against `store`, through `cache`, and holds each token to its rate
    /// limit in `rate`.
    pub fn new(store: Store, cache: TokenCache, rate: TokenRateLimiter) -> Self {
        Authenticator { store, cache, rate }
    }

    /// The rate limit every token is held to.
    pub fn rate_limit(&self) -> super::rate_limit::RateLimit {
        self.rate.limit()
    }

    /// Who a call to `path` is — `None` for public methods (health, reflection) — once its
    /// token is authenticated and the call counted against the token's rate limit: the one
    /// decision both the gRPC layer ([`AuthLayer`]) and the HTTP front doors make.
    pub async fn authenticate(
        &self,
        path: &str,
        headers: &http::HeaderMap,
    ) -> Result<Option<Caller>, ApiError> {
        Ok(self
            .authenticate_metered(path, headers)
            .await?
            .map(|(caller, _)| caller))
    }

    /// [`Authenticator::authenticate`], with the calls the token has left in its rate
    /// limit's bucket after this one (what Shopify's GraphQL door reports as its throttle
    /// status).
    pub async fn authenticate_metered(
        &self,
        path: &str,
        headers: &http::HeaderMap,
    ) -> Result<Option<(Caller, u32)>, ApiError> {
        let Some(caller) = authorize(&self.store, &self.cache, path, headers).await? else {
            return Ok(None);
        };
        let left = self.rate.check(&caller.token_id)?;
        Ok(Some((caller, left)))
    }
}

/// Wraps services so that every call but health and reflection needs a valid token.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    authenticator: Authenticator,
}

impl AuthLayer {
    /// A layer authenticating each call with `authenticator`.
    pub fn new(authenticator: Authenticator) -> Self {
        AuthLayer { authenticator }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            authenticator: self.authenticator.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Authenticator,
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
        let authenticator = self.authenticator.clone();
        Box::pin(async move {
            let path = request.uri().path();
            match authenticator.authenticate(path, request.headers()).await {
                Ok(Some(caller)) => {
                    // The call's span (and so its access log line) names the merchant.
                    let merchant = tracing::field::display(&caller.merchant.0);
                    tracing::Span::current().record("merchant", merchant);
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Ok(None) => inner.call(request).await,
                Err(refusal) => Ok(Status::from(refusal).into_http()),
            }
        })
    }
}
