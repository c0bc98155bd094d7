//! `webhook_subscriptions`: URLs subscribed to a merchant's events, each with its position
//! in the merchant's feed and the state of its deliveries (docs/webhooks.md).

use sea_orm::entity::prelude::*;

/// A subscription row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    /// Opaque id (UUID v7 text).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// For people; may be empty.
    pub name: String,
    /// Where notifications are POSTed.
    pub notification_url: String,
    /// `SQUARE` or `SHOPIFY`.
    pub format: String,
    /// Comma-separated event types (`COUNT_UPDATED,CHANGE_RECORDED`).
    pub event_types: String,
    /// Shopify's form: the shop domain its notifications name; empty for the merchant's id.
    pub shopify_shop_domain: String,
    /// The HMAC key of every notification's signature.
    pub signature_key: String,
    /// `ACTIVE`, `RETRYING` or `DEAD_LETTERED`.
    pub state: String,
    /// Every event of the changes up to this feed sequence was delivered.
    pub delivered_seq: i64,
    /// Events of change `delivered_seq + 1` already delivered.
    pub delivered_events: i32,
    /// Failures in a row of the notification being delivered.
    pub failed_attempts: i32,
    /// Why the last attempt failed; empty after a success.
    pub last_error: String,
    /// When the next attempt is due, µs since the Unix epoch.
    pub next_attempt_at: i64,
    /// The replica delivering it now (empty: none).
    pub lease_owner: String,
    /// Until when that replica holds it, µs.
    pub lease_until: i64,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    /// When its delivery state last changed, µs.
    pub updated_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
