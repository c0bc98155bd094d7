//! InventoryItemService: decode, call the domain and the store, encode.

use tonic::{Request, Response, Status};

use super::convert::{micros_from_timestamp, require_id};
use super::cursor::{CursorFilters, Cursors, Query, WireFilters};
use super::error::StoreContext;
use super::item_wire::{item_draft, item_to_wire};
use super::paging::page_limit;
use super::{ApiError, caller, reject_read_only};
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::id::canonical_ids;
use crate::domain::item::{ItemDraft, MAX_SKU_CHARS, validate_item};
use crate::domain::mask;
use crate::domain::text::check_free_text;
use crate::proto::v1::{self as pb, inventory_item_service_server::InventoryItemService};
use crate::store::Store;
use crate::store::items::ItemListQuery;

const WHAT: &str = "inventory item";
const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 250;
const MAX_BATCH_IDS: usize = 100;

/// Serves InventoryItemService from a [`Store`].
#[derive(Clone, Debug)]
pub struct InventoryItemApi {
    store: Store,
    cursors: Cursors,
}

impl InventoryItemApi {
    /// A service over `store` whose list cursors `cursors` signs.
    pub fn new(store: Store, cursors: Cursors) -> Self {
        InventoryItemApi { store, cursors }
    }
}

/// The filters a list cursor carries. The ids travel as `catalog_object_ids` (a digest
/// when long, the client then sending them again, as with the ledger's filters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ItemFilters {
    sku: Option<String>,
    updated_after: Option<i64>,
    ids: Vec<String>,
}

impl CursorFilters for ItemFilters {
    fn to_wire(&self) -> WireFilters {
        WireFilters {
            sku: self.sku.clone(),
            updated_after: self.updated_after,
            catalog_object_ids: self.ids.clone(),
            ..WireFilters::default()
        }
    }

    fn from_wire(wire: WireFilters) -> Option<Self> {
        Some(ItemFilters {
            sku: wire.sku,
            updated_after: wire.updated_after,
            ids: wire.catalog_object_ids,
        })
    }
}

/// A list of ids sent to this service (`ids`): at most [`MAX_BATCH_IDS`], each of the
/// server's id shape (`ids[i]`, INVALID_ID), in its canonical spelling. `at_least_one` for
/// BatchGet, where an empty list is a mistake; for ListInventoryItems it means no filter.
fn check_ids(field: &str, ids: &[String], at_least_one: bool) -> Result<Vec<String>, Violations> {
    if at_least_one && ids.is_empty() {
        return Err(Violation::new(
            field,
            reasons::ARRAY_LENGTH_TOO_SHORT,
            "must hold at least 1 id",
        )
        .into());
    }
    canonical_ids(field, ids, MAX_BATCH_IDS)
}

#[tonic::async_trait]
impl InventoryItemService for InventoryItemApi {
    async fn create_inventory_item(
        &self,
        request: Request<pb::CreateInventoryItemRequest>,
    ) -> Result<Response<pb::CreateInventoryItemResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let item = request
            .into_inner()
            .inventory_item
            .ok_or_else(|| Violation::missing("inventory_item"))?;
        reject_read_only(
            "inventory_item",
            &[
                ("id", item.id.is_empty()),
                ("created_at", item.created_at.is_none()),
                ("updated_at", item.updated_at.is_none()),
            ],
        )?;
        let attributes =
            validate_item(&item_draft(&item)).map_err(|v| v.within("inventory_item"))?;
        let record = self
            .store
            .create_item(&merchant, attributes)
            .await
            .within("inventory_item")?;
        Ok(Response::new(pb::CreateInventoryItemResponse {
            inventory_item: Some(item_to_wire(&record)),
        }))
    }

    async fn get_inventory_item(
        &self,
        request: Request<pb::GetInventoryItemRequest>,
    ) -> Result<Response<pb::GetInventoryItemResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let id = require_id("id", &request.get_ref().id)?;
        let record = self
            .store
            .get_item(&merchant, &id)
            .await
            .or_not_found(WHAT, "id", &id)
            .within("inventory_item")?;
        Ok(Response::new(pb::GetInventoryItemResponse {
            inventory_item: Some(item_to_wire(&record)),
        }))
    }

    async fn batch_get_inventory_items(
        &self,
        request: Request<pb::BatchGetInventoryItemsRequest>,
    ) -> Result<Response<pb::BatchGetInventoryItemsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let ids = check_ids("ids", &request.get_ref().ids, true)?;
        let records = self
            .store
            .batch_get_items(&merchant, &ids)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::BatchGetInventoryItemsResponse {
            inventory_items: records.iter().map(item_to_wire).collect(),
        }))
    }

    async fn list_inventory_items(
        &self,
        request: Request<pb::ListInventoryItemsRequest>,
    ) -> Result<Response<pb::ListInventoryItemsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let limit = page_limit("limit", req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let updated_after = req
            .updated_after
            .as_ref()
            .map(|ts| micros_from_timestamp("updated_after", ts))
            .transpose()?;
        // A filter is checked as the field it matches: a SKU never holds a control
        // character nor more than 255 characters, so such a filter is a mistake.
        check_free_text("sku", &req.sku, MAX_SKU_CHARS)?;
        // Shopify's `ids`: a filter like the others, in creation order, paged.
        let ids = check_ids("ids", &req.ids, false)?;
        let requested = ItemFilters {
            sku: (!req.sku.is_empty()).then(|| req.sku.clone()),
            updated_after,
            ids,
        };
        let (filters, after_id) =
            self.cursors
                .resolve(Query::Items, &merchant, &req.cursor, requested)?;
        let query = ItemListQuery {
            after_id,
            sku: filters.sku.clone(),
            updated_after: filters.updated_after,
            ids: filters.ids.clone(),
            limit,
        };
        let page = self
            .store
            .list_items(&merchant, &query)
            .await
            .map_err(ApiError::from)?;
        let cursor = self
            .cursors
            .next(Query::Items, &merchant, &filters, &page, |last| {
                last.id.clone()
            });
        Ok(Response::new(pb::ListInventoryItemsResponse {
            inventory_items: page.items.iter().map(item_to_wire).collect(),
            cursor,
        }))
    }

    async fn update_inventory_item(
        &self,
        request: Request<pb::UpdateInventoryItemRequest>,
    ) -> Result<Response<pb::UpdateInventoryItemResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.into_inner();
        let item = req
            .inventory_item
            .ok_or_else(|| Violation::missing("inventory_item"))?;
        let id = require_id("inventory_item.id", &item.id)?;
        let update = item_draft(&item);
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let fields = mask::resolve(&paths, |f| update.is_populated(f))?;
        let record = self
            .store
            .update_item(&merchant, &id, |current| {
                validate_item(&ItemDraft::from(current).patched(&update, &fields))
            })
            .await
            .or_not_found(WHAT, "inventory_item.id", &id)
            .within("inventory_item")?
            .map_err(ApiError::Invalid)
            .within("inventory_item")?;
        Ok(Response::new(pb::UpdateInventoryItemResponse {
            inventory_item: Some(item_to_wire(&record)),
        }))
    }
}
