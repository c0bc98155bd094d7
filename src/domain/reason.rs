//! Why stock moved: adjustment reasons (docs/ledger.md, "Reasons").
//!
//! A change may carry a [`ReasonId`]: a standard reason type or one of the merchant's own
//! custom reasons (Square's 2026 adjustment reasons). The standard types are Square's
//! seller-selectable ones (RECEIVED, DAMAGED, THEFT, …), Square's system codes (SALE,
//! RECOUNT, …: answered, never written through the API) and Shopify's reasons
//! (`correction`, `restock`, …, which the Shopify door writes), so that one history, one
//! filter (`reason_ids`) and one export carry the reasons of every front door.
//!
//! A custom reason has a name, a direction (INCREASE or DECREASE), and may be deleted
//! (soft: still retrievable and still named by the changes that carry it, but no longer
//! listed by default nor accepted on a new change) and restored.

use super::error::{Violation, Violations, reasons};
use super::id::canonical_id;
use super::text::check_free_text;

/// Longest custom reason name, in characters.
pub const MAX_REASON_NAME_CHARS: usize = 255;

/// Where a standard reason type comes from, which decides who may write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasonOrigin {
    /// A reason a Square seller picks: listed and writable.
    SquareStandard,
    /// Square's system-generated codes: listed only on request, never written by a change.
    SquareSystem,
    /// Shopify's reasons: writable (the Shopify door writes them); listed by the gRPC API
    /// but not by the Square door, which does not know them.
    Shopify,
    /// The merchant's own reason ([`ReasonType::Custom`]).
    Custom,
}

/// Whether a reason adds stock or removes it (Square's direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasonDirection {
    /// Stock comes in.
    Increase,
    /// Stock goes out.
    Decrease,
}

impl ReasonDirection {
    /// The stored (and Square's) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonDirection::Increase => "INCREASE",
            ReasonDirection::Decrease => "DECREASE",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(text: &str) -> Option<Self> {
        [ReasonDirection::Increase, ReasonDirection::Decrease]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

macro_rules! reason_types {
    ($($variant:ident => $name:literal, $origin:ident, $direction:expr;)+) => {
        /// The type of an adjustment reason. See the module documentation.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            serde::Deserialize,
        )]
        pub enum ReasonType {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )+
        }

        impl ReasonType {
            /// Every type, in wire order.
            pub const ALL: &'static [ReasonType] = &[$(ReasonType::$variant),+];

            /// The stored (and Square's) spelling, e.g. `SPOILAGE_WASTE`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ReasonType::$variant => $name,)+
                }
            }

            /// Where the type comes from.
            pub fn origin(self) -> ReasonOrigin {
                match self {
                    $(ReasonType::$variant => ReasonOrigin::$origin,)+
                }
            }

            /// The direction of a standard type Square gives one; `None` for system codes,
            /// Shopify's reasons (either way) and custom (the custom reason's own).
            pub fn direction(self) -> Option<ReasonDirection> {
                match self {
                    $(ReasonType::$variant => $direction,)+
                }
            }
        }
    };
}

use ReasonDirection::{Decrease, Increase};

reason_types! {
    Received => "RECEIVED", SquareStandard, Some(Increase);
    Damaged => "DAMAGED", SquareStandard, Some(Decrease);
    Theft => "THEFT", SquareStandard, Some(Decrease);
    Lost => "LOST", SquareStandard, Some(Decrease);
    Returned => "RETURNED", SquareStandard, Some(Increase);
    SpoilageWaste => "SPOILAGE_WASTE", SquareStandard, Some(Decrease);
    SamplesPromotional => "SAMPLES_PROMOTIONAL", SquareStandard, Some(Decrease);
    InternalUse => "INTERNAL_USE", SquareStandard, Some(Decrease);
    VendorReturn => "VENDOR_RETURN", SquareStandard, Some(Decrease);
    ProductionWaste => "PRODUCTION_WASTE", SquareStandard, Some(Decrease);
    Sale => "SALE", SquareSystem, None;
    Recount => "RECOUNT", SquareSystem, None;
    Transfer => "TRANSFER", SquareSystem, None;
    InTransit => "IN_TRANSIT", SquareSystem, None;
    CanceledSale => "CANCELED_SALE", SquareSystem, None;
    Custom => "CUSTOM", Custom, None;
    Correction => "CORRECTION", Shopify, None;
    CycleCountAvailable => "CYCLE_COUNT_AVAILABLE", Shopify, None;
    MovementCanceled => "MOVEMENT_CANCELED", Shopify, None;
    MovementCreated => "MOVEMENT_CREATED", Shopify, None;
    MovementReceived => "MOVEMENT_RECEIVED", Shopify, None;
    MovementUpdated => "MOVEMENT_UPDATED", Shopify, None;
    Other => "OTHER", Shopify, None;
    Promotion => "PROMOTION", Shopify, None;
    QualityControl => "QUALITY_CONTROL", Shopify, None;
    ReservationCreated => "RESERVATION_CREATED", Shopify, None;
    ReservationDeleted => "RESERVATION_DELETED", Shopify, None;
    ReservationUpdated => "RESERVATION_UPDATED", Shopify, None;
    Restock => "RESTOCK", Shopify, None;
    SafetyStock => "SAFETY_STOCK", Shopify, None;
    Shrinkage => "SHRINKAGE", Shopify, None;
}

impl ReasonType {
    /// Reads the stored spelling.
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == text)
    }

    /// Shopify's name of a reason (`correction`, `damaged`, `received`, …): Shopify's own
    /// reasons and the two Square shares with it. `None` for the others.
    pub fn shopify_name(self) -> Option<String> {
        match self.origin() {
            ReasonOrigin::Shopify => Some(self.as_str().to_ascii_lowercase()),
            _ if matches!(self, ReasonType::Damaged | ReasonType::Received) => {
                Some(self.as_str().to_ascii_lowercase())
            }
            _ => None,
        }
    }

    /// The type of one of Shopify's reasons by its name (`cycle_count_available`).
    pub fn from_shopify(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.shopify_name().as_deref() == Some(name))
    }

    /// Whether a change may carry this type: every one but Square's system codes.
    pub fn is_writable(self) -> bool {
        self.origin() != ReasonOrigin::SquareSystem
    }
}

/// A reason as a change carries it: a standard type, or CUSTOM with the custom reason's id.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ReasonId {
    /// The type.
    pub kind: ReasonType,
    /// The custom reason's id when `kind` is CUSTOM, else empty.
    pub custom_reason_id: String,
}

impl ReasonId {
    /// A standard reason.
    pub fn standard(kind: ReasonType) -> Self {
        ReasonId {
            kind,
            custom_reason_id: String::new(),
        }
    }

    /// The stored spelling: the type, or `CUSTOM:<id>` for a custom reason (one column,
    /// so that a `reason_ids` filter is one `IN` list).
    pub fn stored(&self) -> String {
        if self.kind == ReasonType::Custom {
            format!("CUSTOM:{}", self.custom_reason_id)
        } else {
            self.kind.as_str().to_owned()
        }
    }

    /// Reads the stored spelling; `None` for anything else.
    pub fn from_stored(text: &str) -> Option<Self> {
        match text.strip_prefix("CUSTOM:") {
            Some(id) if !id.is_empty() => Some(ReasonId {
                kind: ReasonType::Custom,
                custom_reason_id: id.to_owned(),
            }),
            Some(_) => None,
            None => ReasonType::from_stored(text)
                .filter(|t| *t != ReasonType::Custom)
                .map(ReasonId::standard),
        }
    }
}

/// A reason id as sent: the type (`None` when unspecified or unknown) and the custom id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReasonIdDraft {
    /// The type, if known.
    pub kind: Option<ReasonType>,
    /// The custom reason id as sent.
    pub custom_reason_id: String,
}

/// Checks a reason id sent at `field` (`reason_id`, `reason_ids[2]`): a known type, and a
/// well-formed custom id exactly when the type is CUSTOM. Whether the custom reason exists
/// is the store's fact (see [`super::decide`]).
pub fn check_reason_id(field: &str, draft: &ReasonIdDraft) -> Result<ReasonId, Violations> {
    let mut errors = Violations::default();
    let Some(kind) = draft.kind else {
        errors.push(Violation::new(
            format!("{field}.type"),
            reasons::INVALID_ENUM_VALUE,
            "must be an InventoryAdjustmentReasonType",
        ));
        return Err(errors);
    };
    let custom_field = format!("{field}.custom_reason_id");
    let custom_reason_id = if kind == ReasonType::Custom {
        if draft.custom_reason_id.is_empty() {
            errors.push(Violation::missing(&custom_field));
            None
        } else {
            errors.check(canonical_id(&custom_field, &draft.custom_reason_id))
        }
    } else {
        if !draft.custom_reason_id.is_empty() {
            errors.push(Violation::invalid(
                &custom_field,
                "is only allowed when type is CUSTOM",
            ));
        }
        Some(String::new())
    };
    match custom_reason_id {
        Some(custom_reason_id) if errors.0.is_empty() => Ok(ReasonId {
            kind,
            custom_reason_id,
        }),
        _ => Err(errors),
    }
}

/// Checks the reason a change carries: [`check_reason_id`], and not one of Square's
/// system codes, which only Square's own products write.
pub fn check_change_reason(field: &str, draft: &ReasonIdDraft) -> Result<ReasonId, Violations> {
    let reason = check_reason_id(field, draft)?;
    if !reason.kind.is_writable() {
        return Err(Violations(vec![Violation::invalid(
            format!("{field}.type"),
            format!(
                "{} is a system code, answered but never written through the API",
                reason.kind.as_str()
            ),
        )]));
    }
    Ok(reason)
}

/// Checks a custom reason's name at `field`: trimmed, then 1 to
/// [`MAX_REASON_NAME_CHARS`] characters without control characters. Returns it trimmed.
pub fn check_reason_name(field: &str, name: &str) -> Result<String, Violation> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Violation::missing(field));
    }
    check_free_text(field, name, MAX_REASON_NAME_CHARS)?;
    Ok(name.to_owned())
}

/// Checks a custom reason's direction at `field`: required.
pub fn check_reason_direction(
    field: &str,
    direction: Option<ReasonDirection>,
) -> Result<ReasonDirection, Violation> {
    direction.ok_or_else(|| {
        Violation::new(
            field,
            reasons::MISSING_REQUIRED_PARAMETER,
            "must be INCREASE or DECREASE",
        )
    })
}

/// A custom reason as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomReason {
    /// Server-assigned id.
    pub id: String,
    /// The seller-facing name.
    pub name: String,
    /// Whether it adds or removes stock.
    pub direction: ReasonDirection,
    /// Server time of its creation, µs.
    pub created_at: i64,
    /// Server time of its last change (update, delete, restore), µs.
    pub updated_at: i64,
    /// Soft-deleted.
    pub is_deleted: bool,
}

/// The standard reasons a list answers: writable ones, and Square's system codes when
/// asked for; Shopify's only when `with_shopify` (the Square door does not list them).
pub fn standard_reasons(with_system_codes: bool, with_shopify: bool) -> Vec<ReasonType> {
    ReasonType::ALL
        .iter()
        .copied()
        .filter(|t| match t.origin() {
            ReasonOrigin::SquareStandard => true,
            ReasonOrigin::SquareSystem => with_system_codes,
            ReasonOrigin::Shopify => with_shopify,
            ReasonOrigin::Custom => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";

    fn draft(kind: Option<ReasonType>, custom: &str) -> ReasonIdDraft {
        ReasonIdDraft {
            kind,
            custom_reason_id: custom.into(),
        }
    }

    fn fields(errors: Violations) -> Vec<(String, &'static str)> {
        errors.0.into_iter().map(|v| (v.field, v.reason)).collect()
    }

    #[test]
    fn stored_spelling_round_trips_every_type_and_custom_ids() {
        for kind in ReasonType::ALL.iter().copied() {
            let reason = if kind == ReasonType::Custom {
                ReasonId {
                    kind,
                    custom_reason_id: ID.into(),
                }
            } else {
                ReasonId::standard(kind)
            };
            assert_eq!(ReasonId::from_stored(&reason.stored()), Some(reason));
        }
        assert_eq!(ReasonId::from_stored("CUSTOM"), None);
        assert_eq!(ReasonId::from_stored("CUSTOM:"), None);
        assert_eq!(ReasonId::from_stored("received"), None);
    }

    #[test]
    fn shopify_names_map_to_one_type_each_and_back() {
        let names = [
            "correction",
            "cycle_count_available",
            "damaged",
            "movement_canceled",
            "movement_created",
            "movement_received",
            "movement_updated",
            "other",
            "promotion",
            "quality_control",
            "received",
            "reservation_created",
            "reservation_deleted",
            "reservation_updated",
            "restock",
            "safety_stock",
            "shrinkage",
        ];
        for name in names {
            let kind = ReasonType::from_shopify(name).expect(name);
            assert_eq!(kind.shopify_name().as_deref(), Some(name));
        }
        assert_eq!(ReasonType::from_shopify("theft"), None);
        assert_eq!(ReasonType::from_shopify("DAMAGED"), None);
        let with_names = ReasonType::ALL
            .iter()
            .filter(|t| t.shopify_name().is_some())
            .count();
        assert_eq!(with_names, names.len());
    }

    #[test]
    fn a_custom_reason_needs_its_id_and_only_custom_takes_one() {
        let custom = check_reason_id("reason_id", &draft(Some(ReasonType::Custom), ID)).unwrap();
        assert_eq!(custom.custom_reason_id, ID);
        assert_eq!(
            fields(check_reason_id("reason_id", &draft(Some(ReasonType::Custom), "")).unwrap_err()),
            [(
                "reason_id.custom_reason_id".to_owned(),
                reasons::MISSING_REQUIRED_PARAMETER
            )]
        );
        assert_eq!(
            fields(
                check_reason_id("reason_id", &draft(Some(ReasonType::Custom), "nope")).unwrap_err()
            ),
            [("reason_id.custom_reason_id".to_owned(), reasons::INVALID_ID)]
        );
        assert_eq!(
            fields(check_reason_id("r", &draft(Some(ReasonType::Theft), ID)).unwrap_err()),
            [("r.custom_reason_id".to_owned(), reasons::INVALID_VALUE)]
        );
        assert_eq!(
            fields(check_reason_id("r", &draft(None, "")).unwrap_err()),
            [("r.type".to_owned(), reasons::INVALID_ENUM_VALUE)]
        );
    }

    #[test]
    fn changes_may_not_carry_square_system_codes() {
        for kind in ReasonType::ALL.iter().copied() {
            let custom = if kind == ReasonType::Custom { ID } else { "" };
            let checked = check_change_reason("reason_id", &draft(Some(kind), custom));
            let system = kind.origin() == ReasonOrigin::SquareSystem;
            assert_eq!(checked.is_err(), system, "{kind:?}");
        }
    }

    #[test]
    fn names_are_trimmed_required_and_bounded() {
        assert_eq!(check_reason_name("n", "  Breakage ").unwrap(), "Breakage");
        assert_eq!(
            check_reason_name("n", "   ").unwrap_err().reason,
            reasons::MISSING_REQUIRED_PARAMETER
        );
        let long = "x".repeat(MAX_REASON_NAME_CHARS + 1);
        assert_eq!(
            check_reason_name("n", &long).unwrap_err().reason,
            reasons::VALUE_TOO_LONG
        );
        assert!(check_reason_name("n", &"é".repeat(MAX_REASON_NAME_CHARS)).is_ok());
    }

    #[test]
    fn lists_show_system_codes_and_shopify_reasons_only_when_asked() {
        let plain = standard_reasons(false, false);
        assert_eq!(plain.len(), 10);
        assert!(plain.iter().all(|t| t.direction().is_some()));
        assert_eq!(standard_reasons(true, false).len(), 15);
        assert_eq!(standard_reasons(true, true).len(), 30);
        assert!(!standard_reasons(true, true).contains(&ReasonType::Custom));
    }
}
