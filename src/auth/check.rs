//! Deciding who a call is: the bearer token it carries (looked up through the one-second
//! [`TokenCache`]), the scope its RPC needs, and the [`Caller`] it acts as. The API layer's
//! tower layer runs this on every call and answers refusals.
//!
//! A refusal says why, as Square's errors do: `UNAUTHORIZED` (no token, or a malformed or
//! unknown one), `ACCESS_TOKEN_REVOKED`, `ACCESS_TOKEN_EXPIRED`. Expiry is checked here, at
//! every use, against the clock — never by the cache — so a cached token is refused from
//! the moment it expires.

use http::HeaderMap;

use super::cache::TokenCache;
use super::scopes::{Access, access_for};
use super::token;
use crate::domain::error::reasons;
use crate::domain::ledger::ChangeSource;
use crate::domain::scope::Scope;
use crate::domain::tenant::Caller;
use crate::store::{Store, StoreError, now_micros};

/// Why a call is refused before it reaches its service.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No valid token came with the call.
    #[error("{message}")]
    Unauthenticated {
        /// Why: `UNAUTHORIZED`, `ACCESS_TOKEN_REVOKED` or `ACCESS_TOKEN_EXPIRED`.
        reason: &'static str,
        /// What is wrong with the credentials (never the token itself).
        message: &'static str,
    },
    /// The token lacks the scope the call needs.
    #[error("the token lacks the {scope} scope")]
    PermissionDenied {
        /// The scope the call needs.
        scope: Scope,
    },
    /// The token could not be looked up.
    #[error("token lookup failed")]
    Store(#[source] StoreError),
}

/// The caller of a call to `path`, `None` for public methods, or why it is refused.
pub async fn authorize(
    store: &Store,
    cache: &TokenCache,
    path: &str,
    headers: &HeaderMap,
) -> Result<Option<Caller>, AuthError> {
    let unauthenticated = |message| AuthError::Unauthenticated {
        reason: reasons::UNAUTHORIZED,
        message,
    };
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
        .map_err(AuthError::Store)?;
    let credentials = credentials
        .filter(|c| token::secret_matches(presented.secret, &c.secret_digest))
        .ok_or_else(|| unauthenticated("the token is not valid"))?;
    let record = &credentials.record;
    if record.revoked_at.is_some() {
        return Err(AuthError::Unauthenticated {
            reason: reasons::ACCESS_TOKEN_REVOKED,
            message: "the token has been revoked",
        });
    }
    if record.expired_at(now_micros()) {
        return Err(AuthError::Unauthenticated {
            reason: reasons::ACCESS_TOKEN_EXPIRED,
            message: "the token has expired; create a new one",
        });
    }
    if let Some(scope) = required
        && !record.scopes.contains(&scope)
    {
        return Err(AuthError::PermissionDenied { scope });
    }
    Ok(Some(Caller {
        merchant: record.merchant.clone(),
        token_id: record.id.clone(),
        source: ChangeSource {
            product: "EXTERNAL_API".into(),
            application_id: record.application_id.clone(),
            name: record.application_name.clone(),
        },
    }))
}
