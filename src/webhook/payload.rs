//! The notifications one committed change makes for one subscription, in its format:
//! Square's envelope (`inventory.count.updated`, …) or Shopify's topic body
//! (`inventory_levels/update`), each with its signed headers. The bytes are the same on every
//! attempt: times are the change's commit time, ids derive from the subscription and the
//! change (`domain::webhook::event_id`).

use serde::Serialize;

use crate::api::convert::{rfc3339, timestamp_from_micros};
use crate::api::ledger_wire::{change_to_wire, count_update_to_wire};
use crate::domain::ledger::InventoryState;
use crate::domain::reservation::is_expiry;
use crate::domain::webhook::{
    EventType, WebhookFormat, event_id, shopify_signature, square_signature,
};
use crate::gateway::shopify::json::{InventoryLevel, level_to_json};
use crate::gateway::square::json::{
    InventoryChange, InventoryCount, change_to_json, count_to_json,
};
use crate::proto::v1 as pb;
use crate::store::alerts::Alert;
use crate::store::ledger::{CountUpdate, RecordedChange};
use crate::store::webhooks::Subscription;

/// The Shopify API version the notifications name (`X-Shopify-API-Version`).
pub const SHOPIFY_API_VERSION: &str = "2026-01";
/// Square's signature header.
pub const SQUARE_SIGNATURE_HEADER: &str = "x-square-hmacsha256-signature";
/// Shopify's signature header.
pub const SHOPIFY_SIGNATURE_HEADER: &str = "X-Shopify-Hmac-Sha256";

/// One notification, ready to POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Feed sequence of the change it announces.
    pub feed_seq: i64,
    /// Its place among that change's notifications for the subscription.
    pub ordinal: u32,
    /// How many notifications that change makes for the subscription.
    pub of: u32,
    /// The JSON body.
    pub body: Vec<u8>,
    /// Headers besides `Content-Type`, the signature's among them.
    pub headers: Vec<(&'static str, String)>,
}

/// Square's webhook envelope.
#[derive(Serialize)]
struct SquareEnvelope<'a, T: Serialize> {
    merchant_id: &'a str,
    #[serde(rename = "type")]
    event_type: &'static str,
    event_id: &'a str,
    created_at: String,
    data: SquareData<'a, T>,
}

#[derive(Serialize)]
struct SquareData<'a, T: Serialize> {
    #[serde(rename = "type")]
    object_type: &'static str,
    /// The change's id.
    id: &'a str,
    /// The change's feed sequence: receivers order and deduplicate by it.
    sequence: i64,
    object: T,
}

/// A count after the change, with the quantity before it (which Square's own webhook
/// lacks).
#[derive(Serialize)]
struct CountWithPrevious {
    #[serde(flatten)]
    count: InventoryCount,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_quantity: Option<String>,
}

#[derive(Serialize)]
struct CountsObject {
    inventory_counts: Vec<CountWithPrevious>,
}

#[derive(Serialize)]
struct ChangeObject {
    inventory_change: InventoryChange,
}

/// A low-stock alert, in Square's words.
#[derive(Serialize)]
struct AlertJson {
    /// `LOW` or `RECOVERED`.
    kind: &'static str,
    catalog_object_id: String,
    location_id: String,
    state: &'static str,
    /// The IN_STOCK quantity after the change.
    quantity: String,
    reorder_point: String,
    change_id: String,
    occurred_at: Option<String>,
    calculated_at: Option<String>,
}

#[derive(Serialize)]
struct AlertObject {
    alert: AlertJson,
}

#[derive(Serialize)]
struct ExpiryObject {
    reservation_id: String,
    inventory_change: InventoryChange,
}

/// What one committed change made: the change, the count updates and the low-stock alerts.
#[derive(Clone, Copy, Debug)]
pub struct Made<'a> {
    /// The change.
    pub change: &'a RecordedChange,
    /// The counts it moved, in order.
    pub updates: &'a [CountUpdate],
    /// The reorder points it crossed, in order.
    pub alerts: &'a [Alert],
}

/// Every notification a committed change (with what it made) owes `subscription`, in
/// order: for each of the subscription's event types in `EventType::ALL`'s order, what the
/// change gives of it.
pub fn notifications(subscription: &Subscription, made: Made<'_>) -> Vec<Notification> {
    let Made {
        change,
        updates,
        alerts,
    } = made;
    let mut bodies: Vec<(EventType, Vec<u8>)> = Vec::new();
    for event in EventType::ALL {
        if !subscription.spec.event_types.contains(&event) {
            continue;
        }
        match subscription.spec.format {
            WebhookFormat::Square if event == EventType::LowStock => {
                bodies.extend(alerts.iter().map(|alert| (event, alert_object(alert))));
            }
            WebhookFormat::Square => {
                if let Some(object) = square_object(event, change, updates) {
                    bodies.push((event, object));
                }
            }
            WebhookFormat::Shopify => {
                if event == EventType::CountUpdated {
                    bodies.extend(
                        shopify_levels(updates)
                            .map(|level| (event, serde_json::to_vec(&level).expect("JSON"))),
                    );
                }
            }
        }
    }
    let of = u32::try_from(bodies.len()).unwrap_or(u32::MAX);
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, (event, object))| {
            let ordinal = u32::try_from(i).unwrap_or(u32::MAX);
            let id = event_id(&subscription.id, change.feed_seq, ordinal);
            sign(subscription, change, event, ordinal, of, id, object)
        })
        .collect()
}

/// Square's `data.object` of `event` for `change`, as JSON, or `None` if the change makes
/// no such event.
fn square_object(
    event: EventType,
    change: &RecordedChange,
    updates: &[CountUpdate],
) -> Option<Vec<u8>> {
    let object = match event {
        EventType::CountUpdated => {
            if updates.is_empty() {
                return None;
            }
            serde_json::to_value(CountsObject {
                inventory_counts: updates
                    .iter()
                    .map(|u| {
                        let update = count_update_to_wire(u);
                        CountWithPrevious {
                            previous_quantity: (!update.previous_quantity.is_empty())
                                .then(|| update.previous_quantity.clone()),
                            count: count_to_json(&count_after(update)),
                        }
                    })
                    .collect(),
            })
        }
        EventType::ChangeRecorded => serde_json::to_value(ChangeObject {
            inventory_change: change_to_json(&change_to_wire(change)),
        }),
        EventType::LowStock => return None,
        EventType::ReservationExpired => {
            if !is_expiry(&change.change, &change.source) {
                return None;
            }
            serde_json::to_value(ExpiryObject {
                reservation_id: change.change.references.reservation_id.clone(),
                inventory_change: change_to_json(&change_to_wire(change)),
            })
        }
    };
    Some(serde_json::to_vec(&object.expect("JSON")).expect("JSON"))
}

/// Square's `data.object` of a low-stock alert, as JSON.
fn alert_object(alert: &Alert) -> Vec<u8> {
    let time = |micros: i64| rfc3339(&timestamp_from_micros(micros));
    serde_json::to_vec(&AlertObject {
        alert: AlertJson {
            kind: alert.kind.as_str(),
            catalog_object_id: alert.catalog_object_id.clone(),
            location_id: alert.location_id.clone(),
            state: "IN_STOCK",
            quantity: alert.quantity.to_string(),
            reorder_point: alert.reorder_point.to_string(),
            change_id: alert.change_id.clone(),
            occurred_at: time(alert.occurred_at),
            calculated_at: time(alert.calculated_at),
        },
    })
    .expect("JSON")
}

/// The IN_STOCK counts a change moved, as Shopify's levels (`available`).
fn shopify_levels(updates: &[CountUpdate]) -> impl Iterator<Item = InventoryLevel> + '_ {
    updates
        .iter()
        .filter(|u| u.key.state == InventoryState::InStock)
        .map(|u| level_to_json(&count_after(count_update_to_wire(u))))
}

/// The count a count update left.
fn count_after(update: pb::InventoryCountUpdate) -> pb::InventoryCount {
    pb::InventoryCount {
        catalog_object_id: update.catalog_object_id,
        catalog_object_type: update.catalog_object_type,
        state: update.state,
        location_id: update.location_id,
        quantity: update.quantity,
        calculated_at: update.calculated_at,
        is_estimated: false,
    }
}

/// The finished notification: the body in the subscription's form, signed.
fn sign(
    subscription: &Subscription,
    change: &RecordedChange,
    event: EventType,
    ordinal: u32,
    of: u32,
    id: String,
    object: Vec<u8>,
) -> Notification {
    let format = subscription.spec.format;
    let created_at = rfc3339(&timestamp_from_micros(change.created_at)).unwrap_or_default();
    let (body, headers) = match format {
        WebhookFormat::Square => {
            let object: Box<serde_json::value::RawValue> =
                serde_json::from_slice(&object).expect("JSON made above");
            let body = serde_json::to_vec(&SquareEnvelope {
                merchant_id: &subscription.merchant.0,
                event_type: event.name_in(format),
                event_id: &id,
                created_at,
                data: SquareData {
                    object_type: "inventory",
                    id: &change.id,
                    sequence: change.feed_seq,
                    object,
                },
            })
            .expect("JSON");
            let signature = square_signature(
                &subscription.signature_key,
                &subscription.spec.notification_url,
                &body,
            );
            (body, vec![(SQUARE_SIGNATURE_HEADER, signature)])
        }
        WebhookFormat::Shopify => {
            let signature = shopify_signature(&subscription.signature_key, &object);
            let headers = vec![
                ("X-Shopify-Topic", event.name_in(format).to_owned()),
                (SHOPIFY_SIGNATURE_HEADER, signature),
                (
                    "X-Shopify-Shop-Domain",
                    subscription
                        .spec
                        .shopify_shop_domain
                        .clone()
                        .unwrap_or_else(|| subscription.merchant.0.clone()),
                ),
                ("X-Shopify-API-Version", SHOPIFY_API_VERSION.to_owned()),
                ("X-Shopify-Webhook-Id", id.clone()),
                ("X-Shopify-Event-Id", id.clone()),
                ("X-Shopify-Triggered-At", created_at),
            ];
            (object, headers)
        }
    };
    Notification {
        feed_seq: change.feed_seq,
        ordinal,
        of,
        body,
        headers,
    }
}
