//! Shopify's named quantities over the ledger's kept counts — the one table docs/shopify.md
//! shows — and quantities as GraphQL's `Int`.
//!
//! | name | backed by |
//! |---|---|
//! | `available` | the IN_STOCK count |
//! | `reserved` | the RESERVED_FOR_SALE count (reservations) |
//! | `damaged`, `quality_control`, `safety_stock` | the DAMAGED, QUALITY_CONTROL and SAFETY_STOCK counts |
//! | `on_hand` | the sum of all five: Shopify's sum, over the states Stockledger keeps |
//! | `committed`, `incoming` | not recorded: refused by name |

use crate::domain::decimal::Fixed5;
use crate::domain::ledger::InventoryState;

/// A name of `InventoryLevel.quantities(names:)` and of the mutations' `name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityName {
    /// Sellable now.
    Available,
    /// Held by reservations.
    Reserved,
    /// Not sellable, not written off.
    Damaged,
    /// Being inspected.
    QualityControl,
    /// Kept back as a buffer.
    SafetyStock,
    /// Everything physically at the location.
    OnHand,
}

/// What a name is backed by.
impl QuantityName {
    /// Reads a name Shopify defines; one Stockledger does not keep, or an unknown one, is
    /// refused saying which.
    pub fn parse(name: &str) -> Result<QuantityName, String> {
        match name {
            "available" => Ok(QuantityName::Available),
            "reserved" => Ok(QuantityName::Reserved),
            "on_hand" => Ok(QuantityName::OnHand),
            "damaged" => Ok(QuantityName::Damaged),
            "quality_control" => Ok(QuantityName::QualityControl),
            "safety_stock" => Ok(QuantityName::SafetyStock),
            "committed" | "incoming" => Err(format!(
                "the quantity `{name}` is not kept by Stockledger: it keeps available, \
                 reserved, damaged, quality_control, safety_stock and their sum on_hand"
            )),
            other => Err(format!("`{other}` is not a quantity name")),
        }
    }

    /// The name as Shopify spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            QuantityName::Available => "available",
            QuantityName::Reserved => "reserved",
            QuantityName::Damaged => "damaged",
            QuantityName::QualityControl => "quality_control",
            QuantityName::SafetyStock => "safety_stock",
            QuantityName::OnHand => "on_hand",
        }
    }

    /// The kept states whose counts make up this quantity.
    pub fn states(self) -> &'static [InventoryState] {
        match self {
            QuantityName::Available => &[InventoryState::InStock],
            QuantityName::Reserved => &[InventoryState::ReservedForSale],
            QuantityName::Damaged => &[InventoryState::Damaged],
            QuantityName::QualityControl => &[InventoryState::QualityControl],
            QuantityName::SafetyStock => &[InventoryState::SafetyStock],
            QuantityName::OnHand => &READ_STATES,
        }
    }

    /// The one state a name writes to, if the mutations write it (`reserved` moves only
    /// through reservations; `on_hand` is a sum).
    pub fn writable_state(self) -> Option<InventoryState> {
        match self {
            QuantityName::Available => Some(InventoryState::InStock),
            QuantityName::Damaged => Some(InventoryState::Damaged),
            QuantityName::QualityControl => Some(InventoryState::QualityControl),
            QuantityName::SafetyStock => Some(InventoryState::SafetyStock),
            QuantityName::Reserved | QuantityName::OnHand => None,
        }
    }
}

/// The states every name reads from: on_hand's.
pub const READ_STATES: [InventoryState; 5] = [
    InventoryState::InStock,
    InventoryState::ReservedForSale,
    InventoryState::Damaged,
    InventoryState::QualityControl,
    InventoryState::SafetyStock,
];

/// A quantity as GraphQL's 32-bit `Int`, or why it cannot be one (a fraction, or beyond
/// ±2^31): Stockledger's exact quantities are never rounded.
pub fn to_int(quantity: Fixed5) -> Result<i32, String> {
    let units = quantity.units();
    if units % 100_000 != 0 {
        return Err(format!(
            "the quantity {quantity} has a fraction, which Shopify's Int cannot carry: read it \
             through Stockledger's gRPC API"
        ));
    }
    i32::try_from(units / 100_000)
        .map_err(|_| format!("the quantity {quantity} is beyond Shopify's Int"))
}

/// The sum of `name`'s states among `counts` (state, quantity); a state with no count is 0.
pub fn quantity_of(name: QuantityName, counts: &[(InventoryState, Fixed5)]) -> Fixed5 {
    name.states()
        .iter()
        .flat_map(|state| counts.iter().filter(move |(s, _)| s == state))
        .fold(Fixed5::from_units(0), |sum, (_, q)| {
            sum.checked_add(*q).unwrap_or(sum)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: i64) -> Fixed5 {
        Fixed5::from_units(n * 100_000)
    }

    #[test]
    fn on_hand_is_the_sum_of_the_kept_names_without_waste() {
        let counts = [
            (InventoryState::InStock, units(7)),
            (InventoryState::ReservedForSale, units(2)),
            (InventoryState::Damaged, units(3)),
            (InventoryState::SafetyStock, units(1)),
            (InventoryState::Waste, units(40)),
        ];
        assert_eq!(quantity_of(QuantityName::Available, &counts), units(7));
        assert_eq!(quantity_of(QuantityName::Reserved, &counts), units(2));
        assert_eq!(quantity_of(QuantityName::Damaged, &counts), units(3));
        assert_eq!(quantity_of(QuantityName::QualityControl, &counts), units(0));
        assert_eq!(quantity_of(QuantityName::OnHand, &counts), units(13));
        assert_eq!(quantity_of(QuantityName::Reserved, &counts[..1]), units(0));
    }

    #[test]
    fn names_not_kept_are_refused_by_name() {
        for name in ["committed", "incoming"] {
            let refused = QuantityName::parse(name).unwrap_err();
            assert!(
                refused.contains(name) && refused.contains("not kept"),
                "{refused}"
            );
        }
        assert!(QuantityName::parse("Available").is_err());
        assert_eq!(QuantityName::parse("damaged"), Ok(QuantityName::Damaged));
        assert_eq!(QuantityName::Reserved.writable_state(), None);
        assert_eq!(QuantityName::parse("on_hand"), Ok(QuantityName::OnHand));
    }

    #[test]
    fn only_whole_quantities_within_int_are_answered() {
        assert_eq!(to_int(units(-3)), Ok(-3));
        assert!(to_int(Fixed5::from_units(150_000)).is_err());
        assert!(to_int(units(1 << 31)).is_err());
    }
}
