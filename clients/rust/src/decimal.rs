//! Quantities and money: [`Decimal`] here, decimal strings on the wire.
//!
//! The wire form is `-?digits(.digits)?` with at most five digits after the point, no
//! exponent, no `+`, no spaces (e.g. `"94"`, `"2.5"`, `"0.00001"`); the server returns it
//! normalised (`"94"`, never `"94.00000"`).
//!
//! Every function here and every builder that takes a quantity refuses with the one
//! [`Error`] (`InvalidArgument`, reason [`crate::INVALID_VALUE`], [`Error::field`] the
//! request field at fault); [`DecimalError`] is why, in its message. A builder takes any
//! [`IntoDecimal`]: a [`Decimal`], an integer, or a decimal string such as `"2.5"` (read
//! as [`from_wire`] reads the server's).

use rust_decimal::Decimal;

use crate::Error;

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
pub fn to_wire(value: Decimal) -> Result<String, Error> {
    wire_string(value).map_err(|err| Error::bad_decimal("", err))
}

/// Reads a wire string (`"94"`, `"-2.5"`, `"0.00001"`) exactly; anything else (empty,
/// exponent, `+`, spaces, `_`, more than five decimals) is refused.
pub fn from_wire(text: &str) -> Result<Decimal, Error> {
    parse(text).map_err(|err| Error::bad_decimal("", err))
}

/// [`from_wire`] for fields where an empty string means "absent", such as
/// `InventoryCountUpdate.previous_quantity`.
pub fn from_wire_optional(text: &str) -> Result<Option<Decimal>, Error> {
    if text.is_empty() {
        Ok(None)
    } else {
        from_wire(text).map(Some)
    }
}

/// A quantity or an amount as a builder takes it: a [`Decimal`], an integer, or a decimal
/// string (`"2.5"`; what [`from_wire`] accepts).
pub trait IntoDecimal {
    /// The value, or why it is none.
    fn into_decimal(self) -> Result<Decimal, DecimalError>;
}

impl IntoDecimal for Decimal {
    fn into_decimal(self) -> Result<Decimal, DecimalError> {
        Ok(self)
    }
}

impl IntoDecimal for &str {
    fn into_decimal(self) -> Result<Decimal, DecimalError> {
        parse(self)
    }
}

impl IntoDecimal for &String {
    fn into_decimal(self) -> Result<Decimal, DecimalError> {
        parse(self)
    }
}

impl IntoDecimal for String {
    fn into_decimal(self) -> Result<Decimal, DecimalError> {
        parse(&self)
    }
}

macro_rules! integer_into_decimal {
    ($($integer:ty),*) => {$(
        impl IntoDecimal for $integer {
            fn into_decimal(self) -> Result<Decimal, DecimalError> {
                Ok(Decimal::from(self))
            }
        }
    )*};
}
integer_into_decimal!(i32, i64, u32, u64);

/// `value` as the wire string of the request field `field`, or the [`Error`] naming it.
pub(crate) fn field_to_wire(value: impl IntoDecimal, field: &str) -> Result<String, Error> {
    value
        .into_decimal()
        .and_then(wire_string)
        .map_err(|err| Error::bad_decimal(field, err))
}

/// A decimal the server sent in `field` of its answer (empty: zero), or the [`Error`]
/// naming it.
pub(crate) fn field_from_wire(text: &str, field: &str) -> Result<Decimal, Error> {
    if text.is_empty() {
        return Ok(Decimal::ZERO);
    }
    parse(text).map_err(|err| Error::bad_decimal(field, err))
}

fn wire_string(value: Decimal) -> Result<String, DecimalError> {
    let normalised = value.normalize();
    if normalised.scale() > MAX_SCALE {
        return Err(DecimalError::TooPrecise(value.to_string()));
    }
    Ok(normalised.to_string())
}

fn parse(text: &str) -> Result<Decimal, DecimalError> {
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
            assert_eq!(wire_string(d(value)).as_deref(), Ok(wire), "{value}");
        }
        assert_eq!(wire_string(Decimal::ZERO).as_deref(), Ok("0"));
        assert_eq!(wire_string(Decimal::new(-25, 1)).as_deref(), Ok("-2.5"));
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
                wire_string(d(value)),
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
            assert_eq!(parse(wire), Ok(value), "{wire}");
        }
        // Exact: no float on the way.
        assert_eq!(parse("0.1").unwrap() + parse("0.2").unwrap(), d("0.3"));
    }

    #[test]
    fn refuses_what_is_not_a_wire_string() {
        for bad in [
            "", "-", "+1", "1e3", "1E3", "1.", ".5", "-.5", " 1", "1 ", "1_000", "1._5", "--1",
            "1.2.3", "NaN", "inf", "0x10", "1,5", "١",
        ] {
            assert_eq!(
                parse(bad),
                Err(DecimalError::Malformed(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse("1.123456"),
            Err(DecimalError::TooPrecise("1.123456".into()))
        );
        let huge = "9".repeat(40);
        assert_eq!(parse(&huge), Err(DecimalError::OutOfRange(huge.clone())));
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
            assert_eq!(wire_string(parse(wire).unwrap()).as_deref(), Ok(wire));
        }
        assert_eq!(from_wire_optional("").ok(), Some(None));
        assert_eq!(from_wire_optional("3").ok(), Some(Some(d("3"))));
    }

    #[test]
    fn refusals_are_the_one_error_with_reason_and_field() {
        let err = field_to_wire("1,5", "changes[0].adjustment.quantity").unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert_eq!(err.reason(), Some(crate::INVALID_VALUE));
        assert_eq!(err.domain(), Some(crate::CLIENT_DOMAIN));
        assert_eq!(err.field(), Some("changes[0].adjustment.quantity"));
        assert!(err.names_field("changes[0].adjustment.quantity"));
        assert_eq!(
            err.to_string(),
            "InvalidArgument (INVALID_VALUE): changes[0].adjustment.quantity: \"1,5\" is not \
             a plain decimal string such as \"12\" or \"2.5\""
        );
        let err = field_to_wire(d("0.000001"), "lines[2].quantity").unwrap_err();
        assert_eq!(err.field(), Some("lines[2].quantity"));
        assert_eq!(
            err.field_violations()[0].description,
            "0.000001 has more than 5 digits after the decimal point"
        );
        // Strings, integers and decimals alike.
        assert_eq!(field_to_wire("2.50", "f").unwrap(), "2.5");
        assert_eq!(field_to_wire(7, "f").unwrap(), "7");
        // A string that is no request field: the reason, no field.
        let err = from_wire("abc").unwrap_err();
        assert_eq!(
            (err.reason(), err.field()),
            (Some(crate::INVALID_VALUE), None)
        );
        assert!(to_wire(d("1.123456")).is_err());
    }
}
