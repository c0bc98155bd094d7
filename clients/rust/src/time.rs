//! Timestamps: `google.protobuf.Timestamp` on the wire, [`SystemTime`] here.

use std::time::SystemTime;

use prost_types::Timestamp;

/// The wire form of `time` (nanosecond precision; the server keeps microseconds).
pub fn to_timestamp(time: SystemTime) -> Timestamp {
    Timestamp::from(time)
}

/// `timestamp` as a [`SystemTime`]; `None` when it is not a valid timestamp or falls
/// outside what this platform's `SystemTime` can hold.
pub fn to_system_time(timestamp: &Timestamp) -> Option<SystemTime> {
    if !(0..1_000_000_000).contains(&timestamp.nanos) {
        return None;
    }
    SystemTime::try_from(*timestamp).ok()
}

/// [`to_system_time`] for an optional field (`created_at`, `occurred_at`, …).
pub fn from_field(timestamp: Option<&Timestamp>) -> Option<SystemTime> {
    timestamp.and_then(to_system_time)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn round_trips_both_sides_of_the_epoch() {
        for time in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
            UNIX_EPOCH - Duration::new(86_400, 500_000_000),
        ] {
            assert_eq!(to_system_time(&to_timestamp(time)), Some(time));
        }
        let before = to_timestamp(UNIX_EPOCH - Duration::from_millis(1500));
        assert_eq!((before.seconds, before.nanos), (-2, 500_000_000));
        assert_eq!(
            to_timestamp(UNIX_EPOCH + Duration::from_micros(1)).nanos,
            1_000
        );
    }

    #[test]
    fn refuses_invalid_timestamps() {
        let bad_nanos = Timestamp {
            seconds: 1,
            nanos: 1_000_000_000,
        };
        assert_eq!(to_system_time(&bad_nanos), None);
        let negative_nanos = Timestamp {
            seconds: 1,
            nanos: -1,
        };
        assert_eq!(to_system_time(&negative_nanos), None);
        assert_eq!(from_field(None), None);
        let ok = Timestamp {
            seconds: 10,
            nanos: 0,
        };
        assert_eq!(
            from_field(Some(&ok)),
            Some(UNIX_EPOCH + Duration::from_secs(10))
        );
    }
}
