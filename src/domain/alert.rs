//! Low-stock alerts (docs/alerts.md): the rule that turns a committed change's count
//! updates into alerts. An IN_STOCK count is low when its quantity is at or below the
//! reorder point of its item at its location; an alert is written when a change moves the
//! count across that line — down (`LOW`) or back up (`RECOVERED`) — never while it stays on
//! one side. A count that did not exist before counts as 0.
//!
//! The updates carry exact previous quantities (the group holds the counts' locks), so each
//! crossing is decided once, by the change that makes it.

use std::collections::HashMap;

use super::decimal::Fixed5;
use super::error::{Violation, reasons};
use super::ledger::{InventoryState, MAX_CHANGE_QUANTITY};
use super::plan::PlannedCountUpdate;

/// Which way a count crossed its reorder point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// From above the reorder point to at or below it.
    Low,
    /// From at or below the reorder point to above it.
    Recovered,
}

impl AlertKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Low => "LOW",
            AlertKind::Recovered => "RECOVERED",
        }
    }

    /// Back from [`AlertKind::as_str`].
    pub fn from_stored(name: &str) -> Option<AlertKind> {
        match name {
            "LOW" => Some(AlertKind::Low),
            "RECOVERED" => Some(AlertKind::Recovered),
            _ => None,
        }
    }
}

/// Whether a count is low: at or below its reorder point.
pub fn is_low(quantity: Fixed5, reorder_point: Fixed5) -> bool {
    quantity <= reorder_point
}

/// The crossing a count makes from `previous` (`None`: it did not exist, so 0) to
/// `quantity` against `reorder_point`, if any.
pub fn crossing(
    previous: Option<Fixed5>,
    quantity: Fixed5,
    reorder_point: Fixed5,
) -> Option<AlertKind> {
    let was_low = is_low(previous.unwrap_or(Fixed5::ZERO), reorder_point);
    match (was_low, is_low(quantity, reorder_point)) {
        (false, true) => Some(AlertKind::Low),
        (true, false) => Some(AlertKind::Recovered),
        _ => None,
    }
}

/// A merchant's reorder points among the counts a group moves: (item, location) → point.
pub type ReorderPoints = HashMap<(String, String), Fixed5>;

/// An alert a planned batch writes with its changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedAlert {
    /// Index into the batch's recorded changes (whose feed sequence, id and times it takes).
    pub change: usize,
    /// The ordinal of the count update it follows.
    pub ordinal: i32,
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// Which way the count crossed.
    pub kind: AlertKind,
    /// The IN_STOCK quantity after the change.
    pub quantity: Fixed5,
    /// The reorder point crossed.
    pub reorder_point: Fixed5,
}

/// The alerts of a batch's count updates, in update order: one for each update of an
/// IN_STOCK count that has a reorder point and crosses it.
pub fn alerts(updates: &[PlannedCountUpdate], points: &ReorderPoints) -> Vec<PlannedAlert> {
    if points.is_empty() {
        return Vec::new();
    }
    updates
        .iter()
        .filter(|u| u.key.state == InventoryState::InStock)
        .filter_map(|u| {
            let at = (u.key.catalog_object_id.clone(), u.key.location_id.clone());
            let point = *points.get(&at)?;
            let kind = crossing(u.previous, u.quantity, point)?;
            Some(PlannedAlert {
                change: u.change,
                ordinal: u.ordinal,
                catalog_object_id: at.0,
                location_id: at.1,
                kind,
                quantity: u.quantity,
                reorder_point: point,
            })
        })
        .collect()
}

/// A reorder point as text: at least 0 and at most the largest change quantity, 5
/// decimals at most; a violation names `field`.
pub fn parse_reorder_point(field: &str, text: &str) -> Result<Fixed5, Violation> {
    let point = Fixed5::parse(text).map_err(|e| e.violation(field))?;
    if point.is_negative() {
        return Err(Violation::new(
            field,
            reasons::VALUE_TOO_LOW,
            "must be at least 0",
        ));
    }
    if point > MAX_CHANGE_QUANTITY {
        return Err(Violation::new(
            field,
            reasons::VALUE_TOO_HIGH,
            format!("must be at most {MAX_CHANGE_QUANTITY}"),
        ));
    }
    Ok(point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::CountKey;

    fn q(text: &str) -> Fixed5 {
        Fixed5::parse(text).unwrap()
    }

    #[test]
    fn crossings_table() {
        use AlertKind::{Low, Recovered};
        // (previous, quantity, point, crossing)
        let table: &[(Option<&str>, &str, &str, Option<AlertKind>)] = &[
            (Some("10"), "5", "5", Some(Low)),
            (Some("10"), "4", "5", Some(Low)),
            (Some("10"), "6", "5", None),
            (Some("5"), "4", "5", None),
            (Some("5"), "5.00001", "5", Some(Recovered)),
            (Some("3"), "5", "5", None),
            (Some("0"), "0", "0", None),
            (Some("1"), "0", "0", Some(Low)),
            (Some("0"), "-1", "0", None),
            (Some("-1"), "1", "0", Some(Recovered)),
            // An absent count counts as 0.
            (None, "3", "5", None),
            (None, "6", "5", Some(Recovered)),
            (None, "1", "0", Some(Recovered)),
            (None, "0", "0", None),
        ];
        for (previous, quantity, point, expected) in table {
            assert_eq!(
                crossing(previous.map(q), q(quantity), q(point)),
                *expected,
                "{previous:?} → {quantity} against {point}"
            );
        }
    }

    fn update(
        change: usize,
        ordinal: i32,
        location: &str,
        state: InventoryState,
        from: &str,
        to: &str,
    ) -> PlannedCountUpdate {
        PlannedCountUpdate {
            change,
            ordinal,
            key: CountKey {
                catalog_object_id: "I".into(),
                location_id: location.into(),
                state,
            },
            previous: Some(q(from)),
            quantity: q(to),
        }
    }

    #[test]
    fn only_in_stock_counts_with_a_reorder_point_alert() {
        let points: ReorderPoints = [(("I".to_owned(), "A".to_owned()), q("2"))].into();
        let updates = [
            // A transfer from A to B: A goes low, B has no reorder point.
            update(0, 0, "A", InventoryState::InStock, "3", "1"),
            update(0, 1, "B", InventoryState::InStock, "0", "2"),
            // A sale moves SOLD at A as well; only IN_STOCK counts alert.
            update(1, 0, "A", InventoryState::InStock, "1", "0"),
            update(1, 1, "A", InventoryState::Sold, "0", "1"),
            update(2, 0, "A", InventoryState::InStock, "0", "9"),
        ];
        let found: Vec<_> = alerts(&updates, &points)
            .into_iter()
            .map(|a| (a.change, a.ordinal, a.kind, a.quantity, a.reorder_point))
            .collect();
        assert_eq!(
            found,
            [
                (0, 0, AlertKind::Low, q("1"), q("2")),
                (2, 0, AlertKind::Recovered, q("9"), q("2")),
            ]
        );
        assert!(alerts(&updates, &ReorderPoints::new()).is_empty());
    }

    #[test]
    fn reorder_points_are_non_negative_decimals() {
        assert_eq!(parse_reorder_point("p", "0"), Ok(Fixed5::ZERO));
        assert_eq!(parse_reorder_point("p", "2.5"), Ok(q("2.5")));
        let reason = |text| parse_reorder_point("quantity", text).unwrap_err().reason;
        assert_eq!(reason("-1"), reasons::VALUE_TOO_LOW);
        assert_eq!(reason("1.000001"), reasons::INVALID_VALUE);
        assert_eq!(reason(""), reasons::MISSING_REQUIRED_PARAMETER);
        assert_eq!(reason("x"), reasons::INVALID_VALUE);
        assert_eq!(reason("99999999999999"), reasons::VALUE_TOO_HIGH);
        assert_eq!(
            parse_reorder_point("quantity", "-1").unwrap_err().field,
            "quantity"
        );
    }
}
