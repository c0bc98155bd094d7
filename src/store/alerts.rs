//! Low-stock alerts' storage (docs/alerts.md): the reorder points of items at locations
//! (set, delete, list), and the alert log the write path fills (`store::batch`), read in
//! feed order by WatchInventoryAlerts and the webhooks' deliverer.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::{
    inventory_alert, inventory_count, inventory_item, inventory_reorder_point as point, location,
};
use super::{MerchantId, Page, Store, StoreError};
use crate::domain::alert::{AlertKind, is_low};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::InventoryState;

/// A reorder point: at or below it, the IN_STOCK count of the item at the location is low.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReorderPoint {
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// The reorder point.
    pub reorder_point: Fixed5,
    /// Server time of the last set, µs.
    pub updated_at: i64,
}

/// What setting a reorder point did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetReorderPoint {
    /// Set; with the IN_STOCK count as it stands (`None`: no count, read as 0) and whether
    /// it is low now. Setting a point raises no alert: alerts are crossings by changes.
    Set {
        /// The point as stored.
        point: ReorderPoint,
        /// The IN_STOCK quantity now, if the count exists.
        quantity: Option<Fixed5>,
        /// Whether that quantity (0 when absent) is at or below the point.
        low: bool,
    },
    /// The merchant has no such item.
    NoItem,
    /// The merchant has no such location.
    NoLocation,
}

/// Filters of reorder points and alerts: empty lists mean all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertQuery {
    /// Only these items.
    pub catalog_object_ids: Vec<String>,
    /// Only at these locations.
    pub location_ids: Vec<String>,
}

/// A crossing of an IN_STOCK count over its reorder point, as recorded with the change
/// that caused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Feed sequence of the change that caused it.
    pub feed_seq: i64,
    /// Position among that change's count updates (the update it follows).
    pub ordinal: i32,
    /// Item id.
    pub catalog_object_id: String,
    /// Location id.
    pub location_id: String,
    /// LOW or RECOVERED.
    pub kind: AlertKind,
    /// The IN_STOCK quantity after the change.
    pub quantity: Fixed5,
    /// The reorder point it crossed.
    pub reorder_point: Fixed5,
    /// Id of the change.
    pub change_id: String,
    /// When the change occurred, µs.
    pub occurred_at: i64,
    /// Server time of the change, µs.
    pub calculated_at: i64,
}

fn point_from_row(row: point::Model) -> ReorderPoint {
    ReorderPoint {
        catalog_object_id: row.catalog_object_id,
        location_id: row.location_id,
        reorder_point: Fixed5::from_units(row.reorder_point_units),
        updated_at: row.updated_at,
    }
}

fn filter<C: ColumnTrait>(query: &AlertQuery, item: C, location: C) -> Condition {
    let mut condition = Condition::all();
    if !query.catalog_object_ids.is_empty() {
        condition = condition.add(item.is_in(query.catalog_object_ids.clone()));
    }
    if !query.location_ids.is_empty() {
        condition = condition.add(location.is_in(query.location_ids.clone()));
    }
    condition
}

impl Store {
    /// Sets (creates or replaces) the reorder point of an item at a location, both the
    /// merchant's, at `now` µs.
    pub async fn set_reorder_point(
        &self,
        merchant: &MerchantId,
        catalog_object_id: &str,
        location_id: &str,
        reorder_point: Fixed5,
        now: i64,
    ) -> Result<SetReorderPoint, StoreError> {
        let at = (catalog_object_id, location_id);
        set_reorder_point_on(self.connection(), merchant, at, reorder_point, now).await
    }

    /// Deletes the reorder point of an item at a location; [`StoreError::NotFound`] if
    /// the merchant has none there.
    pub async fn delete_reorder_point(
        &self,
        merchant: &MerchantId,
        catalog_object_id: &str,
        location_id: &str,
    ) -> Result<(), StoreError> {
        let deleted = point::Entity::delete_many()
            .filter(point::Column::MerchantId.eq(&merchant.0))
            .filter(point::Column::CatalogObjectId.eq(catalog_object_id))
            .filter(point::Column::LocationId.eq(location_id))
            .exec(self.connection())
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Up to `limit` reorder points matching `query` after (item, location), in that
    /// order.
    pub async fn list_reorder_points(
        &self,
        merchant: &MerchantId,
        query: &AlertQuery,
        after: Option<(String, String)>,
        limit: u64,
    ) -> Result<Page<ReorderPoint>, StoreError> {
        use point::Column as P;
        let mut select = point::Entity::find()
            .filter(P::MerchantId.eq(&merchant.0))
            .filter(filter(query, P::CatalogObjectId, P::LocationId));
        if let Some((item, location)) = after {
            select = select.filter(
                Condition::any()
                    .add(P::CatalogObjectId.gt(item.clone()))
                    .add(
                        Condition::all()
                            .add(P::CatalogObjectId.eq(item))
                            .add(P::LocationId.gt(location)),
                    ),
            );
        }
        let rows = select
            .order_by_asc(P::CatalogObjectId)
            .order_by_asc(P::LocationId)
            .limit(limit + 1)
            .all(self.connection())
            .await?;
        let page = Page::from_overfetch(rows, limit);
        Ok(Page {
            items: page.items.into_iter().map(point_from_row).collect(),
            has_more: page.has_more,
        })
    }

    /// Up to `limit` alerts after position `after` (feed sequence, ordinal), in feed order:
    /// what the webhooks' deliverer reads.
    pub async fn feed_alerts(
        &self,
        merchant: &MerchantId,
        after: (i64, i32),
        limit: u64,
    ) -> Result<Vec<Alert>, StoreError> {
        self.feed_alerts_matching(merchant, &AlertQuery::default(), after, limit)
            .await
    }

    /// Up to `limit` alerts matching `query` after position `after` (feed sequence,
    /// ordinal), in feed order.
    #[tracing::instrument(level = "debug", name = "db.feed_alerts", skip_all)]
    pub async fn feed_alerts_matching(
        &self,
        merchant: &MerchantId,
        query: &AlertQuery,
        after: (i64, i32),
        limit: u64,
    ) -> Result<Vec<Alert>, StoreError> {
        use inventory_alert::Column as A;
        let rows = inventory_alert::Entity::find()
            .filter(A::MerchantId.eq(&merchant.0))
            .filter(
                Condition::any().add(A::FeedSeq.gt(after.0)).add(
                    Condition::all()
                        .add(A::FeedSeq.eq(after.0))
                        .add(A::Ordinal.gt(after.1)),
                ),
            )
            .filter(filter(query, A::CatalogObjectId, A::LocationId))
            .order_by_asc(A::FeedSeq)
            .order_by_asc(A::Ordinal)
            .limit(limit)
            .all(self.connection())
            .await?;
        rows.into_iter().map(alert_from_row).collect()
    }

    /// Every alert of the changes with feed sequences in `(after, up_to]`, in feed order (a
    /// webhook deliverer's window).
    pub async fn alerts_between(
        &self,
        merchant: &MerchantId,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        use inventory_alert::Column as A;
        let rows = inventory_alert::Entity::find()
            .filter(A::MerchantId.eq(&merchant.0))
            .filter(A::FeedSeq.gt(after))
            .filter(A::FeedSeq.lte(up_to))
            .order_by_asc(A::FeedSeq)
            .order_by_asc(A::Ordinal)
            .all(self.connection())
            .await?;
        rows.into_iter().map(alert_from_row).collect()
    }
}

/// [`Store::set_reorder_point`] on `db` (the store's pool, or a rehearsal's transaction):
/// the point of (item, location) `at`, set at `now` µs (an import's own time).
pub(super) async fn set_reorder_point_on(
    db: &impl ConnectionTrait,
    merchant: &MerchantId,
    (catalog_object_id, location_id): (&str, &str),
    reorder_point: Fixed5,
    now: i64,
) -> Result<SetReorderPoint, StoreError> {
    let item = inventory_item::Entity::find_by_id(catalog_object_id.to_owned())
        .filter(inventory_item::Column::MerchantId.eq(&merchant.0))
        .count(db)
        .await?;
    if item == 0 {
        return Ok(SetReorderPoint::NoItem);
    }
    let place = location::Entity::find_by_id(location_id.to_owned())
        .filter(location::Column::MerchantId.eq(&merchant.0))
        .count(db)
        .await?;
    if place == 0 {
        return Ok(SetReorderPoint::NoLocation);
    }
    let row = point::Model {
        merchant_id: merchant.0.clone(),
        catalog_object_id: catalog_object_id.to_owned(),
        location_id: location_id.to_owned(),
        reorder_point_units: reorder_point.units(),
        updated_at: now,
    };
    point::Entity::insert(row.clone().into_active_model())
        .on_conflict(
            OnConflict::columns([
                point::Column::MerchantId,
                point::Column::CatalogObjectId,
                point::Column::LocationId,
            ])
            .update_columns([point::Column::ReorderPointUnits, point::Column::UpdatedAt])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let quantity = inventory_count::Entity::find()
        .select_only()
        .column(inventory_count::Column::QuantityUnits)
        .filter(inventory_count::Column::MerchantId.eq(&merchant.0))
        .filter(inventory_count::Column::CatalogObjectId.eq(catalog_object_id))
        .filter(inventory_count::Column::LocationId.eq(location_id))
        .filter(inventory_count::Column::State.eq(InventoryState::InStock.as_str()))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .map(Fixed5::from_units);
    Ok(SetReorderPoint::Set {
        point: point_from_row(row),
        quantity,
        low: is_low(quantity.unwrap_or(Fixed5::ZERO), reorder_point),
    })
}

/// An alert as stored.
fn alert_from_row(row: inventory_alert::Model) -> Result<Alert, StoreError> {
    let kind = AlertKind::from_stored(&row.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("alert kind {:?}", row.kind)))?;
    Ok(Alert {
        feed_seq: row.feed_seq,
        ordinal: row.ordinal,
        catalog_object_id: row.catalog_object_id,
        location_id: row.location_id,
        kind,
        quantity: Fixed5::from_units(row.quantity_units),
        reorder_point: Fixed5::from_units(row.reorder_point_units),
        change_id: row.change_id,
        occurred_at: row.occurred_at,
        calculated_at: row.calculated_at,
    })
}
