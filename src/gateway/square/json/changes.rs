//! Square's three kinds of change — `InventoryAdjustment`, `InventoryPhysicalCount`,
//! `InventoryTransfer` — and the `InventoryChange` holding one, both ways: as Square
//! answers them (a transfer as the 2026 model's adjustment between two locations) and read
//! from a request (an adjustment between two locations as the ledger's transfer).

use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::encoding::{
    product_name, product_number, state_name, state_number, time_from_json, times_to_json,
    type_name, type_number,
};
use super::reasons::{InventoryAdjustmentReasonId, reason_id_to_json, square_reason_id};
use super::{INVALID_REQUEST_ERROR, Money, Refusal, is_empty, money_from_json, money_to_json};
use crate::proto::v1 as pb;

/// Square's `SourceApplication` (read-only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceApplication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub application_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub name: String,
}

/// Square's `InventoryAdjustment`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryAdjustment {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub reference_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_state: Option<String>,
    /// Square's model before 2026: the one location of the adjustment.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub location_id: String,
    /// Square's 2026 model: where the stock was before the adjustment.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub from_location_id: String,
    /// Square's 2026 model: where the stock is after the adjustment.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub to_location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceApplication>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub team_member_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub transaction_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub refund_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub purchase_order_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub goods_receipt_id: String,
    /// Square 2026: why the stock moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_id: Option<InventoryAdjustmentReasonId>,
    /// Square 2026: what a receipt cost the merchant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_money: Option<Money>,
    /// Square 2026: the vendor of a receipt.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub vendor_id: String,
}

/// Square's `InventoryPhysicalCount`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryPhysicalCount {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub reference_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceApplication>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub team_member_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// Square's `InventoryTransfer`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryTransfer {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub reference_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub from_location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub to_location_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub catalog_object_type: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceApplication>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub team_member_id: String,
}

/// Square's `InventoryChange`: a type and one of the three kinds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryChange {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub change_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_count: Option<InventoryPhysicalCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<InventoryAdjustment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<InventoryTransfer>,
}

fn source_to_json(source: &Option<pb::SourceApplication>) -> Option<SourceApplication> {
    source.as_ref().map(|s| SourceApplication {
        product: product_name(s.product),
        application_id: s.application_id.clone(),
        name: s.name.clone(),
    })
}

fn source_from_json(source: &Option<SourceApplication>) -> Option<pb::SourceApplication> {
    source.as_ref().map(|s| pb::SourceApplication {
        product: product_number(&s.product),
        application_id: s.application_id.clone(),
        name: s.name.clone(),
    })
}

/// An adjustment as Square's 2026 model answers it: its location as `from_location_id` =
/// `to_location_id` (the retired `location_id` is read, never answered).
pub fn adjustment_to_json(a: &pb::InventoryAdjustment) -> InventoryAdjustment {
    InventoryAdjustment {
        id: a.id.clone(),
        reference_id: a.reference_id.clone(),
        from_state: state_name(a.from_state),
        to_state: state_name(a.to_state),
        location_id: String::new(),
        from_location_id: a.location_id.clone(),
        to_location_id: a.location_id.clone(),
        catalog_object_id: a.catalog_object_id.clone(),
        catalog_object_type: a.catalog_object_type.clone(),
        quantity: a.quantity.clone(),
        total_price_money: a.total_price_money.as_ref().map(money_to_json),
        occurred_at: times_to_json(&a.occurred_at),
        created_at: times_to_json(&a.created_at),
        source: source_to_json(&a.source),
        employee_id: a.employee_id.clone(),
        team_member_id: a.team_member_id.clone(),
        transaction_id: a.transaction_id.clone(),
        refund_id: a.refund_id.clone(),
        purchase_order_id: a.purchase_order_id.clone(),
        goods_receipt_id: a.goods_receipt_id.clone(),
        reason_id: a.reason_id.as_ref().map(reason_id_to_json),
        cost_money: a.cost_money.as_ref().map(money_to_json),
        vendor_id: a.vendor_id.clone(),
    }
}

/// A transfer as Square's 2026 model writes it: an adjustment between two locations that
/// keeps its state.
pub fn transfer_as_adjustment(t: &pb::InventoryTransfer) -> InventoryAdjustment {
    InventoryAdjustment {
        id: t.id.clone(),
        reference_id: t.reference_id.clone(),
        from_state: state_name(t.state),
        to_state: state_name(t.state),
        from_location_id: t.from_location_id.clone(),
        to_location_id: t.to_location_id.clone(),
        catalog_object_id: t.catalog_object_id.clone(),
        catalog_object_type: t.catalog_object_type.clone(),
        quantity: t.quantity.clone(),
        occurred_at: times_to_json(&t.occurred_at),
        created_at: times_to_json(&t.created_at),
        source: source_to_json(&t.source),
        employee_id: t.employee_id.clone(),
        team_member_id: t.team_member_id.clone(),
        reason_id: t.reason_id.as_ref().map(reason_id_to_json),
        ..InventoryAdjustment::default()
    }
}

/// Where an adjustment of a request takes place: Square's older `location_id`, or the 2026
/// `from_location_id` / `to_location_id`, which name two locations when stock moves.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// One location (empty when none is named: the service refuses the missing location).
    At(String),
    /// From one location to another.
    Between { from: String, to: String },
}

fn adjustment_place(field: &str, a: &InventoryAdjustment) -> Result<Place, Refusal> {
    let mut named: Vec<&String> = [&a.location_id, &a.from_location_id, &a.to_location_id]
        .into_iter()
        .filter(|id| !id.is_empty())
        .collect();
    named.dedup();
    match named.as_slice() {
        [] => Ok(Place::At(String::new())),
        [one] => Ok(Place::At((*one).clone())),
        [from, to] if a.location_id.is_empty() => Ok(Place::Between {
            from: (*from).clone(),
            to: (*to).clone(),
        }),
        _ => Err(Refusal::invalid_value(
            &format!("{field}.location_id"),
            "location_id, from_location_id and to_location_id name different locations",
        )),
    }
}

/// An adjustment of a request: at one location, the ledger's adjustment; between two, the
/// ledger's transfer (which keeps its state and holds no sale or purchase fields).
fn adjustment_change_from_json(
    field: &str,
    a: &InventoryAdjustment,
) -> Result<(pb::InventoryChangeType, pb::inventory_change::Change), Refusal> {
    use pb::inventory_change::Change;
    let (from, to) = match adjustment_place(field, a)? {
        Place::At(location) => {
            let adjustment = adjustment_from_json(field, a, location)?;
            return Ok((
                pb::InventoryChangeType::Adjustment,
                Change::Adjustment(adjustment),
            ));
        }
        Place::Between { from, to } => (from, to),
    };
    // Checked as written, before the states become the transfer's one state.
    state_number(&format!("{field}.from_state"), &a.from_state)?;
    state_number(&format!("{field}.to_state"), &a.to_state)?;
    let state = a.from_state.clone().or_else(|| a.to_state.clone());
    if a.to_state.is_some() && a.to_state != state {
        return Err(Refusal::invalid_value(
            &format!("{field}.to_state"),
            "an adjustment between two locations keeps its state: to_state must be from_state",
        ));
    }
    let sale_or_purchase = [
        ("total_price_money", a.total_price_money.is_some()),
        ("transaction_id", !a.transaction_id.is_empty()),
        ("refund_id", !a.refund_id.is_empty()),
        ("purchase_order_id", !a.purchase_order_id.is_empty()),
        ("goods_receipt_id", !a.goods_receipt_id.is_empty()),
        ("cost_money", a.cost_money.is_some()),
        ("vendor_id", !a.vendor_id.is_empty()),
    ];
    if let Some((name, _)) = sale_or_purchase.iter().find(|(_, set)| *set) {
        return Err(Refusal::invalid_value(
            &format!("{field}.{name}"),
            "is not kept on an adjustment between two locations",
        ));
    }
    let transfer = InventoryTransfer {
        id: a.id.clone(),
        reference_id: a.reference_id.clone(),
        state,
        from_location_id: from,
        to_location_id: to,
        catalog_object_id: a.catalog_object_id.clone(),
        catalog_object_type: a.catalog_object_type.clone(),
        quantity: a.quantity.clone(),
        occurred_at: a.occurred_at.clone(),
        created_at: a.created_at.clone(),
        source: a.source.clone(),
        employee_id: a.employee_id.clone(),
        team_member_id: a.team_member_id.clone(),
    };
    let mut transfer = transfer_from_json(field, &transfer)?;
    transfer.reason_id = a
        .reason_id
        .as_ref()
        .map(|r| square_reason_id(&format!("{field}.reason_id"), r))
        .transpose()?;
    Ok((
        pb::InventoryChangeType::Transfer,
        Change::Transfer(transfer),
    ))
}

fn adjustment_from_json(
    field: &str,
    a: &InventoryAdjustment,
    location_id: String,
) -> Result<pb::InventoryAdjustment, Refusal> {
    Ok(pb::InventoryAdjustment {
        id: a.id.clone(),
        reference_id: a.reference_id.clone(),
        from_state: state_number(&format!("{field}.from_state"), &a.from_state)?,
        to_state: state_number(&format!("{field}.to_state"), &a.to_state)?,
        location_id,
        catalog_object_id: a.catalog_object_id.clone(),
        catalog_object_type: a.catalog_object_type.clone(),
        quantity: a.quantity.clone(),
        total_price_money: a.total_price_money.as_ref().map(money_from_json),
        occurred_at: time_from_json(&format!("{field}.occurred_at"), &a.occurred_at)?,
        created_at: time_from_json(&format!("{field}.created_at"), &a.created_at)?,
        source: source_from_json(&a.source),
        employee_id: a.employee_id.clone(),
        team_member_id: a.team_member_id.clone(),
        transaction_id: a.transaction_id.clone(),
        refund_id: a.refund_id.clone(),
        purchase_order_id: a.purchase_order_id.clone(),
        goods_receipt_id: a.goods_receipt_id.clone(),
        reservation_id: String::new(),
        reason_id: a
            .reason_id
            .as_ref()
            .map(|r| square_reason_id(&format!("{field}.reason_id"), r))
            .transpose()?,
        cost_money: a.cost_money.as_ref().map(money_from_json),
        vendor_id: a.vendor_id.clone(),
    })
}

pub fn physical_count_to_json(c: &pb::InventoryPhysicalCount) -> InventoryPhysicalCount {
    InventoryPhysicalCount {
        id: c.id.clone(),
        reference_id: c.reference_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: c.catalog_object_type.clone(),
        state: state_name(c.state),
        location_id: c.location_id.clone(),
        quantity: c.quantity.clone(),
        source: source_to_json(&c.source),
        employee_id: c.employee_id.clone(),
        team_member_id: c.team_member_id.clone(),
        occurred_at: times_to_json(&c.occurred_at),
        created_at: times_to_json(&c.created_at),
    }
}

fn physical_count_from_json(
    field: &str,
    c: &InventoryPhysicalCount,
) -> Result<pb::InventoryPhysicalCount, Refusal> {
    Ok(pb::InventoryPhysicalCount {
        id: c.id.clone(),
        reference_id: c.reference_id.clone(),
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: c.catalog_object_type.clone(),
        state: state_number(&format!("{field}.state"), &c.state)?,
        location_id: c.location_id.clone(),
        quantity: c.quantity.clone(),
        source: source_from_json(&c.source),
        employee_id: c.employee_id.clone(),
        team_member_id: c.team_member_id.clone(),
        occurred_at: time_from_json(&format!("{field}.occurred_at"), &c.occurred_at)?,
        created_at: time_from_json(&format!("{field}.created_at"), &c.created_at)?,
        reason_id: None,
    })
}

pub fn transfer_to_json(t: &pb::InventoryTransfer) -> InventoryTransfer {
    InventoryTransfer {
        id: t.id.clone(),
        reference_id: t.reference_id.clone(),
        state: state_name(t.state),
        from_location_id: t.from_location_id.clone(),
        to_location_id: t.to_location_id.clone(),
        catalog_object_id: t.catalog_object_id.clone(),
        catalog_object_type: t.catalog_object_type.clone(),
        quantity: t.quantity.clone(),
        occurred_at: times_to_json(&t.occurred_at),
        created_at: times_to_json(&t.created_at),
        source: source_to_json(&t.source),
        employee_id: t.employee_id.clone(),
        team_member_id: t.team_member_id.clone(),
    }
}

fn transfer_from_json(
    field: &str,
    t: &InventoryTransfer,
) -> Result<pb::InventoryTransfer, Refusal> {
    Ok(pb::InventoryTransfer {
        id: t.id.clone(),
        reference_id: t.reference_id.clone(),
        state: state_number(&format!("{field}.state"), &t.state)?,
        from_location_id: t.from_location_id.clone(),
        to_location_id: t.to_location_id.clone(),
        catalog_object_id: t.catalog_object_id.clone(),
        catalog_object_type: t.catalog_object_type.clone(),
        quantity: t.quantity.clone(),
        occurred_at: time_from_json(&format!("{field}.occurred_at"), &t.occurred_at)?,
        created_at: time_from_json(&format!("{field}.created_at"), &t.created_at)?,
        source: source_from_json(&t.source),
        employee_id: t.employee_id.clone(),
        team_member_id: t.team_member_id.clone(),
        reason_id: None,
    })
}

pub fn change_to_json(c: &pb::InventoryChange) -> InventoryChange {
    use pb::inventory_change::Change;
    let mut json = InventoryChange {
        change_type: type_name(c.r#type),
        ..InventoryChange::default()
    };
    match &c.change {
        Some(Change::Adjustment(a)) => json.adjustment = Some(adjustment_to_json(a)),
        Some(Change::PhysicalCount(p)) => json.physical_count = Some(physical_count_to_json(p)),
        // Square's 2026 model has no transfers: stock moves by an adjustment between two
        // locations (the deprecated transfer paths still answer them as transfers).
        Some(Change::Transfer(t)) => {
            json.change_type = Some("ADJUSTMENT".to_owned());
            json.adjustment = Some(transfer_as_adjustment(t));
        }
        None => {}
    }
    json
}

/// A change of a request at `changes[index]`. Square's JSON may set several kinds at once;
/// the proto's oneof holds one, so more than one is refused here (INVALID_REQUEST_ERROR,
/// the same words the service uses for a type that contradicts its member).
pub fn change_from_json(index: usize, c: &InventoryChange) -> Result<pb::InventoryChange, Refusal> {
    use pb::inventory_change::Change;
    let field = format!("changes[{index}]");
    let set = [
        c.adjustment.is_some(),
        c.physical_count.is_some(),
        c.transfer.is_some(),
    ];
    if set.iter().filter(|s| **s).count() > 1 {
        return Err(Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            "INVALID_VALUE",
            "must set exactly one of adjustment, physical_count and transfer",
            Some(field),
        ));
    }
    let mut change_type = c.change_type.as_deref().map(type_number).unwrap_or(0);
    let change = if let Some(a) = &c.adjustment {
        let (kind, change) = adjustment_change_from_json(&format!("{field}.adjustment"), a)?;
        // A move between locations is the ledger's transfer; its declared type follows.
        if kind == pb::InventoryChangeType::Transfer
            && change_type == pb::InventoryChangeType::Adjustment as i32
        {
            change_type = kind as i32;
        }
        Some(change)
    } else if let Some(p) = &c.physical_count {
        Some(Change::PhysicalCount(physical_count_from_json(
            &format!("{field}.physical_count"),
            p,
        )?))
    } else if let Some(t) = &c.transfer {
        Some(Change::Transfer(transfer_from_json(
            &format!("{field}.transfer"),
            t,
        )?))
    } else {
        None
    };
    Ok(pb::InventoryChange {
        r#type: change_type,
        change,
        expected_quantity: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::gateway::square::json::fixtures::*;

    /// Every field of each kind of change, both ways: proto → Square JSON is exactly the
    /// expected object, and that object read back is the proto again.
    #[test]
    fn every_field_of_every_change_both_ways() {
        use pb::inventory_change::Change;
        let table: [(pb::InventoryChange, Value); 3] = [
            (
                pb::InventoryChange {
                    expected_quantity: None,
                    r#type: pb::InventoryChangeType::Adjustment as i32,
                    change: Some(Change::Adjustment(adjustment())),
                },
                json!({"type": "ADJUSTMENT", "adjustment": adjustment_json()}),
            ),
            (
                pb::InventoryChange {
                    expected_quantity: None,
                    r#type: pb::InventoryChangeType::PhysicalCount as i32,
                    change: Some(Change::PhysicalCount(physical_count())),
                },
                json!({"type": "PHYSICAL_COUNT", "physical_count": physical_count_json()}),
            ),
            (
                pb::InventoryChange {
                    expected_quantity: None,
                    r#type: pb::InventoryChangeType::Transfer as i32,
                    change: Some(Change::Transfer(transfer())),
                },
                // Square's 2026 model: a move is an adjustment between two locations.
                json!({"type": "ADJUSTMENT", "adjustment": transfer_as_adjustment_json()}),
            ),
        ];
        for (proto, expected) in table {
            assert_eq!(to_value(&change_to_json(&proto)), expected);
            let read: InventoryChange = serde_json::from_value(expected.clone()).unwrap();
            assert_eq!(change_from_json(0, &read).unwrap(), proto, "{expected}");
        }
        // The older TRANSFER change is still read, for integrations written before 2026.
        let read: InventoryChange =
            serde_json::from_value(json!({"type": "TRANSFER", "transfer": transfer_json()}))
                .unwrap();
        assert_eq!(
            change_from_json(0, &read).unwrap(),
            pb::InventoryChange {
                expected_quantity: None,
                r#type: pb::InventoryChangeType::Transfer as i32,
                change: Some(Change::Transfer(transfer())),
            }
        );
        assert_eq!(
            to_value(&transfer_to_json(&transfer())),
            transfer_json(),
            "the deprecated transfer paths answer a transfer"
        );
    }

    /// Where an adjustment of a request takes place, under each model's names.
    #[test]
    fn adjustment_locations_of_both_models() {
        use pb::inventory_change::Change;
        // The change type and locations read, or the field refused.
        type Expected = Result<(i32, &'static str, &'static str), &'static str>;
        let table: Vec<(Value, Expected)> = vec![
            (json!({"location_id": "a"}), Ok((1, "a", ""))),
            (json!({"to_location_id": "a"}), Ok((1, "a", ""))),
            (json!({"from_location_id": "a"}), Ok((1, "a", ""))),
            (
                json!({"from_location_id": "a", "to_location_id": "a"}),
                Ok((1, "a", "")),
            ),
            (
                json!({"location_id": "a", "from_location_id": "a", "to_location_id": "a"}),
                Ok((1, "a", "")),
            ),
            (json!({}), Ok((1, "", ""))),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK", "to_state": "IN_STOCK"}),
                Ok((3, "a", "b")),
            ),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK"}),
                Ok((3, "a", "b")),
            ),
            (
                json!({"location_id": "a", "to_location_id": "b"}),
                Err("changes[0].adjustment.location_id"),
            ),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK", "to_state": "SOLD"}),
                Err("changes[0].adjustment.to_state"),
            ),
            (
                json!({"from_location_id": "a", "to_location_id": "b", "from_state": "IN_STOCK", "refund_id": "r"}),
                Err("changes[0].adjustment.refund_id"),
            ),
        ];
        for (adjustment, expected) in table {
            let read: InventoryChange =
                serde_json::from_value(json!({"type": "ADJUSTMENT", "adjustment": adjustment}))
                    .unwrap();
            let got = change_from_json(0, &read);
            match expected {
                Ok((change_type, from, to)) => {
                    let change = got.unwrap_or_else(|r| panic!("{adjustment}: {r:?}"));
                    assert_eq!(change.r#type, change_type, "{adjustment}");
                    let place = match change.change {
                        Some(Change::Adjustment(a)) => (a.location_id, String::new()),
                        Some(Change::Transfer(t)) => (t.from_location_id, t.to_location_id),
                        other => panic!("{adjustment}: {other:?}"),
                    };
                    assert_eq!(place, (from.to_owned(), to.to_owned()), "{adjustment}");
                }
                Err(field) => {
                    let refusal = got.unwrap_err();
                    assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{adjustment}");
                    assert_eq!(refusal.envelope.errors[0].code, "INVALID_VALUE");
                    assert_eq!(
                        refusal.envelope.errors[0].field.as_deref(),
                        Some(field),
                        "{adjustment}"
                    );
                }
            }
        }
    }

    /// Empty proto fields are left out of Square's JSON, and absent JSON fields are empty.
    #[test]
    fn empty_fields_are_left_out() {
        let empty = pb::InventoryChange {
            expected_quantity: None,
            r#type: pb::InventoryChangeType::Adjustment as i32,
            change: Some(pb::inventory_change::Change::Adjustment(
                pb::InventoryAdjustment::default(),
            )),
        };
        let json = json!({"type": "ADJUSTMENT", "adjustment": {}});
        assert_eq!(to_value(&change_to_json(&empty)), json);
        let read: InventoryChange = serde_json::from_value(json).unwrap();
        assert_eq!(change_from_json(0, &read).unwrap(), empty);
    }

    #[test]
    fn unknown_fields_and_two_kinds_are_refused() {
        let unknown = serde_json::from_value::<InventoryChange>(
            json!({"adjustment": {"quantity": "1", "reason_id": "x"}}),
        );
        assert!(unknown.is_err());
        let two: InventoryChange = serde_json::from_value(json!({
            "adjustment": {}, "physical_count": {}
        }))
        .unwrap();
        let refusal = change_from_json(3, &two).unwrap_err();
        assert_eq!(
            refusal.envelope.errors[0].field.as_deref(),
            Some("changes[3]")
        );
        assert_eq!(refusal.envelope.errors[0].code, "INVALID_VALUE");
    }
}
