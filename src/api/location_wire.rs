//! Conversions between the wire's `Location` and the domain's location types: the one
//! mapping LocationService and `stockledger import` / `export` share.

use super::convert::timestamp_from_micros;
use crate::domain::error::{Violation, reasons};
use crate::domain::location::{LocationDraft, LocationStatus};
use crate::proto::v1 as pb;
use crate::store::locations::LocationRecord;

/// A wire status named `field`: `None` for UNSPECIFIED; refuses values outside the enum.
pub fn status_from_wire(field: &str, raw: i32) -> Result<Option<LocationStatus>, Violation> {
    match pb::LocationStatus::try_from(raw) {
        Ok(pb::LocationStatus::Unspecified) => Ok(None),
        Ok(pb::LocationStatus::Active) => Ok(Some(LocationStatus::Active)),
        Ok(pb::LocationStatus::Inactive) => Ok(Some(LocationStatus::Inactive)),
        Err(_) => Err(Violation::new(
            field,
            reasons::INVALID_ENUM_VALUE,
            format!("{raw} is not a LocationStatus"),
        )),
    }
}

/// The unchecked domain draft of a wire location, as create, update and import validate
/// it.
pub fn location_draft(location: &pb::Location) -> Result<LocationDraft, Violation> {
    Ok(LocationDraft {
        name: location.name.clone(),
        status: status_from_wire("status", location.status)?,
        description: location.description.clone(),
        forbid_negative_counts: location.forbid_negative_counts,
    })
}

/// A stored location on the wire.
pub fn location_to_wire(record: &LocationRecord) -> pb::Location {
    let status = match record.attributes.status {
        LocationStatus::Active => pb::LocationStatus::Active,
        LocationStatus::Inactive => pb::LocationStatus::Inactive,
    };
    pb::Location {
        id: record.id.clone(),
        name: record.attributes.name.clone(),
        status: status.into(),
        description: record.attributes.description.clone(),
        forbid_negative_counts: record.attributes.forbid_negative_counts,
        created_at: Some(timestamp_from_micros(record.created_at)),
        updated_at: Some(timestamp_from_micros(record.updated_at)),
    }
}
