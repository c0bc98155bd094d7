//! Test data shared by the tests of Square's JSON: one change of each kind, every field
//! set, as the proto message and as Square's JSON.

use prost_types::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::proto::v1 as pb;

pub(super) fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

pub(super) fn source() -> Option<pb::SourceApplication> {
    Some(pb::SourceApplication {
        product: pb::Product::ExternalApi as i32,
        application_id: "app-1".into(),
        name: "Till".into(),
    })
}

pub(super) const SOURCE_JSON: &str =
    r#"{"product": "EXTERNAL_API", "application_id": "app-1", "name": "Till"}"#;

pub(super) fn adjustment() -> pb::InventoryAdjustment {
    pb::InventoryAdjustment {
        id: "adj-1".into(),
        reference_id: "ref-1".into(),
        from_state: pb::InventoryState::InStock as i32,
        to_state: pb::InventoryState::Sold as i32,
        location_id: "loc-1".into(),
        catalog_object_id: "item-1".into(),
        catalog_object_type: "INVENTORY_ITEM".into(),
        quantity: "3".into(),
        total_price_money: Some(pb::Money {
            amount: "29.97".into(),
            currency: "USD".into(),
        }),
        occurred_at: ts(1_795_000_000, 123_000_000),
        created_at: ts(1_795_000_001, 0),
        source: source(),
        employee_id: "emp-1".into(),
        team_member_id: "tm-1".into(),
        transaction_id: "tx-1".into(),
        refund_id: "rf-1".into(),
        purchase_order_id: "po-1".into(),
        goods_receipt_id: "gr-1".into(),
        reservation_id: String::new(),
        reason_id: Some(pb::InventoryAdjustmentReasonId {
            r#type: pb::InventoryAdjustmentReasonType::Custom as i32,
            custom_reason_id: "reason-1".into(),
        }),
        cost_money: Some(pb::Money {
            amount: "12.50".into(),
            currency: "USD".into(),
        }),
        vendor_id: "vendor-1".into(),
    }
}

pub(super) fn adjustment_json() -> Value {
    json!({
        "id": "adj-1",
        "reference_id": "ref-1",
        "from_state": "IN_STOCK",
        "to_state": "SOLD",
        "from_location_id": "loc-1",
        "to_location_id": "loc-1",
        "catalog_object_id": "item-1",
        "catalog_object_type": "INVENTORY_ITEM",
        "quantity": "3",
        "total_price_money": {"amount": 2997, "currency": "USD"},
        "occurred_at": "2026-11-18T11:06:40.123Z",
        "created_at": "2026-11-18T11:06:41Z",
        "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
        "employee_id": "emp-1",
        "team_member_id": "tm-1",
        "transaction_id": "tx-1",
        "refund_id": "rf-1",
        "purchase_order_id": "po-1",
        "goods_receipt_id": "gr-1",
        "reason_id": {"type": "CUSTOM", "custom_reason_id": "reason-1"},
        "cost_money": {"amount": 1250, "currency": "USD"},
        "vendor_id": "vendor-1",
    })
}

pub(super) fn physical_count() -> pb::InventoryPhysicalCount {
    pb::InventoryPhysicalCount {
        id: "pc-1".into(),
        reference_id: "ref-2".into(),
        catalog_object_id: "item-1".into(),
        catalog_object_type: "INVENTORY_ITEM".into(),
        state: pb::InventoryState::InStock as i32,
        location_id: "loc-1".into(),
        quantity: "93".into(),
        source: source(),
        employee_id: "emp-2".into(),
        team_member_id: "tm-2".into(),
        occurred_at: ts(1_795_000_000, 500),
        created_at: ts(1_795_000_002, 0),
        reason_id: None,
    }
}

pub(super) fn physical_count_json() -> Value {
    json!({
        "id": "pc-1",
        "reference_id": "ref-2",
        "catalog_object_id": "item-1",
        "catalog_object_type": "INVENTORY_ITEM",
        "state": "IN_STOCK",
        "location_id": "loc-1",
        "quantity": "93",
        "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
        "employee_id": "emp-2",
        "team_member_id": "tm-2",
        "occurred_at": "2026-11-18T11:06:40.000000500Z",
        "created_at": "2026-11-18T11:06:42Z",
    })
}

pub(super) fn transfer() -> pb::InventoryTransfer {
    pb::InventoryTransfer {
        id: "tr-1".into(),
        reference_id: "ref-3".into(),
        state: pb::InventoryState::Waste as i32,
        from_location_id: "loc-1".into(),
        to_location_id: "loc-2".into(),
        catalog_object_id: "item-1".into(),
        catalog_object_type: "INVENTORY_ITEM".into(),
        quantity: "0.5".into(),
        occurred_at: ts(1_795_000_000, 1_000),
        created_at: ts(1_795_000_003, 0),
        source: source(),
        employee_id: "emp-3".into(),
        team_member_id: "tm-3".into(),
        reason_id: None,
    }
}

pub(super) fn transfer_json() -> Value {
    json!({
        "id": "tr-1",
        "reference_id": "ref-3",
        "state": "WASTE",
        "from_location_id": "loc-1",
        "to_location_id": "loc-2",
        "catalog_object_id": "item-1",
        "catalog_object_type": "INVENTORY_ITEM",
        "quantity": "0.5",
        "occurred_at": "2026-11-18T11:06:40.000001Z",
        "created_at": "2026-11-18T11:06:43Z",
        "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
        "employee_id": "emp-3",
        "team_member_id": "tm-3",
    })
}

pub(super) fn transfer_as_adjustment_json() -> Value {
    json!({
        "id": "tr-1",
        "reference_id": "ref-3",
        "from_state": "WASTE",
        "to_state": "WASTE",
        "from_location_id": "loc-1",
        "to_location_id": "loc-2",
        "catalog_object_id": "item-1",
        "catalog_object_type": "INVENTORY_ITEM",
        "quantity": "0.5",
        "occurred_at": "2026-11-18T11:06:40.000001Z",
        "created_at": "2026-11-18T11:06:43Z",
        "source": serde_json::from_str::<Value>(SOURCE_JSON).unwrap(),
        "employee_id": "emp-3",
        "team_member_id": "tm-3",
    })
}

pub(super) fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}
