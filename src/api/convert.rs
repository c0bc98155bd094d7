//! Conversions between wire values (timestamps, ids) and the server's representations.

use prost_types::Timestamp;

use crate::domain::error::{Violation, reasons};
use crate::domain::id::check_id;

/// A wire timestamp for microseconds since the Unix epoch.
pub fn timestamp_from_micros(micros: i64) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: i32::try_from(micros.rem_euclid(1_000_000) * 1_000).expect("below one second"),
    }
}

/// Microseconds since the Unix epoch for a wire timestamp (sub-microsecond digits are
/// dropped); refuses out-of-range values, naming `field`.
pub fn micros_from_timestamp(field: &str, ts: &Timestamp) -> Result<i64, Violation> {
    let invalid = || Violation::new(field, reasons::INVALID_VALUE, "is not a valid timestamp");
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(invalid());
    }
    ts.seconds
        .checked_mul(1_000_000)
        .and_then(|s| s.checked_add(i64::from(ts.nanos / 1_000)))
        .ok_or_else(invalid)
}

/// Checks that a required id is present and has the shape of the server's ids
/// (`domain::id::check_id`: the same rule as in a batch's changes and in filters).
pub fn require_id<'a>(field: &str, id: &'a str) -> Result<&'a str, Violation> {
    check_id(field, id).map(|()| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for micros in [0, 1, -1, 1_700_000_000_123_456, -1_700_000_000_123_456] {
            let ts = timestamp_from_micros(micros);
            assert_eq!(micros_from_timestamp("t", &ts), Ok(micros));
        }
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(micros_from_timestamp("t", &bad).is_err());
        let huge = Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert!(micros_from_timestamp("t", &huge).is_err());
    }
}
