//! The tower layer that authenticates every call: it reads `authorization: Bearer …`,
//! checks the token (through a one-second cache, see [`super::cache`]), checks the scope
//! the RPC needs, and attaches the [`Caller`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderMap, Request, Response};
use tonic::Status;
use tower::{Layer, Service};

use super::cache::TokenCache;
use super::scopes::{Access, access_for};
use super::token;
use crate::api::ApiError;
use crate::domain::ledger::ChangeSource;
use crate::domain::tenant::Caller;
use crate::store::Store;

/// Wraps services so that every call but health and reflection needs a valid token.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    store: Store,
    cache: TokenCache,
}

impl AuthLayer {
    /// A layer checking tokens against `store`, through `cache`.
    pub fn new(store: Store, cache: TokenCache) -> Self {
        AuthLayer { store, cache }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            store: self.store.clone(),
            cache: self.cache.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    store: Store,
    cache: TokenCache,
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
        Box::pin(async move {
            match authorize(&store, &cache, request.uri().path(), request.headers()).await {
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

/// The caller of a call to `path`, `None` for public methods, or why it is refused.
async fn authorize(
    store: &Store,
    cache: &TokenCache,
    path: &str,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let unauthenticated = |message| ApiError::Unauthenticated { message };
    let required = match access_for(path) {
        Access::Public => return Ok(None),
        Access::Requires(scope) => Some(scope),
        Access::Unknown => None,
    };
    let header = headers.get(http::header::AUTHORIZATION).ok_or_else(|| {
        unauthenticated("missing authorization metadata: send `authorization: Bearer <token>`")
    })?;
    let bearer = header
        .to_str()
        .ok()
        .and_then(token::from_authorization_header)
        .ok_or_else(|| unauthenticated("authorization must be `Bearer <token>`"))?;
    let presented =
        token::parse(bearer).ok_or_else(|| unauthenticated("the token is malformed"))?;
    let credentials = cache
        .credentials(store, presented.id)
        .await
        .map_err(|err| ApiError::Internal(Box::new(err)))?;
    let credentials = credentials
        .filter(|c| token::secret_matches(presented.secret, &c.secret_digest))
        .ok_or_else(|| unauthenticated("the token is not valid"))?;
    if credentials.record.revoked_at.is_some() {
        return Err(unauthenticated("the token has been revoked"));
    }
    let record = &credentials.record;
    if let Some(scope) = required
        && !record.scopes.contains(&scope)
    {
        return Err(ApiError::PermissionDenied { scope });
    }
    Ok(Some(Caller {
        merchant: record.merchant.clone(),
        source: ChangeSource {
            product: "EXTERNAL_API".into(),
            application_id: record.application_id.clone(),
            name: record.application_name.clone(),
        },
    }))
}
