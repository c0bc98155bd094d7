//! Conversions between wire values (timestamps, ids) and the server's representations.

use chrono::{DateTime, SecondsFormat, Utc};
use prost_types::Timestamp;

use crate::domain::error::{Violation, reasons};
use crate::domain::id::canonical_id;

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

/// A wire timestamp as RFC 3339 text in UTC, as precise as it is (`2026-11-27T09:30:00Z`,
/// `…09:30:00.250Z`); `None` for one out of range.
pub fn rfc3339(ts: &Timestamp) -> Option<String> {
    let nanos = u32::try_from(ts.nanos).ok()?;
    DateTime::<Utc>::from_timestamp(ts.seconds, nanos)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The wire timestamp of RFC 3339 text (any offset).
pub fn timestamp_from_rfc3339(text: &str) -> Result<Timestamp, chrono::ParseError> {
    let at = DateTime::parse_from_rfc3339(text)?;
    Ok(Timestamp {
        seconds: at.timestamp(),
        // At most 1,999,999,999 (a leap second): always an i32.
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(i32::MAX),
    })
}

/// The canonical spelling of a required id (`domain::id::canonical_id`: the same rule as in
/// a batch's changes and in filters).
pub fn require_id(field: &str, id: &str) -> Result<String, Violation> {
    canonical_id(field, id)
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

    #[test]
    fn rfc3339_both_ways() {
        for (text, seconds, nanos, written) in [
            (
                "2026-11-18T11:06:40Z",
                1_795_000_000,
                0,
                "2026-11-18T11:06:40Z",
            ),
            (
                "2026-11-18T11:06:40.250Z",
                1_795_000_000,
                250_000_000,
                "2026-11-18T11:06:40.250Z",
            ),
            (
                "2026-11-18T12:06:40.000001+01:00",
                1_795_000_000,
                1_000,
                "2026-11-18T11:06:40.000001Z",
            ),
        ] {
            let ts = timestamp_from_rfc3339(text).unwrap();
            assert_eq!((ts.seconds, ts.nanos), (seconds, nanos), "{text}");
            assert_eq!(rfc3339(&ts).as_deref(), Some(written), "{text}");
        }
        assert!(timestamp_from_rfc3339("2026-11-18 11:06:40").is_err());
        assert!(timestamp_from_rfc3339("yesterday").is_err());
        let negative_nanos = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert_eq!(rfc3339(&negative_nanos), None);
    }
}
