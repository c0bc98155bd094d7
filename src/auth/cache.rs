//! A short-lived cache of token lookups, so that an authenticated call costs no database
//! round trip. An entry lives one second ([`TOKEN_TTL`]): a revocation takes effect on every
//! replica within that time, and at once where the database can tell (PostgreSQL
//! LISTEN/NOTIFY invalidates the entry on every replica). Expiry is not the cache's
//! concern: the entry holds the token's expiry time and `authorize` compares it with the
//! clock at every use, so a cached token is refused from the instant it expires.

use std::sync::Arc;
use std::time::Duration;

use crate::store::tokens::TokenCredentials;
use crate::store::{Store, StoreError};

/// How long a looked-up token is trusted without asking the database again.
pub const TOKEN_TTL: Duration = Duration::from_secs(1);
/// Most tokens kept (unknown ids included, so that floods of forged ids stay cheap).
const CAPACITY: u64 = 100_000;

/// Token id → its credentials (`None`: no such token). Cheap to clone.
#[derive(Clone)]
pub struct TokenCache {
    entries: moka::sync::Cache<String, Option<Arc<TokenCredentials>>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TOKEN_TTL)
                .build(),
        }
    }
}

impl TokenCache {
    /// The credentials of token `id`, from the cache or else from `store`.
    pub async fn credentials(
        &self,
        store: &Store,
        id: &str,
    ) -> Result<Option<Arc<TokenCredentials>>, StoreError> {
        if let Some(hit) = self.entries.get(id) {
            return Ok(hit);
        }
        // While the database was just found unreachable, a lookup is answered as the outage
        // at once (after a check within a second) rather than waiting out the pool.
        store.writes_may_proceed().await?;
        let fresh = store.token_credentials(id).await?.map(Arc::new);
        self.entries.insert(id.to_owned(), fresh.clone());
        Ok(fresh)
    }

    /// Forgets token `id` (it was revoked).
    pub fn invalidate(&self, id: &str) {
        self.entries.invalidate(id);
    }
}
