//! Locations: the rules their attributes obey (written out in `docs/items.md`), as pure
//! functions.
//!
//! Rules are checked when a location is written ([`validate_new_location`],
//! [`validate_updated_location`]), never when it is read: the store builds
//! [`LocationAttributes`] straight from a stored row, so tightening a rule later leaves
//! existing locations readable.

use super::error::{Violation, Violations, reasons};
use super::mask::MaskField;
use super::text::check_free_text;

/// Longest location name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest description accepted, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// Whether a location accepts inventory changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationStatus {
    /// Accepts changes.
    Active,
    /// Deactivated: readable, but refuses new changes.
    Inactive,
}

impl LocationStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LocationStatus::Active => "ACTIVE",
            LocationStatus::Inactive => "INACTIVE",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(text: &str) -> Option<Self> {
        match text {
            "ACTIVE" => Some(LocationStatus::Active),
            "INACTIVE" => Some(LocationStatus::Inactive),
            _ => None,
        }
    }
}

/// A location's attributes as sent by a caller, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocationDraft {
    /// Display name.
    pub name: String,
    /// `None` means unspecified (the default, ACTIVE, on create).
    pub status: Option<LocationStatus>,
    /// Free-form description; empty means none.
    pub description: String,
    /// Whether batches may not take this location's counts below zero by default.
    pub forbid_negative_counts: bool,
}

/// A location's attributes: every rule checked when they were written. The store builds
/// them from stored rows as they are (only an unknown stored status is refused, as corrupt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationAttributes {
    /// Trimmed, 1–255 characters, unique per merchant (the store enforces uniqueness).
    pub name: String,
    /// Active or inactive.
    pub status: LocationStatus,
    /// At most 1024 characters.
    pub description: String,
    /// Whether a batch that does not say otherwise (`forbid_negative_counts`) may not take
    /// this location's counts below zero.
    pub forbid_negative_counts: bool,
}

/// The fields a location update may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationField {
    /// `name`
    Name,
    /// `status`
    Status,
    /// `description`
    Description,
    /// `forbid_negative_counts`
    ForbidNegativeCounts,
}

impl MaskField for LocationField {
    const ALL: &'static [Self] = &[
        LocationField::Name,
        LocationField::Status,
        LocationField::Description,
        LocationField::ForbidNegativeCounts,
    ];

    fn path(self) -> &'static str {
        match self {
            LocationField::Name => "name",
            LocationField::Status => "status",
            LocationField::Description => "description",
            LocationField::ForbidNegativeCounts => "forbid_negative_counts",
        }
    }
}

impl LocationDraft {
    /// Whether the caller set `field` (for an update without a mask).
    pub fn is_populated(&self, field: LocationField) -> bool {
        match field {
            LocationField::Name => !self.name.is_empty(),
            LocationField::Status => self.status.is_some(),
            LocationField::Description => !self.description.is_empty(),
            LocationField::ForbidNegativeCounts => self.forbid_negative_counts,
        }
    }

    /// `self` with the named fields taken from `update`. A status named in the mask but
    /// left unspecified stays unspecified, so that validation refuses it.
    pub fn patched(mut self, update: &LocationDraft, fields: &[LocationField]) -> LocationDraft {
        for field in fields {
            match field {
                LocationField::Name => self.name.clone_from(&update.name),
                LocationField::Status => self.status = update.status,
                LocationField::Description => self.description.clone_from(&update.description),
                LocationField::ForbidNegativeCounts => {
                    self.forbid_negative_counts = update.forbid_negative_counts;
                }
            }
        }
        self
    }
}

impl From<&LocationAttributes> for LocationDraft {
    fn from(location: &LocationAttributes) -> Self {
        LocationDraft {
            name: location.name.clone(),
            status: Some(location.status),
            description: location.description.clone(),
            forbid_negative_counts: location.forbid_negative_counts,
        }
    }
}

/// Checks a new location; an unspecified status means ACTIVE.
pub fn validate_new_location(draft: &LocationDraft) -> Result<LocationAttributes, Violations> {
    validate(draft, Some(LocationStatus::Active))
}

/// Checks an updated location; the status must be given.
pub fn validate_updated_location(draft: &LocationDraft) -> Result<LocationAttributes, Violations> {
    validate(draft, None)
}

fn validate(
    draft: &LocationDraft,
    default_status: Option<LocationStatus>,
) -> Result<LocationAttributes, Violations> {
    let mut errors = Violations::default();
    let name = draft.name.trim();
    if name.is_empty() {
        errors.push(Violation::missing("name"));
    } else {
        errors.check(check_free_text("name", name, MAX_NAME_CHARS));
    }
    errors.check(check_free_text(
        "description",
        &draft.description,
        MAX_DESCRIPTION_CHARS,
    ));
    let status = draft.status.or(default_status);
    if status.is_none() {
        errors.push(Violation::new(
            "status",
            reasons::INVALID_ENUM_VALUE,
            "must be LOCATION_STATUS_ACTIVE or LOCATION_STATUS_INACTIVE",
        ));
    }
    let attributes = LocationAttributes {
        name: name.to_owned(),
        status: status.unwrap_or(LocationStatus::Active),
        description: draft.description.clone(),
        forbid_negative_counts: draft.forbid_negative_counts,
    };
    errors.into_result(attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_location_defaults_to_active_and_trims() {
        let draft = LocationDraft {
            name: "  Main St ".into(),
            ..LocationDraft::default()
        };
        let location = validate_new_location(&draft).unwrap();
        assert_eq!(
            (location.name.as_str(), location.status),
            ("Main St", LocationStatus::Active)
        );
    }

    #[test]
    fn bad_locations_name_the_field() {
        let cases = [
            (LocationDraft::default(), "name"),
            (
                LocationDraft {
                    name: "x".repeat(256),
                    ..LocationDraft::default()
                },
                "name",
            ),
            (
                LocationDraft {
                    name: "ok".into(),
                    description: "d".repeat(1025),
                    ..LocationDraft::default()
                },
                "description",
            ),
        ];
        for (draft, field) in cases {
            let errors = validate_new_location(&draft).unwrap_err();
            assert_eq!(errors.0[0].field, field);
        }
    }

    #[test]
    fn names_and_descriptions_are_free_text() {
        let table: &[(&str, &str, &str, &str)] = &[
            // (name, description, field, reason)
            ("Shop\0", "", "name", reasons::INVALID_VALUE),
            ("Sh\nop", "", "name", reasons::INVALID_VALUE),
            (
                "Shop",
                "line 1\nline 2",
                "description",
                reasons::INVALID_VALUE,
            ),
            ("Shop", "\r", "description", reasons::INVALID_VALUE),
            ("Shop", "\u{1b}[1m", "description", reasons::INVALID_VALUE),
            ("Shop", "\0", "description", reasons::INVALID_VALUE),
        ];
        for (name, description, field, reason) in table {
            let draft = LocationDraft {
                name: (*name).into(),
                description: (*description).into(),
                ..LocationDraft::default()
            };
            let errors = validate_new_location(&draft).unwrap_err();
            assert_eq!(
                (errors.0[0].field.as_str(), errors.0[0].reason),
                (*field, *reason),
                "{name:?} / {description:?}"
            );
        }
        let fine = LocationDraft {
            name: "Café «Nord»".into(),
            description: "Open 9–17, closed on Sundays".into(),
            ..LocationDraft::default()
        };
        assert!(validate_new_location(&fine).is_ok());
    }

    #[test]
    fn update_needs_a_status() {
        let draft = LocationDraft {
            name: "ok".into(),
            ..LocationDraft::default()
        };
        assert_eq!(
            validate_updated_location(&draft).unwrap_err().0[0].field,
            "status"
        );
    }
}
