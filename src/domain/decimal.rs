//! Exact fixed-point decimals with five places, stored as an `i64` count of 10⁻⁵ units.
//!
//! Quantities and money travel as decimal strings and are kept as integers so that no
//! digit is ever lost on either database backend. Arithmetic is checked: overflow is an
//! error value, never a wrap or a panic. Text goes in and out through `rust_decimal`, the
//! same decimal type the Rust client (`clients/rust`) uses, behind a strict grammar check.

use std::fmt;

use rust_decimal::Decimal;

use super::error::{Violation, reasons};

/// Number of digits after the decimal point.
pub const SCALE: u32 = 5;
/// 10^SCALE: how many units make one whole.
pub const UNITS_PER_WHOLE: i64 = 100_000;
/// The longest decimal string accepted (Square's limit); only a value in range padded with
/// zeros can exceed it.
pub const MAX_TEXT_LEN: usize = 26;

/// A signed decimal with exactly five fractional digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed5(i64);

/// Why a decimal string was refused. Grammar comes first, then range, precision and length:
/// a well-formed value beyond the representable range is [`TooHigh`](Self::TooHigh) or
/// [`TooLow`](Self::TooLow) however many digits it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Empty input.
    #[error("must not be empty")]
    Empty,
    /// Not of the form `-?digits(.digits)?`.
    #[error(
        "must be a plain decimal such as \"12\" or \"2.5\" (ASCII digits, no sign other than '-', no exponent, no spaces)"
    )]
    Malformed,
    /// Above the largest representable value.
    #[error("is too large")]
    TooHigh,
    /// Below the smallest representable value.
    #[error("is too far below zero")]
    TooLow,
    /// More than five digits after the point.
    #[error("must have at most {SCALE} digits after the decimal point")]
    TooPrecise,
    /// Longer than [`MAX_TEXT_LEN`] (a value in range padded with zeros).
    #[error("must be at most {MAX_TEXT_LEN} characters")]
    TooLong,
}

impl DecimalError {
    /// The reason a violation of this kind carries: `VALUE_TOO_HIGH`, `VALUE_TOO_LOW`,
    /// `VALUE_TOO_LONG`, `MISSING_REQUIRED_PARAMETER` or `INVALID_VALUE`.
    pub fn reason(self) -> &'static str {
        match self {
            DecimalError::Empty => reasons::MISSING_REQUIRED_PARAMETER,
            DecimalError::TooHigh => reasons::VALUE_TOO_HIGH,
            DecimalError::TooLow => reasons::VALUE_TOO_LOW,
            DecimalError::TooLong => reasons::VALUE_TOO_LONG,
            DecimalError::Malformed | DecimalError::TooPrecise => reasons::INVALID_VALUE,
        }
    }

    /// The violation of `field` holding a decimal refused for this reason.
    pub fn violation(self, field: impl Into<String>) -> Violation {
        Violation::new(field, self.reason(), self.to_string())
    }

    /// Out of range on the side of `negative`.
    fn out_of_range(negative: bool) -> Self {
        if negative {
            DecimalError::TooLow
        } else {
            DecimalError::TooHigh
        }
    }
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

    /// Parses `-?[0-9]+(\.[0-9]{1,5})?` of at most [`MAX_TEXT_LEN`] characters.
    ///
    /// Checked in this order, so that each input has one reason: the grammar (`Empty`,
    /// `Malformed`), the range whatever the length (`TooHigh`, `TooLow`), the precision
    /// (`TooPrecise`), the length (`TooLong`). `"-0"` is zero.
    ///
    /// The grammar is checked here first because `rust_decimal`'s own parser is more
    /// lenient than the wire format (it takes a leading `+`, `_` separators, `"1."` and
    /// `".5"`); the conversion itself is `rust_decimal`'s, so that the server and the Rust
    /// client read a decimal string the same way.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let parts = check_grammar(text)?;
        if !parts.magnitude_fits() {
            return Err(DecimalError::out_of_range(parts.negative));
        }
        if parts.fraction.len() > SCALE as usize {
            return Err(DecimalError::TooPrecise);
        }
        if text.len() > MAX_TEXT_LEN {
            return Err(DecimalError::TooLong);
        }
        // At most 26 characters fit in rust_decimal's 96 bits; an unexpected refusal is
        // reported as out of range rather than a panic.
        let decimal = Decimal::from_str_exact(text)
            .map_err(|_| DecimalError::out_of_range(parts.negative))?;
        // The magnitude must fit in i64 units, so i64::MIN ("-92233720368547.75808") is
        // refused too: every parsed value can be negated.
        match Fixed5::try_from(decimal)? {
            Fixed5(i64::MIN) => Err(DecimalError::TooLow),
            value => Ok(value),
        }
    }

    /// The same value as a `rust_decimal::Decimal` with scale 5 (exact, never fails).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, SCALE)
    }

    /// `self + other`, `None` on overflow.
    pub fn checked_add(self, other: Fixed5) -> Option<Fixed5> {
        self.0.checked_add(other.0).map(Fixed5)
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

/// Most digits before the point of a representable value (i64::MAX units is
/// 92233720368547.75807).
const MAX_WHOLE_DIGITS: usize = 14;

/// A decimal string split by [`check_grammar`].
struct DecimalParts<'a> {
    negative: bool,
    whole: &'a str,
    fraction: &'a str,
}

impl DecimalParts<'_> {
    /// Whether the magnitude fits in `i64` units (so `i64::MIN`'s does not), whatever the
    /// text's length and precision: exact on the whole part and the first five decimals,
    /// and above `i64::MAX` units if any later decimal is not zero.
    fn magnitude_fits(&self) -> bool {
        let whole = self.whole.trim_start_matches('0');
        if whole.len() > MAX_WHOLE_DIGITS {
            return false;
        }
        let fraction = self.fraction.as_bytes();
        let digit = |b: u8| i128::from(b - b'0');
        let mut units = whole.bytes().fold(0i128, |n, b| n * 10 + digit(b));
        for place in 0..SCALE as usize {
            units = units * 10 + fraction.get(place).map_or(0, |b| digit(*b));
        }
        let beyond = fraction.iter().skip(SCALE as usize).any(|b| *b != b'0');
        let max = i128::from(i64::MAX);
        units < max || (units == max && !beyond)
    }
}

/// Splits `-?digits(.digits)?` (any length); refused, saying why, when it does not match.
fn check_grammar(text: &str) -> Result<DecimalParts<'_>, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
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
    Ok(DecimalParts {
        negative,
        whole,
        fraction: fraction.unwrap_or_default(),
    })
}

/// Exact conversion: refused with `TooPrecise` when the value has a non-zero digit beyond
/// the fifth decimal place (trailing zeros are fine: `1.100000` converts), with `TooHigh`
/// or `TooLow` when it does not fit in `i64` units.
impl TryFrom<Decimal> for Fixed5 {
    type Error = DecimalError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        let mut value = if value.scale() > SCALE {
            value.normalize()
        } else {
            value
        };
        if value.scale() > SCALE {
            return Err(DecimalError::TooPrecise);
        }
        // Only ever raises the scale here, so nothing is rounded; a value too large to
        // carry five places keeps a smaller scale instead, which means it overflows.
        let out_of_range = DecimalError::out_of_range(value.is_sign_negative());
        value.rescale(SCALE);
        if value.scale() != SCALE {
            return Err(out_of_range);
        }
        i64::try_from(value.mantissa())
            .map(Fixed5)
            .map_err(|_| out_of_range)
    }
}

impl From<Fixed5> for Decimal {
    fn from(value: Fixed5) -> Self {
        value.to_decimal()
    }
}

/// Normalised text: no trailing zeros, no trailing point, no "-0" ("94", "2.5", "-0.00001").
impl fmt::Display for Fixed5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_decimal().normalize().array_string().as_ref())
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
            Err(DecimalError::TooHigh)
        );
        assert_eq!(
            Fixed5::parse("99999999999999999999"),
            Err(DecimalError::TooHigh)
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
        assert_eq!(Fixed5::parse(&"1".repeat(27)), Err(DecimalError::TooHigh));
        assert_eq!(Fixed5::parse(&"0".repeat(27)), Err(DecimalError::TooLong));
        assert_eq!(Fixed5::parse(""), Err(DecimalError::Empty));
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Fixed5::from_units(i64::MAX);
        assert_eq!(max.checked_add(Fixed5::from_units(1)), None);
        assert_eq!(Fixed5::from_units(i64::MIN).checked_neg(), None);
        let a = Fixed5::parse("100").unwrap();
        let b = Fixed5::parse("2.5").unwrap();
        let minus_b = b.checked_neg().unwrap();
        assert_eq!(a.checked_add(minus_b).unwrap().to_string(), "97.5");
    }

    /// Found by the `quantity` fuzz target (fuzz/, docs/fuzzing.md): a value just beyond the
    /// range with the 14 whole digits a value in range can have was refused for its
    /// precision or length instead, although the range is checked first.
    #[test]
    fn range_is_checked_before_precision_and_length_at_the_boundary() {
        use DecimalError::*;
        let table: &[(&str, DecimalError)] = &[
            ("-92233806273547.75354808", TooLow),
            ("92233720368547.758071", TooHigh),
            ("92233720368547.75807000001", TooHigh),
            ("-92233720368547.758080", TooLow),
            ("000000000000000092233720368548", TooHigh),
            ("-00000000000000092233720368547.75808", TooLow),
        ];
        for (text, expected) in table {
            assert_eq!(Fixed5::parse(text), Err(*expected), "parsing {text:?}");
        }
        // The largest value, padded or precise beyond five places with zeros, is in range.
        assert_eq!(
            Fixed5::parse("92233720368547.758070"),
            Err(TooPrecise),
            "in range, then too precise"
        );
        assert_eq!(
            Fixed5::parse("0000000092233720368547.75807"),
            Err(TooLong),
            "in range, then too long"
        );
    }

    /// The wire grammar, one row per case: input, then the normalised value or the error.
    #[test]
    fn grammar_table() {
        use DecimalError::*;
        let table: &[(&str, Result<&str, DecimalError>)] = &[
            ("0", Ok("0")),
            ("-0", Ok("0")),
            ("-0.00000", Ok("0")),
            ("00.10", Ok("0.1")),
            ("1.5", Ok("1.5")),
            ("-2.25000", Ok("-2.25")),
            ("100", Ok("100")),
            ("0.00001", Ok("0.00001")),
            ("1.12345", Ok("1.12345")),
            ("1000000000", Ok("1000000000")),
            ("0000000000000000000000001", Ok("1")),
            ("00000000000000000000.12345", Ok("0.12345")),
            // What rust_decimal's own parsers take but the wire format does not.
            ("+1", Err(Malformed)),
            ("1_000", Err(Malformed)),
            ("1_", Err(Malformed)),
            ("1._5", Err(Malformed)),
            ("1.", Err(Malformed)),
            (".5", Err(Malformed)),
            ("-.5", Err(Malformed)),
            ("1e3", Err(Malformed)),
            ("1E-3", Err(Malformed)),
            // Plainly malformed.
            ("-", Err(Malformed)),
            ("--1", Err(Malformed)),
            ("-+1", Err(Malformed)),
            (" 1", Err(Malformed)),
            ("1 ", Err(Malformed)),
            ("1 000", Err(Malformed)),
            ("\t1", Err(Malformed)),
            ("1.2.3", Err(Malformed)),
            ("1,5", Err(Malformed)),
            ("NaN", Err(Malformed)),
            ("inf", Err(Malformed)),
            ("-inf", Err(Malformed)),
            ("0x10", Err(Malformed)),
            ("١", Err(Malformed)),
            ("１", Err(Malformed)),
            ("", Err(Empty)),
            // Scale: counted on the text, trailing zeros included.
            ("1.123456", Err(TooPrecise)),
            ("1.100000", Err(TooPrecise)),
            ("0.000000", Err(TooPrecise)),
            ("-0.000001", Err(TooPrecise)),
            ("99999.123456", Err(TooPrecise)),
            // Length: 26 characters at most, for a value in range padded with zeros.
            ("00000000000000000000000001", Ok("1")),
            ("000000000000000000000000001", Err(TooLong)),
            ("-0000000000000000000000001", Ok("-1")),
            ("-00000000000000000000000001", Err(TooLong)),
            ("1.00000000000000000000000000", Err(TooPrecise)),
            // Grammar comes before length: a '+' is malformed however long the text.
            ("+00000000000000000000000001", Err(Malformed)),
            // Range: i64 units of 10⁻⁵, whatever the length; range before precision.
            ("92233720368547.75807", Ok("92233720368547.75807")),
            ("-92233720368547.75807", Ok("-92233720368547.75807")),
            ("92233720368547.75808", Err(TooHigh)),
            ("-92233720368547.75808", Err(TooLow)),
            ("92233720368548", Err(TooHigh)),
            ("000000000092233720368548", Err(TooHigh)),
            ("99999999999999999999999999", Err(TooHigh)),
            ("-9999999999999999999999999", Err(TooLow)),
            ("999999999999999999999999999", Err(TooHigh)),
            ("-999999999999999999999999999", Err(TooLow)),
            (
                "111111111111111111111111111111111111111111111111",
                Err(TooHigh),
            ),
            ("9999999999999999999.123456", Err(TooHigh)),
            ("-9999999999999999999.123456", Err(TooLow)),
        ];
        for (text, expected) in table {
            let got = Fixed5::parse(text).map(|v| v.to_string());
            assert_eq!(
                got.as_deref().map_err(|e| *e),
                *expected,
                "parsing {text:?}"
            );
        }
    }

    #[test]
    fn each_error_has_its_reason() {
        use DecimalError::*;
        let table = [
            (Empty, reasons::MISSING_REQUIRED_PARAMETER),
            (Malformed, reasons::INVALID_VALUE),
            (TooPrecise, reasons::INVALID_VALUE),
            (TooHigh, reasons::VALUE_TOO_HIGH),
            (TooLow, reasons::VALUE_TOO_LOW),
            (TooLong, reasons::VALUE_TOO_LONG),
        ];
        for (error, reason) in table {
            let violation = error.violation("cost");
            assert_eq!(
                (violation.field.as_str(), violation.reason),
                ("cost", reason)
            );
            assert_eq!(violation.description, error.to_string());
        }
    }

    #[test]
    fn converts_to_and_from_rust_decimal() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(Fixed5::parse("2.5").unwrap().to_decimal(), d("2.5"));
        assert_eq!(Fixed5::parse("2.5").unwrap().to_decimal().scale(), SCALE);
        assert_eq!(Decimal::from(Fixed5::from_units(-1)), d("-0.00001"));
        assert_eq!(
            Fixed5::from_units(i64::MIN).to_decimal(),
            d("-92233720368547.75808")
        );
        assert_eq!(Fixed5::try_from(d("94")), Ok(Fixed5::from_units(9_400_000)));
        assert_eq!(Fixed5::try_from(d("-0.00001")), Ok(Fixed5::from_units(-1)));
        // Trailing zeros beyond five places are not precision.
        assert_eq!(
            Fixed5::try_from(d("1.10000000")),
            Ok(Fixed5::from_units(110_000))
        );
        assert_eq!(
            Fixed5::try_from(d("1.000001")),
            Err(DecimalError::TooPrecise)
        );
        assert_eq!(
            Fixed5::try_from(d("-92233720368547.75808")),
            Ok(Fixed5::from_units(i64::MIN))
        );
        assert_eq!(
            Fixed5::try_from(d("92233720368547.75808")),
            Err(DecimalError::TooHigh)
        );
        assert_eq!(Fixed5::try_from(Decimal::MAX), Err(DecimalError::TooHigh));
        assert_eq!(Fixed5::try_from(Decimal::MIN), Err(DecimalError::TooLow));
        for units in [0, 1, -1, 42, 150_000, i64::MAX, -i64::MAX, i64::MIN] {
            let value = Fixed5::from_units(units);
            assert_eq!(Fixed5::try_from(value.to_decimal()), Ok(value));
            let parsed = Fixed5::parse(&value.to_string());
            if units == i64::MIN {
                assert_eq!(
                    parsed,
                    Err(DecimalError::TooLow),
                    "its magnitude is too large"
                );
            } else {
                assert_eq!(parsed, Ok(value), "{units}");
            }
        }
    }
}
