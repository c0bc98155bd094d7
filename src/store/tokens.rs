//! The token repository.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Statement,
};

use super::entity::{api_token, merchant};
use super::{MerchantId, Store, StoreError, now_micros};
use crate::domain::scope::{Scope, parse_scope_list};

/// Name of the PostgreSQL notification channel that announces revoked tokens (payload:
/// the token id).
pub const TOKENS_CHANNEL: &str = "stockledger_tokens";

/// A stored token (without its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public id.
    pub id: String,
    /// The merchant it acts for.
    pub merchant: MerchantId,
    /// Granted scopes.
    pub scopes: Vec<Scope>,
    /// Source application id recorded on changes.
    pub application_id: String,
    /// Source application name.
    pub application_name: String,
    /// Server time, µs.
    pub created_at: i64,
    /// Server time of revocation, µs.
    pub revoked_at: Option<i64>,
    /// Server time from which the token is refused, µs; `None`: it never expires.
    pub expires_at: Option<i64>,
}

impl TokenRecord {
    /// Whether the token has expired at server time `now` (µs).
    pub fn expired_at(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|expiry| expiry <= now)
    }
}

/// Why a token can no longer be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// It was revoked (or deleted).
    Revoked,
    /// Its expiry has passed.
    Expired,
}

/// What the auth layer needs to check a presented token.
#[derive(Clone, Debug)]
pub struct TokenCredentials {
    /// The token (without secret).
    pub record: TokenRecord,
    /// SHA-256 of the secret, hex.
    pub secret_digest: String,
}

impl Store {
    /// Stores token `token_id` (only the digest of its secret) for merchant
    /// `merchant_name` (created if needed). Tokens of the same merchant and application
    /// name share one application id.
    pub async fn create_token(
        &self,
        merchant_name: &str,
        scopes: &[Scope],
        application_name: &str,
        token_id: &str,
        secret_digest: &str,
    ) -> Result<TokenRecord, StoreError> {
        self.create_expiring_token(
            merchant_name,
            scopes,
            application_name,
            token_id,
            secret_digest,
            None,
        )
        .await
    }

    /// [`Store::create_token`] for a token refused from server time `expires_at` (µs) on;
    /// `None`: it never expires.
    pub async fn create_expiring_token(
        &self,
        merchant_name: &str,
        scopes: &[Scope],
        application_name: &str,
        token_id: &str,
        secret_digest: &str,
        expires_at: Option<i64>,
    ) -> Result<TokenRecord, StoreError> {
        let merchant = self.ensure_merchant(merchant_name).await?;
        let sibling = api_token::Entity::find()
            .filter(api_token::Column::MerchantId.eq(&merchant.0))
            .filter(api_token::Column::ApplicationName.eq(application_name))
            .one(self.connection())
            .await?;
        let application_id =
            sibling.map_or_else(|| uuid::Uuid::new_v4().to_string(), |t| t.application_id);
        let scope_text: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let row = api_token::ActiveModel {
            id: Set(token_id.to_owned()),
            merchant_id: Set(merchant.0.clone()),
            secret_digest: Set(secret_digest.to_owned()),
            scopes: Set(scope_text.join(",")),
            application_id: Set(application_id),
            application_name: Set(application_name.to_owned()),
            created_at: Set(now_micros()),
            revoked_at: Set(None),
            expires_at: Set(expires_at),
        };
        api_token::Entity::insert(row)
            .exec_without_returning(self.connection())
            .await?;
        self.token_credentials(token_id)
            .await?
            .map(|c| c.record)
            .ok_or(StoreError::NotFound)
    }

    /// The token with this id and its secret digest, revoked or not (one primary-key read:
    /// this runs on every authenticated call).
    pub async fn token_credentials(
        &self,
        id: &str,
    ) -> Result<Option<TokenCredentials>, StoreError> {
        api_token::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?
            .map(credentials_from_row)
            .transpose()
    }

    /// Every token with its merchant's name, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<(TokenRecord, String)>, StoreError> {
        let tokens = api_token::Entity::find()
            .order_by_asc(api_token::Column::CreatedAt)
            .all(self.connection())
            .await?;
        let merchants = merchant::Entity::find().all(self.connection()).await?;
        tokens
            .into_iter()
            .map(|token| {
                let name = merchants
                    .iter()
                    .find(|m| m.id == token.merchant_id)
                    .map(|m| m.name.clone())
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("token {} without merchant", token.id))
                    })?;
                Ok((credentials_from_row(token)?.record, name))
            })
            .collect()
    }

    /// Revokes a token; `NotFound` if no such token. Servers stop accepting it within
    /// their token cache's lifetime; on PostgreSQL every replica is told at once.
    pub async fn revoke_token(&self, id: &str) -> Result<(), StoreError> {
        let result = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(now_micros()))
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(self.connection())
            .await?;
        if result.rows_affected == 0 && self.token_credentials(id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let db = self.connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [TOKENS_CHANNEL.into(), id.into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Which of the tokens `ids` can no longer be used, and why (revoked or deleted, or
    /// expired): what ends the streams opened with them.
    pub async fn unusable_tokens(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, Unusable)>, StoreError> {
        let rows = api_token::Entity::find()
            .filter(api_token::Column::Id.is_in(ids.iter().cloned()))
            .all(self.connection())
            .await?;
        let now = now_micros();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let why = match rows.iter().find(|t| &t.id == id) {
                    None => Unusable::Revoked,
                    Some(t) if t.revoked_at.is_some() => Unusable::Revoked,
                    Some(t) if t.expires_at.is_some_and(|e| e <= now) => Unusable::Expired,
                    Some(_) => return None,
                };
                Some((id.clone(), why))
            })
            .collect())
    }

    /// How many tokens exist (revoked included).
    pub async fn token_count(&self) -> Result<u64, StoreError> {
        Ok(api_token::Entity::find().count(self.connection()).await?)
    }
}

fn credentials_from_row(token: api_token::Model) -> Result<TokenCredentials, StoreError> {
    let scopes = parse_scope_list(&token.scopes).map_err(StoreError::Corrupt)?;
    Ok(TokenCredentials {
        secret_digest: token.secret_digest,
        record: TokenRecord {
            id: token.id,
            merchant: MerchantId(token.merchant_id),
            scopes,
            application_id: token.application_id,
            application_name: token.application_name,
            created_at: token.created_at,
            revoked_at: token.revoked_at,
            expires_at: token.expires_at,
        },
    })
}
