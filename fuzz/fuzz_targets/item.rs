//! Fuzz target: inventory item validation on create and update.
//!
//! The input is decoded as an `UpdateInventoryItemRequest` (its field 1 is the item, as in
//! `CreateInventoryItemRequest`, so every create request decodes too). The item goes
//! through what CreateInventoryItem runs (`api::item_wire::item_draft`, then
//! `domain::item::validate_item`), and through what UpdateInventoryItem runs: the field
//! mask resolved (`domain::mask::resolve`), the named fields patched onto a stored item,
//! the result validated.
//!
//! Accepted attributes must obey the documented rules (a SKU, if any, trimmed, of 1–255
//! characters without control characters, cost ≥ 0, HS codes of 6–13 digits, at most one
//! code per country, each starting with the general code) and must survive a round trip
//! through the store's representation: re-validating an item as it is read back gives the
//! same item, which is what every later update of it does. An update leaves the fields it
//! does not name as they were.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use stockledger::api::item_wire::item_draft;
use stockledger::domain::item::{
    ItemAttributes, ItemDraft, ItemField, MAX_COUNTRY_HS_CODES, MAX_HS_CODE_DIGITS, MAX_SKU_CHARS,
    MIN_HS_CODE_DIGITS, validate_item,
};
use stockledger::domain::mask;
use stockledger::proto::v1::UpdateInventoryItemRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = UpdateInventoryItemRequest::decode(data) else {
        return;
    };
    let Some(item) = &request.inventory_item else {
        return;
    };
    let draft = item_draft(item);

    // CreateInventoryItem.
    match validate_item(&draft) {
        Ok(attributes) => check_valid(&attributes),
        Err(violations) => assert!(!violations.0.is_empty(), "refused without a reason"),
    }

    // UpdateInventoryItem, onto a stored item with every attribute set.
    let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
    let Ok(fields) = mask::resolve(&paths, |f| draft.is_populated(f)) else {
        return;
    };
    let stored = stored_item();
    let patched = ItemDraft::from(&stored).patched(&draft, &fields);
    let Ok(updated) = validate_item(&patched) else {
        return;
    };
    check_valid(&updated);
    let kept = |field: ItemField| !fields.contains(&field);
    if kept(ItemField::Sku) {
        assert_eq!(updated.sku, stored.sku);
    }
    if kept(ItemField::Cost) {
        assert_eq!(updated.cost, stored.cost);
    }
    if kept(ItemField::CountryCodeOfOrigin) {
        assert_eq!(
            updated.country_code_of_origin,
            stored.country_code_of_origin
        );
    }
    if kept(ItemField::ProvinceCodeOfOrigin) {
        assert_eq!(
            updated.province_code_of_origin,
            stored.province_code_of_origin
        );
    }
    if kept(ItemField::HarmonizedSystemCode) {
        assert_eq!(
            updated.harmonized_system_code,
            stored.harmonized_system_code
        );
    }
    if kept(ItemField::CountryHarmonizedSystemCodes) {
        assert_eq!(
            updated.country_harmonized_system_codes,
            stored.country_harmonized_system_codes
        );
    }
    if kept(ItemField::Tracked) {
        assert_eq!(updated.tracked, stored.tracked);
    }
    if kept(ItemField::RequiresShipping) {
        assert_eq!(updated.requires_shipping, stored.requires_shipping);
    }
});

/// An item as the store would hold it, every attribute set.
fn stored_item() -> ItemAttributes {
    let draft = ItemDraft {
        sku: "SKU-1".into(),
        cost: "2.5".into(),
        country_code_of_origin: "CA".into(),
        province_code_of_origin: "QC".into(),
        harmonized_system_code: "610910".into(),
        country_harmonized_system_codes: vec![stockledger::domain::item::CountryHsDraft {
            harmonized_system_code: "6109100010".into(),
            country_code: "US".into(),
        }],
        tracked: Some(false),
        requires_shipping: Some(true),
    };
    validate_item(&draft).expect("a valid item")
}

/// The documented rules, and the round trip through the store's representation.
fn check_valid(item: &ItemAttributes) {
    // As the store writes it back: empty if the item has no SKU.
    let sku = ItemDraft::from(item).sku;
    assert_eq!(sku, sku.trim(), "SKU {sku:?} not trimmed");
    assert!(sku.chars().count() <= MAX_SKU_CHARS, "SKU {sku:?} too long");
    assert!(!sku.chars().any(char::is_control), "SKU {sku:?} accepted");
    assert!(item.cost.is_none_or(|c| !c.is_negative()));
    if item.province_code_of_origin.is_some() {
        assert!(item.country_code_of_origin.is_some());
    }
    let hs_ok = |code: &str| {
        (MIN_HS_CODE_DIGITS..=MAX_HS_CODE_DIGITS).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(code) = &item.harmonized_system_code {
        assert!(hs_ok(code.as_str()));
    }
    let codes = &item.country_harmonized_system_codes;
    assert!(codes.len() <= MAX_COUNTRY_HS_CODES);
    for (i, code) in codes.iter().enumerate() {
        assert!(hs_ok(code.harmonized_system_code.as_str()));
        assert_eq!(code.country_code.as_str().len(), 2);
        assert!(
            codes[..i]
                .iter()
                .all(|c| c.country_code != code.country_code),
            "{} listed twice",
            code.country_code.as_str()
        );
        if let Some(general) = &item.harmonized_system_code {
            assert!(
                code.harmonized_system_code
                    .as_str()
                    .starts_with(general.as_str())
            );
        }
    }
    assert_eq!(
        validate_item(&ItemDraft::from(item)).as_ref(),
        Ok(item),
        "the item read back validates differently"
    );
}
