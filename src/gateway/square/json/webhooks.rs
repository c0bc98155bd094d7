//! Square's `WebhookSubscription` and the bodies of the `v2/webhooks/subscriptions` paths,
//! both ways (docs/webhooks.md). A subscription made through Square's door is in Square's
//! form; its event types are the notifications' `type` names (`inventory.count.updated`).

use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::encoding::times_to_json;
use super::{INVALID_REQUEST_ERROR, Refusal};
use crate::api::webhooks::{event_type_from_wire, event_type_to_wire};
use crate::domain::webhook::{EventType, WebhookFormat};
use crate::proto::v1 as pb;

/// Square's `WebhookSubscription`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSubscription {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Always true: a subscription delivers from its creation until it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `inventory.count.updated`, `inventory.change.recorded`, `inventory.low_stock`,
    /// `inventory.reservation.expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_url: Option<String>,
    /// Accepted and not kept: the notifications' shape does not depend on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// Body of `POST /v2/webhooks/subscriptions`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookSubscriptionRequest {
    /// Accepted; a retried create makes a second subscription (list and delete it).
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub subscription: Option<WebhookSubscription>,
}

/// `{"subscription": …}`: the answer of create and retrieve.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSubscriptionResponse {
    pub subscription: WebhookSubscription,
}

/// `{"subscriptions": […]}`: the answer of list (Square-form subscriptions, oldest first,
/// without their signature keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSubscriptionsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<WebhookSubscription>,
}

/// `{}`: the answer of delete.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeleteWebhookSubscriptionResponse {}

fn refused(field: &str, detail: impl Into<String>) -> Refusal {
    Refusal::one(
        StatusCode::BAD_REQUEST,
        INVALID_REQUEST_ERROR,
        "INVALID_VALUE",
        detail,
        Some(field.to_owned()),
    )
}

/// The event type Square's form names `name`.
fn event_type_named(name: &str) -> Option<EventType> {
    EventType::ALL
        .into_iter()
        .find(|e| e.name_in(WebhookFormat::Square) == name)
}

/// The gRPC subscription a create asks for; what Square's JSON can say and the ledger
/// cannot keep is refused, naming it. Everything else is checked by WebhookService.
pub fn subscription_from_json(
    sent: &WebhookSubscription,
) -> Result<pb::WebhookSubscription, Refusal> {
    for (field, set) in [
        ("subscription.id", sent.id.is_some()),
        ("subscription.signature_key", sent.signature_key.is_some()),
        ("subscription.created_at", sent.created_at.is_some()),
        ("subscription.updated_at", sent.updated_at.is_some()),
    ] {
        if set {
            return Err(refused(field, "is set by the server"));
        }
    }
    if sent.enabled == Some(false) {
        return Err(refused(
            "subscription.enabled",
            "a subscription delivers from its creation: delete it to stop it",
        ));
    }
    let mut event_types = Vec::new();
    for (i, name) in sent.event_types.iter().flatten().enumerate() {
        let event = event_type_named(name).ok_or_else(|| {
            refused(
                &format!("subscription.event_types[{i}]"),
                format!(
                    "{name:?} is not an event Stockledger sends (inventory.count.updated, \
                     inventory.change.recorded, inventory.low_stock, \
                     inventory.reservation.expired)"
                ),
            )
        })?;
        event_types.push(event_type_to_wire(event).into());
    }
    Ok(pb::WebhookSubscription {
        name: sent.name.clone().unwrap_or_default(),
        notification_url: sent.notification_url.clone().unwrap_or_default(),
        format: pb::WebhookFormat::Square.into(),
        event_types,
        ..Default::default()
    })
}

/// A subscription as Square writes it.
pub fn subscription_to_json(subscription: &pb::WebhookSubscription) -> WebhookSubscription {
    let event_types = subscription
        .event_types
        .iter()
        .filter_map(|raw| event_type_from_wire(*raw))
        .map(|e| e.name_in(WebhookFormat::Square).to_owned())
        .collect();
    WebhookSubscription {
        id: Some(subscription.id.clone()),
        name: Some(subscription.name.clone()).filter(|n| !n.is_empty()),
        enabled: Some(true),
        event_types: Some(event_types),
        notification_url: Some(subscription.notification_url.clone()),
        api_version: None,
        signature_key: Some(subscription.signature_key.clone()).filter(|k| !k.is_empty()),
        created_at: times_to_json(&subscription.created_at),
        updated_at: times_to_json(&subscription.updated_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_names_what_it_cannot_keep() {
        let with = |edit: &dyn Fn(&mut WebhookSubscription)| {
            let mut sent = WebhookSubscription {
                notification_url: Some("https://x/".into()),
                event_types: Some(vec!["inventory.count.updated".into()]),
                ..Default::default()
            };
            edit(&mut sent);
            subscription_from_json(&sent)
        };
        let made = with(&|_| {}).unwrap();
        assert_eq!(made.format, pb::WebhookFormat::Square as i32);
        assert_eq!(
            made.event_types,
            [pb::WebhookEventType::CountUpdated as i32]
        );
        let field = |r: Result<pb::WebhookSubscription, Refusal>| {
            r.unwrap_err().envelope.errors[0].field.clone().unwrap()
        };
        assert_eq!(
            field(with(&|s| s.event_types = Some(vec![
                "inventory.count.updated".into(),
                "payment.created".into()
            ]))),
            "subscription.event_types[1]"
        );
        assert_eq!(
            field(with(&|s| s.enabled = Some(false))),
            "subscription.enabled"
        );
        assert_eq!(
            field(with(&|s| s.signature_key = Some("k".into()))),
            "subscription.signature_key"
        );
    }

    #[test]
    fn every_event_type_round_trips_by_its_square_name() {
        for event in EventType::ALL {
            let name = event.name_in(WebhookFormat::Square);
            assert_eq!(event_type_named(name), Some(event));
        }
    }
}
