//! The API layer's one error type and its single mapping to `tonic::Status` with rich
//! details (ErrorInfo, BadRequest) that every client language can decode.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::domain::error::{Violation, Violations, reasons};
use crate::store::StoreError;

/// The `domain` of every ErrorInfo this service sends.
pub const ERROR_DOMAIN: &str = "stockledger";

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
    /// The server cannot take the call now; trying again later may succeed (UNAVAILABLE).
    #[error("{message}")]
    Unavailable {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What is unavailable.
        message: String,
    },
    /// The call met concurrent calls and was given up; trying again may succeed (ABORTED).
    #[error("{message}")]
    Aborted {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What happened.
        message: String,
    },
    /// The call is not implemented yet (UNIMPLEMENTED).
    #[error("{0} is not implemented yet")]
    Unimplemented(&'static str),
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

    /// Maps a store error, naming `what`/`field`/`id` if the row is missing, and
    /// prefixing duplicate/rejected field paths with `prefix`.
    pub fn from_store(
        err: StoreError,
        what: &'static str,
        field: &str,
        id: &str,
        prefix: &str,
    ) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found(what, field, id),
            StoreError::Duplicate { field, value } => ApiError::AlreadyExists {
                reason: "ALREADY_EXISTS",
                field: format!("{prefix}.{field}"),
                message: format!("{field} {value:?} is already used by another {what}"),
            },
            StoreError::Rejected(violations) => ApiError::Invalid(violations.within(prefix)),
            other => ApiError::Internal(Box::new(other)),
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

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::Internal(Box::new(err))
    }
}

fn error_info(reason: &str, metadata: Vec<(&str, String)>) -> ErrorDetails {
    let metadata: std::collections::HashMap<String, String> = metadata
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata)
}

/// A status about one field: ErrorInfo with the reason and the field, and a BadRequest
/// violation naming it.
fn field_status(code: Code, reason: &str, field: String, message: String) -> Status {
    let mut details = error_info(reason, vec![("field", field.clone())]);
    details.add_bad_request_violation(field, message.clone());
    Status::with_error_details(code, message, details)
}

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Invalid(violations) => {
                let reason = violations
                    .0
                    .first()
                    .map_or(reasons::INVALID_VALUE, |v| v.reason);
                let mut details = error_info(reason, vec![]);
                details.set_bad_request(
                    violations
                        .0
                        .iter()
                        .map(|v| FieldViolation {
                            field: v.field.clone(),
                            description: v.description.clone(),
                            reason: v.reason.to_owned(),
                            localized_message: None,
                        })
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::InvalidArgument, violations.to_string(), details)
            }
            ApiError::NotFound { what, field, id } => {
                let message = format!("{what} {id:?} not found");
                let mut details = error_info("NOT_FOUND", vec![("field", field.clone())]);
                details.set_resource_info(what, id, "", "");
                Status::with_error_details(Code::NotFound, message, details)
            }
            ApiError::AlreadyExists {
                reason,
                field,
                message,
            } => field_status(Code::AlreadyExists, reason, field, message),
            ApiError::OutOfRange {
                reason,
                field,
                message,
            } => field_status(Code::OutOfRange, reason, field, message),
            ApiError::Unavailable { reason, message } => {
                Status::with_error_details(Code::Unavailable, message, error_info(reason, vec![]))
            }
            ApiError::Aborted { reason, message } => {
                Status::with_error_details(Code::Aborted, message, error_info(reason, vec![]))
            }
            ApiError::Unimplemented(what) => Status::with_error_details(
                Code::Unimplemented,
                format!("{what} is not implemented yet"),
                error_info("NOT_IMPLEMENTED", vec![]),
            ),
            ApiError::Internal(source) => {
                let correlation_id = uuid::Uuid::new_v4().to_string();
                tracing::error!(%correlation_id, error = %source, "internal error");
                Status::with_error_details(
                    Code::Internal,
                    format!("internal error (correlation id {correlation_id})"),
                    error_info("INTERNAL", vec![("correlation_id", correlation_id.clone())]),
                )
            }
        }
    }
}
