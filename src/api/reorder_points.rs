//! The reorder point RPCs of InventoryService (docs/alerts.md): each handler checks its
//! request, calls the store once and maps the answer. The alerts themselves are decided on
//! the write path (`domain::alert`) and watched through [`super::watch`].

use super::ApiError;
use super::alert_wire::reorder_point_to_wire;
use super::convert::require_id;
use super::cursor::{Cursors, Query};
use super::error::StoreContext;
use super::paging::page_limit;
use crate::domain::alert::parse_reorder_point;
use crate::domain::error::Violations;
use crate::domain::id::canonical_ids;
use crate::domain::list::MAX_FILTER_ENTRIES;
use crate::domain::tenant::MerchantId;
use crate::proto::v1 as pb;
use crate::store::alerts::{AlertQuery, SetReorderPoint};
use crate::store::{Store, now_micros};

const DEFAULT_PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

/// The filters of a list or a watch: item and location ids (`catalog_object_ids[i]`,
/// `location_ids[i]`), each at most [`MAX_FILTER_ENTRIES`], canonical.
pub fn alert_query(
    catalog_object_ids: &[String],
    location_ids: &[String],
) -> Result<AlertQuery, ApiError> {
    let mut errors = Violations::default();
    let items = canonical_ids("catalog_object_ids", catalog_object_ids, MAX_FILTER_ENTRIES);
    let locations = canonical_ids("location_ids", location_ids, MAX_FILTER_ENTRIES);
    let (items, locations) = match (items, locations) {
        (Ok(items), Ok(locations)) => (items, locations),
        (items, locations) => {
            for violations in [items.err(), locations.err()].into_iter().flatten() {
                errors.0.extend(violations.0);
            }
            return Err(errors.into());
        }
    };
    Ok(AlertQuery {
        catalog_object_ids: items,
        location_ids: locations,
    })
}

/// Sets a reorder point; answers whether the count is low now.
pub async fn set(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::SetInventoryReorderPointRequest,
) -> Result<pb::SetInventoryReorderPointResponse, ApiError> {
    let mut errors = Violations::default();
    let item = errors.check(require_id("catalog_object_id", &req.catalog_object_id));
    let location = errors.check(require_id("location_id", &req.location_id));
    let point = errors.check(parse_reorder_point("reorder_point", &req.reorder_point));
    let (Some(item), Some(location), Some(point)) = (item, location, point) else {
        return Err(errors.into());
    };
    match store
        .set_reorder_point(merchant, &item, &location, point, now_micros())
        .await?
    {
        SetReorderPoint::Set {
            point,
            quantity,
            low,
        } => Ok(pb::SetInventoryReorderPointResponse {
            reorder_point: Some(reorder_point_to_wire(&point)),
            quantity: quantity.map(|q| q.to_string()).unwrap_or_default(),
            low,
        }),
        SetReorderPoint::NoItem => Err(ApiError::not_found(
            "inventory item",
            "catalog_object_id",
            item,
        )),
        SetReorderPoint::NoLocation => {
            Err(ApiError::not_found("location", "location_id", location))
        }
    }
}

/// Deletes a reorder point.
pub async fn delete(
    store: &Store,
    merchant: &MerchantId,
    req: &pb::DeleteInventoryReorderPointRequest,
) -> Result<pb::DeleteInventoryReorderPointResponse, ApiError> {
    let mut errors = Violations::default();
    let item = errors.check(require_id("catalog_object_id", &req.catalog_object_id));
    let location = errors.check(require_id("location_id", &req.location_id));
    let (Some(item), Some(location)) = (item, location) else {
        return Err(errors.into());
    };
    store
        .delete_reorder_point(merchant, &item, &location)
        .await
        .or_not_found("reorder point", "location_id", &location)?;
    Ok(pb::DeleteInventoryReorderPointResponse {})
}

/// One page of reorder points.
pub async fn list(
    store: &Store,
    cursors: &Cursors,
    merchant: &MerchantId,
    req: &pb::ListInventoryReorderPointsRequest,
) -> Result<pb::ListInventoryReorderPointsResponse, ApiError> {
    let limit = page_limit("limit", req.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let requested = alert_query(&req.catalog_object_ids, &req.location_ids)?;
    let (query, after) = cursors.resolve::<AlertQuery, (String, String)>(
        Query::ReorderPoints,
        merchant,
        &req.cursor,
        requested,
    )?;
    let page = store
        .list_reorder_points(merchant, &query, after, limit)
        .await?;
    let cursor = cursors.next(Query::ReorderPoints, merchant, &query, &page, |p| {
        (p.catalog_object_id.clone(), p.location_id.clone())
    });
    Ok(pb::ListInventoryReorderPointsResponse {
        reorder_points: page.items.iter().map(reorder_point_to_wire).collect(),
        cursor,
    })
}
