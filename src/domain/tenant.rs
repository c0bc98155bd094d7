//! Who a call acts for: the merchant (tenant) every query is scoped to, and the caller the
//! authentication layer attaches to each request.

use super::ledger::ChangeSource;

/// Identifies the merchant (tenant) a query is scoped to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MerchantId(pub String);

/// Who is calling: attached to every authenticated request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The merchant every query of the call is scoped to.
    pub merchant: MerchantId,
    /// The application recorded as the source of the changes the call makes.
    pub source: ChangeSource,
    /// The id of the token the call came with (limits and revocation are per token).
    pub token_id: String,
}
