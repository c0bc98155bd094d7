//! Quantities and money: [`Decimal`] here, decimal strings on the wire.
//!
//! The wire form is `-?digits(.digits)?` with at most five digits after the point, no
//! exponent, no `+`, no spaces (e.g. `"94"`, `"2.5"`, `"0.00001"`); the server returns it
//! normalised (`"94"`, never `"94.00000"`).

use rust_decimal::Decimal;

/// Most digits after the decimal point the service stores.
pub const MAX_SCALE: u32 = 5;

/// Why a decimal could not go to or come from the wire.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// More than [`MAX_SCALE`] significant digits after the point.
    #[error("{0} has more than 5 digits after the decimal point")]
    TooPrecise(String),
    /// Not of the form `-?digits(.digits)?`.
    #[error("{0:?} is not a plain decimal string such as \"12\" or \"2.5\"")]
    Malformed(String),
    /// Too many digits for a [`Decimal`].
    #[error("{0:?} does not fit in a Decimal")]
    OutOfRange(String),
}

/// The wire string of `value`, normalised (`94.000` → `"94"`, `-0` → `"0"`); refused when
/// it has a non-zero digit beyond the fifth decimal place (the server would refuse it).
pub fn to_wire(value: Decimal) -> Result<String, DecimalError> {
    let normalised = value.normalize();
    if normalised.scale() > MAX_SCALE {
        return Err(DecimalError::TooPrecise(value.to_string()));
    }
    Ok(normalised.to_string())
}

/// Reads a wire string (`"94"`, `"-2.5"`, `"0.00001"`) exactly; anything else (empty,
/// exponent, `+`, spaces, `_`, more than five decimals) is refused.
pub fn from_wire(text: &str) -> Result<Decimal, DecimalError> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(DecimalError::Malformed(text.to_owned()));
    }
    if fraction.is_some_and(|f| f.len() > MAX_SCALE as usize) {
        return Err(DecimalError::TooPrecise(text.to_owned()));
    }
    Decimal::from_str_exact(text).map_err(|_| DecimalError::OutOfRange(text.to_owned()))
}

/// [`from_wire`] for fields where an empty string means "absent", such as
/// `InventoryCountUpdate.previous_quantity`.
pub fn from_wire_optional(text: &str) -> Result<Option<Decimal>, DecimalError> {
    if text.is_empty() {
        Ok(None)
    } else {
        from_wire(text).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn formats_normalised_wire_strings() {
        for (value, wire) in [
            ("94", "94"),
            ("94.00000", "94"),
            ("94.000000000", "94"),
            ("2.50", "2.5"),
            ("-2.5", "-2.5"),
            ("0.00001", "0.00001"),
            ("-0.00001", "-0.00001"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("1.100000", "1.1"),
            ("12345678901234.56789", "12345678901234.56789"),
            ("1000000000", "1000000000"),
        ] {
            assert_eq!(to_wire(d(value)).as_deref(), Ok(wire), "{value}");
        }
        assert_eq!(to_wire(Decimal::ZERO).as_deref(), Ok("0"));
        assert_eq!(to_wire(Decimal::new(-25, 1)).as_deref(), Ok("-2.5"));
    }

    #[test]
    fn refuses_more_than_five_places() {
        for value in [
            "1.123456",
            "0.000001",
            "-0.000001",
            "1.0000000000000000000000000001",
        ] {
            assert_eq!(
                to_wire(d(value)),
                Err(DecimalError::TooPrecise(value.to_owned())),
                "{value}"
            );
        }
    }

    #[test]
    fn parses_wire_strings_exactly() {
        for (wire, value) in [
            ("94", d("94")),
            ("-2.5", d("-2.5")),
            ("0.00001", Decimal::new(1, 5)),
            ("92233720368547.75807", Decimal::new(i64::MAX, 5)),
            ("-92233720368547.75808", Decimal::new(i64::MIN, 5)),
            ("007.10", d("7.1")),
        ] {
            assert_eq!(from_wire(wire), Ok(value), "{wire}");
        }
        // Exact: no float on the way.
        assert_eq!(
            from_wire("0.1").unwrap() + from_wire("0.2").unwrap(),
            d("0.3")
        );
    }

    #[test]
    fn refuses_what_is_not_a_wire_string() {
        for bad in [
            "", "-", "+1", "1e3", "1E3", "1.", ".5", "-.5", " 1", "1 ", "1_000", "1._5", "--1",
            "1.2.3", "NaN", "inf", "0x10", "1,5", "١",
        ] {
            assert_eq!(
                from_wire(bad),
                Err(DecimalError::Malformed(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            from_wire("1.123456"),
            Err(DecimalError::TooPrecise("1.123456".into()))
        );
        let huge = "9".repeat(40);
        assert_eq!(
            from_wire(&huge),
            Err(DecimalError::OutOfRange(huge.clone()))
        );
    }

    #[test]
    fn round_trips() {
        for wire in [
            "0",
            "1",
            "-1",
            "2.5",
            "0.00001",
            "-123456789.12345",
            "1000000000000",
        ] {
            assert_eq!(to_wire(from_wire(wire).unwrap()).as_deref(), Ok(wire));
        }
        assert_eq!(from_wire_optional(""), Ok(None));
        assert_eq!(from_wire_optional("3"), Ok(Some(d("3"))));
    }
}
