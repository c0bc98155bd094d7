//! Inventory items: the rules their attributes obey (written out in `docs/items.md`), as
//! pure functions.
//!
//! An [`ItemDraft`] is what a caller sent, unchecked; [`validate_item`] turns it into
//! [`ItemAttributes`]. Rules are checked when an item is written, never when it is read:
//! the store rebuilds a stored item with the `from_stored` constructors, which trust the
//! row, so tightening a rule later leaves existing items readable (an update must then
//! satisfy the rules of its day).

use super::decimal::{DecimalError, Fixed5};
use super::error::{Violation, Violations, reasons};
use super::mask::MaskField;
use super::text::{check_free_text, quote};

/// Longest SKU accepted, in characters.
pub const MAX_SKU_CHARS: usize = 255;
/// Most country-specific HS codes on one item (one per country at most).
pub const MAX_COUNTRY_HS_CODES: usize = 250;
/// Fewest digits of a Harmonized System code (the international six-digit subheading).
pub const MIN_HS_CODE_DIGITS: usize = 6;
/// Most digits of a Harmonized System code (national extensions included).
pub const MAX_HS_CODE_DIGITS: usize = 13;

/// An item's attributes as sent by a caller, unchecked. Empty strings mean "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemDraft {
    /// Stock keeping unit.
    pub sku: String,
    /// Unit cost, a decimal string.
    pub cost: String,
    /// ISO 3166-1 alpha-2.
    pub country_code_of_origin: String,
    /// Subdivision part of ISO 3166-2.
    pub province_code_of_origin: String,
    /// General HS code.
    pub harmonized_system_code: String,
    /// Country-specific HS codes.
    pub country_harmonized_system_codes: Vec<CountryHsDraft>,
    /// `None` means the default (true).
    pub tracked: Option<bool>,
    /// `None` means the default (true).
    pub requires_shipping: Option<bool>,
}

/// One country-specific HS code as sent, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountryHsDraft {
    /// The HS code.
    pub harmonized_system_code: String,
    /// The destination country; empty: the entry is the item's general HS code, as on
    /// Shopify (see [`merge_countryless_hs_code`]).
    pub country_code: String,
}

/// A validated SKU: trimmed, 1–255 characters. An item may have none (Shopify's SKU is
/// optional): see [`Sku::parse_optional`]. Not unique: several items may share one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sku(String);

/// A validated ISO 3166-1 alpha-2 country code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryCode(String);

/// A validated Harmonized System code of 6–13 digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HsCode(String);

/// A validated country-specific HS code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryHsCode {
    /// The HS code.
    pub harmonized_system_code: HsCode,
    /// The destination country.
    pub country_code: CountryCode,
}

/// An item's attributes: every rule checked by [`validate_item`] when they were written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemAttributes {
    /// Stock keeping unit: a label, not a key — any number of a merchant's items may share
    /// one, as on Shopify (docs/items.md, "Why SKUs may repeat"); `None`: the item has none.
    pub sku: Option<Sku>,
    /// Unit cost, at least zero.
    pub cost: Option<Fixed5>,
    /// Country of origin.
    pub country_code_of_origin: Option<CountryCode>,
    /// Subdivision of the country of origin (the part after "CC-").
    pub province_code_of_origin: Option<String>,
    /// General HS code.
    pub harmonized_system_code: Option<HsCode>,
    /// Country-specific HS codes, at most one per country.
    pub country_harmonized_system_codes: Vec<CountryHsCode>,
    /// Whether stock of the item is tracked.
    pub tracked: bool,
    /// Whether shipping needs an address.
    pub requires_shipping: bool,
}

/// The fields an item update may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemField {
    /// `sku`
    Sku,
    /// `cost`
    Cost,
    /// `country_code_of_origin`
    CountryCodeOfOrigin,
    /// `province_code_of_origin`
    ProvinceCodeOfOrigin,
    /// `harmonized_system_code`
    HarmonizedSystemCode,
    /// `country_harmonized_system_codes`
    CountryHarmonizedSystemCodes,
    /// `tracked`
    Tracked,
    /// `requires_shipping`
    RequiresShipping,
}

impl MaskField for ItemField {
    const ALL: &'static [Self] = &[
        ItemField::Sku,
        ItemField::Cost,
        ItemField::CountryCodeOfOrigin,
        ItemField::ProvinceCodeOfOrigin,
        ItemField::HarmonizedSystemCode,
        ItemField::CountryHarmonizedSystemCodes,
        ItemField::Tracked,
        ItemField::RequiresShipping,
    ];

    fn path(self) -> &'static str {
        match self {
            ItemField::Sku => "sku",
            ItemField::Cost => "cost",
            ItemField::CountryCodeOfOrigin => "country_code_of_origin",
            ItemField::ProvinceCodeOfOrigin => "province_code_of_origin",
            ItemField::HarmonizedSystemCode => "harmonized_system_code",
            ItemField::CountryHarmonizedSystemCodes => "country_harmonized_system_codes",
            ItemField::Tracked => "tracked",
            ItemField::RequiresShipping => "requires_shipping",
        }
    }
}

impl ItemDraft {
    /// Whether the caller set `field` (for an update without a mask).
    pub fn is_populated(&self, field: ItemField) -> bool {
        match field {
            ItemField::Sku => !self.sku.is_empty(),
            ItemField::Cost => !self.cost.is_empty(),
            ItemField::CountryCodeOfOrigin => !self.country_code_of_origin.is_empty(),
            ItemField::ProvinceCodeOfOrigin => !self.province_code_of_origin.is_empty(),
            ItemField::HarmonizedSystemCode => !self.harmonized_system_code.is_empty(),
            ItemField::CountryHarmonizedSystemCodes => {
                !self.country_harmonized_system_codes.is_empty()
            }
            ItemField::Tracked => self.tracked.is_some(),
            ItemField::RequiresShipping => self.requires_shipping.is_some(),
        }
    }

    /// `self` with the named fields taken from `update`.
    pub fn patched(mut self, update: &ItemDraft, fields: &[ItemField]) -> ItemDraft {
        for field in fields {
            match field {
                ItemField::Sku => self.sku.clone_from(&update.sku),
                ItemField::Cost => self.cost.clone_from(&update.cost),
                ItemField::CountryCodeOfOrigin => self
                    .country_code_of_origin
                    .clone_from(&update.country_code_of_origin),
                ItemField::ProvinceCodeOfOrigin => self
                    .province_code_of_origin
                    .clone_from(&update.province_code_of_origin),
                ItemField::HarmonizedSystemCode => self
                    .harmonized_system_code
                    .clone_from(&update.harmonized_system_code),
                ItemField::CountryHarmonizedSystemCodes => self
                    .country_harmonized_system_codes
                    .clone_from(&update.country_harmonized_system_codes),
                ItemField::Tracked => self.tracked = update.tracked,
                ItemField::RequiresShipping => self.requires_shipping = update.requires_shipping,
            }
        }
        self
    }
}

impl From<&ItemAttributes> for ItemDraft {
    fn from(item: &ItemAttributes) -> Self {
        ItemDraft {
            sku: opt_text(item.sku.as_ref().map(|s| s.as_str())),
            cost: item.cost.map(|c| c.to_string()).unwrap_or_default(),
            country_code_of_origin: opt_text(
                item.country_code_of_origin.as_ref().map(|c| c.as_str()),
            ),
            province_code_of_origin: opt_text(item.province_code_of_origin.as_deref()),
            harmonized_system_code: opt_text(
                item.harmonized_system_code.as_ref().map(|c| c.as_str()),
            ),
            country_harmonized_system_codes: item
                .country_harmonized_system_codes
                .iter()
                .map(|c| CountryHsDraft {
                    harmonized_system_code: c.harmonized_system_code.as_str().to_owned(),
                    country_code: c.country_code.as_str().to_owned(),
                })
                .collect(),
            tracked: Some(item.tracked),
            requires_shipping: Some(item.requires_shipping),
        }
    }
}

fn opt_text(text: Option<&str>) -> String {
    text.unwrap_or_default().to_owned()
}

impl Sku {
    /// Trims surrounding white space, then checks free text of 1 to 255 characters.
    pub fn parse(raw: &str) -> Result<Sku, Violation> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Violation::missing("sku"));
        }
        check_free_text("sku", trimmed, MAX_SKU_CHARS)?;
        Ok(Sku(trimmed.to_owned()))
    }

    /// An optional SKU: empty or only white space means none; otherwise [`Sku::parse`].
    pub fn parse_optional(raw: &str) -> Result<Option<Sku>, Violation> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        Sku::parse(raw).map(Some)
    }

    /// A SKU read back from the store, trusted: it was checked when written.
    pub fn from_stored(text: String) -> Sku {
        Sku(text)
    }

    /// The SKU text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl CountryCode {
    /// Accepts an assigned ISO 3166-1 alpha-2 code in upper case.
    pub fn parse(field: &str, raw: &str) -> Result<CountryCode, Violation> {
        if rust_iso3166::from_alpha2(raw).is_some() {
            return Ok(CountryCode(raw.to_owned()));
        }
        let hint = if rust_iso3166::from_alpha2(&raw.to_ascii_uppercase()).is_some() {
            format!("; did you mean {:?}?", raw.to_ascii_uppercase())
        } else {
            String::new()
        };
        Err(Violation::new(
            field,
            reasons::INVALID_COUNTRY,
            format!(
                "{} is not an ISO 3166-1 alpha-2 country code{hint}",
                quote(raw)
            ),
        ))
    }

    /// A country code read back from the store, trusted: it was checked when written.
    pub fn from_stored(text: String) -> CountryCode {
        CountryCode(text)
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl HsCode {
    /// Accepts 6–13 ASCII digits.
    pub fn parse(field: &str, raw: &str) -> Result<HsCode, Violation> {
        let digits_only = raw.bytes().all(|b| b.is_ascii_digit());
        if digits_only && (MIN_HS_CODE_DIGITS..=MAX_HS_CODE_DIGITS).contains(&raw.len()) {
            Ok(HsCode(raw.to_owned()))
        } else {
            Err(Violation::invalid(
                field,
                format!(
                    "{} is not a Harmonized System code \
                     ({MIN_HS_CODE_DIGITS} to {MAX_HS_CODE_DIGITS} digits)",
                    quote(raw)
                ),
            ))
        }
    }

    /// An HS code read back from the store, trusted: it was checked when written.
    pub fn from_stored(text: String) -> HsCode {
        HsCode(text)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks every rule of an item's attributes; reports every violation, not just the first.
pub fn validate_item(draft: &ItemDraft) -> Result<ItemAttributes, Violations> {
    let mut errors = Violations::default();
    let sku = errors.check(Sku::parse_optional(&draft.sku)).flatten();
    let cost = non_empty(&draft.cost).and_then(|raw| errors.check(parse_cost(raw)));
    let country = non_empty(&draft.country_code_of_origin)
        .and_then(|raw| errors.check(CountryCode::parse("country_code_of_origin", raw)));
    let province = non_empty(&draft.province_code_of_origin).and_then(|raw| {
        match (&country, draft.country_code_of_origin.is_empty()) {
            (Some(country), _) => errors.check(parse_province(country, raw)),
            (None, true) => {
                errors.push(Violation::invalid(
                    "province_code_of_origin",
                    "requires country_code_of_origin",
                ));
                None
            }
            (None, false) => None, // the country is already reported
        }
    });
    let general_hs = non_empty(&draft.harmonized_system_code)
        .and_then(|raw| errors.check(HsCode::parse("harmonized_system_code", raw)));
    // A general code sent but refused is already reported: no entry stands in for it.
    let general_refused = general_hs.is_none() && !draft.harmonized_system_code.is_empty();
    let (general_hs, country_hs) = validate_hs_codes(
        &draft.country_harmonized_system_codes,
        general_hs,
        general_refused,
        &mut errors,
    );
    let attributes = ItemAttributes {
        sku,
        cost,
        country_code_of_origin: country,
        province_code_of_origin: province,
        harmonized_system_code: general_hs,
        country_harmonized_system_codes: country_hs,
        tracked: draft.tracked.unwrap_or(true),
        requires_shipping: draft.requires_shipping.unwrap_or(true),
    };
    errors.into_result(attributes)
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn parse_cost(raw: &str) -> Result<Fixed5, Violation> {
    match Fixed5::parse(raw) {
        Ok(cost) if !cost.is_negative() => Ok(cost),
        Ok(_) | Err(DecimalError::TooLow) => Err(Violation::new(
            "cost",
            reasons::VALUE_TOO_LOW,
            "must be at least 0",
        )),
        Err(error) => Err(error.violation("cost")),
    }
}

fn parse_province(country: &CountryCode, raw: &str) -> Result<String, Violation> {
    let full = format!("{}-{raw}", country.as_str());
    if rust_iso3166::iso3166_2::from_code(&full).is_some() {
        Ok(raw.to_owned())
    } else {
        Err(Violation::new(
            "province_code_of_origin",
            reasons::INVALID_COUNTRY,
            format!(
                "{} is not an ISO 3166-2 subdivision of {}",
                quote(&full),
                country.as_str()
            ),
        ))
    }
}

/// An entry of `country_harmonized_system_codes` without a `country_code` is the item's
/// general HS code, which is what such an entry means on Shopify (docs/items.md, "Why an
/// HS-code entry may have no country"). Given the general code the item has (`general`,
/// `None` when unset) and the entry's code, answers the general code the item keeps: the
/// entry's when the item has none, the same code when they agree (the entry is redundant
/// and dropped). When they differ it is refused, on `field` (the entry's `country_code`):
/// the item cannot have two general codes, and no country is invented for the entry.
pub fn merge_countryless_hs_code(
    field: &str,
    general: Option<HsCode>,
    entry: HsCode,
) -> Result<HsCode, Violation> {
    match general {
        None => Ok(entry),
        Some(general) if general == entry => Ok(general),
        Some(general) => Err(Violation::invalid(
            field,
            format!(
                "an entry without a country_code stands for the general \
                 harmonized_system_code, which is {} here, not {}: send them equal, leave \
                 one out, or name the entry's country",
                general.as_str(),
                entry.as_str()
            ),
        )),
    }
}

/// Checks `country_harmonized_system_codes` against the general code `general` (`None`:
/// unset, or sent and refused when `general_refused`). Answers the general code the item
/// keeps, which the one entry allowed without a country may give
/// ([`merge_countryless_hs_code`]), and the country-specific codes, each starting with
/// that general code, at most one per country.
fn validate_hs_codes(
    drafts: &[CountryHsDraft],
    general: Option<HsCode>,
    general_refused: bool,
    errors: &mut Violations,
) -> (Option<HsCode>, Vec<CountryHsCode>) {
    if drafts.len() > MAX_COUNTRY_HS_CODES {
        errors.push(Violation::new(
            "country_harmonized_system_codes",
            reasons::ARRAY_LENGTH_TOO_LONG,
            format!("must hold at most {MAX_COUNTRY_HS_CODES} entries"),
        ));
        return (general, Vec::new());
    }
    let entry_code = |path: &str, draft: &CountryHsDraft, errors: &mut Violations| {
        let field = format!("{path}.harmonized_system_code");
        if draft.harmonized_system_code.is_empty() {
            errors.check(Err(Violation::missing(field)))
        } else {
            errors.check(HsCode::parse(&field, &draft.harmonized_system_code))
        }
    };
    // First the entry without a country, which may set the general code the others must
    // start with.
    let mut general = general;
    let mut countryless: Option<usize> = None;
    for (i, draft) in drafts.iter().enumerate() {
        if !draft.country_code.is_empty() {
            continue;
        }
        let path = format!("country_harmonized_system_codes[{i}]");
        let code = entry_code(&path, draft, errors);
        if let Some(first) = countryless {
            errors.push(Violation::new(
                format!("{path}.country_code"),
                reasons::MISSING_REQUIRED_PARAMETER,
                format!(
                    "required: only one entry may go without a country (the general \
                     harmonized_system_code), and country_harmonized_system_codes[{first}] \
                     already does"
                ),
            ));
            continue;
        }
        countryless = Some(i);
        if let Some(code) = code.filter(|_| !general_refused) {
            let field = format!("{path}.country_code");
            general = errors
                .check(merge_countryless_hs_code(&field, general.clone(), code))
                .or(general);
        }
    }
    let mut codes: Vec<CountryHsCode> = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.iter().enumerate() {
        if draft.country_code.is_empty() {
            continue;
        }
        let path = format!("country_harmonized_system_codes[{i}]");
        let country = errors.check(CountryCode::parse(
            &format!("{path}.country_code"),
            &draft.country_code,
        ));
        let code = entry_code(&path, draft, errors);
        if let (Some(code), Some(general)) = (&code, &general)
            && !code.as_str().starts_with(general.as_str())
        {
            errors.push(Violation::invalid(
                format!("{path}.harmonized_system_code"),
                format!(
                    "must start with the general harmonized_system_code {}",
                    general.as_str()
                ),
            ));
        }
        if let (Some(country), Some(code)) = (country, code) {
            if codes.iter().any(|c| c.country_code == country) {
                errors.push(Violation::invalid(
                    format!("{path}.country_code"),
                    format!("{} is listed more than once", country.as_str()),
                ));
            } else {
                codes.push(CountryHsCode {
                    harmonized_system_code: code,
                    country_code: country,
                });
            }
        }
    }
    (general, codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ItemDraft {
        ItemDraft {
            sku: "IPOD2008PINK".into(),
            ..ItemDraft::default()
        }
    }

    fn fields_of(result: Result<ItemAttributes, Violations>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn minimal_item_gets_defaults() {
        let item = validate_item(&draft()).unwrap();
        assert_eq!(item.sku.unwrap().as_str(), "IPOD2008PINK");
        assert!(item.tracked && item.requires_shipping);
        assert_eq!(item.cost, None);
    }

    #[test]
    fn sku_is_trimmed_and_bounded() {
        let item = validate_item(&ItemDraft {
            sku: "  A-1 ".into(),
            ..draft()
        })
        .unwrap();
        assert_eq!(item.sku.unwrap().as_str(), "A-1");
        for bad in [&"x".repeat(256), "a\u{0}b", " a\tb "] {
            let sku = bad.to_string();
            assert_eq!(
                fields_of(validate_item(&ItemDraft { sku, ..draft() })),
                ["sku"]
            );
        }
        assert!(
            validate_item(&ItemDraft {
                sku: "é".repeat(255),
                ..draft()
            })
            .is_ok()
        );
    }

    #[test]
    fn cost_is_exact_and_not_negative() {
        let item = validate_item(&ItemDraft {
            cost: "12345678901234.56789".into(),
            ..draft()
        });
        assert_eq!(
            item.unwrap().cost.unwrap().to_string(),
            "12345678901234.56789"
        );
        for bad in ["-1", "1.123456", "abc", "1e5"] {
            let cost = bad.to_string();
            assert_eq!(
                fields_of(validate_item(&ItemDraft { cost, ..draft() })),
                ["cost"]
            );
        }
    }

    #[test]
    fn cost_reasons_table() {
        use reasons::*;
        let table: &[(&str, Option<&str>)] = &[
            ("0", None),
            ("-0", None),
            ("92233720368547.75807", None),
            ("92233720368547.75808", Some(VALUE_TOO_HIGH)),
            ("999999999999999999999999999", Some(VALUE_TOO_HIGH)),
            ("-1", Some(VALUE_TOO_LOW)),
            ("-999999999999999999999999999", Some(VALUE_TOO_LOW)),
            ("1e3", Some(INVALID_VALUE)),
            ("NaN", Some(INVALID_VALUE)),
            ("1.123456", Some(INVALID_VALUE)),
            ("000000000000000000000000001", Some(VALUE_TOO_LONG)),
        ];
        for (cost, expected) in table {
            let refused = validate_item(&ItemDraft {
                cost: (*cost).into(),
                ..draft()
            })
            .err()
            .map(|errors| (errors.0[0].field.clone(), errors.0[0].reason));
            assert_eq!(
                refused,
                expected.map(|r| ("cost".to_owned(), r)),
                "{cost:?}"
            );
        }
    }

    #[test]
    fn sku_is_optional() {
        // (sku sent, stored SKU or None, refusal reason)
        let table: &[(&str, Option<&str>, Option<&str>)] = &[
            ("", None, None),
            ("   ", None, None),
            ("\u{3000}", None, None),
            ("A-1", Some("A-1"), None),
            (" A-1\u{3000}", Some("A-1"), None),
            ("a\u{0}", None, Some(reasons::INVALID_VALUE)),
            ("\n", None, None),
        ];
        for (sent, stored, refused) in table {
            let result = Sku::parse_optional(sent);
            match refused {
                Some(reason) => assert_eq!(result.unwrap_err().reason, *reason, "{sent:?}"),
                None => assert_eq!(
                    result.unwrap().as_ref().map(Sku::as_str),
                    *stored,
                    "{sent:?}"
                ),
            }
        }
        let without = validate_item(&ItemDraft {
            sku: String::new(),
            ..draft()
        })
        .unwrap();
        assert_eq!(without.sku, None);
        assert_eq!(ItemDraft::from(&without).sku, "", "no SKU reads back empty");
    }

    #[test]
    fn skus_are_free_text() {
        for bad in ["a\nb", "a\rb", "\u{1b}[0m", "a\u{7f}"] {
            let refused = validate_item(&ItemDraft {
                sku: bad.into(),
                ..draft()
            })
            .unwrap_err();
            assert_eq!(
                (refused.0[0].field.as_str(), refused.0[0].reason),
                ("sku", reasons::INVALID_VALUE),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn echoed_codes_are_quoted_briefly() {
        let huge = "x".repeat(1 << 20);
        let d = ItemDraft {
            country_code_of_origin: huge.clone(),
            harmonized_system_code: huge,
            ..draft()
        };
        for violation in validate_item(&d).unwrap_err().0 {
            assert!(violation.description.len() < 200, "{}", violation.field);
        }
    }

    #[test]
    fn countries_come_from_the_real_list() {
        for good in ["FR", "CA", "US", "DE", "JP"] {
            let d = ItemDraft {
                country_code_of_origin: good.into(),
                ..draft()
            };
            assert!(validate_item(&d).is_ok(), "{good}");
        }
        for bad in ["XX", "fr", "FRA", "ZZ", "F"] {
            let d = ItemDraft {
                country_code_of_origin: bad.into(),
                ..draft()
            };
            assert_eq!(
                fields_of(validate_item(&d)),
                ["country_code_of_origin"],
                "{bad}"
            );
        }
    }

    #[test]
    fn provinces_belong_to_their_country() {
        let ok = ItemDraft {
            country_code_of_origin: "CA".into(),
            province_code_of_origin: "QC".into(),
            ..draft()
        };
        assert_eq!(
            validate_item(&ok)
                .unwrap()
                .province_code_of_origin
                .as_deref(),
            Some("QC")
        );
        let wrong_country = ItemDraft {
            country_code_of_origin: "FR".into(),
            ..ok.clone()
        };
        assert_eq!(
            fields_of(validate_item(&wrong_country)),
            ["province_code_of_origin"]
        );
        let no_country = ItemDraft {
            country_code_of_origin: String::new(),
            ..ok.clone()
        };
        assert_eq!(
            fields_of(validate_item(&no_country)),
            ["province_code_of_origin"]
        );
        let bogus = ItemDraft {
            province_code_of_origin: "ZZ".into(),
            ..ok
        };
        assert_eq!(
            fields_of(validate_item(&bogus)),
            ["province_code_of_origin"]
        );
    }

    #[test]
    fn hs_codes_have_six_to_thirteen_digits() {
        for good in ["123456", "1234567890123"] {
            let d = ItemDraft {
                harmonized_system_code: good.into(),
                ..draft()
            };
            assert!(validate_item(&d).is_ok());
        }
        for bad in ["12345", "12345678901234", "12345a", "1234.56"] {
            let d = ItemDraft {
                harmonized_system_code: bad.into(),
                ..draft()
            };
            assert_eq!(
                fields_of(validate_item(&d)),
                ["harmonized_system_code"],
                "{bad}"
            );
        }
    }

    #[test]
    fn country_hs_codes_start_with_the_general_code() {
        let entry = |code: &str, country: &str| CountryHsDraft {
            harmonized_system_code: code.into(),
            country_code: country.into(),
        };
        let ok = ItemDraft {
            harmonized_system_code: "123456".into(),
            country_harmonized_system_codes: vec![
                entry("1234561111", "CA"),
                entry("1234562222", "US"),
            ],
            ..draft()
        };
        assert_eq!(
            validate_item(&ok)
                .unwrap()
                .country_harmonized_system_codes
                .len(),
            2
        );
        let mismatch = ItemDraft {
            country_harmonized_system_codes: vec![
                entry("1234561111", "CA"),
                entry("9999992222", "US"),
            ],
            ..ok.clone()
        };
        assert_eq!(
            fields_of(validate_item(&mismatch)),
            ["country_harmonized_system_codes[1].harmonized_system_code"]
        );
        let duplicate = ItemDraft {
            country_harmonized_system_codes: vec![
                entry("1234561111", "CA"),
                entry("1234562222", "CA"),
            ],
            ..ok.clone()
        };
        assert_eq!(
            fields_of(validate_item(&duplicate)),
            ["country_harmonized_system_codes[1].country_code"]
        );
        let missing = ItemDraft {
            country_harmonized_system_codes: vec![entry("", "CA")],
            ..ok
        };
        assert_eq!(
            fields_of(validate_item(&missing)),
            ["country_harmonized_system_codes[0].harmonized_system_code"]
        );
    }

    #[test]
    fn an_entry_without_a_country_is_the_general_code() {
        let entry = |code: &str, country: &str| CountryHsDraft {
            harmonized_system_code: code.into(),
            country_code: country.into(),
        };
        let codes = |i: usize, field: &str| format!("country_harmonized_system_codes[{i}].{field}");
        // (general sent, entries sent, Ok((general kept, countries kept)) or the fields refused)
        type Expected = Result<(&'static str, Vec<&'static str>), Vec<String>>;
        let table: Vec<(&str, Vec<CountryHsDraft>, Expected)> = vec![
            ("", vec![entry("610910", "")], Ok(("610910", vec![]))),
            ("610910", vec![entry("610910", "")], Ok(("610910", vec![]))),
            (
                "",
                vec![entry("610910", ""), entry("6109100012", "US")],
                Ok(("610910", vec!["US"])),
            ),
            (
                "",
                vec![entry("6109100012", "US"), entry("610910", "")],
                Ok(("610910", vec!["US"])),
            ),
            (
                "610910",
                vec![entry("6109100012", "US"), entry("620000", "")],
                Err(vec![codes(1, "country_code")]),
            ),
            (
                "",
                vec![entry("610910", ""), entry("9999991111", "US")],
                Err(vec![codes(1, "harmonized_system_code")]),
            ),
            (
                "",
                vec![entry("610910", ""), entry("610910", "")],
                Err(vec![codes(1, "country_code")]),
            ),
            (
                "",
                vec![entry("", "")],
                Err(vec![codes(0, "harmonized_system_code")]),
            ),
            (
                "",
                vec![entry("61091", "")],
                Err(vec![codes(0, "harmonized_system_code")]),
            ),
            (
                "61",
                vec![entry("610910", "")],
                Err(vec!["harmonized_system_code".to_owned()]),
            ),
        ];
        for (general, entries, expected) in table {
            let sent = ItemDraft {
                harmonized_system_code: general.into(),
                country_harmonized_system_codes: entries.clone(),
                ..draft()
            };
            let got = validate_item(&sent)
                .map(|item| {
                    let general = item.harmonized_system_code.map(|c| c.0).unwrap_or_default();
                    let countries = item
                        .country_harmonized_system_codes
                        .into_iter()
                        .map(|c| c.country_code.0)
                        .collect::<Vec<_>>();
                    (general, countries)
                })
                .map_err(|v| v.0.into_iter().map(|v| v.field).collect::<Vec<_>>());
            let expected = expected.map(|(g, c)| {
                (
                    g.to_owned(),
                    c.into_iter().map(str::to_owned).collect::<Vec<_>>(),
                )
            });
            assert_eq!(got, expected, "{general:?} {entries:?}");
        }
    }

    #[test]
    fn a_countryless_entry_merges_with_the_general_code() {
        let code = |raw: &str| HsCode(raw.to_owned());
        let field = "country_harmonized_system_codes[2].country_code";
        assert_eq!(
            merge_countryless_hs_code(field, None, code("610910")),
            Ok(code("610910"))
        );
        assert_eq!(
            merge_countryless_hs_code(field, Some(code("610910")), code("610910")),
            Ok(code("610910"))
        );
        let refused =
            merge_countryless_hs_code(field, Some(code("610910")), code("620000")).unwrap_err();
        assert_eq!(
            (refused.field.as_str(), refused.reason),
            (field, reasons::INVALID_VALUE)
        );
        assert!(
            refused.description.contains("610910") && refused.description.contains("620000"),
            "{}",
            refused.description
        );
    }

    #[test]
    fn every_violation_is_reported() {
        let d = ItemDraft {
            sku: "a\u{0}".into(),
            cost: "-5".into(),
            country_code_of_origin: "XX".into(),
            harmonized_system_code: "1".into(),
            ..ItemDraft::default()
        };
        assert_eq!(
            fields_of(validate_item(&d)),
            [
                "sku",
                "cost",
                "country_code_of_origin",
                "harmonized_system_code"
            ]
        );
    }

    #[test]
    fn patch_takes_only_masked_fields() {
        let current = ItemDraft {
            cost: "5".into(),
            ..draft()
        };
        let update = ItemDraft {
            sku: "NEW".into(),
            cost: String::new(),
            ..ItemDraft::default()
        };
        let patched = current.clone().patched(&update, &[ItemField::Sku]);
        assert_eq!((patched.sku.as_str(), patched.cost.as_str()), ("NEW", "5"));
        let cleared = current.patched(&update, &[ItemField::Cost]);
        assert_eq!(
            (cleared.sku.as_str(), cleared.cost.as_str()),
            ("IPOD2008PINK", "")
        );
    }
}
