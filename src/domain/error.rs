//! Validation failures of the domain rules: which field, why, and a machine-readable reason.
//!
//! Field paths are relative to the value being validated (`sku`, `changes[3].adjustment.quantity`);
//! the API layer prefixes them with the request path where needed.

use std::fmt;

/// One rule a field broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Dot-separated path of the offending field, e.g. `country_harmonized_system_codes[1].country_code`.
    pub field: String,
    /// UPPER_SNAKE_CASE reason, e.g. `INVALID_VALUE` or `MISSING_REQUIRED_PARAMETER`.
    pub reason: &'static str,
    /// What is wrong, in words a caller can act on.
    pub description: String,
}

impl Violation {
    /// Builds a violation.
    pub fn new(
        field: impl Into<String>,
        reason: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Violation {
            field: field.into(),
            reason,
            description: description.into(),
        }
    }

    /// A required field that was left empty.
    pub fn missing(field: impl Into<String>) -> Self {
        Violation::new(field, reasons::MISSING_REQUIRED_PARAMETER, "is required")
    }

    /// A field whose value is not acceptable.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Violation::new(field, reasons::INVALID_VALUE, description)
    }

    /// The same violation with `prefix.` put in front of its field path.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Every rule a value broke; never empty when returned as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// Records one more violation.
    pub fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    /// `Ok(value)` when nothing was recorded, the violations otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Runs `parse`; on failure records its violation and yields `None`.
    pub fn check<T>(&mut self, parsed: Result<T, Violation>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(violation) => {
                self.push(violation);
                None
            }
        }
    }

    /// Prefixes every field path with `prefix.`.
    pub fn within(self, prefix: &str) -> Self {
        Violations(self.0.into_iter().map(|v| v.within(prefix)).collect())
    }
}

impl From<Violation> for Violations {
    fn from(violation: Violation) -> Self {
        Violations(vec![violation])
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// The machine-readable reasons used in violations and error details.
/// The `domain` of every ErrorInfo this service sends.
pub const ERROR_DOMAIN: &str = "stockledger";

pub mod reasons {
    /// A required field is empty.
    pub const MISSING_REQUIRED_PARAMETER: &str = "MISSING_REQUIRED_PARAMETER";
    /// A field's value breaks a rule.
    pub const INVALID_VALUE: &str = "INVALID_VALUE";
    /// A text is too long.
    pub const VALUE_TOO_LONG: &str = "VALUE_TOO_LONG";
    /// A number is below its bound.
    pub const VALUE_TOO_LOW: &str = "VALUE_TOO_LOW";
    /// A number is above its bound.
    pub const VALUE_TOO_HIGH: &str = "VALUE_TOO_HIGH";
    /// A list holds too many entries.
    pub const ARRAY_LENGTH_TOO_LONG: &str = "ARRAY_LENGTH_TOO_LONG";
    /// A list holds too few entries.
    pub const ARRAY_LENGTH_TOO_SHORT: &str = "ARRAY_LENGTH_TOO_SHORT";
    /// An enum field holds an unknown or unspecified value.
    pub const INVALID_ENUM_VALUE: &str = "INVALID_ENUM_VALUE";
    /// A cursor is malformed or belongs to another query.
    pub const INVALID_CURSOR: &str = "INVALID_CURSOR";
    /// A country or subdivision code is not in ISO 3166.
    pub const INVALID_COUNTRY: &str = "INVALID_COUNTRY";
    /// An id is not of the server's id format.
    pub const INVALID_ID: &str = "INVALID_ID";
    /// A field mask names a field that cannot be updated.
    pub const INVALID_FIELD_MASK: &str = "INVALID_FIELD_MASK";
    /// A read-only field was set.
    pub const READ_ONLY_FIELD: &str = "READ_ONLY_FIELD";
    /// The resource does not exist for the caller.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// A unique value is already taken.
    pub const ALREADY_EXISTS: &str = "ALREADY_EXISTS";
    /// The idempotency key was used before for a different request.
    pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
    /// A change would take a count out of its range.
    pub const COUNT_OUT_OF_RANGE: &str = "COUNT_OUT_OF_RANGE";
    /// Concurrent writes got in the way too often; a retry may succeed.
    pub const CONCURRENT_WRITES: &str = "CONCURRENT_WRITES";
    /// The server is shutting down; another replica or a retry may succeed.
    pub const SHUTTING_DOWN: &str = "SHUTTING_DOWN";
    /// The disk holding the database is full: writes are refused until space is freed
    /// (UNAVAILABLE, with a retry delay); reads go on.
    pub const STORAGE_FULL: &str = "STORAGE_FULL";
    /// The database cannot be reached or cannot take writes now (UNAVAILABLE, with a retry
    /// delay): retry, with the same idempotency key for a batch.
    pub const DATABASE_UNAVAILABLE: &str = "DATABASE_UNAVAILABLE";
    /// No token came with the call, or it is malformed or unknown (UNAUTHENTICATED).
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// The call's token has expired (UNAUTHENTICATED).
    pub const ACCESS_TOKEN_EXPIRED: &str = "ACCESS_TOKEN_EXPIRED";
    /// The call's token has been revoked (UNAUTHENTICATED).
    pub const ACCESS_TOKEN_REVOKED: &str = "ACCESS_TOKEN_REVOKED";
    /// The token lacks the scope the call needs.
    pub const INSUFFICIENT_SCOPES: &str = "INSUFFICIENT_SCOPES";
    /// Something failed inside the server.
    pub const INTERNAL: &str = "INTERNAL";
    /// The server is at its limit of calls in flight; retry with backoff.
    pub const OVERLOADED: &str = "OVERLOADED";
    /// The token made more calls than its rate limit allows; retry after the RetryInfo delay.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The token has as many streams open as it may.
    pub const TOO_MANY_STREAMS: &str = "TOO_MANY_STREAMS";
    /// The request message is larger than the server accepts.
    pub const REQUEST_TOO_LARGE: &str = "REQUEST_TOO_LARGE";
    /// The request body is not a valid encoding of the request message.
    pub const MALFORMED_REQUEST: &str = "MALFORMED_REQUEST";
}
