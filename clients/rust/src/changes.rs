//! Builders for the three kinds of inventory change, with [`Decimal`] quantities.
//!
//! Each returns the full message with the required fields set; set the optional ones
//! (`reference_id`, `occurred_at`, `employee_id`, …) on the result before sending. A
//! quantity is any [`IntoDecimal`] (`Decimal::from(5)`, `5`, `"2.5"`); one that is no
//! decimal or has more than five decimal places is refused here with the one [`Error`],
//! naming the field (`adjustment.quantity`, `expected_quantity`, …).
//!
//! A guard (compare-and-swap) is chained on a built change:
//! `adjustment(…)?.expecting(Decimal::from(10))?` or `adjustment(…)?.expecting(Expected::Absent)?`;
//! a batch whose guard does not hold fails with [`crate::GuardRefusal::QuantityMismatch`].
//!
//! The README's guarded changes (`examples/guards.rs` is the whole program):
//!
//! ```no_run
//! # async fn guards(client: stockledger_client::Client, item: String, shop: String, run: u64) -> Result<(), stockledger_client::Error> {
//! use stockledger_client::{changes::{adjustment, Expected}, pb::{self, InventoryState as S}, Decimal, GuardRefusal};
//! let batch = |key: &str, change| pb::BatchChangeInventoryRequest {
//!     idempotency_key: format!("{key}-{run}"), changes: vec![change], ..Default::default() };
//! let receipt = adjustment(&item, &shop, S::None, S::InStock, Decimal::from(5))?.expecting(Expected::Absent)?;
//! client.batch_change_inventory(batch("receive", receipt)).await?;
//! // Sell 2, but only if the shelf still holds the 4 we saw.
//! let sale = adjustment(&item, &shop, S::InStock, S::Sold, Decimal::from(2))?.expecting(Decimal::from(4))?;
//! let err = client.batch_change_inventory(batch("sale", sale)).await.unwrap_err();
//! if let Some(GuardRefusal::QuantityMismatch { actual_quantity, field, .. }) = err.guard_refusal() {
//!     println!("{field} is actually {actual_quantity:?}"); // changes[0].expected_quantity is actually Some(5)
//! }
//! let big_sale = adjustment(&item, &shop, S::InStock, S::Sold, Decimal::from(6))?;
//! let err = client.batch_change_inventory(batch("big-sale", big_sale)).await.unwrap_err();
//! println!("only {:?} available", err.available_quantity()); // only Some(5) available
//! # Ok(())
//! # }
//! ```

use rust_decimal::Decimal;

use crate::Error;
use crate::decimal::{IntoDecimal, field_to_wire};
use crate::pb::{self, InventoryState, inventory_change::Change};

/// `quantity` moved from `from` to `to` (e.g. NONE → IN_STOCK receives stock, IN_STOCK →
/// SOLD sells it) of item `catalog_object_id` at `location_id`.
pub fn adjustment(
    catalog_object_id: impl Into<String>,
    location_id: impl Into<String>,
    from: InventoryState,
    to: InventoryState,
    quantity: impl IntoDecimal,
) -> Result<pb::InventoryChange, Error> {
    Ok(pb::InventoryChange {
        r#type: pb::InventoryChangeType::Adjustment.into(),
        change: Some(Change::Adjustment(pb::InventoryAdjustment {
            catalog_object_id: catalog_object_id.into(),
            location_id: location_id.into(),
            from_state: from.into(),
            to_state: to.into(),
            quantity: field_to_wire(quantity, "adjustment.quantity")?,
            ..Default::default()
        })),
        expected_quantity: None,
    })
}

/// A counted `quantity` of item `catalog_object_id` in `state` at `location_id`.
pub fn physical_count(
    catalog_object_id: impl Into<String>,
    location_id: impl Into<String>,
    state: InventoryState,
    quantity: impl IntoDecimal,
) -> Result<pb::InventoryChange, Error> {
    Ok(pb::InventoryChange {
        r#type: pb::InventoryChangeType::PhysicalCount.into(),
        change: Some(Change::PhysicalCount(pb::InventoryPhysicalCount {
            catalog_object_id: catalog_object_id.into(),
            location_id: location_id.into(),
            state: state.into(),
            quantity: field_to_wire(quantity, "physical_count.quantity")?,
            ..Default::default()
        })),
        expected_quantity: None,
    })
}

/// `quantity` of item `catalog_object_id` in `state` moved from one location to another.
pub fn transfer(
    catalog_object_id: impl Into<String>,
    from_location_id: impl Into<String>,
    to_location_id: impl Into<String>,
    state: InventoryState,
    quantity: impl IntoDecimal,
) -> Result<pb::InventoryChange, Error> {
    Ok(pb::InventoryChange {
        r#type: pb::InventoryChangeType::Transfer.into(),
        change: Some(Change::Transfer(pb::InventoryTransfer {
            catalog_object_id: catalog_object_id.into(),
            from_location_id: from_location_id.into(),
            to_location_id: to_location_id.into(),
            state: state.into(),
            quantity: field_to_wire(quantity, "transfer.quantity")?,
            ..Default::default()
        })),
        expected_quantity: None,
    })
}

/// What a guarded change expects of the count it takes from (an adjustment's `from_state`
/// count, its `to_state` count for a receipt from NONE; the count a physical count
/// replaces; a transfer's source count), just before the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// The count holds exactly this quantity.
    Quantity(Decimal),
    /// The count does not exist yet (absent is not zero): the server's `ABSENT`.
    Absent,
}

impl From<Decimal> for Expected {
    fn from(quantity: Decimal) -> Self {
        Expected::Quantity(quantity)
    }
}

/// How `expected_quantity` spells [`Expected::Absent`].
pub(crate) const ABSENT: &str = "ABSENT";

impl pb::InventoryChange {
    /// This change guarded by `expected` (a [`Decimal`] or [`Expected::Absent`]): sets
    /// `expected_quantity`. When the count does not hold it, the whole batch is refused
    /// with [`crate::GuardRefusal::QuantityMismatch`].
    pub fn expecting(mut self, expected: impl Into<Expected>) -> Result<Self, Error> {
        self.expected_quantity = Some(match expected.into() {
            Expected::Quantity(quantity) => field_to_wire(quantity, "expected_quantity")?,
            Expected::Absent => ABSENT.to_owned(),
        });
        Ok(self)
    }
}

/// Names a standard adjustment reason (`reason(InventoryAdjustmentReasonType::Damaged)`).
pub fn reason(reason_type: pb::InventoryAdjustmentReasonType) -> pb::InventoryAdjustmentReasonId {
    pb::InventoryAdjustmentReasonId {
        r#type: reason_type.into(),
        custom_reason_id: String::new(),
    }
}

/// Names a merchant's custom adjustment reason by its id.
pub fn custom_reason(custom_reason_id: impl Into<String>) -> pb::InventoryAdjustmentReasonId {
    pb::InventoryAdjustmentReasonId {
        r#type: pb::InventoryAdjustmentReasonType::Custom.into(),
        custom_reason_id: custom_reason_id.into(),
    }
}

impl pb::InventoryChange {
    /// This change (adjustment, physical count or transfer) carrying why it was made: a
    /// standard reason (not a system code) or a custom one that is not deleted (a deleted
    /// one is refused: [`crate::Error::is_adjustment_reason_deleted`]).
    pub fn with_reason(mut self, reason_id: pb::InventoryAdjustmentReasonId) -> Self {
        match &mut self.change {
            Some(Change::Adjustment(a)) => a.reason_id = Some(reason_id),
            Some(Change::PhysicalCount(c)) => c.reason_id = Some(reason_id),
            Some(Change::Transfer(t)) => t.reason_id = Some(reason_id),
            None => {}
        }
        self
    }

    /// This receipt (an adjustment from NONE or UNLINKED_RETURN) carrying what its units
    /// cost; the server refuses a cost on any other change. No-op on a physical count or a
    /// transfer.
    pub fn with_cost(
        mut self,
        amount: impl IntoDecimal,
        currency: impl Into<String>,
    ) -> Result<Self, Error> {
        if let Some(Change::Adjustment(a)) = &mut self.change {
            a.cost_money = Some(money_at(amount, currency, "adjustment.cost_money.amount")?);
        }
        Ok(self)
    }

    /// This receipt carrying whom its units were bought from (receipts only, as
    /// [`pb::InventoryChange::with_cost`]).
    pub fn with_vendor(mut self, vendor_id: impl Into<String>) -> Self {
        if let Some(Change::Adjustment(a)) = &mut self.change {
            a.vendor_id = vendor_id.into();
        }
        self
    }
}

/// An amount of money (e.g. an adjustment's `total_price_money`).
pub fn money(amount: impl IntoDecimal, currency: impl Into<String>) -> Result<pb::Money, Error> {
    money_at(amount, currency, "amount")
}

/// [`money`] as the request field whose `amount` is at `amount_field`.
pub(crate) fn money_at(
    amount: impl IntoDecimal,
    currency: impl Into<String>,
    amount_field: &str,
) -> Result<pb::Money, Error> {
    Ok(pb::Money {
        amount: field_to_wire(amount, amount_field)?,
        currency: currency.into(),
    })
}

/// The id of a change, whichever kind it is (empty if none is set).
pub fn change_id(change: &pb::InventoryChange) -> &str {
    match &change.change {
        Some(Change::Adjustment(a)) => &a.id,
        Some(Change::PhysicalCount(c)) => &c.id,
        Some(Change::Transfer(t)) => &t.id,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_changes_with_wire_quantities() {
        let sale = adjustment(
            "item",
            "loc",
            InventoryState::InStock,
            InventoryState::Sold,
            Decimal::new(30, 1),
        )
        .unwrap();
        assert_eq!(sale.r#type(), pb::InventoryChangeType::Adjustment);
        let Some(Change::Adjustment(a)) = &sale.change else {
            panic!("not an adjustment: {sale:?}")
        };
        assert_eq!(
            (a.quantity.as_str(), a.from_state(), a.to_state()),
            ("3", InventoryState::InStock, InventoryState::Sold)
        );
        let count = physical_count("item", "loc", InventoryState::InStock, Decimal::new(93, 0));
        assert!(matches!(
            count.unwrap().change,
            Some(Change::PhysicalCount(ref c)) if c.quantity == "93"
        ));
        let moved = transfer("item", "a", "b", InventoryState::Waste, Decimal::ONE).unwrap();
        assert_eq!(moved.r#type(), pb::InventoryChangeType::Transfer);
        assert_eq!(money(Decimal::new(1999, 2), "EUR").unwrap().amount, "19.99");
    }

    #[test]
    fn guards_a_change_with_a_quantity_or_absent() {
        let receipt = adjustment(
            "i",
            "l",
            InventoryState::None,
            InventoryState::InStock,
            Decimal::ONE,
        )
        .unwrap();
        assert_eq!(receipt.expected_quantity, None);
        let guarded = receipt.clone().expecting(Decimal::new(1000, 2)).unwrap();
        assert_eq!(guarded.expected_quantity.as_deref(), Some("10"));
        let absent = receipt.clone().expecting(Expected::Absent).unwrap();
        assert_eq!(absent.expected_quantity.as_deref(), Some("ABSENT"));
        let err = receipt.expecting(Decimal::new(1_123_456, 6)).unwrap_err();
        assert_eq!(err.field(), Some("expected_quantity"));
    }

    #[test]
    fn sets_reason_cost_and_vendor() {
        let damaged = reason(pb::InventoryAdjustmentReasonType::Damaged);
        let receipt = adjustment(
            "i",
            "l",
            InventoryState::None,
            InventoryState::InStock,
            Decimal::ONE,
        )
        .unwrap()
        .with_reason(custom_reason("r1"))
        .with_cost(Decimal::new(1250, 2), "EUR")
        .unwrap()
        .with_vendor("v1");
        let Some(Change::Adjustment(a)) = &receipt.change else {
            panic!("not an adjustment: {receipt:?}")
        };
        assert_eq!(a.reason_id, Some(custom_reason("r1")));
        assert_eq!(
            a.reason_id.as_ref().unwrap().r#type(),
            pb::InventoryAdjustmentReasonType::Custom
        );
        assert_eq!(
            a.cost_money.as_ref().map(|m| m.amount.as_str()),
            Some("12.5")
        );
        assert_eq!(a.vendor_id, "v1");
        let counted = physical_count("i", "l", InventoryState::InStock, Decimal::ONE)
            .unwrap()
            .with_reason(damaged.clone());
        assert!(matches!(
            counted.change,
            Some(Change::PhysicalCount(ref c)) if c.reason_id.as_ref() == Some(&damaged)
        ));
    }

    #[test]
    fn refuses_quantities_the_server_would_refuse() {
        let too_precise = Decimal::new(1_123_456, 6);
        let err = adjustment(
            "i",
            "l",
            InventoryState::None,
            InventoryState::InStock,
            too_precise,
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.reason(), err.field()),
            (
                tonic::Code::InvalidArgument,
                Some(crate::INVALID_VALUE),
                Some("adjustment.quantity")
            )
        );
        // A quantity string that is no decimal: the same error, not a panic or a zero.
        let err = transfer("i", "a", "b", InventoryState::InStock, "12 units").unwrap_err();
        assert_eq!(err.field(), Some("transfer.quantity"));
        let err = physical_count("i", "l", InventoryState::InStock, "1e3").unwrap_err();
        assert_eq!(err.field(), Some("physical_count.quantity"));
        let err = adjustment("i", "l", InventoryState::None, InventoryState::InStock, 1)
            .unwrap()
            .with_cost("9.999999", "EUR")
            .unwrap_err();
        assert_eq!(err.field(), Some("adjustment.cost_money.amount"));
        // A good string is sent as it reads.
        let counted = physical_count("i", "l", InventoryState::InStock, "2.50").unwrap();
        assert!(matches!(
            counted.change,
            Some(Change::PhysicalCount(ref c)) if c.quantity == "2.5"
        ));
    }
}
