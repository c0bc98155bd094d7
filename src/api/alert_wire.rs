//! Reorder points and low-stock alerts between the store's form and the wire's
//! (docs/alerts.md), shared by InventoryService and `stockledger` commands.

use super::convert::timestamp_from_micros;
use crate::domain::alert::AlertKind;
use crate::proto::v1 as pb;
use crate::store::alerts::{Alert, ReorderPoint};

/// A reorder point on the wire.
pub fn reorder_point_to_wire(point: &ReorderPoint) -> pb::InventoryReorderPoint {
    pb::InventoryReorderPoint {
        catalog_object_id: point.catalog_object_id.clone(),
        location_id: point.location_id.clone(),
        reorder_point: point.reorder_point.to_string(),
        updated_at: Some(timestamp_from_micros(point.updated_at)),
    }
}

/// An alert kind on the wire.
pub fn alert_kind_to_wire(kind: AlertKind) -> pb::InventoryAlertKind {
    match kind {
        AlertKind::Low => pb::InventoryAlertKind::Low,
        AlertKind::Recovered => pb::InventoryAlertKind::Recovered,
    }
}

/// An alert on the wire.
pub fn alert_to_wire(alert: Alert) -> pb::InventoryAlert {
    pb::InventoryAlert {
        catalog_object_id: alert.catalog_object_id,
        location_id: alert.location_id,
        kind: alert_kind_to_wire(alert.kind).into(),
        quantity: alert.quantity.to_string(),
        reorder_point: alert.reorder_point.to_string(),
        change_id: alert.change_id,
        occurred_at: Some(timestamp_from_micros(alert.occurred_at)),
        calculated_at: Some(timestamp_from_micros(alert.calculated_at)),
    }
}
