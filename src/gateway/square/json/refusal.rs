//! Square's error envelope (`{"errors": [...]}`) and a refused call written in it: the
//! HTTP status, category and code of each refusal the services answer
//! ([`refusal_from_status`]), of a rule the door itself checks, and the field names of a
//! refused batch as the caller sent them ([`refusal_as_sent`]).

use http::StatusCode;
use serde::{Deserialize, Serialize};
use tonic::{Code, Status};
use utoipa::ToSchema;

use super::{BatchChangeInventoryRequest, is_empty};
use crate::api::ApiError;
use crate::domain::error::{Violation, reasons};
use crate::domain::ledger::ChangeType;
use crate::domain::refusal::{ChangeViolation, ChangeViolations, Refusal as LedgerRefusal};
use crate::domain::{decide, ledger};
use crate::gateway::RefusalDetails;

/// One error of Square's envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SquareError {
    pub category: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Square's error envelope: `{"errors": [...]}`, sent with [`Refusal::status`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SquareErrorEnvelope)]
pub struct ErrorEnvelope {
    pub errors: Vec<SquareError>,
}

/// A refused call: its HTTP status and Square's envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub envelope: ErrorEnvelope,
    /// Whole seconds after which a retry may succeed (sent as `Retry-After`), if known.
    pub retry_after: Option<u64>,
}

impl From<Violation> for Refusal {
    /// A rule the request broke, found by the door itself: 400, its reason as the code.
    fn from(violation: Violation) -> Refusal {
        Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            violation.reason,
            violation.description,
            Some(violation.field),
        )
    }
}

impl Refusal {
    /// One error of `category`/`code` about `field`.
    pub fn one(
        status: StatusCode,
        category: &str,
        code: &str,
        detail: impl Into<String>,
        field: Option<String>,
    ) -> Refusal {
        Refusal {
            status,
            envelope: ErrorEnvelope {
                errors: vec![SquareError {
                    category: category.into(),
                    code: code.into(),
                    detail: detail.into(),
                    field,
                }],
            },
            retry_after: None,
        }
    }

    /// A value Square's JSON can hold but the ledger's request cannot, at `field`.
    pub(super) fn invalid_value(field: &str, detail: &str) -> Refusal {
        Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_VALUE",
            detail,
            Some(field.into()),
        )
    }

    /// A time that is not RFC 3339, at `field`.
    pub(super) fn invalid_time(field: &str) -> Refusal {
        Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_TIME",
            "must be an RFC 3339 time, e.g. 2026-11-27T09:30:00Z",
            Some(field.into()),
        )
    }
}

pub const INVALID_REQUEST_ERROR: &str = "INVALID_REQUEST_ERROR";
pub const AUTHENTICATION_ERROR: &str = "AUTHENTICATION_ERROR";
pub const RATE_LIMIT_ERROR: &str = "RATE_LIMIT_ERROR";
pub const API_ERROR: &str = "API_ERROR";

/// Square's code for one of Stockledger's reasons: the same word where Square has one,
/// else Square's nearest code (docs/square.md lists each).
pub fn square_code(reason: &str) -> &str {
    match reason {
        reasons::INVALID_ID
        | reasons::INVALID_COUNTRY
        | reasons::INVALID_FIELD_MASK
        | reasons::COUNT_OUT_OF_RANGE
        | ledger::INVALID_STATE_TRANSITION
        | decide::ITEM_NOT_TRACKED
        | decide::LOCATION_INACTIVE
        | decide::ADJUSTMENT_REASON_DELETED => "INVALID_VALUE",
        reasons::READ_ONLY_FIELD => "UNEXPECTED_VALUE",
        reasons::ALREADY_EXISTS | reasons::CONCURRENT_WRITES => "CONFLICT",
        reasons::SHUTTING_DOWN | reasons::OVERLOADED => "SERVICE_UNAVAILABLE",
        reasons::TOO_MANY_STREAMS => "RATE_LIMITED",
        reasons::REQUEST_TOO_LARGE => "REQUEST_ENTITY_TOO_LARGE",
        reasons::MALFORMED_REQUEST => "BAD_REQUEST",
        reasons::INTERNAL => "INTERNAL_SERVER_ERROR",
        other => other,
    }
}

/// The HTTP status, Square category and fallback code of a gRPC status code.
fn square_class(code: Code, reason: &str) -> (StatusCode, &'static str, &'static str) {
    match code {
        Code::InvalidArgument | Code::FailedPrecondition => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "BAD_REQUEST",
        ),
        Code::OutOfRange => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_VALUE",
        ),
        Code::NotFound => (StatusCode::NOT_FOUND, INVALID_REQUEST_ERROR, "NOT_FOUND"),
        Code::AlreadyExists if reason == reasons::IDEMPOTENCY_KEY_REUSED => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "IDEMPOTENCY_KEY_REUSED",
        ),
        Code::AlreadyExists | Code::Aborted => {
            (StatusCode::CONFLICT, INVALID_REQUEST_ERROR, "CONFLICT")
        }
        Code::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            AUTHENTICATION_ERROR,
            "UNAUTHORIZED",
        ),
        Code::PermissionDenied => (
            StatusCode::FORBIDDEN,
            AUTHENTICATION_ERROR,
            "INSUFFICIENT_SCOPES",
        ),
        Code::ResourceExhausted if reason == reasons::REQUEST_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_REQUEST_ERROR,
            "REQUEST_ENTITY_TOO_LARGE",
        ),
        Code::ResourceExhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            RATE_LIMIT_ERROR,
            "RATE_LIMITED",
        ),
        Code::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            API_ERROR,
            "SERVICE_UNAVAILABLE",
        ),
        Code::DeadlineExceeded | Code::Cancelled => {
            (StatusCode::GATEWAY_TIMEOUT, API_ERROR, "GATEWAY_TIMEOUT")
        }
        Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, API_ERROR, "NOT_IMPLEMENTED"),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            API_ERROR,
            "INTERNAL_SERVER_ERROR",
        ),
    }
}

/// Square's envelope for a status the services answered: its ErrorInfo's reason picks the
/// code, each BadRequest field violation becomes one error with its field and description
/// (a refusal without violations is one error with the ErrorInfo's `field`, if any).
pub fn refusal_from_status(status: &Status) -> Refusal {
    let details = RefusalDetails::of(status);
    let reason = details.reason.as_str();
    let (http, category, fallback) = square_class(status.code(), reason);
    let code_of = |reason: &str| {
        if reason.is_empty() {
            fallback.to_owned()
        } else {
            square_code(reason).to_owned()
        }
    };
    // Where Square's code is not Stockledger's reason, the detail keeps the reason.
    let detail_of = |description: &str, reason: &str, code: &str| {
        if reason.is_empty() || reason == code {
            description.to_owned()
        } else {
            format!("{description} ({reason})")
        }
    };
    let errors = if details.violations.is_empty() {
        let code = code_of(reason);
        vec![SquareError {
            category: category.into(),
            detail: detail_of(status.message(), reason, &code),
            code,
            field: details.field.clone(),
        }]
    } else {
        details
            .violations
            .iter()
            .map(|v| {
                let reason = if v.reason.is_empty() {
                    reason
                } else {
                    &v.reason
                };
                let code = code_of(reason);
                SquareError {
                    category: category.into(),
                    detail: detail_of(&v.description, reason, &code),
                    code,
                    field: Some(v.field.clone()).filter(|f| !f.is_empty()),
                }
            })
            .collect()
    };
    Refusal {
        status: http,
        envelope: ErrorEnvelope { errors },
        retry_after: details.retry_after,
    }
}

/// The ledger's refusal of a batch in Square's envelope, its fields named as the caller
/// sent them: a move written as a Square 2026 adjustment between two locations is the
/// ledger's transfer, whose fields are then the adjustment's (the transfer's `state` being
/// the adjustment's `from_state`).
pub fn refusal_as_sent(refusal: LedgerRefusal, sent: &BatchChangeInventoryRequest) -> Refusal {
    let as_sent = |mut change: ChangeViolation| {
        let written_as_adjustment = sent
            .changes
            .get(change.index)
            .is_some_and(|c| c.adjustment.is_some());
        if change.member == Some(ChangeType::Transfer) && written_as_adjustment {
            change.member = Some(ChangeType::Adjustment);
            if change.violation.field == "state" {
                change.violation.field = "from_state".to_owned();
            }
        }
        change
    };
    let refusal = match refusal {
        LedgerRefusal::Invalid(violations) => LedgerRefusal::Invalid(ChangeViolations(
            violations.0.into_iter().map(as_sent).collect(),
        )),
        LedgerRefusal::CountOutOfRange(change) => LedgerRefusal::CountOutOfRange(as_sent(change)),
        LedgerRefusal::IdempotencyKeyReused => LedgerRefusal::IdempotencyKeyReused,
        LedgerRefusal::ReservationChanged => LedgerRefusal::ReservationChanged,
        LedgerRefusal::Guard(mut guard) => {
            let written_as_adjustment = sent
                .changes
                .get(guard.index)
                .is_some_and(|c| c.adjustment.is_some());
            if guard.change_type == ChangeType::Transfer && written_as_adjustment {
                guard.change_type = ChangeType::Adjustment;
            }
            LedgerRefusal::Guard(guard)
        }
    };
    refusal_from_status(&Status::from(ApiError::from(refusal)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::ApiError;
    use crate::domain::scope::Scope;

    #[test]
    fn a_refused_move_is_named_as_sent() {
        let sent: BatchChangeInventoryRequest = serde_json::from_value(json!({
            "changes": [
                {"adjustment": {"from_location_id": "a", "to_location_id": "b"}},
                {"transfer": {"from_location_id": "a", "to_location_id": "b"}},
            ]
        }))
        .unwrap();
        let change = |index, field: &str, reason| ChangeViolation {
            index,
            member: Some(ChangeType::Transfer),
            violation: Violation::new(field, reason, "refused"),
        };
        let refusal = LedgerRefusal::Invalid(ChangeViolations(vec![
            change(0, "quantity", reasons::VALUE_TOO_LOW),
            change(0, "state", reasons::INVALID_ENUM_VALUE),
            change(1, "quantity", reasons::VALUE_TOO_LOW),
        ]));
        let fields: Vec<_> = refusal_as_sent(refusal, &sent)
            .envelope
            .errors
            .into_iter()
            .map(|e| e.field.unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "changes[0].adjustment.quantity",
                "changes[0].adjustment.from_state",
                "changes[1].transfer.quantity",
            ]
        );
    }

    /// Each kind of refusal the services answer, as Square's envelope.
    #[test]
    fn refusals_in_squares_envelope() {
        let table: Vec<(ApiError, StatusCode, &str, &str, Option<&str>)> = vec![
            (
                Violation::new(
                    "changes[0].adjustment.quantity",
                    reasons::VALUE_TOO_LOW,
                    "low",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "VALUE_TOO_LOW",
                Some("changes[0].adjustment.quantity"),
            ),
            (
                Violation::new("adjustment_id", reasons::INVALID_ID, "bad").into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("adjustment_id"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.to_state",
                    ledger::INVALID_STATE_TRANSITION,
                    "RESERVED_FOR_SALE is read-only",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.to_state"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.catalog_object_id",
                    decide::ITEM_NOT_TRACKED,
                    "untracked",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.catalog_object_id"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.location_id",
                    decide::LOCATION_INACTIVE,
                    "archived",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.location_id"),
            ),
            (
                Violation::new(
                    "changes[0].adjustment.reason_id.custom_reason_id",
                    decide::ADJUSTMENT_REASON_DELETED,
                    "deleted",
                )
                .into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("changes[0].adjustment.reason_id.custom_reason_id"),
            ),
            (
                ApiError::FailedPrecondition {
                    reason: decide::ADJUSTMENT_REASON_DELETED,
                    field: "reason_id".into(),
                    message: "the adjustment reason is deleted; restore it first".into(),
                    metadata: Vec::new(),
                },
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_VALUE",
                Some("reason_id"),
            ),
            (
                Violation::new("cursor", reasons::INVALID_CURSOR, "bad").into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "INVALID_CURSOR",
                Some("cursor"),
            ),
            (
                Violation::new("changes[0].adjustment.id", reasons::READ_ONLY_FIELD, "ro").into(),
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "UNEXPECTED_VALUE",
                Some("changes[0].adjustment.id"),
            ),
            (
                ApiError::not_found("inventory adjustment", "adjustment_id", "x"),
                StatusCode::NOT_FOUND,
                INVALID_REQUEST_ERROR,
                "NOT_FOUND",
                Some("adjustment_id"),
            ),
            (
                ApiError::AlreadyExists {
                    reason: reasons::IDEMPOTENCY_KEY_REUSED,
                    field: "idempotency_key".into(),
                    message: "the idempotency key was already used for a different request".into(),
                },
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST_ERROR,
                "IDEMPOTENCY_KEY_REUSED",
                Some("idempotency_key"),
            ),
            (
                ApiError::Aborted {
                    reason: reasons::CONCURRENT_WRITES,
                    message: "the call met concurrent writes too often; retry it (with the same \
                              idempotency key for a batch)"
                        .into(),
                },
                StatusCode::CONFLICT,
                INVALID_REQUEST_ERROR,
                "CONFLICT",
                None,
            ),
            (
                ApiError::Unavailable {
                    reason: reasons::SHUTTING_DOWN,
                    message: "the server is shutting down; retry (with the same idempotency key \
                              for a batch)"
                        .into(),
                    retry_after: None,
                },
                StatusCode::SERVICE_UNAVAILABLE,
                API_ERROR,
                "SERVICE_UNAVAILABLE",
                None,
            ),
            (
                ApiError::Unauthenticated {
                    reason: reasons::ACCESS_TOKEN_EXPIRED,
                    message: "expired",
                },
                StatusCode::UNAUTHORIZED,
                AUTHENTICATION_ERROR,
                "ACCESS_TOKEN_EXPIRED",
                None,
            ),
            (
                ApiError::Unauthenticated {
                    reason: reasons::UNAUTHORIZED,
                    message: "no token",
                },
                StatusCode::UNAUTHORIZED,
                AUTHENTICATION_ERROR,
                "UNAUTHORIZED",
                None,
            ),
            (
                ApiError::PermissionDenied {
                    scope: Scope::InventoryWrite,
                },
                StatusCode::FORBIDDEN,
                AUTHENTICATION_ERROR,
                "INSUFFICIENT_SCOPES",
                None,
            ),
            (
                ApiError::ResourceExhausted {
                    reason: reasons::RATE_LIMITED,
                    message: "slow down".into(),
                    retry_after: None,
                },
                StatusCode::TOO_MANY_REQUESTS,
                RATE_LIMIT_ERROR,
                "RATE_LIMITED",
                None,
            ),
            (
                ApiError::Internal("boom".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                API_ERROR,
                "INTERNAL_SERVER_ERROR",
                None,
            ),
        ];
        for (error, http, category, code, field) in table {
            let described = format!("{error:?}");
            let refusal = refusal_from_status(&Status::from(error));
            assert_eq!(refusal.status, http, "{described}");
            let first = &refusal.envelope.errors[0];
            assert_eq!(first.category, category, "{described}");
            assert_eq!(first.code, code, "{described}");
            assert_eq!(first.field.as_deref(), field, "{described}");
            assert!(!first.detail.is_empty(), "{described}");
        }
        // Several violations: one error each, in order.
        let many = crate::domain::error::Violations(vec![
            Violation::new(
                "changes[0].adjustment.quantity",
                reasons::VALUE_TOO_HIGH,
                "high",
            ),
            Violation::new(
                "changes[1].adjustment.to_state",
                reasons::INVALID_ENUM_VALUE,
                "?",
            ),
        ]);
        let refusal = refusal_from_status(&Status::from(ApiError::from(many)));
        let codes: Vec<_> = refusal
            .envelope
            .errors
            .iter()
            .map(|e| (e.code.as_str(), e.field.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            codes,
            [
                ("VALUE_TOO_HIGH", "changes[0].adjustment.quantity"),
                ("INVALID_ENUM_VALUE", "changes[1].adjustment.to_state")
            ]
        );
        // Where the codes differ, the detail keeps Stockledger's reason.
        let refusal = refusal_from_status(&Status::from(ApiError::from(Violation::new(
            "adjustment_id",
            reasons::INVALID_ID,
            "\"x\" is not a valid id",
        ))));
        assert_eq!(
            refusal.envelope.errors[0].detail,
            "\"x\" is not a valid id (INVALID_ID)"
        );
        // A rate limit's retry delay, rounded up to whole seconds.
        let limited = refusal_from_status(&Status::from(ApiError::ResourceExhausted {
            reason: reasons::RATE_LIMITED,
            message: "slow down".into(),
            retry_after: Some(std::time::Duration::from_millis(1500)),
        }));
        assert_eq!(limited.retry_after, Some(2));
        // A plain status without details still has Square's shape.
        let plain = refusal_from_status(&Status::deadline_exceeded("late"));
        assert_eq!(plain.status, StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(plain.envelope.errors[0].code, "GATEWAY_TIMEOUT");
        assert_eq!(
            serde_json::to_value(&plain.envelope).unwrap(),
            json!({"errors": [{"category": "API_ERROR", "code": "GATEWAY_TIMEOUT", "detail": "late"}]})
        );
    }
}
