//! The console's JSON: flat shapes the page renders as they come, built from the proto
//! answers of the services by pure functions. States and types are their short names
//! (`IN_STOCK`, `ADJUSTMENT`), times RFC 3339 in UTC, quantities the exact decimal text the
//! ledger returns.

use serde::Serialize;

use crate::api::convert::rfc3339;
use crate::proto::v1 as pb;
use crate::proto::v1::inventory_change::Change as Body;

/// The short name of an enum's proto name: `INVENTORY_STATE_IN_STOCK` less `INVENTORY_STATE_`.
fn short(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

fn state(value: i32) -> String {
    let name = pb::InventoryState::try_from(value)
        .map(|s| s.as_str_name())
        .unwrap_or("INVENTORY_STATE_UNSPECIFIED");
    short(name, "INVENTORY_STATE_")
}

fn change_type(value: i32) -> String {
    let name = pb::InventoryChangeType::try_from(value)
        .map(|t| t.as_str_name())
        .unwrap_or("INVENTORY_CHANGE_TYPE_UNSPECIFIED");
    short(name, "INVENTORY_CHANGE_TYPE_")
}

fn time(ts: Option<&prost_types::Timestamp>) -> Option<String> {
    ts.and_then(rfc3339)
}

/// An item as the stock view lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Its id.
    pub id: String,
    /// Its SKU (may be empty).
    pub sku: String,
    /// Whether its inventory is tracked (absent means tracked).
    pub tracked: bool,
}

impl From<&pb::InventoryItem> for Item {
    fn from(item: &pb::InventoryItem) -> Item {
        Item {
            id: item.id.clone(),
            sku: item.sku.clone(),
            tracked: item.tracked.unwrap_or(true),
        }
    }
}

/// A location, for the stock view's names and filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
}

impl From<&pb::Location> for Location {
    fn from(location: &pb::Location) -> Location {
        let status = pb::LocationStatus::try_from(location.status)
            .map(|s| s.as_str_name())
            .unwrap_or("LOCATION_STATUS_UNSPECIFIED");
        Location {
            id: location.id.clone(),
            name: location.name.clone(),
            status: short(status, "LOCATION_STATUS_"),
        }
    }
}

/// One count: an item's quantity at a location in a state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    /// The item.
    pub catalog_object_id: String,
    /// The location.
    pub location_id: String,
    /// The state (`IN_STOCK`, `WASTE`, …).
    pub state: String,
    /// The quantity, an exact decimal.
    pub quantity: String,
    /// When it last changed.
    pub calculated_at: Option<String>,
}

impl From<&pb::InventoryCount> for Count {
    fn from(count: &pb::InventoryCount) -> Count {
        Count {
            catalog_object_id: count.catalog_object_id.clone(),
            location_id: count.location_id.clone(),
            state: state(count.state),
            quantity: count.quantity.clone(),
            calculated_at: time(count.calculated_at.as_ref()),
        }
    }
}

impl From<&pb::InventoryCountUpdate> for Count {
    fn from(update: &pb::InventoryCountUpdate) -> Count {
        Count {
            catalog_object_id: update.catalog_object_id.clone(),
            location_id: update.location_id.clone(),
            state: state(update.state),
            quantity: update.quantity.clone(),
            calculated_at: time(update.calculated_at.as_ref()),
        }
    }
}

/// One change of the history, whatever its type, flattened: an adjustment moves
/// `quantity` from `from_state` to `to_state` at `location_id`; a physical count sets
/// `to_state` to `quantity`; a transfer moves `quantity` in `to_state` from `location_id`
/// to `to_location_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Its id.
    pub id: String,
    /// `ADJUSTMENT`, `PHYSICAL_COUNT` or `TRANSFER`.
    pub r#type: String,
    /// The item.
    pub catalog_object_id: String,
    /// The location (a transfer's origin).
    pub location_id: String,
    /// A transfer's destination.
    pub to_location_id: Option<String>,
    /// An adjustment's state before.
    pub from_state: Option<String>,
    /// The state after (a count's or a transfer's state).
    pub to_state: String,
    /// The quantity moved or counted.
    pub quantity: String,
    /// When it happened.
    pub occurred_at: Option<String>,
    /// When the ledger recorded it.
    pub created_at: Option<String>,
    /// The application that made it.
    pub source: String,
    /// The caller's reference, if any.
    pub reference_id: String,
}

fn source(source: Option<&pb::SourceApplication>) -> String {
    source.map(|s| s.name.clone()).unwrap_or_default()
}

/// The console's shape of `change`; `None` for a change without its body.
pub fn change(change: &pb::InventoryChange) -> Option<Change> {
    let kind = change_type(change.r#type);
    Some(match change.change.as_ref()? {
        Body::Adjustment(a) => Change {
            id: a.id.clone(),
            r#type: kind,
            catalog_object_id: a.catalog_object_id.clone(),
            location_id: a.location_id.clone(),
            to_location_id: None,
            from_state: Some(state(a.from_state)),
            to_state: state(a.to_state),
            quantity: a.quantity.clone(),
            occurred_at: time(a.occurred_at.as_ref()),
            created_at: time(a.created_at.as_ref()),
            source: source(a.source.as_ref()),
            reference_id: a.reference_id.clone(),
        },
        Body::PhysicalCount(c) => Change {
            id: c.id.clone(),
            r#type: kind,
            catalog_object_id: c.catalog_object_id.clone(),
            location_id: c.location_id.clone(),
            to_location_id: None,
            from_state: None,
            to_state: state(c.state),
            quantity: c.quantity.clone(),
            occurred_at: time(c.occurred_at.as_ref()),
            created_at: time(c.created_at.as_ref()),
            source: source(c.source.as_ref()),
            reference_id: c.reference_id.clone(),
        },
        Body::Transfer(t) => Change {
            id: t.id.clone(),
            r#type: kind,
            catalog_object_id: t.catalog_object_id.clone(),
            location_id: t.from_location_id.clone(),
            to_location_id: Some(t.to_location_id.clone()),
            from_state: None,
            to_state: state(t.state),
            quantity: t.quantity.clone(),
            occurred_at: time(t.occurred_at.as_ref()),
            created_at: time(t.created_at.as_ref()),
            source: source(t.source.as_ref()),
            reference_id: t.reference_id.clone(),
        },
    })
}

/// One line of a reservation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservationLine {
    /// The item.
    pub catalog_object_id: String,
    /// The location.
    pub location_id: String,
    /// Units reserved.
    pub quantity: String,
    /// Units committed (sold).
    pub committed_quantity: String,
    /// Units released.
    pub released_quantity: String,
    /// Units still held.
    pub held_quantity: String,
}

/// A reservation and its lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reservation {
    /// Its id.
    pub id: String,
    /// `HELD`, `COMMITTED`, `RELEASED` or `EXPIRED`.
    pub state: String,
    /// The caller's own id (an order, a cart).
    pub reference_id: String,
    /// When what is still held is released.
    pub expires_at: Option<String>,
    /// When it was made.
    pub created_at: Option<String>,
    /// Its lines.
    pub lines: Vec<ReservationLine>,
}

impl From<&pb::Reservation> for Reservation {
    fn from(r: &pb::Reservation) -> Reservation {
        let state = pb::ReservationState::try_from(r.state)
            .map(|s| s.as_str_name())
            .unwrap_or("RESERVATION_STATE_UNSPECIFIED");
        Reservation {
            id: r.id.clone(),
            state: short(state, "RESERVATION_STATE_"),
            reference_id: r.reference_id.clone(),
            expires_at: time(r.expires_at.as_ref()),
            created_at: time(r.created_at.as_ref()),
            lines: r
                .lines
                .iter()
                .map(|l| ReservationLine {
                    catalog_object_id: l.catalog_object_id.clone(),
                    location_id: l.location_id.clone(),
                    quantity: l.quantity.clone(),
                    committed_quantity: l.committed_quantity.clone(),
                    released_quantity: l.released_quantity.clone(),
                    held_quantity: l.held_quantity.clone(),
                })
                .collect(),
        }
    }
}

/// The reservation state the `state` parameter names (`HELD`, case-insensitive), `None` for
/// all (empty); refused, naming the parameter, for a name that is not one.
pub fn reservation_state(name: &str) -> Result<Option<pb::ReservationState>, Error> {
    if name.is_empty() {
        return Ok(None);
    }
    let full = format!("RESERVATION_STATE_{}", name.to_ascii_uppercase());
    match pb::ReservationState::from_str_name(&full) {
        Some(pb::ReservationState::Unspecified) | None => Err(Error {
            code: "INVALID_ARGUMENT".into(),
            reason: "INVALID_VALUE".into(),
            message: "must be HELD, COMMITTED, RELEASED, EXPIRED or empty".into(),
            field: Some("state".into()),
            required_scope: None,
        }),
        Some(state) => Ok(Some(state)),
    }
}

/// A reorder point, as the alerts view shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReorderPoint {
    /// The item.
    pub catalog_object_id: String,
    /// The location.
    pub location_id: String,
    /// The IN_STOCK quantity at or below which the item is low there.
    pub reorder_point: String,
    /// When it was last set.
    pub updated_at: Option<String>,
}

impl From<&pb::InventoryReorderPoint> for ReorderPoint {
    fn from(point: &pb::InventoryReorderPoint) -> Self {
        ReorderPoint {
            catalog_object_id: point.catalog_object_id.clone(),
            location_id: point.location_id.clone(),
            reorder_point: point.reorder_point.clone(),
            updated_at: time(point.updated_at.as_ref()),
        }
    }
}

/// A low-stock alert: a change took an IN_STOCK count across its reorder point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `LOW` (at or below the point) or `RECOVERED` (above it).
    pub kind: String,
    /// The item.
    pub catalog_object_id: String,
    /// The location.
    pub location_id: String,
    /// The IN_STOCK quantity after the change.
    pub quantity: String,
    /// The point it crossed.
    pub reorder_point: String,
    /// The change that crossed it.
    pub change_id: String,
    /// When that change was recorded.
    pub calculated_at: Option<String>,
}

impl From<&pb::InventoryAlert> for Alert {
    fn from(alert: &pb::InventoryAlert) -> Self {
        let kind = pb::InventoryAlertKind::try_from(alert.kind)
            .map(|k| {
                k.as_str_name()
                    .trim_start_matches("INVENTORY_ALERT_KIND_")
                    .to_owned()
            })
            .unwrap_or_default();
        Alert {
            kind,
            catalog_object_id: alert.catalog_object_id.clone(),
            location_id: alert.location_id.clone(),
            quantity: alert.quantity.clone(),
            reorder_point: alert.reorder_point.clone(),
            change_id: alert.change_id.clone(),
            calculated_at: time(alert.calculated_at.as_ref()),
        }
    }
}

/// One line of the live feed (`/console/api/feed`, one JSON object a line).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedLine {
    /// The feed is open: every change committed from now on follows.
    Open,
    /// A change committed.
    Change {
        /// Its position in the merchant's commit order.
        sequence: u64,
        /// The change.
        change: Change,
    },
    /// A count moved.
    Count {
        /// The position of the change that moved it.
        sequence: u64,
        /// The count after the change.
        count: Count,
        /// The quantity before (`None`: the count did not exist).
        previous_quantity: Option<String>,
        /// The change that moved it.
        change_id: String,
    },
    /// A change took an IN_STOCK count across its reorder point.
    Alert {
        /// The position of the change that crossed it.
        sequence: u64,
        /// The alert.
        alert: Alert,
    },
    /// The feed ended (the token was revoked, the server is stopping…): reopen it.
    End {
        /// Why, as the API's refusals say it.
        error: Error,
    },
}

impl FeedLine {
    /// The feed line of a changes watch's message (`None` for one without a change).
    pub fn of_change(message: &pb::WatchInventoryChangesResponse) -> Option<FeedLine> {
        Some(FeedLine::Change {
            sequence: message.sequence,
            change: change(message.change.as_ref()?)?,
        })
    }

    /// The feed line of a counts watch's message (`None` for one without an update).
    pub fn of_count(message: &pb::WatchInventoryCountsResponse) -> Option<FeedLine> {
        let update = message.update.as_ref()?;
        Some(FeedLine::Count {
            sequence: message.sequence,
            count: Count::from(update),
            previous_quantity: Some(update.previous_quantity.clone()).filter(|q| !q.is_empty()),
            change_id: update.change_id.clone(),
        })
    }

    /// The feed line of an alerts watch's message (`None` for one without an alert).
    pub fn of_alert(message: &pb::WatchInventoryAlertsResponse) -> Option<FeedLine> {
        Some(FeedLine::Alert {
            sequence: message.sequence,
            alert: Alert::from(message.alert.as_ref()?),
        })
    }

    /// The line as sent: its JSON and a newline.
    pub fn to_ndjson(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        line.push('\n');
        line
    }
}

/// A refusal as the console's JSON answers it (`{"error": {…}}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Error {
    /// The gRPC code's name (`PERMISSION_DENIED`).
    pub code: String,
    /// The ErrorInfo reason (`INSUFFICIENT_SCOPES`), empty without one.
    pub reason: String,
    /// What went wrong, in words.
    pub message: String,
    /// The field or parameter at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The scope the token lacks, for `INSUFFICIENT_SCOPES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_flatten_with_short_names() {
        let adjustment = pb::InventoryChange {
            r#type: pb::InventoryChangeType::Adjustment as i32,
            change: Some(Body::Adjustment(pb::InventoryAdjustment {
                id: "c1".into(),
                from_state: pb::InventoryState::None as i32,
                to_state: pb::InventoryState::InStock as i32,
                location_id: "l1".into(),
                catalog_object_id: "i1".into(),
                quantity: "5".into(),
                occurred_at: Some(prost_types::Timestamp {
                    seconds: 1_800_000_000,
                    nanos: 0,
                }),
                source: Some(pb::SourceApplication {
                    name: "Till".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })),
            expected_quantity: None,
        };
        let flat = change(&adjustment).unwrap();
        assert_eq!(flat.r#type, "ADJUSTMENT");
        assert_eq!(flat.from_state.as_deref(), Some("NONE"));
        assert_eq!(flat.to_state, "IN_STOCK");
        assert_eq!(flat.occurred_at.as_deref(), Some("2027-01-15T08:00:00Z"));
        assert_eq!(flat.source, "Till");
        let transfer = pb::InventoryChange {
            r#type: pb::InventoryChangeType::Transfer as i32,
            change: Some(Body::Transfer(pb::InventoryTransfer {
                from_location_id: "a".into(),
                to_location_id: "b".into(),
                state: pb::InventoryState::InStock as i32,
                ..Default::default()
            })),
            expected_quantity: None,
        };
        let flat = change(&transfer).unwrap();
        assert_eq!(
            (flat.location_id.as_str(), flat.to_location_id.as_deref()),
            ("a", Some("b"))
        );
        assert_eq!(change(&pb::InventoryChange::default()), None);
    }

    #[test]
    fn reservation_states_by_short_name() {
        assert_eq!(reservation_state(""), Ok(None));
        assert_eq!(
            reservation_state("held"),
            Ok(Some(pb::ReservationState::Held))
        );
        for unknown in ["UNSPECIFIED", "gone"] {
            let refused = reservation_state(unknown).unwrap_err();
            assert_eq!(refused.field.as_deref(), Some("state"), "{unknown}");
        }
    }

    #[test]
    fn feed_lines_are_tagged_json_lines() {
        assert_eq!(FeedLine::Open.to_ndjson(), "{\"kind\":\"open\"}\n");
        let update = pb::WatchInventoryCountsResponse {
            update: Some(pb::InventoryCountUpdate {
                catalog_object_id: "i".into(),
                location_id: "l".into(),
                state: pb::InventoryState::InStock as i32,
                quantity: "7".into(),
                change_id: "c".into(),
                ..Default::default()
            }),
            sequence: 3,
            resume_token: String::new(),
        };
        let line: serde_json::Value =
            serde_json::from_str(&FeedLine::of_count(&update).unwrap().to_ndjson()).unwrap();
        assert_eq!(line["kind"], "count");
        assert_eq!(line["count"]["state"], "IN_STOCK");
        assert_eq!(line["previous_quantity"], serde_json::Value::Null);
    }
}
