//! Fuzz target: decimal quantities (`stockledger::domain::decimal`).
//!
//! The input, as text, goes through `Fixed5::parse` (every quantity, cost and price on the
//! wire) and is checked against an independent reading of the documented grammar
//! (`-?digits(.digits)?`, a magnitude that fits in `i64` units of 10⁻⁵, at most five
//! decimals, at most 26 characters, refused for the first rule broken in that order): same
//! value or same refusal. A parsed value must print as
//! normalised text with at most five decimals that parses back to the same value, and
//! convert to `rust_decimal` and back unchanged. The first 16 bytes also build an arbitrary
//! `rust_decimal::Decimal` (what the Rust client hands over) for `Fixed5::try_from`, which
//! must be exact or refuse.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use stockledger::domain::decimal::{DecimalError, Fixed5, MAX_TEXT_LEN, SCALE, UNITS_PER_WHOLE};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_parse(&text);
    if let Some(bytes) = data.get(..16) {
        check_from_decimal(bytes);
    }
});

/// `Fixed5::parse` agrees with [`reference_parse`] and its results round-trip.
fn check_parse(text: &str) {
    let parsed = Fixed5::parse(text);
    assert_eq!(parsed, reference_parse(text), "parsing {text:?}");
    let Ok(value) = parsed else { return };
    assert_ne!(value.units(), i64::MIN, "every parsed value can be negated");
    assert!(value.checked_neg().is_some());

    let printed = value.to_string();
    let (whole, fraction) = printed
        .strip_prefix('-')
        .unwrap_or(&printed)
        .split_once('.')
        .unwrap_or((printed.as_str(), ""));
    assert!(
        fraction.len() <= SCALE as usize,
        "{printed:?} has more than {SCALE} decimals"
    );
    assert!(!fraction.ends_with('0'), "{printed:?} is not normalised");
    assert!(whole == "0" || !whole.starts_with('0'), "{printed:?}");
    assert_ne!(printed, "-0");
    assert_eq!(Fixed5::parse(&printed), Ok(value), "re-parsing {printed:?}");

    let decimal = value.to_decimal();
    assert_eq!(decimal.scale(), SCALE);
    assert_eq!(Fixed5::try_from(decimal), Ok(value));
}

/// The documented grammar and order of refusals, read directly, digit by digit, without
/// `rust_decimal`: the grammar (`Empty`, `Malformed`), the range whatever the length
/// (`TooHigh`, `TooLow`: the magnitude must fit in `i64` units, so that it can be negated),
/// the precision (`TooPrecise`), the length (`TooLong`).
fn reference_parse(text: &str) -> Result<Fixed5, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (unsigned.contains('.') && !digits(fraction)) {
        return Err(DecimalError::Malformed);
    }
    let out_of_range = if negative {
        DecimalError::TooLow
    } else {
        DecimalError::TooHigh
    };
    let whole = whole.trim_start_matches('0');
    if whole.len() > 20 {
        return Err(out_of_range);
    }
    // The value in units, rounded down, and whether digits beyond the fifth place remain.
    let mut units: u128 = 0;
    for b in whole.bytes() {
        units = units * 10 + u128::from(b - b'0');
    }
    for place in 0..SCALE as usize {
        let digit = fraction.as_bytes().get(place).map_or(0, |b| b - b'0');
        units = units * 10 + u128::from(digit);
    }
    let beyond = fraction.bytes().skip(SCALE as usize).any(|b| b != b'0');
    let magnitude = i64::try_from(units).map_err(|_| out_of_range)?;
    if magnitude == i64::MAX && beyond {
        return Err(out_of_range);
    }
    if fraction.len() > SCALE as usize {
        return Err(DecimalError::TooPrecise);
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(DecimalError::TooLong);
    }
    Ok(Fixed5::from_units(if negative {
        -magnitude
    } else {
        magnitude
    }))
}

/// `Fixed5::try_from(Decimal)` is exact: a value it accepts equals the decimal, and a
/// refusal says why truthfully.
fn check_from_decimal(bytes: &[u8]) {
    let mantissa = i128::from_le_bytes(bytes[..16].try_into().expect("16 bytes")) >> 32;
    let scale = u32::from(bytes[0]) % 29;
    let Ok(decimal) = Decimal::try_from_i128_with_scale(mantissa, scale) else {
        return;
    };
    match Fixed5::try_from(decimal) {
        Ok(value) => assert_eq!(value.to_decimal(), decimal, "{decimal} converted inexactly"),
        Err(DecimalError::TooPrecise) => assert!(
            decimal.normalize().scale() > SCALE,
            "{decimal} refused as too precise"
        ),
        Err(DecimalError::TooHigh) => {
            let units = decimal.checked_mul(Decimal::from(UNITS_PER_WHOLE));
            assert!(
                units.is_none_or(|u| u > Decimal::from(i64::MAX)),
                "{decimal} refused as too high"
            );
        }
        Err(DecimalError::TooLow) => {
            let units = decimal.checked_mul(Decimal::from(UNITS_PER_WHOLE));
            assert!(
                units.is_none_or(|u| u < Decimal::from(i64::MIN)),
                "{decimal} refused as too low"
            );
        }
        Err(other) => panic!("{decimal} refused with {other:?}"),
    }
}
