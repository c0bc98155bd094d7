//! Square's 2026 adjustment reasons: `InventoryAdjustmentReasonId` on adjustments and in
//! the `reason_ids` filter, `InventoryAdjustmentReason`, and the bodies of the six
//! `v2/inventory/adjustment-reasons` paths, both ways.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use http::StatusCode;

use super::encoding::{enum_number, times_to_json};
use super::{INVALID_REQUEST_ERROR, Refusal};
use crate::api::ledger_wire::reason_type_from_wire;
use crate::domain::error::reasons;
use crate::domain::reason::ReasonOrigin;
use crate::proto::v1 as pb;

/// Square's `InventoryAdjustmentReasonId`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryAdjustmentReasonId {
    /// `RECEIVED`, `DAMAGED`, …, `CUSTOM`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub reason_type: Option<String>,
    /// The custom reason's id when `type` is `CUSTOM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_reason_id: Option<String>,
}

/// Square's `InventoryAdjustmentReason`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryAdjustmentReason {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<InventoryAdjustmentReasonId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `INCREASE` or `DECREASE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
}

/// Body of `POST /v2/inventory/adjustment-reasons/create`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdjustmentReasonRequest {
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub adjustment_reason: Option<InventoryAdjustmentReason>,
}

/// Body of `PUT /v2/inventory/adjustment-reasons/update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAdjustmentReasonRequest {
    #[serde(default)]
    pub reason_id: Option<InventoryAdjustmentReasonId>,
    #[serde(default)]
    pub adjustment_reason: Option<InventoryAdjustmentReason>,
}

/// Body of `POST /v2/inventory/adjustment-reasons/{retrieve,delete,restore}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentReasonIdRequest {
    #[serde(default)]
    pub reason_id: Option<InventoryAdjustmentReasonId>,
}

/// Answer of `GET /v2/inventory/adjustment-reasons`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentReasonsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustment_reasons: Vec<InventoryAdjustmentReason>,
}

/// Answer of the paths about one reason.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentReasonResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_reason: Option<InventoryAdjustmentReason>,
}

/// A reason id as Square spells it: the type without the proto's prefix.
pub fn reason_id_to_json(id: &pb::InventoryAdjustmentReasonId) -> InventoryAdjustmentReasonId {
    let reason_type = pb::InventoryAdjustmentReasonType::try_from(id.r#type)
        .ok()
        .filter(|t| *t != pb::InventoryAdjustmentReasonType::Unspecified)
        .map(|t| t.as_str_name()[PREFIX.len()..].to_owned());
    InventoryAdjustmentReasonId {
        reason_type,
        custom_reason_id: Some(id.custom_reason_id.clone()).filter(|c| !c.is_empty()),
    }
}

const PREFIX: &str = "INVENTORY_ADJUSTMENT_REASON_TYPE_";

/// A reason id read from Square's JSON: an unknown type name goes on as an unknown number,
/// which the service refuses naming the field.
pub fn reason_id_from_json(id: &InventoryAdjustmentReasonId) -> pb::InventoryAdjustmentReasonId {
    let r#type = id.reason_type.as_deref().map_or(0, |name| {
        enum_number(name, PREFIX, |full| {
            pb::InventoryAdjustmentReasonType::from_str_name(full).map(|t| t as i32)
        })
    });
    pb::InventoryAdjustmentReasonId {
        r#type,
        custom_reason_id: id.custom_reason_id.clone().unwrap_or_default(),
    }
}

/// The list as Square answers it: Shopify's reasons, which Square does not know, left out.
pub fn reasons_to_json(reasons: &[pb::InventoryAdjustmentReason]) -> AdjustmentReasonsResponse {
    let square_knows = |reason: &&pb::InventoryAdjustmentReason| {
        let kind = reason
            .id
            .as_ref()
            .and_then(|id| reason_type_from_wire(id.r#type));
        kind.is_some_and(|k| k.origin() != ReasonOrigin::Shopify)
    };
    AdjustmentReasonsResponse {
        adjustment_reasons: reasons
            .iter()
            .filter(square_knows)
            .map(reason_to_json)
            .collect(),
    }
}

/// The answer about one reason.
pub fn reason_answer(reason: Option<&pb::InventoryAdjustmentReason>) -> AdjustmentReasonResponse {
    AdjustmentReasonResponse {
        adjustment_reason: reason.map(reason_to_json),
    }
}

/// A reason id of a Square request at `field`: [`reason_id_from_json`], except that a
/// reason Square does not have (Shopify's, which the ledger keeps) is refused here, naming
/// it (`INVALID_ENUM_VALUE` on `field.type`), as the door refuses the ledger's own states.
pub fn square_reason_id(
    field: &str,
    id: &InventoryAdjustmentReasonId,
) -> Result<pb::InventoryAdjustmentReasonId, Refusal> {
    let wire = reason_id_from_json(id);
    let shopify =
        reason_type_from_wire(wire.r#type).filter(|t| t.origin() == ReasonOrigin::Shopify);
    match shopify {
        Some(kind) => Err(Refusal::one(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST_ERROR,
            reasons::INVALID_ENUM_VALUE,
            format!(
                "{} is not one of Square's reasons: Stockledger keeps it (a Shopify reason), \
                 but only its gRPC API and its Shopify door write it",
                kind.as_str()
            ),
            Some(format!("{field}.type")),
        )),
        None => Ok(wire),
    }
}

/// A reason as Square answers it.
pub fn reason_to_json(reason: &pb::InventoryAdjustmentReason) -> InventoryAdjustmentReason {
    let direction = pb::InventoryAdjustmentReasonDirection::try_from(reason.direction)
        .ok()
        .and_then(|d| match d {
            pb::InventoryAdjustmentReasonDirection::Increase => Some("INCREASE"),
            pb::InventoryAdjustmentReasonDirection::Decrease => Some("DECREASE"),
            pb::InventoryAdjustmentReasonDirection::Unspecified => None,
        });
    InventoryAdjustmentReason {
        id: reason.id.as_ref().map(reason_id_to_json),
        name: Some(reason.name.clone()).filter(|n| !n.is_empty()),
        direction: direction.map(str::to_owned),
        created_at: times_to_json(&reason.created_at),
        updated_at: times_to_json(&reason.updated_at),
        is_deleted: Some(reason.is_deleted),
    }
}

/// The create request as the service reads it. Square's SDKs require the new reason's `id`
/// and send `{"type": "CUSTOM"}` (only custom reasons can be created): that id, without a
/// `custom_reason_id`, says nothing more and is not passed on; any other id goes on for the
/// service to refuse as read-only.
pub fn create_reason_from_json(
    sent: &CreateAdjustmentReasonRequest,
) -> pb::CreateInventoryAdjustmentReasonRequest {
    let adjustment_reason = sent.adjustment_reason.as_ref().map(|reason| {
        let just_custom = reason.id.as_ref().is_some_and(|id| {
            id.reason_type.as_deref() == Some("CUSTOM") && id.custom_reason_id.is_none()
        });
        pb::InventoryAdjustmentReason {
            id: if just_custom {
                None
            } else {
                reason.id.as_ref().map(reason_id_from_json)
            },
            ..reason_from_json(reason)
        }
    });
    pb::CreateInventoryAdjustmentReasonRequest {
        idempotency_key: sent.idempotency_key.clone(),
        adjustment_reason,
    }
}

/// A reason read from Square's JSON (create, update): name and direction; the read-only
/// fields go on for the service to refuse.
pub fn reason_from_json(reason: &InventoryAdjustmentReason) -> pb::InventoryAdjustmentReason {
    let direction = match reason.direction.as_deref() {
        None => pb::InventoryAdjustmentReasonDirection::Unspecified as i32,
        Some(name) => enum_number(name, "INVENTORY_ADJUSTMENT_REASON_DIRECTION_", |full| {
            pb::InventoryAdjustmentReasonDirection::from_str_name(full).map(|d| d as i32)
        }),
    };
    pb::InventoryAdjustmentReason {
        id: reason.id.as_ref().map(reason_id_from_json),
        name: reason.name.clone().unwrap_or_default(),
        direction,
        created_at: reason
            .created_at
            .as_ref()
            .map(|_| prost_types::Timestamp::default()),
        updated_at: reason
            .updated_at
            .as_ref()
            .map(|_| prost_types::Timestamp::default()),
        is_deleted: reason.is_deleted.unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_ids_read_and_write_square_s_names() {
        let json: InventoryAdjustmentReasonId =
            serde_json::from_str(r#"{"type": "SPOILAGE_WASTE"}"#).unwrap();
        let wire = reason_id_from_json(&json);
        assert_eq!(
            wire.r#type,
            pb::InventoryAdjustmentReasonType::SpoilageWaste as i32
        );
        assert_eq!(reason_id_to_json(&wire), json);
        let custom: InventoryAdjustmentReasonId =
            serde_json::from_str(r#"{"type": "CUSTOM", "custom_reason_id": "abc"}"#).unwrap();
        let wire = reason_id_from_json(&custom);
        assert_eq!(wire.custom_reason_id, "abc");
        assert_eq!(
            serde_json::to_value(reason_id_to_json(&wire)).unwrap(),
            serde_json::json!({"type": "CUSTOM", "custom_reason_id": "abc"})
        );
        let unknown: InventoryAdjustmentReasonId =
            serde_json::from_str(r#"{"type": "BROKEN"}"#).unwrap();
        assert!(
            pb::InventoryAdjustmentReasonType::try_from(reason_id_from_json(&unknown).r#type)
                .is_err()
        );
    }

    /// Square's SDKs cannot create a reason without its `id` (`{"type": "CUSTOM"}`, as
    /// Square's own example sends): that id is not passed on; any other is, to be refused.
    #[test]
    fn create_takes_the_custom_id_the_sdks_send() {
        let read = |body: serde_json::Value| {
            let sent: CreateAdjustmentReasonRequest = serde_json::from_value(body).unwrap();
            create_reason_from_json(&sent)
        };
        let request = read(serde_json::json!({
            "idempotency_key": "k",
            "adjustment_reason": {"id": {"type": "CUSTOM"}, "name": "Donated", "direction": "DECREASE"}
        }));
        assert_eq!(request.idempotency_key, "k");
        let reason = request.adjustment_reason.unwrap();
        assert_eq!(reason.id, None);
        assert_eq!(reason.name, "Donated");
        assert_eq!(
            reason.direction,
            pb::InventoryAdjustmentReasonDirection::Decrease as i32
        );
        let without_id = read(serde_json::json!({
            "idempotency_key": "k",
            "adjustment_reason": {"name": "Donated", "direction": "DECREASE"}
        }));
        assert_eq!(without_id.adjustment_reason.unwrap().id, None);
        for id in [
            serde_json::json!({"type": "CUSTOM", "custom_reason_id": "abc"}),
            serde_json::json!({"type": "DAMAGED"}),
        ] {
            let request = read(serde_json::json!({
                "idempotency_key": "k",
                "adjustment_reason": {"id": id, "name": "Donated", "direction": "DECREASE"}
            }));
            assert!(request.adjustment_reason.unwrap().id.is_some(), "{id}");
        }
    }

    #[test]
    fn reasons_square_does_not_have_are_refused_naming_them() {
        let correction: InventoryAdjustmentReasonId =
            serde_json::from_str(r#"{"type": "CORRECTION"}"#).unwrap();
        let refused = square_reason_id("changes[0].adjustment.reason_id", &correction).unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        let error = &refused.envelope.errors[0];
        assert_eq!(error.code, reasons::INVALID_ENUM_VALUE);
        assert_eq!(
            error.field.as_deref(),
            Some("changes[0].adjustment.reason_id.type")
        );
        assert!(error.detail.contains("CORRECTION"), "{}", error.detail);
        let theft: InventoryAdjustmentReasonId =
            serde_json::from_str(r#"{"type": "THEFT"}"#).unwrap();
        assert_eq!(
            square_reason_id("reason_id", &theft).unwrap().r#type,
            pb::InventoryAdjustmentReasonType::Theft as i32
        );
    }
}
