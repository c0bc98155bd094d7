//! The adjustment reason RPCs of InventoryService (docs/ledger.md, "Reasons"): the
//! standard reasons come from `domain::reason`'s table, the custom ones from the store.
//! Each handler checks its request, calls the store once and maps the answer.

use super::ApiError;
use super::convert::timestamp_from_micros;
use super::error::StoreContext;
use super::ledger::request_digest;
use super::ledger_wire::{reason_draft_from_wire, reason_to_wire, reason_type_to_wire};
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::reason::{
    CustomReason, ReasonDirection, ReasonId, ReasonType, check_reason_direction, check_reason_id,
    check_reason_name, standard_reasons,
};
use crate::domain::refusal::Refusal;
use crate::domain::tenant::MerchantId;
use crate::domain::validate::check_idempotency_key;
use crate::proto::v1 as pb;
use crate::store::Store;
use crate::store::reasons::{CreatedReason, NewReason};

const WHAT: &str = "adjustment reason";
/// Reason of a write to a custom reason that is deleted.
const ADJUSTMENT_REASON_DELETED: &str = crate::domain::decide::ADJUSTMENT_REASON_DELETED;

/// Lists the standard reasons (Square's system codes when asked; Shopify's unless
/// `square_only`) and the merchant's custom ones.
pub async fn list(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::ListInventoryAdjustmentReasonsRequest,
    square_only: bool,
) -> Result<pb::ListInventoryAdjustmentReasonsResponse, ApiError> {
    let custom = store
        .list_custom_reasons(merchant, req.include_deleted)
        .await?;
    let adjustment_reasons = standard_reasons(req.include_system_codes, !square_only)
        .into_iter()
        .map(standard_to_wire)
        .chain(custom.iter().map(custom_to_wire))
        .collect();
    Ok(pb::ListInventoryAdjustmentReasonsResponse { adjustment_reasons })
}

/// Creates a custom reason, idempotently.
pub async fn create(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::CreateInventoryAdjustmentReasonRequest,
) -> Result<pb::CreateInventoryAdjustmentReasonResponse, ApiError> {
    let mut errors = Violations::default();
    errors.check(check_idempotency_key(&req.idempotency_key));
    let Some(sent) = &req.adjustment_reason else {
        errors.push(Violation::missing("adjustment_reason"));
        return Err(errors.into());
    };
    let field = |name: &str| format!("adjustment_reason.{name}");
    let read_only = [
        ("id", sent.id.is_some()),
        ("created_at", sent.created_at.is_some()),
        ("updated_at", sent.updated_at.is_some()),
        ("is_deleted", sent.is_deleted),
    ];
    for (name, set) in read_only {
        if set {
            errors.push(Violation::new(
                field(name),
                reasons::READ_ONLY_FIELD,
                "is set by the server; leave it empty",
            ));
        }
    }
    let name = errors.check(check_reason_name(&field("name"), &sent.name));
    let direction = errors.check(check_reason_direction(
        &field("direction"),
        direction_from_wire(sent.direction),
    ));
    let (Some(name), Some(direction)) = (name, direction) else {
        return Err(errors.into());
    };
    errors.into_result(())?;
    let digest = request_digest(req);
    let new = NewReason {
        idempotency_key: &req.idempotency_key,
        request_digest: &digest,
        name,
        direction,
    };
    match store
        .create_custom_reason(merchant, new)
        .await
        .within("adjustment_reason")?
    {
        CreatedReason::Created(reason) => Ok(pb::CreateInventoryAdjustmentReasonResponse {
            adjustment_reason: Some(custom_to_wire(&reason)),
        }),
        CreatedReason::KeyReused => Err(Refusal::IdempotencyKeyReused.into()),
    }
}

/// Reads one reason, standard or custom (deleted or not).
pub async fn retrieve(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::RetrieveInventoryAdjustmentReasonRequest,
) -> Result<pb::RetrieveInventoryAdjustmentReasonResponse, ApiError> {
    let reason = required_reason("reason_id", req.reason_id.as_ref())?;
    let adjustment_reason = if reason.kind == ReasonType::Custom {
        let id = &reason.custom_reason_id;
        let stored = store.get_custom_reason(merchant, id).await.or_not_found(
            WHAT,
            "reason_id.custom_reason_id",
            id,
        )?;
        custom_to_wire(&stored)
    } else {
        standard_to_wire(reason.kind)
    };
    Ok(pb::RetrieveInventoryAdjustmentReasonResponse {
        adjustment_reason: Some(adjustment_reason),
    })
}

/// Renames a custom reason that is not deleted.
pub async fn update(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::UpdateInventoryAdjustmentReasonRequest,
) -> Result<pb::UpdateInventoryAdjustmentReasonResponse, ApiError> {
    let id = custom_reason_id(req.reason_id.as_ref())?;
    let Some(sent) = &req.adjustment_reason else {
        return Err(Violations(vec![Violation::missing("adjustment_reason")]).into());
    };
    let name =
        check_reason_name("adjustment_reason.name", &sent.name).map_err(|v| Violations(vec![v]))?;
    let direction = direction_from_wire(sent.direction);
    let updated = store
        .update_custom_reason(merchant, &id, |current| {
            if current.is_deleted {
                return Err(deleted());
            }
            if direction.is_some_and(|d| d != current.direction) {
                return Err(Violations(vec![Violation::invalid(
                    "adjustment_reason.direction",
                    "is fixed once the reason is created; only the name can change",
                )])
                .into());
            }
            Ok(CustomReason {
                name,
                ..current.clone()
            })
        })
        .await
        .or_not_found(WHAT, "reason_id.custom_reason_id", &id)
        .within("adjustment_reason")??;
    Ok(pb::UpdateInventoryAdjustmentReasonResponse {
        adjustment_reason: Some(custom_to_wire(&updated)),
    })
}

/// Soft-deletes a custom reason (a deleted one is answered unchanged).
pub async fn delete(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::DeleteInventoryAdjustmentReasonRequest,
) -> Result<pb::DeleteInventoryAdjustmentReasonResponse, ApiError> {
    let reason = set_deleted(store, merchant, req.reason_id.as_ref(), true).await?;
    Ok(pb::DeleteInventoryAdjustmentReasonResponse {
        adjustment_reason: Some(custom_to_wire(&reason)),
    })
}

/// Restores a deleted custom reason (a live one is answered unchanged); its name must not
/// have been taken meanwhile.
pub async fn restore(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::RestoreInventoryAdjustmentReasonRequest,
) -> Result<pb::RestoreInventoryAdjustmentReasonResponse, ApiError> {
    let reason = set_deleted(store, merchant, req.reason_id.as_ref(), false).await?;
    Ok(pb::RestoreInventoryAdjustmentReasonResponse {
        adjustment_reason: Some(custom_to_wire(&reason)),
    })
}

async fn set_deleted(
    store: &Store,
    merchant: &MerchantId,
    reason_id: Option<&pb::InventoryAdjustmentReasonId>,
    is_deleted: bool,
) -> Result<CustomReason, ApiError> {
    let id = custom_reason_id(reason_id)?;
    store
        .update_custom_reason(merchant, &id, |current| {
            Ok::<_, ApiError>(CustomReason {
                is_deleted,
                ..current.clone()
            })
        })
        .await
        .or_not_found(WHAT, "reason_id.custom_reason_id", &id)?
}

fn deleted() -> ApiError {
    ApiError::FailedPrecondition {
        reason: ADJUSTMENT_REASON_DELETED,
        field: "reason_id".into(),
        message: "the adjustment reason is deleted; restore it first".into(),
        metadata: Vec::new(),
    }
}

/// A required, well-formed reason id at `field`.
fn required_reason(
    field: &str,
    reason_id: Option<&pb::InventoryAdjustmentReasonId>,
) -> Result<ReasonId, ApiError> {
    let reason_id = reason_id.ok_or_else(|| Violations(vec![Violation::missing(field)]))?;
    Ok(check_reason_id(
        field,
        &reason_draft_from_wire(reason_id.clone()),
    )?)
}

/// The id of the custom reason a write names: only custom reasons can be written.
fn custom_reason_id(
    reason_id: Option<&pb::InventoryAdjustmentReasonId>,
) -> Result<String, ApiError> {
    let reason = required_reason("reason_id", reason_id)?;
    if reason.kind != ReasonType::Custom {
        return Err(Violations(vec![Violation::invalid(
            "reason_id.type",
            format!(
                "{} is a standard reason; only CUSTOM reasons can be changed",
                reason.kind.as_str()
            ),
        )])
        .into());
    }
    Ok(reason.custom_reason_id)
}

/// A direction by its wire number; `None` for UNSPECIFIED or unknown.
pub fn direction_from_wire(raw: i32) -> Option<ReasonDirection> {
    match pb::InventoryAdjustmentReasonDirection::try_from(raw) {
        Ok(pb::InventoryAdjustmentReasonDirection::Increase) => Some(ReasonDirection::Increase),
        Ok(pb::InventoryAdjustmentReasonDirection::Decrease) => Some(ReasonDirection::Decrease),
        _ => None,
    }
}

fn direction_to_wire(direction: Option<ReasonDirection>) -> i32 {
    let wire = match direction {
        Some(ReasonDirection::Increase) => pb::InventoryAdjustmentReasonDirection::Increase,
        Some(ReasonDirection::Decrease) => pb::InventoryAdjustmentReasonDirection::Decrease,
        None => pb::InventoryAdjustmentReasonDirection::Unspecified,
    };
    wire.into()
}

/// A standard reason as answered: no name, no times, never deleted.
pub fn standard_to_wire(kind: ReasonType) -> pb::InventoryAdjustmentReason {
    pb::InventoryAdjustmentReason {
        id: Some(pb::InventoryAdjustmentReasonId {
            r#type: reason_type_to_wire(kind),
            custom_reason_id: String::new(),
        }),
        direction: direction_to_wire(kind.direction()),
        ..Default::default()
    }
}

/// A custom reason as answered.
pub fn custom_to_wire(reason: &CustomReason) -> pb::InventoryAdjustmentReason {
    pb::InventoryAdjustmentReason {
        id: Some(reason_to_wire(&ReasonId {
            kind: ReasonType::Custom,
            custom_reason_id: reason.id.clone(),
        })),
        name: reason.name.clone(),
        direction: direction_to_wire(Some(reason.direction)),
        created_at: Some(timestamp_from_micros(reason.created_at)),
        updated_at: Some(timestamp_from_micros(reason.updated_at)),
        is_deleted: reason.is_deleted,
    }
}
