//! The ledger repository: the records a batch writes (changes, counts, count updates),
//! history and count reads, the feed logs, and verification. Batches are written by
//! [`super::batch`], in groups, through [`super::writer`].

use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::{
    inventory_change, inventory_count, inventory_count_update, inventory_entry, merchant_feed,
};
use super::{MerchantId, Page, Store, StoreError};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{
    ChangeMovement, ChangeReferences, ChangeSource, ChangeType, CountKey, Effect, InventoryState,
    Money, NewChange,
};
use crate::domain::reason::ReasonId;

/// A change as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedChange {
    /// Server sequence (breaks ties of occurred_at).
    pub seq: i64,
    /// Per-merchant feed sequence: gap-free, in commit order.
    pub feed_seq: i64,
    /// Opaque id.
    pub id: String,
    /// The change (shared with the batch that recorded it).
    pub change: Arc<NewChange>,
    /// Server time of recording, µs.
    pub created_at: i64,
    /// Which application made it (shared by the changes of a batch).
    pub source: Arc<ChangeSource>,
}

/// A count that a committed change moved (the WatchInventoryCounts log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountUpdate {
    /// Feed sequence of the change that caused it.
    pub feed_seq: i64,
    /// Position among that change's updates.
    pub ordinal: i32,
    /// Which count.
    pub key: CountKey,
    /// Quantity before; `None` if the count did not exist.
    pub previous: Option<Fixed5>,
    /// Quantity after.
    pub quantity: Fixed5,
    /// Server time of the change, µs.
    pub calculated_at: i64,
    /// Id of the change.
    pub change_id: String,
    /// Type of the change.
    pub change_type: ChangeType,
}

/// A current count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountRecord {
    /// Which count.
    pub key: CountKey,
    /// Its quantity.
    pub quantity: Fixed5,
    /// Server time of the latest change that moved it, µs.
    pub calculated_at: i64,
}

/// Filters of a history query.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeQuery {
    /// Only these items (empty: all).
    pub catalog_object_ids: Vec<String>,
    /// Only at these locations, either end of a transfer (empty: all).
    pub location_ids: Vec<String>,
    /// Only these types (empty: all).
    pub types: Vec<ChangeType>,
    /// Only changes involving these states (empty: all).
    pub states: Vec<InventoryState>,
    /// Only changes carrying one of these reasons (empty: all).
    #[serde(default)]
    pub reasons: Vec<ReasonId>,
    /// Only created strictly after, µs.
    pub updated_after: Option<i64>,
    /// Only created strictly before, µs.
    pub updated_before: Option<i64>,
    /// History newest first: (occurred_at, seq) descending, the exact reverse of the
    /// default order. Read by [`Store::list_changes`] only (the feeds keep feed order).
    pub newest_first: bool,
}

/// Filters of a count query.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CountQuery {
    /// Only these items (empty: all).
    pub catalog_object_ids: Vec<String>,
    /// Only these locations (empty: all).
    pub location_ids: Vec<String>,
    /// Only these states (empty: all).
    pub states: Vec<InventoryState>,
    /// Only calculated strictly after, µs.
    pub updated_after: Option<i64>,
    /// The counts as they stood at this instant by occurred_at, µs (each calculated at it,
    /// listed in key order); `None`: the current counts. See [`super::asof`].
    #[serde(default)]
    pub as_of: Option<i64>,
}

/// Position of a change in history order: (occurred_at, seq).
pub type HistoryKey = (i64, i64);

/// Position of a count in listing order: calculated_at descending, then its key.
pub type CountPosition = (i64, String, String, String);

/// A count whose stored quantity differs from what its history implies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountDifference {
    /// Merchant.
    pub merchant_id: String,
    /// Which count.
    pub key: CountKey,
    /// Stored quantity (`None`: no row).
    pub stored: Option<Fixed5>,
    /// Quantity implied by history (`None`: no history).
    pub expected: Option<Fixed5>,
}

/// How an effect is stored: a delta.
pub(crate) const DELTA: &str = "DELTA";
/// How an effect is stored: a set (physical count).
pub(crate) const SET: &str = "SET";

impl Store {
    /// One page of history in (occurred_at, seq) order — descending when
    /// `query.newest_first` — strictly after `after` in that order, if given.
    #[tracing::instrument(level = "debug", name = "db.list_changes", skip_all)]
    pub async fn list_changes(
        &self,
        merchant: &MerchantId,
        query: &ChangeQuery,
        after: Option<HistoryKey>,
        limit: u64,
    ) -> Result<Page<RecordedChange>, StoreError> {
        use inventory_change::Column as C;
        let mut select = inventory_change::Entity::find()
            .filter(C::MerchantId.eq(&merchant.0))
            .filter(change_filter(query));
        if let Some((occurred_at, seq)) = after {
            // A row-value comparison, which both databases answer with a range scan of the
            // (merchant, occurred_at, seq) index — backwards for newest first: every page
            // costs the same however deep.
            let key = Expr::tuple([Expr::col(C::OccurredAt), Expr::col(C::Seq)]);
            let position = Expr::tuple([Expr::value(occurred_at), Expr::value(seq)]);
            select = select.filter(if query.newest_first {
                key.lt(position)
            } else {
                key.gt(position)
            });
        }
        let order = if query.newest_first {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        let rows = select
            .order_by(C::OccurredAt, order.clone())
            .order_by(C::Seq, order)
            .limit(limit + 1)
            .all(self.connection())
            .await?;
        Page::from_overfetch(rows, limit).try_map(change_from_row)
    }

    /// One change by id and type.
    #[tracing::instrument(level = "debug", name = "db.get_change", skip_all)]
    pub async fn get_change(
        &self,
        merchant: &MerchantId,
        id: &str,
        change_type: ChangeType,
    ) -> Result<RecordedChange, StoreError> {
        let row = inventory_change::Entity::find()
            .filter(inventory_change::Column::MerchantId.eq(&merchant.0))
            .filter(inventory_change::Column::Id.eq(id))
            .filter(inventory_change::Column::ChangeType.eq(change_type.as_str()))
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound)?;
        change_from_row(row)
    }

    /// One page of counts, calculated_at descending then by key, after `after` if given.
    #[tracing::instrument(level = "debug", name = "db.list_counts", skip_all)]
    pub async fn list_counts(
        &self,
        merchant: &MerchantId,
        query: &CountQuery,
        after: Option<CountPosition>,
        limit: u64,
    ) -> Result<Page<CountRecord>, StoreError> {
        if let Some(as_of) = query.as_of {
            return self
                .list_counts_as_of(merchant, query, as_of, after, limit)
                .await;
        }
        use inventory_count::Column as N;
        let mut select = inventory_count::Entity::find()
            .filter(N::MerchantId.eq(&merchant.0))
            .filter(count_filter(
                query,
                N::CatalogObjectId,
                N::LocationId,
                N::State,
            ));
        if let Some(updated_after) = query.updated_after {
            select = select.filter(N::CalculatedAt.gt(updated_after));
        }
        if let Some((calculated_at, item, location, state)) = after {
            let same_time_later_key = Condition::any()
                .add(N::CatalogObjectId.gt(item.clone()))
                .add(
                    Condition::all()
                        .add(N::CatalogObjectId.eq(item.clone()))
                        .add(N::LocationId.gt(location.clone())),
                )
                .add(
                    Condition::all()
                        .add(N::CatalogObjectId.eq(item))
                        .add(N::LocationId.eq(location))
                        .add(N::State.gt(state)),
                );
            select = select.filter(
                Condition::any().add(N::CalculatedAt.lt(calculated_at)).add(
                    Condition::all()
                        .add(N::CalculatedAt.eq(calculated_at))
                        .add(same_time_later_key),
                ),
            );
        }
        let rows = select
            .order_by_desc(N::CalculatedAt)
            .order_by_asc(N::CatalogObjectId)
            .order_by_asc(N::LocationId)
            .order_by_asc(N::State)
            .limit(limit + 1)
            .all(self.connection())
            .await?;
        Page::from_overfetch(rows, limit).try_map(count_from_row)
    }

    /// The merchant's last feed sequence (0 before the first change).
    pub async fn feed_head(&self, merchant: &MerchantId) -> Result<i64, StoreError> {
        Ok(merchant_feed::Entity::find_by_id(merchant.0.clone())
            .one(self.connection())
            .await?
            .map_or(0, |f| f.last_seq))
    }

    /// The last feed sequence of each of `merchants` that has one (each asked once, however
    /// often it is named).
    pub async fn feed_heads<'a>(
        &self,
        merchants: impl IntoIterator<Item = &'a str>,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let merchants: std::collections::BTreeSet<&str> = merchants.into_iter().collect();
        if merchants.is_empty() {
            return Ok(Default::default());
        }
        Ok(merchant_feed::Entity::find()
            .filter(merchant_feed::Column::MerchantId.is_in(merchants))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|f| (f.merchant_id, f.last_seq))
            .collect())
    }

    /// Up to `limit` committed changes after feed sequence `after`, in feed order.
    #[tracing::instrument(level = "debug", name = "db.feed_changes", skip_all)]
    pub async fn feed_changes(
        &self,
        merchant: &MerchantId,
        query: &ChangeQuery,
        after: i64,
        limit: u64,
    ) -> Result<Vec<RecordedChange>, StoreError> {
        use inventory_change::Column as C;
        let rows = inventory_change::Entity::find()
            .filter(C::MerchantId.eq(&merchant.0))
            .filter(C::FeedSeq.gt(after))
            .filter(change_filter(query))
            .order_by_asc(C::FeedSeq)
            .limit(limit)
            .all(self.connection())
            .await?;
        rows.into_iter().map(change_from_row).collect()
    }

    /// Every count update of the changes with feed sequences in `(after, up_to]`, in feed
    /// order (a webhook deliverer's window: [`Store::feed_changes`] bounds it).
    pub async fn count_updates_between(
        &self,
        merchant: &MerchantId,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<CountUpdate>, StoreError> {
        use inventory_count_update::Column as U;
        let rows = inventory_count_update::Entity::find()
            .filter(U::MerchantId.eq(&merchant.0))
            .filter(U::FeedSeq.gt(after))
            .filter(U::FeedSeq.lte(up_to))
            .order_by_asc(U::FeedSeq)
            .order_by_asc(U::Ordinal)
            .all(self.connection())
            .await?;
        rows.into_iter().map(count_update_from_row).collect()
    }

    /// Up to `limit` count updates after position `after` (feed sequence, ordinal), in
    /// feed order.
    #[tracing::instrument(level = "debug", name = "db.feed_count_updates", skip_all)]
    pub async fn feed_count_updates(
        &self,
        merchant: &MerchantId,
        query: &CountQuery,
        after: (i64, i32),
        limit: u64,
    ) -> Result<Vec<CountUpdate>, StoreError> {
        use inventory_count_update::Column as U;
        let mut select = inventory_count_update::Entity::find()
            .filter(U::MerchantId.eq(&merchant.0))
            .filter(
                Condition::any().add(U::FeedSeq.gt(after.0)).add(
                    Condition::all()
                        .add(U::FeedSeq.eq(after.0))
                        .add(U::Ordinal.gt(after.1)),
                ),
            );
        select = select.filter(count_filter(
            query,
            U::CatalogObjectId,
            U::LocationId,
            U::State,
        ));
        let rows = select
            .order_by_asc(U::FeedSeq)
            .order_by_asc(U::Ordinal)
            .limit(limit)
            .all(self.connection())
            .await?;
        rows.into_iter().map(count_update_from_row).collect()
    }

    /// Recomputes every count from its entries and returns each one that differs from the
    /// stored count. Reads one count's history at a time.
    pub async fn verify_counts(&self) -> Result<Vec<CountDifference>, StoreError> {
        let mut differences = Vec::new();
        let mut after: Option<(String, String, String, String)> = None;
        loop {
            use inventory_count::Column as N;
            let mut select = inventory_count::Entity::find();
            if let Some((m, i, l, s)) = after.clone() {
                select = select.filter(
                    Expr::tuple([
                        Expr::col(N::MerchantId),
                        Expr::col(N::CatalogObjectId),
                        Expr::col(N::LocationId),
                        Expr::col(N::State),
                    ])
                    .gt(Expr::tuple([
                        Expr::value(m),
                        Expr::value(i),
                        Expr::value(l),
                        Expr::value(s),
                    ])),
                );
            }
            let rows = select
                .order_by_asc(N::MerchantId)
                .order_by_asc(N::CatalogObjectId)
                .order_by_asc(N::LocationId)
                .order_by_asc(N::State)
                .limit(500)
                .all(self.connection())
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some((
                last.merchant_id.clone(),
                last.catalog_object_id.clone(),
                last.location_id.clone(),
                last.state.clone(),
            ));
            for row in rows {
                let merchant = MerchantId(row.merchant_id.clone());
                let record = count_from_row(row)?;
                let expected = self.fold_history(&merchant, &record.key).await?;
                if expected != Some(record.quantity) {
                    differences.push(CountDifference {
                        merchant_id: merchant.0,
                        key: record.key,
                        stored: Some(record.quantity),
                        expected,
                    });
                }
            }
        }
        differences.extend(self.entries_without_counts().await?);
        Ok(differences)
    }

    /// The quantity a count's entries imply, by the reference fold.
    async fn fold_history(
        &self,
        merchant: &MerchantId,
        key: &CountKey,
    ) -> Result<Option<Fixed5>, StoreError> {
        let history = self.history_of(merchant, key).await?;
        Ok(crate::domain::ledger::fold_count(history))
    }

    /// A count's entries, in no particular order.
    pub(super) async fn history_of(
        &self,
        merchant: &MerchantId,
        key: &CountKey,
    ) -> Result<Vec<(crate::domain::ledger::Position, Effect)>, StoreError> {
        use inventory_entry::Column as E;
        let rows: Vec<(i64, i64, String, i64)> = inventory_entry::Entity::find()
            .select_only()
            .column(E::OccurredAt)
            .column(E::ChangeSeq)
            .column(E::Effect)
            .column(E::QuantityUnits)
            .filter(entry_key_filter(merchant, key))
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(at, seq, effect, units)| {
                let quantity = Fixed5::from_units(units);
                let effect = if effect == SET {
                    Effect::Set(quantity)
                } else {
                    Effect::Delta(quantity)
                };
                ((at, seq), effect)
            })
            .collect())
    }

    /// Counts that have entries but no stored row.
    async fn entries_without_counts(&self) -> Result<Vec<CountDifference>, StoreError> {
        use inventory_entry::Column as E;
        let keys: Vec<(String, String, String, String)> = inventory_entry::Entity::find()
            .select_only()
            .column(E::MerchantId)
            .column(E::CatalogObjectId)
            .column(E::LocationId)
            .column(E::State)
            .distinct()
            .into_tuple()
            .all(self.connection())
            .await?;
        let mut missing = Vec::new();
        for (merchant_id, item, location, state) in keys {
            let exists = inventory_count::Entity::find_by_id((
                merchant_id.clone(),
                item.clone(),
                location.clone(),
                state.clone(),
            ))
            .one(self.connection())
            .await?
            .is_some();
            if !exists {
                let state = InventoryState::from_stored(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?;
                let key = CountKey {
                    catalog_object_id: item,
                    location_id: location,
                    state,
                };
                let expected = self
                    .fold_history(&MerchantId(merchant_id.clone()), &key)
                    .await?;
                missing.push(CountDifference {
                    merchant_id,
                    key,
                    stored: None,
                    expected,
                });
            }
        }
        Ok(missing)
    }
}

/// A count update as stored.
fn count_update_from_row(row: inventory_count_update::Model) -> Result<CountUpdate, StoreError> {
    let change_type = ChangeType::from_stored(&row.change_type)
        .ok_or_else(|| StoreError::Corrupt(format!("change type {:?}", row.change_type)))?;
    Ok(CountUpdate {
        feed_seq: row.feed_seq,
        ordinal: row.ordinal,
        key: CountKey {
            catalog_object_id: row.catalog_object_id,
            location_id: row.location_id,
            state: parse_state(&row.state)?,
        },
        previous: row.previous_units.map(Fixed5::from_units),
        quantity: Fixed5::from_units(row.quantity_units),
        calculated_at: row.calculated_at,
        change_id: row.change_id,
        change_type,
    })
}

/// Name of the PostgreSQL notification channel that announces committed changes.
pub const FEED_CHANNEL: &str = "stockledger_feed";

fn entry_key_filter(merchant: &MerchantId, key: &CountKey) -> Condition {
    use inventory_entry::Column as E;
    Condition::all()
        .add(E::MerchantId.eq(&merchant.0))
        .add(E::CatalogObjectId.eq(&key.catalog_object_id))
        .add(E::LocationId.eq(&key.location_id))
        .add(E::State.eq(key.state.as_str()))
}

/// The item, location and state filters of a count query, on the columns of a table that
/// has them (current counts, the count-update log).
fn count_filter<C: ColumnTrait>(query: &CountQuery, item: C, location: C, state: C) -> Condition {
    let mut condition = Condition::all();
    if !query.catalog_object_ids.is_empty() {
        condition = condition.add(item.is_in(query.catalog_object_ids.clone()));
    }
    if !query.location_ids.is_empty() {
        condition = condition.add(location.is_in(query.location_ids.clone()));
    }
    if !query.states.is_empty() {
        condition = condition.add(state.is_in(query.states.iter().map(|s| s.as_str())));
    }
    condition
}

fn change_filter(query: &ChangeQuery) -> Condition {
    use inventory_change::Column as C;
    let mut condition = Condition::all();
    if !query.catalog_object_ids.is_empty() {
        condition = condition.add(C::CatalogObjectId.is_in(query.catalog_object_ids.clone()));
    }
    if !query.location_ids.is_empty() {
        condition = condition.add(
            Condition::any()
                .add(C::LocationId.is_in(query.location_ids.clone()))
                .add(C::ToLocationId.is_in(query.location_ids.clone())),
        );
    }
    if !query.types.is_empty() {
        condition = condition.add(C::ChangeType.is_in(query.types.iter().map(|t| t.as_str())));
    }
    if !query.states.is_empty() {
        let states: Vec<&str> = query.states.iter().map(|s| s.as_str()).collect();
        condition = condition.add(
            Condition::any()
                .add(C::FromState.is_in(states.clone()))
                .add(C::ToState.is_in(states)),
        );
    }
    if !query.reasons.is_empty() {
        condition = condition.add(C::Reason.is_in(query.reasons.iter().map(ReasonId::stored)));
    }
    if let Some(after) = query.updated_after {
        condition = condition.add(C::CreatedAt.gt(after));
    }
    if let Some(before) = query.updated_before {
        condition = condition.add(C::CreatedAt.lt(before));
    }
    condition
}

/// A stored state name; anything else is a corrupt row.
pub(super) fn parse_state(text: &str) -> Result<InventoryState, StoreError> {
    InventoryState::from_stored(text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown state {text:?}")))
}

fn change_from_row(row: inventory_change::Model) -> Result<RecordedChange, StoreError> {
    let change_type = ChangeType::from_stored(&row.change_type)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown change type {:?}", row.change_type)))?;
    let movement = match change_type {
        ChangeType::Adjustment => ChangeMovement::Adjustment {
            from_state: parse_state(row.from_state.as_deref().unwrap_or_default())?,
            to_state: parse_state(&row.to_state)?,
            location_id: row.location_id,
        },
        ChangeType::PhysicalCount => ChangeMovement::PhysicalCount {
            state: parse_state(&row.to_state)?,
            location_id: row.location_id,
        },
        ChangeType::Transfer => ChangeMovement::Transfer {
            state: parse_state(&row.to_state)?,
            from_location_id: row.location_id,
            to_location_id: row.to_location_id.unwrap_or_default(),
        },
    };
    let total_price =
        row.total_price_units
            .zip(row.total_price_currency)
            .map(|(units, currency)| Money {
                amount: Fixed5::from_units(units),
                currency,
            });
    let cost = row
        .cost_units
        .zip(row.cost_currency)
        .map(|(units, currency)| Money {
            amount: Fixed5::from_units(units),
            currency,
        });
    let reason = match row.reason.as_str() {
        "" => None,
        stored => Some(
            ReasonId::from_stored(stored)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown reason {stored:?}")))?,
        ),
    };
    Ok(RecordedChange {
        seq: row.seq,
        feed_seq: row.feed_seq,
        id: row.id,
        change: Arc::new(NewChange {
            movement,
            catalog_object_id: row.catalog_object_id,
            quantity: Fixed5::from_units(row.quantity_units),
            occurred_at: row.occurred_at,
            total_price,
            cost,
            reason,
            references: ChangeReferences {
                reference_id: row.reference_id,
                employee_id: row.employee_id,
                team_member_id: row.team_member_id,
                transaction_id: row.transaction_id,
                refund_id: row.refund_id,
                purchase_order_id: row.purchase_order_id,
                goods_receipt_id: row.goods_receipt_id,
                reservation_id: row.reservation_id,
                vendor_id: row.vendor_id,
            },
        }),
        created_at: row.created_at,
        source: Arc::new(ChangeSource {
            product: row.source_product,
            application_id: row.source_application_id,
            name: row.source_name,
        }),
    })
}

fn count_from_row(row: inventory_count::Model) -> Result<CountRecord, StoreError> {
    Ok(CountRecord {
        key: CountKey {
            catalog_object_id: row.catalog_object_id,
            location_id: row.location_id,
            state: parse_state(&row.state)?,
        },
        quantity: Fixed5::from_units(row.quantity_units),
        calculated_at: row.calculated_at,
    })
}
