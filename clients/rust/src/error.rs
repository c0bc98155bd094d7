//! One error type for every refusal: the gRPC status plus the rich details Stockledger sends
//! (`google.rpc.ErrorInfo`, `google.rpc.BadRequest`) in `grpc-status-details-bin`, and the
//! same shape for what this client refuses before sending (a quantity that is no decimal
//! or has more than five decimal places, a PEM that holds no certificate): code
//! `InvalidArgument`, a reason, and the path of the field at fault ([`Error::field`]), with
//! the domain [`CLIENT_DOMAIN`] instead of the server's `stockledger`.

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use crate::pb::{InventoryState, ReservationState};

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

/// One count: an item's quantity in one state at one location.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountKey {
    /// Id of the item.
    pub catalog_object_id: String,
    /// Id of the location.
    pub location_id: String,
    /// The state (`Unspecified` for a state newer than this client).
    pub state: InventoryState,
}

/// A guard of `BatchChangeInventory` refused the batch (`FAILED_PRECONDITION`): see
/// [`Error::guard_refusal`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuardRefusal {
    /// Reason `QUANTITY_MISMATCH`: a change's `expected_quantity` did not hold.
    QuantityMismatch {
        /// The count compared.
        count: CountKey,
        /// The change's field at fault, e.g. `changes[1].expected_quantity`.
        field: String,
        /// What the count held just before the change; `None`: it does not exist (the
        /// server's `ABSENT`).
        actual_quantity: Option<Decimal>,
    },
    /// Reason `INSUFFICIENT_QUANTITY`: the batch would leave a count it lowers below zero
    /// where that is forbidden.
    InsufficientQuantity {
        /// The count that would go below zero.
        count: CountKey,
        /// The change's quantity field, e.g. `changes[0].adjustment.quantity`.
        field: String,
        /// What the count held just before that change.
        available_quantity: Decimal,
    },
}

impl GuardRefusal {
    /// The count the refusal is about.
    pub fn count(&self) -> &CountKey {
        match self {
            GuardRefusal::QuantityMismatch { count, .. }
            | GuardRefusal::InsufficientQuantity { count, .. } => count,
        }
    }

    /// The request field at fault.
    pub fn field(&self) -> &str {
        match self {
            GuardRefusal::QuantityMismatch { field, .. }
            | GuardRefusal::InsufficientQuantity { field, .. } => field,
        }
    }
}

/// The ErrorInfo reason of a [`GuardRefusal::QuantityMismatch`].
pub const QUANTITY_MISMATCH: &str = "QUANTITY_MISMATCH";
/// The ErrorInfo reason of a [`GuardRefusal::InsufficientQuantity`].
pub const INSUFFICIENT_QUANTITY: &str = "INSUFFICIENT_QUANTITY";

/// The ErrorInfo reason of a reservation step on a reservation that holds nothing any more.
pub const RESERVATION_NOT_HELD: &str = "RESERVATION_NOT_HELD";
/// The ErrorInfo reason of a reservation step past the reservation's `expires_at`.
pub const RESERVATION_EXPIRED: &str = "RESERVATION_EXPIRED";

/// The ErrorInfo reason of a change naming a custom adjustment reason that is deleted
/// (`InvalidArgument`; [`Error::is_adjustment_reason_deleted`]).
pub const ADJUSTMENT_REASON_DELETED: &str = "ADJUSTMENT_REASON_DELETED";

/// The ErrorInfo reason of a value refused (by the server, or here before sending).
pub const INVALID_VALUE: &str = "INVALID_VALUE";

/// The ErrorInfo domain of the refusals this client makes itself, before sending anything
/// (the server's are `stockledger`).
pub const CLIENT_DOMAIN: &str = "stockledger-client";

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

    /// A refusal made here, before sending, of the request field `field` (its path in the
    /// request, e.g. `changes[0].adjustment.quantity`), shaped as the server shapes its own:
    /// `InvalidArgument`, ErrorInfo `reason` with the `field` in its metadata (domain
    /// [`CLIENT_DOMAIN`]) and one field violation. An empty `field` (a value that is no
    /// request field, e.g. a string given to [`crate::decimal::from_wire`]) gives neither.
    pub(crate) fn invalid(field: &str, reason: &str, description: impl Into<String>) -> Self {
        let description = description.into();
        let (metadata, field_violations, message) = if field.is_empty() {
            (HashMap::new(), Vec::new(), description)
        } else {
            let violation = FieldViolation {
                field: field.to_owned(),
                description: description.clone(),
                reason: reason.to_owned(),
            };
            let metadata = HashMap::from([("field".to_owned(), field.to_owned())]);
            (metadata, vec![violation], format!("{field}: {description}"))
        };
        let mut details = ErrorDetails::with_error_info(reason, CLIENT_DOMAIN, metadata);
        if !field_violations.is_empty() {
            details.set_bad_request(
                field_violations
                    .iter()
                    .map(|v: &FieldViolation| tonic_types::FieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                        reason: v.reason.clone(),
                        localized_message: None,
                    })
                    .collect::<Vec<_>>(),
            );
        }
        Error(Box::new(Inner {
            code: Code::InvalidArgument,
            message,
            details,
            field_violations,
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

    /// The path of the request field at fault (e.g. `changes[0].adjustment.quantity`,
    /// `location.name`): the ErrorInfo's `field`, else the first field violation's; `None`
    /// when the refusal is about no one field.
    pub fn field(&self) -> Option<&str> {
        self.0
            .details
            .error_info()
            .and_then(|info| info.metadata.get("field"))
            .or_else(|| self.0.field_violations.first().map(|v| &v.field))
            .map(String::as_str)
            .filter(|field| !field.is_empty())
    }

    /// Whether some field violation names exactly `field`.
    pub fn names_field(&self, field: &str) -> bool {
        self.0.field_violations.iter().any(|v| v.field == field)
    }

    /// Whether a change's expected quantity did not hold (`FAILED_PRECONDITION`, reason
    /// `QUANTITY_MISMATCH`).
    pub fn is_quantity_mismatch(&self) -> bool {
        self.code() == Code::FailedPrecondition && self.reason() == Some(QUANTITY_MISMATCH)
    }

    /// Whether the batch would have left a count below zero where that is forbidden
    /// (`FAILED_PRECONDITION`, reason `INSUFFICIENT_QUANTITY`).
    pub fn is_insufficient_quantity(&self) -> bool {
        self.code() == Code::FailedPrecondition && self.reason() == Some(INSUFFICIENT_QUANTITY)
    }

    /// For an insufficient quantity, what the count held just before the change that took
    /// it below zero.
    pub fn available_quantity(&self) -> Option<Decimal> {
        match self.guard_refusal()? {
            GuardRefusal::InsufficientQuantity {
                available_quantity, ..
            } => Some(available_quantity),
            GuardRefusal::QuantityMismatch { .. } => None,
        }
    }

    /// A guard's refusal, typed: the count, the field at fault and the quantity found
    /// (exact). `None` for any other error (or one whose quantity does not decode).
    pub fn guard_refusal(&self) -> Option<GuardRefusal> {
        let mismatch = self.is_quantity_mismatch();
        if !mismatch && !self.is_insufficient_quantity() {
            return None;
        }
        let info = self.0.details.error_info()?;
        let get = |key: &str| info.metadata.get(key).cloned().unwrap_or_default();
        let state = info.metadata.get("state").map_or("", String::as_str);
        let count = CountKey {
            catalog_object_id: get("catalog_object_id"),
            location_id: get("location_id"),
            state: InventoryState::from_str_name(&format!("INVENTORY_STATE_{state}"))
                .unwrap_or(InventoryState::Unspecified),
        };
        let field = get("field");
        if mismatch {
            let actual = info.metadata.get("actual_quantity")?;
            let actual_quantity = if actual == crate::changes::ABSENT {
                None
            } else {
                Some(crate::decimal::from_wire(actual).ok()?)
            };
            Some(GuardRefusal::QuantityMismatch {
                count,
                field,
                actual_quantity,
            })
        } else {
            let available = info.metadata.get("available_quantity")?;
            Some(GuardRefusal::InsufficientQuantity {
                count,
                field,
                available_quantity: crate::decimal::from_wire(available).ok()?,
            })
        }
    }

    /// Whether a change named a custom adjustment reason that is deleted
    /// (`INVALID_ARGUMENT`, reason `ADJUSTMENT_REASON_DELETED`): restore it to use it again.
    pub fn is_adjustment_reason_deleted(&self) -> bool {
        self.code() == Code::InvalidArgument && self.reason() == Some(ADJUSTMENT_REASON_DELETED)
    }

    /// Whether the reservation holds nothing any more (`FAILED_PRECONDITION`, reason
    /// `RESERVATION_NOT_HELD`); [`Error::reservation_state`] says where it is.
    pub fn is_reservation_not_held(&self) -> bool {
        self.code() == Code::FailedPrecondition && self.reason() == Some(RESERVATION_NOT_HELD)
    }

    /// Whether the reservation is past its `expires_at` (`FAILED_PRECONDITION`, reason
    /// `RESERVATION_EXPIRED`); its units are being released.
    pub fn is_reservation_expired(&self) -> bool {
        self.code() == Code::FailedPrecondition && self.reason() == Some(RESERVATION_EXPIRED)
    }

    /// For a reservation that holds nothing, where it is (`Committed`, `Released`,
    /// `Expired`; `Unspecified` for a state newer than this client); `None` for any other
    /// error.
    pub fn reservation_state(&self) -> Option<ReservationState> {
        if !self.is_reservation_not_held() {
            return None;
        }
        let info = self.0.details.error_info()?;
        let state = info.metadata.get("state").map_or("", String::as_str);
        Some(
            ReservationState::from_str_name(&format!("RESERVATION_STATE_{state}"))
                .unwrap_or(ReservationState::Unspecified),
        )
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
        let (code, message) = match lost_connection(&status) {
            Some(cause) => (Code::Unavailable, format!("the connection failed: {cause}")),
            None => (status.code(), status.message().to_owned()),
        };
        Error(Box::new(Inner {
            code,
            message,
            details,
            field_violations,
        }))
    }
}

/// A call whose connection failed under it, which tonic reports as `Cancelled` (hyper's
/// "canceled": the connection closed before the request went out) or `Unknown` ("transport
/// error"), e.g. when the server closes the TLS connection after the handshake because it
/// refuses the client's certificate: UNAVAILABLE, as gRPC says a lost connection is. Tells
/// it by a `hyper::Error` in the status's source chain (a status the server sent has none;
/// a deadline tonic gave up on stays `Cancelled`), and returns the chain's words.
fn lost_connection(status: &tonic::Status) -> Option<String> {
    if !matches!(status.code(), Code::Cancelled | Code::Unknown) {
        return None;
    }
    let mut source = std::error::Error::source(status);
    let mut transport = false;
    let mut words: Vec<String> = Vec::new();
    while let Some(cause) = source {
        transport |= cause.is::<hyper::Error>();
        let said = cause.to_string();
        if !words.iter().any(|w| w.contains(&said)) {
            words.push(said);
        }
        source = cause.source();
    }
    transport.then(|| words.join(": "))
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

impl Error {
    /// A decimal refused here as the value of the request field `field`.
    pub(crate) fn bad_decimal(field: &str, err: crate::decimal::DecimalError) -> Self {
        Error::invalid(field, INVALID_VALUE, err.to_string())
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

    fn guard_status(reason: &str, quantity_key: &str, quantity: &str, field: &str) -> Error {
        let metadata = HashMap::from(
            [
                ("field", field),
                (quantity_key, quantity),
                ("catalog_object_id", "item"),
                ("location_id", "shop"),
                ("state", "IN_STOCK"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let details = ErrorDetails::with_error_info(reason, "stockledger", metadata);
        Error::from(tonic::Status::with_error_details(
            Code::FailedPrecondition,
            "refused",
            details,
        ))
    }

    #[test]
    fn decodes_guard_refusals() {
        let count = CountKey {
            catalog_object_id: "item".into(),
            location_id: "shop".into(),
            state: InventoryState::InStock,
        };
        let mismatch = guard_status(
            QUANTITY_MISMATCH,
            "actual_quantity",
            "8.5",
            "changes[1].expected_quantity",
        );
        assert!(mismatch.is_quantity_mismatch() && !mismatch.is_insufficient_quantity());
        assert_eq!(
            mismatch.guard_refusal(),
            Some(GuardRefusal::QuantityMismatch {
                count: count.clone(),
                field: "changes[1].expected_quantity".into(),
                actual_quantity: Some(Decimal::new(85, 1)),
            })
        );
        assert_eq!(mismatch.available_quantity(), None);
        let absent = guard_status(QUANTITY_MISMATCH, "actual_quantity", "ABSENT", "f");
        assert!(matches!(
            absent.guard_refusal(),
            Some(GuardRefusal::QuantityMismatch {
                actual_quantity: None,
                ..
            })
        ));
        let short = guard_status(
            INSUFFICIENT_QUANTITY,
            "available_quantity",
            "-1",
            "changes[0].adjustment.quantity",
        );
        assert!(short.is_insufficient_quantity() && !short.is_quantity_mismatch());
        assert_eq!(short.available_quantity(), Some(Decimal::from(-1)));
        let refusal = short.guard_refusal().unwrap();
        assert_eq!(
            (refusal.count(), refusal.field()),
            (&count, "changes[0].adjustment.quantity")
        );
        assert_eq!(
            Error::local(Code::FailedPrecondition, "x").guard_refusal(),
            None
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
