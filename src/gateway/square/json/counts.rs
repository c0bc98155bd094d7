//! Square's `InventoryCount`: how much of an item is in one state at one location, as
//! Square answers it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::encoding::{state_name, times_to_json};
use super::is_empty;
use crate::proto::v1 as pb;

/// Square's `InventoryCount`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InventoryCount {
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
    pub calculated_at: Option<String>,
    #[serde(default)]
    pub is_estimated: bool,
}

pub fn count_to_json(c: &pb::InventoryCount) -> InventoryCount {
    InventoryCount {
        catalog_object_id: c.catalog_object_id.clone(),
        catalog_object_type: c.catalog_object_type.clone(),
        state: state_name(c.state),
        location_id: c.location_id.clone(),
        quantity: c.quantity.clone(),
        calculated_at: times_to_json(&c.calculated_at),
        is_estimated: c.is_estimated,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::gateway::square::json::fixtures::{to_value, ts};

    #[test]
    fn every_field_of_a_count() {
        let count = pb::InventoryCount {
            catalog_object_id: "item-1".into(),
            catalog_object_type: "INVENTORY_ITEM".into(),
            state: pb::InventoryState::InStock as i32,
            location_id: "loc-1".into(),
            quantity: "93".into(),
            calculated_at: ts(1_795_000_000, 0),
            is_estimated: false,
        };
        assert_eq!(
            to_value(&count_to_json(&count)),
            json!({
                "catalog_object_id": "item-1",
                "catalog_object_type": "INVENTORY_ITEM",
                "state": "IN_STOCK",
                "location_id": "loc-1",
                "quantity": "93",
                "calculated_at": "2026-11-18T11:06:40Z",
                "is_estimated": false,
            })
        );
    }
}
