//! Currency codes: ISO 4217, from the `iso_currency` crate's list.
//!
//! A sale's `total_price_money.currency` must name a currency of that list: three capital
//! letters alone are not enough (`"ABC"` is not a currency). The list includes the funds
//! (`CLF`, `USN`, …), the special codes (`XAU`, `XXX`, …) and codes recently superseded
//! (`HRK`, `BGN`, …): a point of sale still sending a withdrawn currency during the
//! changeover records the sale as it happened rather than losing it.

use iso_currency::Currency;

/// Whether `code` is an ISO 4217 alphabetic code, exactly as written: upper case, three
/// letters, no surrounding space.
pub fn is_iso4217_currency(code: &str) -> bool {
    Currency::from_code(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_accepted() {
        for code in [
            "EUR", "USD", "JPY", "CAD", "CHF", "XCG", "ZWG", "CLF", "XAU",
        ] {
            assert!(is_iso4217_currency(code), "{code}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for code in [
            "", "EU", "EURO", "eur", "Eur", " EUR", "EUR ", "ABC", "QQQ", "ZZZ",
        ] {
            assert!(!is_iso4217_currency(code), "{code:?}");
        }
    }
}
