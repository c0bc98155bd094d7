//! Conversions between the wire's `InventoryItem` and the domain's item types: the one
//! mapping InventoryItemService, the HTTP doors (through it) and `stockledger import` /
//! `export` share.

use super::convert::timestamp_from_micros;
use crate::domain::item::{CountryHsDraft, ItemDraft};
use crate::proto::v1 as pb;
use crate::store::items::ItemRecord;

/// The unchecked domain draft of a wire item, as create, update and import validate it
/// (public for the fuzz targets in `fuzz/`).
pub fn item_draft(item: &pb::InventoryItem) -> ItemDraft {
    ItemDraft {
        sku: item.sku.clone(),
        cost: item.cost.clone(),
        country_code_of_origin: item.country_code_of_origin.clone(),
        province_code_of_origin: item.province_code_of_origin.clone(),
        harmonized_system_code: item.harmonized_system_code.clone(),
        country_harmonized_system_codes: item
            .country_harmonized_system_codes
            .iter()
            .map(|c| CountryHsDraft {
                harmonized_system_code: c.harmonized_system_code.clone(),
                country_code: c.country_code.clone(),
            })
            .collect(),
        tracked: item.tracked,
        requires_shipping: item.requires_shipping,
    }
}

/// A stored item on the wire.
pub fn item_to_wire(record: &ItemRecord) -> pb::InventoryItem {
    let draft = ItemDraft::from(&record.attributes);
    pb::InventoryItem {
        id: record.id.clone(),
        sku: draft.sku,
        cost: draft.cost,
        country_code_of_origin: draft.country_code_of_origin,
        province_code_of_origin: draft.province_code_of_origin,
        harmonized_system_code: draft.harmonized_system_code,
        country_harmonized_system_codes: draft
            .country_harmonized_system_codes
            .into_iter()
            .map(|c| pb::CountryHarmonizedSystemCode {
                harmonized_system_code: c.harmonized_system_code,
                country_code: c.country_code,
            })
            .collect(),
        tracked: draft.tracked,
        requires_shipping: draft.requires_shipping,
        created_at: Some(timestamp_from_micros(record.created_at)),
        updated_at: Some(timestamp_from_micros(record.updated_at)),
    }
}
