//! The queries and the objects they answer: `inventoryItem(id)`, `inventoryItems`,
//! `location(id)`, `locations`, `inventoryLevel(id)`, and on them `InventoryItem`
//! (with `inventoryLevels`), `Location` and `InventoryLevel` (with `quantities(names:)`).
//! Every read is the RPC it stands for; an id naming nothing is `null`, as on Shopify.
//!
//! Connections follow Shopify's shape (`nodes`, `edges { node cursor }`, `pageInfo`); a page
//! is one page of the RPC, so `pageInfo.endCursor` (every edge carries it too) reads on.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use tonic::{Code, Status};

use super::gid::{self, Kind};
use super::quantities::{self, QuantityName, READ_STATES};
use super::{bad_argument, door, query_error};
use crate::api::ledger_wire::{state_from_wire, state_to_wire};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::InventoryState;
use crate::gateway::Rpc;
use crate::gateway::shopify::json::{cost_to_json, item_to_json};
use crate::proto::v1::{
    self as pb, inventory_item_service_server::InventoryItemService as _,
    inventory_service_server::InventoryService as _, location_service_server::LocationService as _,
};

/// Largest `first` of a connection, as on Shopify.
const MAX_FIRST: i32 = 250;

/// The query root.
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// An inventory item by its Global ID (or Stockledger id); `null` if none.
    async fn inventory_item(&self, ctx: &Context<'_>, id: ID) -> Result<Option<InventoryItem>> {
        let id = gid::parse(Kind::InventoryItem, &id).map_err(|e| bad_argument("id", e))?;
        get_item(ctx, id).await
    }

    /// Inventory items in creation order; `query: "sku:ABC"` keeps every item with that SKU
    /// (SKUs may repeat, as on Shopify), still in creation order.
    async fn inventory_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        query: Option<String>,
    ) -> Result<Connection<String, InventoryItem>> {
        let sku = match query.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(q) => q
                .strip_prefix("sku:")
                .map(|s| s.trim().trim_matches('"').to_owned())
                .ok_or_else(|| {
                    bad_argument("query", "only `sku:<value>` is served on inventory items")
                })?,
        };
        let request = pb::ListInventoryItemsRequest {
            limit: page_size(first)?,
            cursor: after.unwrap_or_default(),
            sku,
            ..Default::default()
        };
        let api = door(ctx).gateway.items();
        let page = door(ctx)
            .call(Rpc::Items("ListInventoryItems"), request, |r| async move {
                api.list_inventory_items(r).await
            })
            .await
            .map_err(query_error)?;
        Ok(connection(
            page.cursor,
            page.inventory_items.into_iter().map(InventoryItem),
        ))
    }

    /// A location by its Global ID (or Stockledger id); `null` if none.
    async fn location(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Location>> {
        let id = gid::parse(Kind::Location, &id).map_err(|e| bad_argument("id", e))?;
        let api = door(ctx).gateway.locations();
        let found = door(ctx)
            .call(
                Rpc::Locations("GetLocation"),
                pb::GetLocationRequest { id },
                |r| async move { api.get_location(r).await },
            )
            .await;
        Ok(not_found_as_none(found)?
            .and_then(|r| r.location)
            .map(Location))
    }

    /// Locations in creation order.
    async fn locations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Location>> {
        let request = pb::ListLocationsRequest {
            limit: page_size(first)?,
            cursor: after.unwrap_or_default(),
            ..Default::default()
        };
        let api = door(ctx).gateway.locations();
        let page = door(ctx)
            .call(Rpc::Locations("ListLocations"), request, |r| async move {
                api.list_locations(r).await
            })
            .await
            .map_err(query_error)?;
        Ok(connection(
            page.cursor,
            page.locations.into_iter().map(Location),
        ))
    }

    /// A level by its Global ID
    /// (`gid://shopify/InventoryLevel/<location id>?inventory_item_id=<item id>`); `null` if
    /// the item is not stocked there.
    async fn inventory_level(&self, ctx: &Context<'_>, id: ID) -> Result<Option<InventoryLevel>> {
        let (location, item) = gid::parse_level(&id).map_err(|e| bad_argument("id", e))?;
        level_at(ctx, item, location).await
    }
}

/// Shopify's `first`: 1–250; absent is the RPC's default page.
fn page_size(first: Option<i32>) -> Result<i32> {
    match first {
        None => Ok(0),
        Some(n) if (1..=MAX_FIRST).contains(&n) => Ok(n),
        Some(_) => Err(bad_argument(
            "first",
            format!("must be between 1 and {MAX_FIRST}"),
        )),
    }
}

/// A page as a connection: every edge carries the cursor of the next page.
fn connection<T: async_graphql::OutputType>(
    next: String,
    nodes: impl Iterator<Item = T>,
) -> Connection<String, T> {
    let mut page = Connection::new(false, !next.is_empty());
    page.edges
        .extend(nodes.map(|node| Edge::new(next.clone(), node)));
    page
}

/// A Get's answer, NOT_FOUND as `None`.
fn not_found_as_none<T>(found: Result<T, Status>) -> Result<Option<T>> {
    match found {
        Ok(found) => Ok(Some(found)),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(query_error(status)),
    }
}

async fn get_item(ctx: &Context<'_>, id: String) -> Result<Option<InventoryItem>> {
    let api = door(ctx).gateway.items();
    let found = door(ctx)
        .call(
            Rpc::Items("GetInventoryItem"),
            pb::GetInventoryItemRequest { id },
            |r| async move { api.get_inventory_item(r).await },
        )
        .await;
    Ok(not_found_as_none(found)?
        .and_then(|r| r.inventory_item)
        .map(InventoryItem))
}

/// The counts `item` has at `location` in the states named quantities read, or `None` if
/// the item is not stocked there (no IN_STOCK count).
pub(super) async fn level_at(
    ctx: &Context<'_>,
    item: String,
    location: String,
) -> Result<Option<InventoryLevel>> {
    let request = pb::BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: vec![item],
        location_ids: vec![location],
        states: READ_STATES.iter().map(|s| state_to_wire(*s)).collect(),
        ..Default::default()
    };
    let api = door(ctx).gateway.inventory();
    let found = door(ctx)
        .call(
            Rpc::Inventory("BatchRetrieveInventoryCounts"),
            request,
            |r| async move { api.batch_retrieve_inventory_counts(r).await },
        )
        .await;
    // An id that names nothing reads as no level, as an unknown level id does.
    let counts = match found {
        Ok(answer) => answer.counts,
        Err(status) if status.code() == Code::InvalidArgument => return Ok(None),
        Err(status) => return Err(query_error(status)),
    };
    Ok(InventoryLevel::from_counts(counts))
}

/// Shopify's `InventoryItem`.
pub struct InventoryItem(pub pb::InventoryItem);

#[Object]
impl InventoryItem {
    /// `gid://shopify/InventoryItem/<id>`.
    async fn id(&self) -> ID {
        ID(gid::gid(Kind::InventoryItem, &self.0.id))
    }

    /// Stockledger's id (Shopify's is a number).
    async fn legacy_resource_id(&self) -> &str {
        &self.0.id
    }

    /// Stock keeping unit; `null` if none.
    async fn sku(&self) -> Option<&str> {
        Some(self.0.sku.as_str()).filter(|s| !s.is_empty())
    }

    /// Whether the ledger tracks this item's stock.
    async fn tracked(&self) -> bool {
        self.0.tracked.unwrap_or(true)
    }

    /// Whether shipping it needs an address.
    async fn requires_shipping(&self) -> bool {
        self.0.requires_shipping.unwrap_or(true)
    }

    /// Unit cost, a decimal string with at least two decimals; `null` if none. Stockledger
    /// keeps no currency with it, so Shopify's `unitCost { amount currencyCode }` is not
    /// served.
    async fn cost(&self) -> Option<String> {
        Some(self.0.cost.as_str())
            .filter(|c| !c.is_empty())
            .map(|c| cost_to_json(c).unwrap_or_else(|| c.to_owned()))
    }

    /// ISO 3166-1 alpha-2; `null` if unknown.
    async fn country_code_of_origin(&self) -> Option<String> {
        item_to_json(&self.0).country_code_of_origin
    }

    /// ISO 3166-2 subdivision; `null` if unknown.
    async fn province_code_of_origin(&self) -> Option<String> {
        item_to_json(&self.0).province_code_of_origin
    }

    /// General HS code; `null` if none.
    async fn harmonized_system_code(&self) -> Option<String> {
        item_to_json(&self.0).harmonized_system_code
    }

    /// HS codes per destination country.
    async fn country_harmonized_system_codes(&self) -> Vec<CountryHarmonizedSystemCode> {
        self.0
            .country_harmonized_system_codes
            .iter()
            .map(|c| CountryHarmonizedSystemCode {
                harmonized_system_code: c.harmonized_system_code.clone(),
                country_code: Some(c.country_code.clone()).filter(|c| !c.is_empty()),
            })
            .collect()
    }

    /// RFC 3339, UTC.
    async fn created_at(&self) -> Option<String> {
        item_to_json(&self.0).created_at
    }

    /// RFC 3339, UTC.
    async fn updated_at(&self) -> Option<String> {
        item_to_json(&self.0).updated_at
    }

    /// The item's levels: one per location where it is stocked (has an IN_STOCK count).
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, InventoryLevel>> {
        let request = pb::BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: vec![self.0.id.clone()],
            states: vec![state_to_wire(InventoryState::InStock)],
            limit: page_size(first)?,
            cursor: after.unwrap_or_default(),
            ..Default::default()
        };
        let api = door(ctx).gateway.inventory();
        let page = door(ctx)
            .call(
                Rpc::Inventory("BatchRetrieveInventoryCounts"),
                request,
                |r| async move { api.batch_retrieve_inventory_counts(r).await },
            )
            .await
            .map_err(query_error)?;
        let levels = page
            .counts
            .into_iter()
            .filter_map(|count| InventoryLevel::from_counts(vec![count]));
        Ok(connection(page.cursor, levels))
    }

    /// The item's level at one location; `null` if it is not stocked there.
    async fn inventory_level(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
    ) -> Result<Option<InventoryLevel>> {
        let location =
            gid::parse(Kind::Location, &location_id).map_err(|e| bad_argument("locationId", e))?;
        level_at(ctx, self.0.id.clone(), location).await
    }
}

/// One country's HS code of an item.
#[derive(SimpleObject)]
pub struct CountryHarmonizedSystemCode {
    /// 6–13 digits.
    harmonized_system_code: String,
    /// ISO 3166-1 alpha-2 of the destination; `null` when the code applies to every country
    /// without one of its own.
    country_code: Option<String>,
}

/// Shopify's `Location`.
pub struct Location(pub pb::Location);

#[Object]
impl Location {
    /// `gid://shopify/Location/<id>`.
    async fn id(&self) -> ID {
        ID(gid::gid(Kind::Location, &self.0.id))
    }

    /// Stockledger's id.
    async fn legacy_resource_id(&self) -> &str {
        &self.0.id
    }

    /// The location's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether it is active (takes changes).
    async fn is_active(&self) -> bool {
        self.0.status == pb::LocationStatus::Active as i32
    }

    /// The level of an item here; `null` if it is not stocked here.
    async fn inventory_level(
        &self,
        ctx: &Context<'_>,
        inventory_item_id: ID,
    ) -> Result<Option<InventoryLevel>> {
        let item = gid::parse(Kind::InventoryItem, &inventory_item_id)
            .map_err(|e| bad_argument("inventoryItemId", e))?;
        level_at(ctx, item, self.0.id.clone()).await
    }
}

/// Shopify's `InventoryLevel`: an item at a location, with the counts its named quantities
/// read.
pub struct InventoryLevel {
    item: String,
    location: String,
    /// The kept counts read for it (state, quantity).
    counts: Vec<(InventoryState, Fixed5)>,
    updated_at: Option<String>,
}

impl InventoryLevel {
    /// The level these counts (of one item at one location) make, if one is IN_STOCK.
    pub(super) fn from_counts(counts: Vec<pb::InventoryCount>) -> Option<InventoryLevel> {
        let stocked = counts
            .iter()
            .find(|c| state_from_wire(c.state) == Some(InventoryState::InStock))?;
        let (item, location) = (
            stocked.catalog_object_id.clone(),
            stocked.location_id.clone(),
        );
        let updated_at = counts
            .iter()
            .filter_map(|c| c.calculated_at.as_ref())
            .max_by_key(|t| (t.seconds, t.nanos))
            .and_then(crate::api::convert::rfc3339);
        let counts = counts
            .iter()
            .filter_map(|c| Some((state_from_wire(c.state)?, Fixed5::parse(&c.quantity).ok()?)))
            .collect();
        Some(InventoryLevel {
            item,
            location,
            counts,
            updated_at,
        })
    }
}

impl InventoryLevel {
    /// The kept quantities the level holds that are not zero (`available 3, reserved 2`),
    /// empty when it holds nothing.
    pub(super) fn held(&self) -> String {
        [
            QuantityName::Available,
            QuantityName::Reserved,
            QuantityName::Damaged,
            QuantityName::QualityControl,
            QuantityName::SafetyStock,
        ]
        .into_iter()
        .map(|name| (name, quantities::quantity_of(name, &self.counts)))
        .filter(|(_, quantity)| *quantity != Fixed5::ZERO)
        .map(|(name, quantity)| format!("{} {quantity}", name.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

#[Object]
impl InventoryLevel {
    /// `gid://shopify/InventoryLevel/<location id>?inventory_item_id=<item id>`.
    async fn id(&self) -> ID {
        ID(gid::level_gid(&self.location, &self.item))
    }

    /// The item.
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<InventoryItem>> {
        get_item(ctx, self.item.clone()).await
    }

    /// The location.
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        QueryRoot.location(ctx, ID(self.location.clone())).await
    }

    /// The named quantities asked for, in the order asked (docs/shopify.md has the table):
    /// a name Stockledger does not keep is refused naming it, never answered as zero.
    async fn quantities(&self, names: Vec<String>) -> Result<Vec<InventoryQuantity>> {
        names
            .into_iter()
            .map(|name| {
                let named = QuantityName::parse(&name).map_err(|e| bad_argument("names", e))?;
                let quantity = quantities::to_int(quantities::quantity_of(named, &self.counts))
                    .map_err(|e| bad_argument("names", e))?;
                Ok(InventoryQuantity {
                    name: named.as_str().to_owned(),
                    quantity,
                    updated_at: self.updated_at.clone(),
                })
            })
            .collect()
    }

    /// RFC 3339, UTC: when a count of the level last changed.
    async fn updated_at(&self) -> Option<&str> {
        self.updated_at.as_deref()
    }
}

/// One named quantity of a level.
#[derive(SimpleObject)]
pub struct InventoryQuantity {
    /// `available`, `reserved` or `on_hand`.
    name: String,
    /// The quantity, a whole number (a fractional count is refused, never rounded).
    quantity: i32,
    /// RFC 3339, UTC.
    updated_at: Option<String>,
}
