//! Conversions between the wire's `Reservation` and the domain's: the one mapping
//! ReservationService and `stockledger export` / `import` share.

use super::convert::{micros_from_timestamp, timestamp_from_micros};
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::id::canonical_id;
use crate::domain::reservation::{
    KeptLineDraft, LineDraft, Reservation, ReservationState, restore,
};
use crate::proto::v1 as pb;

/// A wire state named `field`: `None` for UNSPECIFIED; refuses values outside the enum.
pub fn state_from_wire(field: &str, raw: i32) -> Result<Option<ReservationState>, Violation> {
    match pb::ReservationState::try_from(raw) {
        Ok(pb::ReservationState::Unspecified) => Ok(None),
        Ok(pb::ReservationState::Held) => Ok(Some(ReservationState::Held)),
        Ok(pb::ReservationState::Committed) => Ok(Some(ReservationState::Committed)),
        Ok(pb::ReservationState::Released) => Ok(Some(ReservationState::Released)),
        Ok(pb::ReservationState::Expired) => Ok(Some(ReservationState::Expired)),
        Err(_) => Err(Violation::new(
            field,
            reasons::INVALID_ENUM_VALUE,
            format!("{raw} is not a ReservationState"),
        )),
    }
}

pub fn state_to_wire(state: ReservationState) -> pb::ReservationState {
    match state {
        ReservationState::Held => pb::ReservationState::Held,
        ReservationState::Committed => pb::ReservationState::Committed,
        ReservationState::Released => pb::ReservationState::Released,
        ReservationState::Expired => pb::ReservationState::Expired,
    }
}

/// A reservation on the wire.
pub fn reservation_to_wire(reservation: &Reservation) -> pb::Reservation {
    pb::Reservation {
        id: reservation.id.clone(),
        state: state_to_wire(reservation.state).into(),
        lines: reservation
            .lines
            .iter()
            .map(|line| pb::ReservationLine {
                catalog_object_id: line.catalog_object_id.clone(),
                location_id: line.location_id.clone(),
                quantity: line.quantity.to_string(),
                committed_quantity: line.committed.to_string(),
                released_quantity: line.released.to_string(),
                held_quantity: line.held().to_string(),
            })
            .collect(),
        reference_id: reservation.reference_id.clone(),
        expires_at: Some(timestamp_from_micros(reservation.expires_at)),
        created_at: Some(timestamp_from_micros(reservation.created_at)),
        updated_at: Some(timestamp_from_micros(reservation.updated_at)),
    }
}

/// A reservation as an export wrote it, to be stored again by an import
/// (`domain::reservation::restore`): every field but `held_quantity` is taken as given.
pub fn kept_reservation(wire: &pb::Reservation, now: i64) -> Result<Reservation, Violations> {
    let mut errors = Violations::default();
    let id = errors.check(canonical_id("id", &wire.id));
    let state = match errors.check(state_from_wire("state", wire.state)) {
        Some(None) => {
            errors.push(Violation::missing("state"));
            None
        }
        Some(state) => state,
        None => None,
    };
    let mut time = |field: &str, ts: &Option<prost_types::Timestamp>| {
        errors.check(
            ts.as_ref()
                .map_or(Ok(now), |t| micros_from_timestamp(field, t)),
        )
    };
    let times = [
        time("expires_at", &wire.expires_at),
        time("created_at", &wire.created_at),
        time("updated_at", &wire.updated_at),
    ];
    let lines: Vec<KeptLineDraft> = wire
        .lines
        .iter()
        .map(|l| KeptLineDraft {
            line: LineDraft {
                catalog_object_id: l.catalog_object_id.clone(),
                location_id: l.location_id.clone(),
                quantity: l.quantity.clone(),
            },
            committed: l.committed_quantity.clone(),
            released: l.released_quantity.clone(),
        })
        .collect();
    let restored = restore(
        id.clone().unwrap_or_default(),
        state.unwrap_or(ReservationState::Held),
        &lines,
        wire.reference_id.clone(),
        times.map(Option::unwrap_or_default),
    );
    match restored {
        // Every field that could not be read left a violation in `errors`.
        Ok(reservation) => errors.into_result(reservation),
        Err(more) => {
            errors.0.extend(more.0);
            Err(errors)
        }
    }
}
