//! The API layer's one error type and its single mapping to `tonic::Status` with rich
//! details (ErrorInfo, BadRequest) that every client language can decode.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::auth::AuthError;
use crate::domain::error::{ERROR_DOMAIN, Violation, Violations, reasons};
use crate::domain::ledger::MAX_COUNT_MAGNITUDE;
use crate::domain::scope::Scope;
use crate::store::StoreError;

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
    /// No valid token came with the call (UNAUTHENTICATED).
    #[error("{message}")]
    Unauthenticated {
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
                message: format!("{field} {value:?} is already taken"),
                field: field.to_owned(),
            },
            StoreError::Rejected(violations) => ApiError::Invalid(violations),
            StoreError::IdempotencyKeyReused => ApiError::AlreadyExists {
                reason: reasons::IDEMPOTENCY_KEY_REUSED,
                field: "idempotency_key".into(),
                message: "the idempotency key was already used for a different request".into(),
            },
            StoreError::CountOutOfRange { field } => ApiError::OutOfRange {
                reason: reasons::COUNT_OUT_OF_RANGE,
                message: format!(
                    "{field}: the change would take a count beyond ±{MAX_COUNT_MAGNITUDE}"
                ),
                field,
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
            },
            err @ (StoreError::Corrupt(_) | StoreError::Db(_)) => ApiError::Internal(Box::new(err)),
        }
    }
}

/// A refusal of the authentication check, answered like every other error.
impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated { message } => ApiError::Unauthenticated { message },
            AuthError::PermissionDenied { scope } => ApiError::PermissionDenied { scope },
            err @ AuthError::Store(_) => ApiError::Internal(Box::new(err)),
        }
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
                let mut details = error_info(reasons::NOT_FOUND, vec![("field", field.clone())]);
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
            ApiError::Unauthenticated { message } => Status::with_error_details(
                Code::Unauthenticated,
                message,
                error_info(reasons::UNAUTHENTICATED, vec![]),
            ),
            ApiError::PermissionDenied { scope } => Status::with_error_details(
                Code::PermissionDenied,
                format!("the token lacks the {scope} scope"),
                error_info(
                    reasons::INSUFFICIENT_SCOPES,
                    vec![("required_scope", scope.as_str().to_owned())],
                ),
            ),
            ApiError::Internal(source) => {
                let correlation_id = uuid::Uuid::new_v4().to_string();
                let error = cause_chain(source.as_ref());
                tracing::error!(%correlation_id, %error, "internal error");
                Status::with_error_details(
                    Code::Internal,
                    format!("internal error (correlation id {correlation_id})"),
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
