//! The API layer's one error type and its single mapping to `tonic::Status` with rich
//! details (ErrorInfo, BadRequest) that every client language can decode.
//!
//! Every error about a field names it twice, with its reason: in the ErrorInfo (reason,
//! metadata `field`) and as a BadRequest field violation (field, description, reason).
//! Whatever a request holds, an error stays small: values are quoted briefly where a
//! message is written (`domain::text::quote`), and the mapping below bounds each field path,
//! description and message and lists at most [`MAX_LISTED_VIOLATIONS`] violations, so that
//! no status exceeds [`MAX_STATUS_BYTES`].

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::auth::AuthError;
use crate::domain::error::{ERROR_DOMAIN, Violation, Violations, reasons};
use crate::domain::guard::GuardKind;
use crate::domain::ledger::MAX_COUNT_MAGNITUDE;
use crate::domain::refusal::Refusal;
use crate::domain::scope::Scope;
use crate::domain::text::{quote, truncate_bytes};
use crate::store::{Outage, StoreError};

/// Most violations a BadRequest lists; the ErrorInfo metadata `violations` then counts all.
pub const MAX_LISTED_VIOLATIONS: usize = 8;
/// Most bytes of a status message (sent twice: as `grpc-message` and inside the details).
pub const MAX_MESSAGE_BYTES: usize = 512;
/// What no status exceeds, message and details together, whatever the request held.
pub const MAX_STATUS_BYTES: usize = 5 * 1024;
/// Most bytes of a field path in the details.
const MAX_FIELD_BYTES: usize = 128;
/// Most bytes of a violation's description, and of any other echoed value in the details.
const MAX_DESCRIPTION_BYTES: usize = 256;

/// Why a call failed, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is wrong (INVALID_ARGUMENT, with field violations).
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// The named resource does not exist for the caller (NOT_FOUND).
    #[error("{what} {id:?} not found")]
    NotFound {
        /// Kind of resource, e.g. "inventory item".
        what: &'static str,
        /// Request path of the id, e.g. `id`.
        field: String,
        /// The id asked for.
        id: String,
    },
    /// A unique value is taken (ALREADY_EXISTS).
    #[error("{message}")]
    AlreadyExists {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// Request path of the clashing field.
        field: String,
        /// What clashed.
        message: String,
    },
    /// A value would leave its bounds given the current state (OUT_OF_RANGE).
    #[error("{message}")]
    OutOfRange {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// Request path of the offending field.
        field: String,
        /// What is out of range.
        message: String,
    },
    /// The state of the data does not allow the call (FAILED_PRECONDITION): a guard of a
    /// batch failed. Retrying the same call will not help until the state changes.
    #[error("{message}")]
    FailedPrecondition {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// Request path of the field whose condition failed.
        field: String,
        /// What failed.
        message: String,
        /// More ErrorInfo metadata (e.g. `actual_quantity`).
        metadata: Vec<(&'static str, String)>,
    },
    /// The server cannot take the call now; trying again later may succeed (UNAVAILABLE).
    #[error("{message}")]
    Unavailable {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What is unavailable.
        message: String,
        /// When a retry may succeed, if known (sent as `google.rpc.RetryInfo`).
        retry_after: Option<std::time::Duration>,
    },
    /// A limit of the server or of the caller was reached (RESOURCE_EXHAUSTED); trying
    /// again later, or with less, may succeed.
    #[error("{message}")]
    ResourceExhausted {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// Which limit, and what to do.
        message: String,
        /// When a retry may succeed, if known (sent as `google.rpc.RetryInfo`).
        retry_after: Option<std::time::Duration>,
    },
    /// The call met concurrent calls and was given up; trying again may succeed (ABORTED).
    #[error("{message}")]
    Aborted {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What happened.
        message: String,
    },
    /// No valid token came with the call (UNAUTHENTICATED).
    #[error("{message}")]
    Unauthenticated {
        /// Why: `UNAUTHORIZED`, `ACCESS_TOKEN_REVOKED` or `ACCESS_TOKEN_EXPIRED`.
        reason: &'static str,
        /// What is wrong with the credentials (never the token itself).
        message: &'static str,
    },
    /// The token lacks the scope the call needs (PERMISSION_DENIED, INSUFFICIENT_SCOPES).
    #[error("the token lacks the {scope} scope")]
    PermissionDenied {
        /// The scope the call needs.
        scope: Scope,
    },
    /// Something failed inside the server (INTERNAL); the details stay in the log.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A resource that does not exist; `field` is the request path of its id.
    pub fn not_found(what: &'static str, field: impl Into<String>, id: impl Into<String>) -> Self {
        ApiError::NotFound {
            what,
            field: field.into(),
            id: id.into(),
        }
    }
}

impl From<Violations> for ApiError {
    fn from(violations: Violations) -> Self {
        ApiError::Invalid(violations)
    }
}

impl From<Violation> for ApiError {
    fn from(violation: Violation) -> Self {
        ApiError::Invalid(violation.into())
    }
}

/// The one mapping of every store error; request context (which resource, which request
/// message) is attached afterwards with [`StoreContext`].
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound {
                what: "resource",
                field: String::new(),
                id: String::new(),
            },
            StoreError::Duplicate { field, value } => ApiError::AlreadyExists {
                reason: reasons::ALREADY_EXISTS,
                message: format!("{field} {} is already taken", quote(&value)),
                field: field.to_owned(),
            },
            StoreError::Contention => ApiError::Aborted {
                reason: reasons::CONCURRENT_WRITES,
                message: "the call met concurrent writes too often; retry it (with the same \
                          idempotency key for a batch)"
                    .into(),
            },
            StoreError::WriterStopped => ApiError::Unavailable {
                reason: reasons::SHUTTING_DOWN,
                message: "the server is shutting down; retry (with the same idempotency key \
                          for a batch)"
                    .into(),
                retry_after: None,
            },
            err => match err.outage() {
                Some(outage) => outage_error(outage, &err),
                None => ApiError::Internal(Box::new(err)),
            },
        }
    }
}

/// The one mapping of the ledger's refusals, for callers that answer in the gRPC API's
/// terms (field paths `changes[i].<member>.<field>`).
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(violations) => ApiError::Invalid(violations.into_violations()),
            Refusal::IdempotencyKeyReused => ApiError::AlreadyExists {
                reason: reasons::IDEMPOTENCY_KEY_REUSED,
                field: "idempotency_key".into(),
                message: "the idempotency key was already used for a different request".into(),
            },
            Refusal::ReservationChanged => ApiError::Aborted {
                reason: reasons::CONCURRENT_WRITES,
                message: "the reservation changed meanwhile; retry".into(),
            },
            Refusal::Guard(guard) => {
                let violation = guard.violation();
                let field = violation.path();
                let quantity_key = match guard.kind {
                    GuardKind::QuantityMismatch => "actual_quantity",
                    GuardKind::InsufficientQuantity => "available_quantity",
                };
                let count = &guard.count;
                ApiError::FailedPrecondition {
                    reason: guard.reason(),
                    message: format!("{field}: {}", violation.violation.description),
                    field,
                    metadata: vec![
                        (quantity_key, guard.reported_quantity()),
                        ("catalog_object_id", count.catalog_object_id.clone()),
                        ("location_id", count.location_id.clone()),
                        ("state", count.state.as_str().to_owned()),
                    ],
                }
            }
            Refusal::CountOutOfRange(change) => {
                let field = change.path();
                ApiError::OutOfRange {
                    reason: reasons::COUNT_OUT_OF_RANGE,
                    message: format!(
                        "{field}: the change would take a count beyond ±{MAX_COUNT_MAGNITUDE}"
                    ),
                    field,
                }
            }
        }
    }
}

/// A refusal of the authentication check, answered like every other error.
impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated { reason, message } => {
                ApiError::Unauthenticated { reason, message }
            }
            AuthError::PermissionDenied { scope } => ApiError::PermissionDenied { scope },
            AuthError::Store(err) => ApiError::from(err),
        }
    }
}

/// How long a client should wait before retrying a call the database could not take.
const OUTAGE_RETRY_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// The answer to a call the database could not take (UNAVAILABLE with a retry delay): a
/// condition to wait out, not a bug, so nothing is logged as an internal error.
fn outage_error(outage: Outage, err: &StoreError) -> ApiError {
    tracing::warn!(error = %err, ?outage, "the database could not take a call");
    let (reason, message) = match outage {
        Outage::StorageFull => (
            reasons::STORAGE_FULL,
            "the disk holding the database is full: nothing of this call was written; \
             retry once space is freed (with the same idempotency key for a batch)",
        ),
        Outage::Unreachable => (
            reasons::DATABASE_UNAVAILABLE,
            "the database cannot take the call now; retry (with the same idempotency key \
             for a batch)",
        ),
    };
    ApiError::Unavailable {
        reason,
        message: message.into(),
        retry_after: Some(OUTAGE_RETRY_DELAY),
    }
}

/// Attaches request context to a store result, in the style of `on_constraint`.
pub trait StoreContext<T> {
    /// A missing row is `what` `id`, asked for at request path `field`.
    fn or_not_found(self, what: &'static str, field: &str, id: &str) -> Result<T, ApiError>;
    /// Field paths of the store's refusals are relative to request message `prefix`.
    fn within(self, prefix: &str) -> Result<T, ApiError>;
}

impl<T, E: Into<ApiError>> StoreContext<T> for Result<T, E> {
    fn or_not_found(self, what: &'static str, field: &str, id: &str) -> Result<T, ApiError> {
        self.map_err(|err| match err.into() {
            ApiError::NotFound { .. } => ApiError::not_found(what, field, id),
            other => other,
        })
    }

    fn within(self, prefix: &str) -> Result<T, ApiError> {
        self.map_err(|err| match err.into() {
            ApiError::Invalid(violations) => ApiError::Invalid(violations.within(prefix)),
            ApiError::AlreadyExists {
                reason,
                field,
                message,
            } => ApiError::AlreadyExists {
                reason,
                field: format!("{prefix}.{field}"),
                message,
            },
            other => other,
        })
    }
}

/// An ErrorInfo of this service; metadata entries with empty values are left out.
fn error_info(reason: &str, metadata: Vec<(&str, String)>) -> ErrorDetails {
    let metadata: std::collections::HashMap<String, String> = metadata
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            (
                k.to_owned(),
                truncate_bytes(&v, MAX_DESCRIPTION_BYTES).into_owned(),
            )
        })
        .collect();
    ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata)
}

/// A BadRequest field violation carrying its reason, bounded in size.
fn field_violation(field: &str, reason: &str, description: &str) -> FieldViolation {
    FieldViolation {
        field: truncate_bytes(field, MAX_FIELD_BYTES).into_owned(),
        description: truncate_bytes(description, MAX_DESCRIPTION_BYTES).into_owned(),
        reason: reason.to_owned(),
        localized_message: None,
    }
}

/// A status whose message is bounded: the only constructor of a status in this module.
fn status(code: Code, message: &str, details: ErrorDetails) -> Status {
    let message = truncate_bytes(message, MAX_MESSAGE_BYTES);
    Status::with_error_details(code, message.into_owned(), details)
}

/// A status about one field: ErrorInfo with the reason and the field, and a BadRequest
/// violation naming it with the same reason (no violation when `field` is empty).
/// A refusal that a later retry may get past, with the delay to wait if known
/// (`google.rpc.RetryInfo`).
fn retryable_status(
    code: Code,
    reason: &str,
    message: &str,
    retry_after: Option<std::time::Duration>,
) -> Status {
    let mut details = error_info(reason, vec![]);
    if let Some(delay) = retry_after {
        details.set_retry_info(Some(delay));
    }
    status(code, message, details)
}

fn field_status(
    code: Code,
    reason: &str,
    field: &str,
    message: &str,
    mut details: ErrorDetails,
) -> Status {
    if !field.is_empty() {
        details.set_bad_request(vec![field_violation(field, reason, message)]);
    }
    status(code, message, details)
}

/// INVALID_ARGUMENT with every violation (at most [`MAX_LISTED_VIOLATIONS`] listed) in the
/// BadRequest; the ErrorInfo carries the first one's reason and field.
fn invalid_status(violations: &Violations) -> Status {
    let all = &violations.0;
    let listed = &all[..all.len().min(MAX_LISTED_VIOLATIONS)];
    let first = listed.first();
    let reason = first.map_or(reasons::INVALID_VALUE, |v| v.reason);
    let mut metadata = vec![];
    if let Some(first) = first {
        metadata.push(("field", first.field.clone()));
    }
    let mut message = Violations(listed.to_vec()).to_string();
    if all.len() > listed.len() {
        metadata.push(("violations", all.len().to_string()));
        message = format!(
            "{} violations, the first {}: {message}",
            all.len(),
            listed.len()
        );
    }
    let mut details = error_info(reason, metadata);
    details.set_bad_request(
        listed
            .iter()
            .map(|v| field_violation(&v.field, v.reason, &v.description))
            .collect::<Vec<_>>(),
    );
    status(Code::InvalidArgument, &message, details)
}

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Invalid(violations) => invalid_status(&violations),
            ApiError::NotFound { what, field, id } => {
                let message = format!("{what} {} not found", quote(&id));
                let mut details = error_info(reasons::NOT_FOUND, vec![("field", field.clone())]);
                let id = truncate_bytes(&id, MAX_DESCRIPTION_BYTES);
                details.set_resource_info(what, id, "", "");
                field_status(
                    Code::NotFound,
                    reasons::NOT_FOUND,
                    &field,
                    &message,
                    details,
                )
            }
            ApiError::AlreadyExists {
                reason,
                field,
                message,
            } => {
                let details = error_info(reason, vec![("field", field.clone())]);
                field_status(Code::AlreadyExists, reason, &field, &message, details)
            }
            ApiError::OutOfRange {
                reason,
                field,
                message,
            } => {
                let details = error_info(reason, vec![("field", field.clone())]);
                field_status(Code::OutOfRange, reason, &field, &message, details)
            }
            ApiError::FailedPrecondition {
                reason,
                field,
                message,
                mut metadata,
            } => {
                metadata.insert(0, ("field", field.clone()));
                let details = error_info(reason, metadata);
                field_status(Code::FailedPrecondition, reason, &field, &message, details)
            }
            ApiError::Unavailable {
                reason,
                message,
                retry_after,
            } => retryable_status(Code::Unavailable, reason, &message, retry_after),
            ApiError::ResourceExhausted {
                reason,
                message,
                retry_after,
            } => retryable_status(Code::ResourceExhausted, reason, &message, retry_after),
            ApiError::Aborted { reason, message } => {
                status(Code::Aborted, &message, error_info(reason, vec![]))
            }
            ApiError::Unauthenticated { reason, message } => {
                status(Code::Unauthenticated, message, error_info(reason, vec![]))
            }
            ApiError::PermissionDenied { scope } => status(
                Code::PermissionDenied,
                &format!("the token lacks the {scope} scope"),
                error_info(
                    reasons::INSUFFICIENT_SCOPES,
                    vec![("required_scope", scope.as_str().to_owned())],
                ),
            ),
            ApiError::Internal(source) => {
                let correlation_id = uuid::Uuid::new_v4().to_string();
                let error = cause_chain(source.as_ref());
                tracing::error!(%correlation_id, %error, "internal error");
                status(
                    Code::Internal,
                    &format!("internal error (correlation id {correlation_id})"),
                    error_info(
                        reasons::INTERNAL,
                        vec![("correlation_id", correlation_id.clone())],
                    ),
                )
            }
        }
    }
}

/// An error and every error that caused it, outermost first: what an internal error logs.
fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        chain.push_str(": ");
        chain.push_str(&inner.to_string());
        cause = inner.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::ChangeType;
    use crate::domain::refusal::ChangeViolation;

    /// Bytes a status puts on the wire besides its code: the message and the details.
    fn size(status: &Status) -> usize {
        status.message().len() + status.details().len()
    }

    /// (field, reason) of every BadRequest violation, and the ErrorInfo's reason and field.
    fn named(status: &Status) -> (Vec<(String, String)>, String, Option<String>) {
        let details = status.get_error_details();
        let violations = details
            .bad_request()
            .map(|b| {
                b.field_violations
                    .iter()
                    .map(|v| (v.field.clone(), v.reason.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let info = details.error_info().expect("every status has an ErrorInfo");
        (
            violations,
            info.reason.clone(),
            info.metadata.get("field").cloned(),
        )
    }

    /// Every kind of error about a field, the field named with its reason in both places.
    #[test]
    fn every_field_error_names_its_field_with_its_reason() {
        let pair = |field: &str, reason: &str| vec![(field.to_owned(), reason.to_owned())];
        let table: Vec<(ApiError, Code, &str, &str)> = vec![
            (
                Violation::invalid("changes[0].adjustment.quantity", "bad").into(),
                Code::InvalidArgument,
                reasons::INVALID_VALUE,
                "changes[0].adjustment.quantity",
            ),
            (
                ApiError::not_found("location", "id", "01a20c5a-8f67-7031-9d39-e3d5cae5d630"),
                Code::NotFound,
                reasons::NOT_FOUND,
                "id",
            ),
            (
                StoreError::Duplicate {
                    field: "name",
                    value: "A".into(),
                }
                .into(),
                Code::AlreadyExists,
                reasons::ALREADY_EXISTS,
                "name",
            ),
            (
                Refusal::IdempotencyKeyReused.into(),
                Code::AlreadyExists,
                reasons::IDEMPOTENCY_KEY_REUSED,
                "idempotency_key",
            ),
            (
                Refusal::CountOutOfRange(ChangeViolation {
                    index: 2,
                    member: Some(ChangeType::Transfer),
                    violation: Violation::new("quantity", reasons::COUNT_OUT_OF_RANGE, "beyond"),
                })
                .into(),
                Code::OutOfRange,
                reasons::COUNT_OUT_OF_RANGE,
                "changes[2].transfer.quantity",
            ),
        ];
        for (error, code, reason, field) in table {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{field}");
            assert_eq!(
                named(&status),
                (
                    pair(field, reason),
                    reason.to_owned(),
                    Some(field.to_owned())
                ),
                "{code:?}"
            );
        }
    }

    #[test]
    fn errors_stay_small_whatever_the_input() {
        let huge = "x".repeat(3 << 20);
        let many: Violations = Violations(
            (0..1000)
                .map(|i| Violation::invalid(format!("ids[{i}].{huge}"), huge.clone()))
                .collect(),
        );
        let table: Vec<ApiError> = vec![
            ApiError::not_found("inventory item", "id", huge.clone()),
            ApiError::not_found("inventory item", huge.clone(), "id"),
            many.into(),
            ApiError::AlreadyExists {
                reason: reasons::ALREADY_EXISTS,
                field: huge.clone(),
                message: huge.clone(),
            },
            ApiError::OutOfRange {
                reason: reasons::COUNT_OUT_OF_RANGE,
                field: huge.clone(),
                message: huge.clone(),
            },
            ApiError::Unavailable {
                reason: reasons::SHUTTING_DOWN,
                message: huge.clone(),
                retry_after: Some(std::time::Duration::from_secs(1)),
            },
            StoreError::Duplicate {
                field: "name",
                value: huge.clone(),
            }
            .into(),
        ];
        for error in table {
            let status = Status::from(error);
            assert!(size(&status) <= MAX_STATUS_BYTES, "{} bytes", size(&status));
        }
    }

    #[test]
    fn a_long_list_of_violations_says_how_many_there_were() {
        let many = Violations(
            (0..150)
                .map(|i| Violation::new(format!("ids[{i}]"), reasons::INVALID_ID, "not an id"))
                .collect(),
        );
        let status = Status::from(ApiError::from(many));
        let details = status.get_error_details();
        let listed = &details.bad_request().unwrap().field_violations;
        assert_eq!(listed.len(), MAX_LISTED_VIOLATIONS);
        assert_eq!(listed[7].field, "ids[7]");
        let info = details.error_info().unwrap();
        assert_eq!(
            info.metadata.get("violations").map(String::as_str),
            Some("150")
        );
        assert!(
            status
                .message()
                .starts_with("150 violations, the first 8: ids[0]: ")
        );
    }
}
