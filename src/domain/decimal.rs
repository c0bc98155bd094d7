//! Exact fixed-point decimals with five places, stored as an `i64` count of 10⁻⁵ units.
//!
//! Quantities and money travel as decimal strings and are kept as integers so that no
//! digit is ever lost on either database backend. Arithmetic is checked: overflow is an
//! error value, never a wrap or a panic.

use std::fmt;

/// Number of digits after the decimal point.
pub const SCALE: u32 = 5;
/// 10^SCALE: how many units make one whole.
pub const UNITS_PER_WHOLE: i64 = 100_000;
/// The longest decimal string accepted (Square's limit).
pub const MAX_TEXT_LEN: usize = 26;

/// A signed decimal with exactly five fractional digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed5(i64);

/// Why a decimal string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Empty input.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`MAX_TEXT_LEN`].
    #[error("must be at most {MAX_TEXT_LEN} characters")]
    TooLong,
    /// Not of the form `-?digits(.digits)?`.
    #[error(
        "must be a plain decimal such as \"12\" or \"2.5\" (no sign other than '-', no exponent, no spaces)"
    )]
    Malformed,
    /// More than five digits after the point.
    #[error("must have at most {SCALE} digits after the decimal point")]
    TooPrecise,
    /// Does not fit in the representable range.
    #[error("is too large")]
    Overflow,
}

impl Fixed5 {
    /// Zero.
    pub const ZERO: Fixed5 = Fixed5(0);

    /// Builds a value from its raw count of 10⁻⁵ units.
    pub const fn from_units(units: i64) -> Self {
        Fixed5(units)
    }

    /// The raw count of 10⁻⁵ units (what is stored).
    pub const fn units(self) -> i64 {
        self.0
    }

    /// Parses `-?[0-9]+(\.[0-9]{1,5})?`.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        if text.is_empty() {
            return Err(DecimalError::Empty);
        }
        if text.len() > MAX_TEXT_LEN {
            return Err(DecimalError::TooLong);
        }
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(DecimalError::Malformed);
        }
        let fraction = fraction.unwrap_or("");
        if fraction.len() > SCALE as usize {
            return Err(DecimalError::TooPrecise);
        }
        let mut units: i64 = 0;
        let padded = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(SCALE as usize);
        for digit in whole.bytes().chain(padded) {
            units = units
                .checked_mul(10)
                .and_then(|u| u.checked_add(i64::from(digit - b'0')))
                .ok_or(DecimalError::Overflow)?;
        }
        Ok(Fixed5(if negative { -units } else { units }))
    }

    /// `self + other`, `None` on overflow.
    pub fn checked_add(self, other: Fixed5) -> Option<Fixed5> {
        self.0.checked_add(other.0).map(Fixed5)
    }

    /// `self - other`, `None` on overflow.
    pub fn checked_sub(self, other: Fixed5) -> Option<Fixed5> {
        self.0.checked_sub(other.0).map(Fixed5)
    }

    /// `-self`, `None` on overflow.
    pub fn checked_neg(self) -> Option<Fixed5> {
        self.0.checked_neg().map(Fixed5)
    }

    /// Whether the value is strictly greater than zero.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Whether the value is strictly less than zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// Normalised text: no trailing zeros, no trailing point, no "-0" ("94", "2.5", "-0.00001").
impl fmt::Display for Fixed5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.unsigned_abs();
        let unit = UNITS_PER_WHOLE.unsigned_abs();
        let (whole, fraction) = (magnitude / unit, magnitude % unit);
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write!(f, "{whole}")?;
        if fraction != 0 {
            let digits = format!("{fraction:0width$}", width = SCALE as usize);
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        Fixed5::parse(text).unwrap().to_string()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(roundtrip("94"), "94");
        assert_eq!(roundtrip("94.00000"), "94");
        assert_eq!(roundtrip("2.50"), "2.5");
        assert_eq!(roundtrip("0.00001"), "0.00001");
        assert_eq!(roundtrip("-0.00001"), "-0.00001");
        assert_eq!(roundtrip("-0"), "0");
        assert_eq!(roundtrip("007"), "7");
        assert_eq!(roundtrip("12345678901234.56789"), "12345678901234.56789");
        assert_eq!(Fixed5::parse("1.5").unwrap().units(), 150_000);
    }

    #[test]
    fn extremes_are_exact() {
        let max = Fixed5::from_units(i64::MAX);
        assert_eq!(max.to_string(), "92233720368547.75807");
        assert_eq!(Fixed5::parse("92233720368547.75807").unwrap(), max);
        assert_eq!(
            Fixed5::parse("-92233720368547.75807").unwrap().units(),
            -i64::MAX
        );
        assert_eq!(
            Fixed5::from_units(i64::MIN).to_string(),
            "-92233720368547.75808"
        );
        assert_eq!(
            Fixed5::parse("92233720368547.75808"),
            Err(DecimalError::Overflow)
        );
        assert_eq!(
            Fixed5::parse("99999999999999999999"),
            Err(DecimalError::Overflow)
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "", " 1", "1 ", "+1", "1e3", "1E3", "1.", ".5", "-", "--1", "1.2.3", "NaN", "inf",
            "0x10", "1,5", "١",
        ] {
            assert!(Fixed5::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Fixed5::parse("1.123456"), Err(DecimalError::TooPrecise));
        assert_eq!(Fixed5::parse(&"1".repeat(27)), Err(DecimalError::TooLong));
        assert_eq!(Fixed5::parse(""), Err(DecimalError::Empty));
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Fixed5::from_units(i64::MAX);
        assert_eq!(max.checked_add(Fixed5::from_units(1)), None);
        assert_eq!(Fixed5::from_units(i64::MIN).checked_neg(), None);
        let a = Fixed5::parse("100").unwrap();
        let b = Fixed5::parse("2.5").unwrap();
        assert_eq!(a.checked_sub(b).unwrap().to_string(), "97.5");
    }
}
