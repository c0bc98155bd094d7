//! Adjustment reasons: why stock moved. The standard ones (`Damaged`, `Theft`, …) are
//! fixed; a merchant adds custom ones. [`Client::create_inventory_adjustment_reason`](crate::Client::create_inventory_adjustment_reason)
//! and its siblings (retrieve, list, update, delete, restore) take and return these types:
//! the direction as [`pb::InventoryAdjustmentReasonDirection`], times as [`SystemTime`]s.
//! A reason is named by its [`pb::InventoryAdjustmentReasonId`]:
//! [`changes::reason`](crate::changes::reason) for a standard one,
//! [`changes::custom_reason`](crate::changes::custom_reason) for a custom one.

use std::time::SystemTime;

use crate::{Error, pb};

/// An adjustment reason, as the server answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdjustmentReason {
    /// Which reason: its type, and for a custom one its id.
    pub id: pb::InventoryAdjustmentReasonId,
    /// A custom reason's name; empty for the standard ones.
    pub name: String,
    /// `Increase` or `Decrease` for a custom reason; `Unspecified` for the others.
    pub direction: pb::InventoryAdjustmentReasonDirection,
    /// When the custom reason was created; `None` for the standard ones.
    pub created_at: Option<SystemTime>,
    /// When the custom reason last changed; `None` for the standard ones.
    pub updated_at: Option<SystemTime>,
    /// Whether the custom reason is deleted (a change naming it is refused).
    pub is_deleted: bool,
}

impl AdjustmentReason {
    /// The reason's type (`Custom` for a merchant's own).
    pub fn reason_type(&self) -> pb::InventoryAdjustmentReasonType {
        self.id.r#type()
    }

    /// A custom reason's id; empty for the standard ones.
    pub fn custom_reason_id(&self) -> &str {
        &self.id.custom_reason_id
    }
}

impl TryFrom<pb::InventoryAdjustmentReason> for AdjustmentReason {
    type Error = Error;

    fn try_from(reason: pb::InventoryAdjustmentReason) -> Result<Self, Error> {
        Ok(AdjustmentReason {
            direction: reason.direction(),
            created_at: crate::time::from_field(reason.created_at.as_ref()),
            updated_at: crate::time::from_field(reason.updated_at.as_ref()),
            id: reason.id.ok_or_else(|| {
                Error::local(
                    tonic::Code::Internal,
                    "the server sent an adjustment reason without its id",
                )
            })?,
            name: reason.name,
            is_deleted: reason.is_deleted,
        })
    }
}

/// What [`Client::create_inventory_adjustment_reason`](crate::Client::create_inventory_adjustment_reason)
/// sends: `NewAdjustmentReason::new(name, direction)`, optionally `.idempotency_key(..)` (a
/// fresh one when not given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAdjustmentReason {
    /// 1–255 characters, unique among the merchant's custom reasons that are not deleted.
    pub name: String,
    /// `Increase` or `Decrease` (fixed once created).
    pub direction: pb::InventoryAdjustmentReasonDirection,
    /// `None`: a fresh key.
    pub idempotency_key: Option<String>,
}

impl NewAdjustmentReason {
    /// A custom reason named `name` that moves stock in `direction`.
    pub fn new(name: impl Into<String>, direction: pb::InventoryAdjustmentReasonDirection) -> Self {
        NewAdjustmentReason {
            name: name.into(),
            direction,
            idempotency_key: None,
        }
    }

    /// With your own idempotency key, to make retries safe.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    pub(crate) fn to_wire(&self) -> pb::CreateInventoryAdjustmentReasonRequest {
        pb::CreateInventoryAdjustmentReasonRequest {
            idempotency_key: crate::reservations::key_or_fresh(self.idempotency_key.as_deref()),
            adjustment_reason: Some(pb::InventoryAdjustmentReason {
                name: self.name.clone(),
                direction: self.direction as i32,
                ..Default::default()
            }),
        }
    }
}

/// Which reasons [`Client::list_inventory_adjustment_reasons`](crate::Client::list_inventory_adjustment_reasons)
/// reads: [`AdjustmentReasonFilter::default`] (the standard ones and the custom ones that
/// are not deleted), `.include_deleted()`, `.include_system_codes()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdjustmentReasonFilter {
    /// Also the deleted custom reasons.
    pub include_deleted: bool,
    /// Also Square's system codes (`Sale`, `Recount`, …).
    pub include_system_codes: bool,
}

impl AdjustmentReasonFilter {
    /// Also the deleted custom reasons.
    pub fn include_deleted(mut self) -> Self {
        self.include_deleted = true;
        self
    }

    /// Also Square's system codes.
    pub fn include_system_codes(mut self) -> Self {
        self.include_system_codes = true;
        self
    }

    pub(crate) fn to_wire(self) -> pb::ListInventoryAdjustmentReasonsRequest {
        pb::ListInventoryAdjustmentReasonsRequest {
            include_deleted: self.include_deleted,
            include_system_codes: self.include_system_codes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_reason_on_the_wire() {
        let request =
            NewAdjustmentReason::new("Found", pb::InventoryAdjustmentReasonDirection::Increase)
                .to_wire();
        assert_eq!(request.idempotency_key.len(), 36, "a fresh uuid");
        let reason = request.adjustment_reason.unwrap();
        assert_eq!(
            (reason.name.as_str(), reason.direction()),
            ("Found", pb::InventoryAdjustmentReasonDirection::Increase)
        );
        let keyed =
            NewAdjustmentReason::new("Found", pb::InventoryAdjustmentReasonDirection::Decrease)
                .idempotency_key("mine")
                .to_wire();
        assert_eq!(keyed.idempotency_key, "mine");
    }

    #[test]
    fn a_reason_from_the_wire() {
        let id = crate::changes::custom_reason("r1");
        let reason = AdjustmentReason::try_from(pb::InventoryAdjustmentReason {
            id: Some(id.clone()),
            name: "Found".into(),
            direction: pb::InventoryAdjustmentReasonDirection::Increase as i32,
            created_at: Some(prost_types::Timestamp {
                seconds: 10,
                nanos: 0,
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(reason.id, id);
        assert_eq!(
            (reason.reason_type(), reason.custom_reason_id()),
            (pb::InventoryAdjustmentReasonType::Custom, "r1")
        );
        assert_eq!(
            reason.created_at,
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(10))
        );
        let err = AdjustmentReason::try_from(pb::InventoryAdjustmentReason::default()).unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal);
    }
}
