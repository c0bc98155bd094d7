//! One error type for every call: the gRPC status plus the rich details Stockledger sends
//! (`google.rpc.ErrorInfo`, `google.rpc.BadRequest`) in `grpc-status-details-bin`.

use std::collections::HashMap;
use std::fmt;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

/// One request field the server refused, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, e.g. `changes[0].adjustment.quantity`.
    pub field: String,
    /// What is wrong with it, in words.
    pub description: String,
    /// UPPER_SNAKE_CASE reason, e.g. `INVALID_VALUE` (empty if the server gave none).
    pub reason: String,
}

/// Why a call failed (or, for [`Error::local`] ones, why it was not made).
///
/// Boxed inside so that `Result<T, Error>` stays one pointer wide on the error side.
#[derive(Clone, Debug)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    code: Code,
    message: String,
    details: ErrorDetails,
    field_violations: Vec<FieldViolation>,
}

impl Error {
    /// An error found on this side before anything was sent (no details).
    pub fn local(code: Code, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            details: ErrorDetails::new(),
            field_violations: Vec::new(),
        }))
    }

    /// The gRPC status code.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// The status message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// `ErrorInfo.reason`: UPPER_SNAKE_CASE, stable, for programs to match on
    /// (e.g. `INVALID_VALUE`, `INSUFFICIENT_SCOPES`, `IDEMPOTENCY_KEY_REUSED`).
    pub fn reason(&self) -> Option<&str> {
        self.0.details.error_info().map(|info| info.reason.as_str())
    }

    /// `ErrorInfo.domain`: `stockledger` for errors the service itself decided.
    pub fn domain(&self) -> Option<&str> {
        self.0.details.error_info().map(|info| info.domain.as_str())
    }

    /// `ErrorInfo.metadata` (e.g. `field`, `scope`); empty when there is none.
    pub fn metadata(&self) -> HashMap<String, String> {
        self.0
            .details
            .error_info()
            .map(|info| info.metadata.clone())
            .unwrap_or_default()
    }

    /// The refused request fields (`BadRequest.field_violations`), in the server's order.
    pub fn field_violations(&self) -> &[FieldViolation] {
        &self.0.field_violations
    }

    /// Whether some field violation names exactly `field`.
    pub fn names_field(&self, field: &str) -> bool {
        self.0.field_violations.iter().any(|v| v.field == field)
    }

    /// Every detail the status carried (also `ResourceInfo`, `RetryInfo`, …).
    pub fn details(&self) -> &ErrorDetails {
        &self.0.details
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.code)?;
        if let Some(reason) = self.reason() {
            write!(f, " ({reason})")?;
        }
        write!(f, ": {}", self.0.message)
    }
}

impl std::error::Error for Error {}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        // Details that do not decode are left out; the code and message still stand.
        let details = status.get_error_details();
        let field_violations = details
            .bad_request()
            .map(|bad| {
                bad.field_violations
                    .iter()
                    .map(|v| FieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                        reason: v.reason.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Error(Box::new(Inner {
            code: status.code(),
            message: status.message().to_owned(),
            details,
            field_violations,
        }))
    }
}

impl From<tonic::transport::Error> for Error {
    fn from(err: tonic::transport::Error) -> Self {
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        Error::local(Code::Unavailable, message)
    }
}

impl From<crate::decimal::DecimalError> for Error {
    fn from(err: crate::decimal::DecimalError) -> Self {
        Error::local(Code::InvalidArgument, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_error_info_and_field_violations() {
        let mut details = ErrorDetails::with_error_info(
            "INVALID_VALUE",
            "stockledger",
            HashMap::from([(
                "field".to_owned(),
                "changes[0].adjustment.quantity".to_owned(),
            )]),
        );
        details.set_bad_request(vec![tonic_types::FieldViolation {
            field: "changes[0].adjustment.quantity".into(),
            description: "must have at most 5 digits after the decimal point".into(),
            reason: "INVALID_VALUE".into(),
            localized_message: None,
        }]);
        let status =
            tonic::Status::with_error_details(Code::InvalidArgument, "invalid request", details);
        let err = Error::from(status);
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(err.message(), "invalid request");
        assert_eq!(err.reason(), Some("INVALID_VALUE"));
        assert_eq!(err.domain(), Some("stockledger"));
        assert_eq!(err.metadata()["field"], "changes[0].adjustment.quantity");
        assert!(err.names_field("changes[0].adjustment.quantity"));
        assert_eq!(
            err.field_violations()[0].description,
            "must have at most 5 digits after the decimal point"
        );
        assert_eq!(
            err.to_string(),
            "InvalidArgument (INVALID_VALUE): invalid request"
        );
    }

    #[test]
    fn a_status_without_details_keeps_code_and_message() {
        let err = Error::from(tonic::Status::unauthenticated("missing token"));
        assert_eq!(err.code(), Code::Unauthenticated);
        assert_eq!((err.reason(), err.domain()), (None, None));
        assert!(err.field_violations().is_empty());
        assert_eq!(err.to_string(), "Unauthenticated: missing token");
    }
}
