//! How Square spells single values (docs/square.md): states, change types and products by
//! their names without the proto's prefix, times as RFC 3339 strings, `Money` as an
//! integer amount in the currency's minor units.

use http::StatusCode;
use iso_currency::Currency;
use prost_types::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Refusal;
use super::refusal::INVALID_REQUEST_ERROR;
use crate::api::convert::{rfc3339, timestamp_from_rfc3339};
use crate::api::ledger_wire::state_from_wire;
use crate::domain::error::reasons;
use crate::domain::ledger::InventoryState;
use crate::proto::v1 as pb;

// ---- names of enums ----

/// An enum value no proto enum has: how an unknown name is passed on, so that the service
/// refuses it (INVALID_ENUM_VALUE) with its field path, as it refuses an unknown number.
pub(super) const UNKNOWN_ENUM: i32 = i32::MAX;

/// Square's word for a state its API version cannot express: "This state is not supported
/// by this version of the Square API".
pub(super) const SUPPORTED_BY_NEWER_VERSION: &str = "SUPPORTED_BY_NEWER_VERSION";

/// Whether Square's API has this state. The ledger's own states — Shopify's named
/// quantities DAMAGED, QUALITY_CONTROL and SAFETY_STOCK — are not Square's: its door
/// answers them in a change as [`SUPPORTED_BY_NEWER_VERSION`], leaves their counts out and
/// refuses them in a request (docs/square.md, "States Square does not have").
pub(super) fn square_has(state: InventoryState) -> bool {
    match state {
        InventoryState::Damaged | InventoryState::QualityControl | InventoryState::SafetyStock => {
            false
        }
        InventoryState::None
        | InventoryState::InStock
        | InventoryState::Sold
        | InventoryState::ReturnedByCustomer
        | InventoryState::ReservedForSale
        | InventoryState::SoldOnline
        | InventoryState::OrderedFromVendor
        | InventoryState::ReceivedFromVendor
        | InventoryState::InTransitTo
        | InventoryState::InTransit
        | InventoryState::Waste
        | InventoryState::UnlinkedReturn
        | InventoryState::Composed
        | InventoryState::Decomposed
        | InventoryState::SupportedByNewerVersion
        | InventoryState::Custom
        | InventoryState::Untracked => true,
    }
}

/// Whether a wire state is one Square's API has (an unknown number is left to the caller).
pub(super) fn square_has_wire(raw: i32) -> bool {
    state_from_wire(raw).is_none_or(square_has)
}

/// A state as Square spells it: the proto's name less its prefix, or
/// [`SUPPORTED_BY_NEWER_VERSION`] for a state Square does not have.
pub(super) fn state_name(raw: i32) -> Option<String> {
    match pb::InventoryState::try_from(raw) {
        Ok(pb::InventoryState::Unspecified) | Err(_) => None,
        Ok(_) if !square_has_wire(raw) => Some(SUPPORTED_BY_NEWER_VERSION.to_owned()),
        Ok(state) => Some(state.as_str_name()["INVENTORY_STATE_".len()..].to_owned()),
    }
}

/// The number of Square's state `name` at `field`: an unknown name goes on as
/// [`UNKNOWN_ENUM`] for the service to refuse; a state of the ledger that Square does not
/// have is refused here, naming it (`INVALID_ENUM_VALUE`).
pub(super) fn state_number(field: &str, name: &Option<String>) -> Result<i32, Refusal> {
    let Some(name) = name.as_deref() else {
        return Ok(0);
    };
    let number = enum_number(name, "INVENTORY_STATE_", |full| {
        pb::InventoryState::from_str_name(full).map(|s| s as i32)
    });
    if square_has_wire(number) {
        Ok(number)
    } else {
        Err(Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            reasons::INVALID_ENUM_VALUE,
            format!(
                "{name} is not one of Square's states: Stockledger keeps it, but only its \
                 gRPC API reads and writes it"
            ),
            Some(field.to_owned()),
        ))
    }
}

pub(super) fn type_name(raw: i32) -> Option<String> {
    match pb::InventoryChangeType::try_from(raw) {
        Ok(pb::InventoryChangeType::Unspecified) | Err(_) => None,
        Ok(t) => Some(t.as_str_name()["INVENTORY_CHANGE_TYPE_".len()..].to_owned()),
    }
}

pub(super) fn type_number(name: &str) -> i32 {
    enum_number(name, "INVENTORY_CHANGE_TYPE_", |full| {
        pb::InventoryChangeType::from_str_name(full).map(|t| t as i32)
    })
}

/// The number of Square's `name` of a proto enum whose names start with `prefix`; an
/// unknown name (and the proto's UNSPECIFIED) is [`UNKNOWN_ENUM`], for the service to refuse.
pub(super) fn enum_number(name: &str, prefix: &str, lookup: impl Fn(&str) -> Option<i32>) -> i32 {
    if name == "UNSPECIFIED" {
        return UNKNOWN_ENUM;
    }
    lookup(&format!("{prefix}{name}")).unwrap_or(UNKNOWN_ENUM)
}

pub(super) fn product_name(raw: i32) -> Option<String> {
    match pb::Product::try_from(raw) {
        Ok(pb::Product::Unspecified) | Err(_) => None,
        Ok(p) => Some(p.as_str_name()["PRODUCT_".len()..].to_owned()),
    }
}

pub(super) fn product_number(name: &Option<String>) -> i32 {
    match name.as_deref() {
        None => 0,
        Some(name) => enum_number(name, "PRODUCT_", |full| {
            pb::Product::from_str_name(full).map(|p| p as i32)
        }),
    }
}

// ---- times ----

/// An RFC 3339 time with `Z`, as precise as the time is (Square writes milliseconds;
/// Stockledger keeps microseconds).
pub(super) fn time_from_json(
    field: &str,
    value: &Option<String>,
) -> Result<Option<Timestamp>, Refusal> {
    value
        .as_deref()
        .map(|text| timestamp_from_rfc3339(text).map_err(|_| Refusal::invalid_time(field)))
        .transpose()
}

pub(super) fn times_to_json(ts: &Option<Timestamp>) -> Option<String> {
    ts.as_ref().and_then(rfc3339)
}

// ---- money ----

/// Square's `Money`: an integer amount in the currency's smallest unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Minor units (cents for USD, yen for JPY).
    #[serde(default)]
    pub amount: i64,
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: String,
}

/// Minor units per unit of `currency`, as a power of ten (ISO 4217; 0 for a code the list
/// does not know or one without minor units, for the service to judge).
fn exponent(currency: &str) -> u32 {
    Currency::from_code(currency)
        .and_then(|c| c.exponent())
        .map(u32::from)
        .unwrap_or(0)
}

/// Square's integer minor units as Stockledger's decimal string: 1999 USD → "19.99".
pub fn money_from_json(money: &Money) -> pb::Money {
    pb::Money {
        amount: Decimal::new(money.amount, exponent(&money.currency)).to_string(),
        currency: money.currency.clone(),
    }
}

/// Stockledger's decimal string as Square's integer minor units: "19.99" USD → 1999. An
/// amount finer than the currency's minor unit (Stockledger keeps 5 decimal places) is
/// rounded half away from zero, as Square's integer field cannot say more.
pub fn money_to_json(money: &pb::Money) -> Money {
    let amount = money
        .amount
        .parse::<Decimal>()
        .ok()
        .and_then(|d| d.checked_mul(Decimal::from(10i64.pow(exponent(&money.currency)))))
        .map(|d| d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
        .and_then(|d| d.to_i64())
        .unwrap_or(0);
    Money {
        amount,
        currency: money.currency.clone(),
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::gateway::square::json::fixtures::ts;

    #[test]
    fn every_state_type_and_product_by_name() {
        let state_number = |name: &Option<String>| state_number("state", name).unwrap();
        for raw in 1..=17 {
            let name = state_name(raw).unwrap();
            assert!(!name.starts_with("INVENTORY_STATE_"), "{name}");
            assert_eq!(state_number(&Some(name)), raw);
        }
        for (raw, name) in [(1, "ADJUSTMENT"), (2, "PHYSICAL_COUNT"), (3, "TRANSFER")] {
            assert_eq!(type_name(raw).as_deref(), Some(name));
            assert_eq!(type_number(name), raw);
        }
        for raw in 1..=11 {
            let name = product_name(raw).unwrap();
            assert_eq!(product_number(&Some(name)), raw);
        }
        // Unknown names (and the proto's own spellings) go on as a number the service refuses.
        for name in [
            "UNSPECIFIED",
            "in_stock",
            "INVENTORY_STATE_IN_STOCK",
            "BOGUS",
            "",
        ] {
            assert_eq!(state_number(&Some(name.into())), UNKNOWN_ENUM, "{name}");
        }
        assert_eq!(
            type_number("INVENTORY_CHANGE_TYPE_ADJUSTMENT"),
            UNKNOWN_ENUM
        );
        assert_eq!(state_number(&None), 0);
        assert_eq!(state_name(0), None);
        assert_eq!(state_name(99), None);
    }

    #[test]
    fn states_square_does_not_have() {
        use pb::InventoryState as S;
        for state in [S::Damaged, S::QualityControl, S::SafetyStock] {
            assert_eq!(
                state_name(state as i32).as_deref(),
                Some("SUPPORTED_BY_NEWER_VERSION"),
                "{state:?}"
            );
            let name = state.as_str_name()["INVENTORY_STATE_".len()..].to_owned();
            let refused =
                state_number("changes[0].adjustment.to_state", &Some(name.clone())).unwrap_err();
            assert_eq!(refused.status, StatusCode::BAD_REQUEST);
            let error = &refused.envelope.errors[0];
            assert_eq!(error.code, "INVALID_ENUM_VALUE");
            assert_eq!(
                error.field.as_deref(),
                Some("changes[0].adjustment.to_state")
            );
            assert!(
                error
                    .detail
                    .starts_with(&format!("{name} is not one of Square's states"))
            );
        }
        assert_eq!(
            state_number("state", &Some("SUPPORTED_BY_NEWER_VERSION".into())),
            Ok(S::SupportedByNewerVersion as i32)
        );
        let square: Vec<_> = InventoryState::ALL
            .into_iter()
            .filter(|s| !square_has(*s))
            .collect();
        assert_eq!(
            square,
            [
                InventoryState::Damaged,
                InventoryState::QualityControl,
                InventoryState::SafetyStock
            ]
        );
    }

    #[test]
    fn money_in_minor_units_by_currency() {
        // (Square's amount, currency, Stockledger's decimal)
        for (minor, currency, decimal) in [
            (1999, "USD", "19.99"),
            (0, "USD", "0.00"),
            (500, "JPY", "500"),
            (1234, "KWD", "1.234"),
            (7, "EUR", "0.07"),
            (42, "XAU", "42"),
            (42, "ABC", "42"),
            (-5, "USD", "-0.05"),
        ] {
            let square = Money {
                amount: minor,
                currency: currency.into(),
            };
            let ours = money_from_json(&square);
            assert_eq!(ours.amount, decimal, "{minor} {currency}");
            assert_eq!(ours.currency, currency);
            assert_eq!(money_to_json(&ours), square, "{decimal} {currency}");
        }
        // Finer than the minor unit: rounded half away from zero.
        for (decimal, currency, minor) in [
            ("19.995", "USD", 2000),
            ("19.99499", "USD", 1999),
            ("0.5", "JPY", 1),
            ("19.99", "USD", 1999),
        ] {
            let ours = pb::Money {
                amount: decimal.into(),
                currency: currency.into(),
            };
            assert_eq!(money_to_json(&ours).amount, minor, "{decimal} {currency}");
        }
    }

    #[test]
    fn times_are_rfc3339() {
        for (text, seconds, nanos) in [
            ("2026-11-27T09:30:00Z", 1_795_771_800, 0),
            ("2026-11-27T09:30:00.250Z", 1_795_771_800, 250_000_000),
            ("2026-11-27T10:30:00+01:00", 1_795_771_800, 0),
        ] {
            let read = time_from_json("occurred_at", &Some(text.into())).unwrap();
            assert_eq!(read, ts(seconds, nanos), "{text}");
        }
        for bad in ["2026-11-27", "yesterday", "2026-11-27 09:30:00", ""] {
            let refusal =
                time_from_json("changes[0].adjustment.occurred_at", &Some(bad.into())).unwrap_err();
            assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
            let error = &refusal.envelope.errors[0];
            assert_eq!(error.code, "INVALID_TIME");
            assert_eq!(
                error.field.as_deref(),
                Some("changes[0].adjustment.occurred_at")
            );
        }
    }
}
