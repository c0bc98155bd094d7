//! Low-stock alerts (the server's docs/alerts.md): reorder points of items at locations,
//! and the alerts of [`Client::watch_inventory_alerts`](crate::Client::watch_inventory_alerts),
//! with exact decimals and [`SystemTime`]s.

use std::time::SystemTime;

use rust_decimal::Decimal;

use crate::decimal::field_from_wire;
use crate::pb;
use crate::{Error, required, time};

/// The reorder point of an item at a location: its IN_STOCK count there is low at or
/// below `reorder_point`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReorderPoint {
    /// Id of the inventory item.
    pub catalog_object_id: String,
    /// Id of the location.
    pub location_id: String,
    /// The reorder point.
    pub reorder_point: Decimal,
    /// Server time of the last set.
    pub updated_at: Option<SystemTime>,
}

impl TryFrom<pb::InventoryReorderPoint> for ReorderPoint {
    type Error = Error;

    fn try_from(point: pb::InventoryReorderPoint) -> Result<Self, Error> {
        Ok(ReorderPoint {
            reorder_point: field_from_wire(&point.reorder_point, "reorder_point")?,
            updated_at: time::from_field(point.updated_at.as_ref()),
            catalog_object_id: point.catalog_object_id,
            location_id: point.location_id,
        })
    }
}

/// What [`Client::set_inventory_reorder_point`](crate::Client::set_inventory_reorder_point)
/// answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReorderPointSet {
    /// The point as stored.
    pub reorder_point: ReorderPoint,
    /// The IN_STOCK quantity now; `None` when the count does not exist (read as 0).
    pub quantity: Option<Decimal>,
    /// Whether that quantity is at or below the point now (setting a point raises no
    /// alert).
    pub low: bool,
}

impl TryFrom<pb::SetInventoryReorderPointResponse> for ReorderPointSet {
    type Error = Error;

    fn try_from(response: pb::SetInventoryReorderPointResponse) -> Result<Self, Error> {
        let quantity = if response.quantity.is_empty() {
            None
        } else {
            Some(field_from_wire(&response.quantity, "quantity")?)
        };
        Ok(ReorderPointSet {
            reorder_point: required(response.reorder_point, "reorder_point")?.try_into()?,
            quantity,
            low: response.low,
        })
    }
}

/// A crossing of an IN_STOCK count over its reorder point, made by change `change_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Id of the inventory item.
    pub catalog_object_id: String,
    /// Id of the location.
    pub location_id: String,
    /// `Low` (to or below the point) or `Recovered` (back above it).
    pub kind: pb::InventoryAlertKind,
    /// The IN_STOCK quantity after the change.
    pub quantity: Decimal,
    /// The reorder point crossed.
    pub reorder_point: Decimal,
    /// Id of the change that made the crossing.
    pub change_id: String,
    /// When that change occurred.
    pub occurred_at: Option<SystemTime>,
    /// Server time of that change.
    pub calculated_at: Option<SystemTime>,
}

/// One message of [`Client::watch_inventory_alerts`](crate::Client::watch_inventory_alerts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedAlert {
    /// The alert.
    pub alert: Alert,
    /// Sequence number of the change that caused it.
    pub sequence: u64,
    /// Give it to [`Client::resume_inventory_alerts`](crate::Client::resume_inventory_alerts)
    /// to resume right after this alert.
    pub resume_token: String,
}

impl TryFrom<pb::WatchInventoryAlertsResponse> for WatchedAlert {
    type Error = Error;

    fn try_from(message: pb::WatchInventoryAlertsResponse) -> Result<Self, Error> {
        let alert = required(message.alert, "alert")?;
        Ok(WatchedAlert {
            alert: Alert {
                kind: alert.kind(),
                quantity: field_from_wire(&alert.quantity, "alert.quantity")?,
                reorder_point: field_from_wire(&alert.reorder_point, "alert.reorder_point")?,
                occurred_at: time::from_field(alert.occurred_at.as_ref()),
                calculated_at: time::from_field(alert.calculated_at.as_ref()),
                catalog_object_id: alert.catalog_object_id,
                location_id: alert.location_id,
                change_id: alert.change_id,
            },
            sequence: message.sequence,
            resume_token: message.resume_token,
        })
    }
}
