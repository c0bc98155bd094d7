//! Square's Inventory JSON (Connect v2) ⇄ Stockledger's proto messages, and Square's error
//! envelope for a refused call. Pure conversions, no rules: every value is passed on to the
//! gRPC service implementation, which validates it (an unknown state name becomes an
//! enum number the service refuses with INVALID_ENUM_VALUE at the same field path). Only
//! what cannot be written in a proto message at all — a time that is not RFC 3339 — is
//! refused here (INVALID_TIME), and a state Square does not have (the ledger's own
//! DAMAGED, QUALITY_CONTROL, SAFETY_STOCK: INVALID_ENUM_VALUE naming it), which its
//! answers write as SUPPORTED_BY_NEWER_VERSION in a change and leave out as a count.
//!
//! Encodings (docs/square.md): snake_case names as Square spells them; states, types and
//! products without the proto's prefix (`"IN_STOCK"`, `"ADJUSTMENT"`, `"EXTERNAL_API"`);
//! quantities as decimal strings; times as RFC 3339 strings; `Money` as an integer amount
//! in the currency's minor units (ISO 4217 exponent) plus the currency code.
//!
//! One file per concern: Square's error envelope and the refusals written in it
//! (`refusal.rs`); the three kinds of change — adjustment, physical count, transfer — and
//! their source, both ways (`changes.rs`); a count (`counts.rs`); Square's 2026 adjustment
//! reasons and the bodies of their paths (`reasons.rs`); webhook subscriptions
//! (`webhooks.rs`); the bodies of the paths,
//! requests read and answers written (`bodies.rs`); and how single values are spelled —
//! enum names, times, money (`encoding.rs`).

mod bodies;
mod changes;
mod counts;
mod encoding;
#[cfg(test)]
mod fixtures;
mod reasons;
mod refusal;
mod webhooks;

pub use bodies::{
    AdjustmentResponse, BatchChangeInventoryRequest, BatchRetrieveInventoryChangesRequest,
    BatchRetrieveInventoryCountsRequest, ChangesResponse, ChangesSort, CountsResponse,
    PhysicalCountResponse, TransferResponse, batch_change_from_json, batch_change_to_json,
    changes_request_from_json, changes_to_json, check_not_in_future, counts_request_from_json,
    counts_to_json,
};
pub use changes::{
    InventoryAdjustment, InventoryChange, InventoryPhysicalCount, InventoryTransfer,
    SourceApplication, adjustment_to_json, change_from_json, change_to_json,
    physical_count_to_json, transfer_as_adjustment, transfer_to_json,
};
pub use counts::{InventoryCount, count_to_json};
pub use encoding::{Money, money_from_json, money_to_json};
pub use reasons::{
    AdjustmentReasonIdRequest, AdjustmentReasonResponse, AdjustmentReasonsResponse,
    CreateAdjustmentReasonRequest, InventoryAdjustmentReason, InventoryAdjustmentReasonId,
    UpdateAdjustmentReasonRequest, create_reason_from_json, reason_answer, reason_from_json,
    reason_id_from_json, reason_to_json, reasons_to_json, square_reason_id,
};
pub use refusal::{
    API_ERROR, AUTHENTICATION_ERROR, ErrorEnvelope, INVALID_REQUEST_ERROR, RATE_LIMIT_ERROR,
    Refusal, SquareError, refusal_as_sent, refusal_from_status, square_code,
};
pub use webhooks::{
    CreateWebhookSubscriptionRequest, DeleteWebhookSubscriptionResponse, WebhookSubscription,
    WebhookSubscriptionResponse, WebhookSubscriptionsResponse, subscription_from_json,
    subscription_to_json,
};

/// Whether a value is its type's default: such a field is left out of Square's JSON.
fn is_empty<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}
