//! The gRPC surface: tonic service implementations that decode a request, call the
//! domain and the store, and encode the response. Errors map to `tonic::Status` once,
//! in [`error`].

pub mod adjustment_reasons;
pub mod admission;
pub mod alert_wire;
pub mod authentication;
pub mod convert;
pub mod cursor;
pub mod error;
pub mod import;
pub mod inventory;
pub mod item_wire;
pub mod items;
pub mod ledger;
pub mod ledger_wire;
pub mod location_wire;
pub mod locations;
pub mod paging;
pub mod rate_limit;
pub mod reorder_points;
pub mod reservation_wire;
pub mod reservations;
pub mod streams;
pub mod watch;
pub mod webhooks;

use tonic::{Request, Status};

pub use error::ApiError;

use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::tenant::Caller;

/// The caller attached to `request`.
pub(crate) fn caller<T>(request: &Request<T>) -> Result<Caller, ApiError> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("request reached a service without a caller".into()))
}

/// Refuses server-assigned fields that a create request set: each pair is a field name
/// and whether it was left empty.
pub(crate) fn reject_read_only(prefix: &str, fields: &[(&str, bool)]) -> Result<(), Violations> {
    let violations = fields
        .iter()
        .filter(|(_, empty)| !empty)
        .map(|(name, _)| {
            Violation::new(
                format!("{prefix}.{name}"),
                reasons::READ_ONLY_FIELD,
                "is set by the server; leave it empty",
            )
        })
        .collect();
    Violations(violations).into_result(())
}

impl From<Violation> for Status {
    fn from(violation: Violation) -> Self {
        ApiError::from(violation).into()
    }
}

impl From<Violations> for Status {
    fn from(violations: Violations) -> Self {
        ApiError::from(violations).into()
    }
}
