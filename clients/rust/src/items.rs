//! Inventory items: the goods whose stock is counted.
//! [`Client::create_inventory_item`](crate::Client::create_inventory_item),
//! [`get_inventory_item`](crate::Client::get_inventory_item),
//! [`batch_get_inventory_items`](crate::Client::batch_get_inventory_items),
//! [`list_inventory_items`](crate::Client::list_inventory_items) and
//! [`update_inventory_item`](crate::Client::update_inventory_item) take and return these
//! types: the cost as a [`Decimal`], times as [`SystemTime`]s.

use std::time::SystemTime;

use rust_decimal::Decimal;

use crate::decimal::{IntoDecimal, field_to_wire};
use crate::{Error, pb};

/// An item, as the server answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Its id, assigned by the server.
    pub id: String,
    /// Its SKU; empty when none (SKUs are not unique).
    pub sku: String,
    /// Unit cost, exact; `None` when none.
    pub cost: Option<Decimal>,
    /// ISO 3166-1 alpha-2 country of origin; empty when unknown.
    pub country_code_of_origin: String,
    /// Subdivision of that country (`QC` for CA-QC); empty when unknown.
    pub province_code_of_origin: String,
    /// General Harmonized System code; empty when none.
    pub harmonized_system_code: String,
    /// HS codes per destination country.
    pub country_harmonized_system_codes: Vec<pb::CountryHarmonizedSystemCode>,
    /// Whether the ledger tracks its stock (changes for an untracked item are refused).
    pub tracked: bool,
    /// Whether shipping it needs a shipping address.
    pub requires_shipping: bool,
    /// When it was created (server time).
    pub created_at: Option<SystemTime>,
    /// When it last changed (server time).
    pub updated_at: Option<SystemTime>,
}

impl TryFrom<pb::InventoryItem> for Item {
    type Error = Error;

    fn try_from(item: pb::InventoryItem) -> Result<Self, Error> {
        let cost = if item.cost.is_empty() {
            None
        } else {
            Some(crate::decimal::field_from_wire(
                &item.cost,
                "inventory_item.cost",
            )?)
        };
        Ok(Item {
            cost,
            tracked: item.tracked.unwrap_or(true),
            requires_shipping: item.requires_shipping.unwrap_or(true),
            created_at: crate::time::from_field(item.created_at.as_ref()),
            updated_at: crate::time::from_field(item.updated_at.as_ref()),
            id: item.id,
            sku: item.sku,
            country_code_of_origin: item.country_code_of_origin,
            province_code_of_origin: item.province_code_of_origin,
            harmonized_system_code: item.harmonized_system_code,
            country_harmonized_system_codes: item.country_harmonized_system_codes,
        })
    }
}

/// The fields an item is created or updated with, each one optional: `NewItem::new()` (or
/// an [`ItemUpdate`]) then `.sku(..)`, `.cost(..)?`, `.tracked(..)`, … An update changes
/// exactly the fields given (they are named in its update mask, so `""` or `false` is set
/// as given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFields {
    /// SKU (`""` clears it).
    pub sku: Option<String>,
    /// Unit cost as its wire string (`""` clears it): set with [`ItemFields::cost`].
    pub cost: Option<String>,
    /// Country of origin (`""` clears it).
    pub country_code_of_origin: Option<String>,
    /// Province of origin (`""` clears it).
    pub province_code_of_origin: Option<String>,
    /// General HS code (`""` clears it).
    pub harmonized_system_code: Option<String>,
    /// Whether its stock is tracked (default on create: `true`).
    pub tracked: Option<bool>,
    /// Whether shipping it needs an address (default on create: `true`).
    pub requires_shipping: Option<bool>,
}

/// What [`Client::create_inventory_item`](crate::Client::create_inventory_item) sends.
pub type NewItem = ItemFields;
/// What [`Client::update_inventory_item`](crate::Client::update_inventory_item) changes.
pub type ItemUpdate = ItemFields;

impl ItemFields {
    /// No field given yet.
    pub fn new() -> Self {
        ItemFields::default()
    }

    /// With this SKU.
    pub fn sku(mut self, sku: impl Into<String>) -> Self {
        self.sku = Some(sku.into());
        self
    }

    /// With this unit cost (a [`Decimal`], an integer or a decimal string): refused here
    /// when it is no decimal or has more than five decimal places (field
    /// `inventory_item.cost`).
    pub fn cost(mut self, cost: impl IntoDecimal) -> Result<Self, Error> {
        self.cost = Some(field_to_wire(cost, "inventory_item.cost")?);
        Ok(self)
    }

    /// Without a cost (clears it in an update).
    pub fn no_cost(mut self) -> Self {
        self.cost = Some(String::new());
        self
    }

    /// With this country (ISO 3166-1 alpha-2) and province (`""`: none) of origin.
    pub fn origin(mut self, country: impl Into<String>, province: impl Into<String>) -> Self {
        self.country_code_of_origin = Some(country.into());
        self.province_code_of_origin = Some(province.into());
        self
    }

    /// With this general Harmonized System code.
    pub fn harmonized_system_code(mut self, code: impl Into<String>) -> Self {
        self.harmonized_system_code = Some(code.into());
        self
    }

    /// Whether the ledger tracks its stock.
    pub fn tracked(mut self, tracked: bool) -> Self {
        self.tracked = Some(tracked);
        self
    }

    /// Whether shipping it needs a shipping address.
    pub fn requires_shipping(mut self, requires_shipping: bool) -> Self {
        self.requires_shipping = Some(requires_shipping);
        self
    }

    /// The item message with the given fields set, and their names.
    fn item_and_paths(&self, id: String) -> (pb::InventoryItem, Vec<String>) {
        let mut paths = Vec::new();
        let mut item = pb::InventoryItem {
            id,
            ..Default::default()
        };
        let mut text = |value: &Option<String>, name: &str, field: &mut String| {
            if let Some(value) = value {
                field.clone_from(value);
                paths.push(name.to_owned());
            }
        };
        text(&self.sku, "sku", &mut item.sku);
        text(&self.cost, "cost", &mut item.cost);
        text(
            &self.country_code_of_origin,
            "country_code_of_origin",
            &mut item.country_code_of_origin,
        );
        text(
            &self.province_code_of_origin,
            "province_code_of_origin",
            &mut item.province_code_of_origin,
        );
        text(
            &self.harmonized_system_code,
            "harmonized_system_code",
            &mut item.harmonized_system_code,
        );
        if let Some(tracked) = self.tracked {
            item.tracked = Some(tracked);
            paths.push("tracked".to_owned());
        }
        if let Some(requires_shipping) = self.requires_shipping {
            item.requires_shipping = Some(requires_shipping);
            paths.push("requires_shipping".to_owned());
        }
        (item, paths)
    }

    pub(crate) fn to_create(&self) -> pb::CreateInventoryItemRequest {
        pb::CreateInventoryItemRequest {
            inventory_item: Some(self.item_and_paths(String::new()).0),
        }
    }

    pub(crate) fn to_update(&self, id: String) -> pb::UpdateInventoryItemRequest {
        let (item, paths) = self.item_and_paths(id);
        pb::UpdateInventoryItemRequest {
            inventory_item: Some(item),
            update_mask: Some(prost_types::FieldMask { paths }),
        }
    }
}

/// What [`Client::list_inventory_items`](crate::Client::list_inventory_items) reads:
/// [`ItemFilter::all`], optionally `.sku(..)`, `.updated_after(..)`, `.ids(..)`,
/// `.page_size(..)` a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Only items with exactly this SKU; empty: any.
    pub sku: String,
    /// Only items changed strictly after this time.
    pub updated_after: Option<SystemTime>,
    /// Only these items (at most 100); empty: all.
    pub ids: Vec<String>,
    /// Items a page (1–250); 0: the server's default (50).
    pub page_size: i32,
}

impl ItemFilter {
    /// Every item.
    pub fn all() -> Self {
        ItemFilter::default()
    }

    /// Only items with exactly this SKU.
    pub fn sku(mut self, sku: impl Into<String>) -> Self {
        self.sku = sku.into();
        self
    }

    /// Only items changed strictly after `time`.
    pub fn updated_after(mut self, time: SystemTime) -> Self {
        self.updated_after = Some(time);
        self
    }

    /// Only these items.
    pub fn ids(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// `page_size` items a call (1–250).
    pub fn page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    pub(crate) fn to_wire(&self) -> pb::ListInventoryItemsRequest {
        pb::ListInventoryItemsRequest {
            limit: self.page_size,
            cursor: String::new(),
            sku: self.sku.clone(),
            updated_after: self.updated_after.map(crate::time::to_timestamp),
            ids: self.ids.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_exactly_the_fields_given() {
        let request = ItemUpdate::new()
            .cost("12.50")
            .unwrap()
            .tracked(false)
            .to_update("item-1".into());
        assert_eq!(request.update_mask.unwrap().paths, ["cost", "tracked"]);
        let item = request.inventory_item.unwrap();
        assert_eq!(
            (item.id.as_str(), item.cost.as_str(), item.tracked),
            ("item-1", "12.5", Some(false))
        );
        let cleared = ItemUpdate::new().no_cost().sku("").to_update("i".into());
        assert_eq!(cleared.update_mask.unwrap().paths, ["sku", "cost"]);
    }

    #[test]
    fn a_bad_cost_is_the_one_error_naming_the_field() {
        let err = NewItem::new().cost("12,50").unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert_eq!(err.reason(), Some(crate::INVALID_VALUE));
        assert_eq!(err.field(), Some("inventory_item.cost"));
        let err = NewItem::new().cost(Decimal::new(1, 6)).unwrap_err();
        assert_eq!(err.field(), Some("inventory_item.cost"));
    }

    #[test]
    fn an_item_from_the_wire() {
        let item = Item::try_from(pb::InventoryItem {
            id: "i".into(),
            cost: "0.1".into(),
            tracked: Some(false),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(item.cost, Some(Decimal::new(1, 1)));
        assert!(!item.tracked && item.requires_shipping);
        let err = Item::try_from(pb::InventoryItem {
            cost: "1e3".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.field(), Some("inventory_item.cost"));
    }
}
