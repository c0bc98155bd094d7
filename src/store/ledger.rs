//! The ledger repository: recording batches of changes atomically with their effects and
//! the counts they move, idempotency, history and count reads, and verification.
//!
//! Concurrency: a batch runs in one write transaction (IMMEDIATE on SQLite). On PostgreSQL
//! the idempotency key row is claimed first (a concurrent claim of the same key waits), then
//! every count the batch touches is created-if-missing and locked `FOR UPDATE` one by one in
//! sorted order, so concurrent writers serialise per count and never deadlock.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, LockType, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::entity::{
    idempotency_key, inventory_change, inventory_count, inventory_count_update, inventory_entry,
    inventory_item, location, merchant_feed,
};
use super::{MerchantId, Page, Store, StoreError, new_id};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{
    ChangeMovement, ChangeReferences, ChangeSource, ChangeType, CountKey, CountState, Effect,
    InventoryState, Money, NewChange, ReferenceFacts, apply_effect, check_references, effects,
};
use crate::domain::location::LocationStatus;

/// A change as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedChange {
    /// Server sequence (breaks ties of occurred_at).
    pub seq: i64,
    /// Per-merchant feed sequence: gap-free, in commit order.
    pub feed_seq: i64,
    /// Opaque id.
    pub id: String,
    /// The change.
    pub change: NewChange,
    /// Server time of recording, µs.
    pub created_at: i64,
    /// Which application made it.
    pub source: ChangeSource,
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

/// One BatchChangeInventory call, validated.
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// The caller's idempotency key.
    pub idempotency_key: String,
    /// Digest of the whole request, to tell a retry from a reuse of the key.
    pub request_digest: String,
    /// The changes, in request order.
    pub changes: Vec<NewChange>,
    /// Skip physical counts equal to the current count.
    pub ignore_unchanged_counts: bool,
    /// Who makes the changes.
    pub source: ChangeSource,
    /// Receipt time, µs (the changes' created_at).
    pub now: i64,
}

/// What a batch did; `T` is what the caller's `encode` built from the applied batch.
#[derive(Clone, Debug)]
pub enum BatchOutcome<T> {
    /// The key was used before for the same request: its stored response.
    Replayed(Vec<u8>),
    /// The batch was applied now: what `encode` built besides the stored bytes.
    Applied(T),
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
    /// Only created strictly after, µs.
    pub updated_after: Option<i64>,
    /// Only created strictly before, µs.
    pub updated_before: Option<i64>,
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

const DELTA: &str = "DELTA";
const SET: &str = "SET";

impl Store {
    /// Applies a batch atomically, or replays the response stored for its idempotency key.
    /// `encode` receives the recorded changes and current counts (in the transaction) and
    /// returns the response bytes kept for replays plus whatever the caller wants back.
    pub async fn apply_batch<T>(
        &self,
        merchant: &MerchantId,
        request: &BatchRequest,
        encode: impl FnOnce(&[RecordedChange], &[CountRecord]) -> (Vec<u8>, T),
    ) -> Result<BatchOutcome<T>, StoreError> {
        let tx = self.begin_write().await?;
        if let Some(stored) = claim_idempotency_key(&tx, merchant, request).await? {
            tx.rollback().await?;
            return Ok(BatchOutcome::Replayed(stored));
        }
        let facts = load_reference_facts(&tx, merchant, &request.changes).await?;
        let violations = check_references(&request.changes, &facts);
        if !violations.0.is_empty() {
            return Err(StoreError::Rejected(violations));
        }

        let planned: Vec<Vec<(CountKey, Effect)>> = request.changes.iter().map(effects).collect();
        let mut keys: Vec<CountKey> = planned.iter().flatten().map(|(k, _)| k.clone()).collect();
        keys.sort();
        keys.dedup();
        let mut counts = lock_counts(&tx, merchant, &keys, request.now).await?;

        // Decide everything in memory first. New changes sort after every stored one with the
        // same occurred_at, so they get provisional sequences above any real one until the
        // bulk insert assigns the real ones.
        let mut recorded: Vec<RecordedChange> = Vec::with_capacity(request.changes.len());
        let mut pending: Vec<PendingEntry> = Vec::new();
        let mut updates: Vec<PendingUpdate> = Vec::new();
        let mut touched: Vec<CountKey> = Vec::new();
        for (index, (change, change_effects)) in request.changes.iter().zip(&planned).enumerate() {
            for (key, _) in change_effects {
                if !touched.contains(key) {
                    touched.push(key.clone());
                }
            }
            if request.ignore_unchanged_counts
                && is_unchanged_count(change, change_effects, &counts)
            {
                continue;
            }
            let position = (
                change.occurred_at,
                PROVISIONAL_SEQ_BASE + recorded.len() as i64,
            );
            for (key, effect) in change_effects {
                let slot = counts.get_mut(key).expect("every touched count is locked");
                let later = match effect {
                    Effect::Set(_) if slot.state.anchor.is_none_or(|a| position >= a) => {
                        let mut later =
                            stored_deltas_after(&tx, merchant, key, change.occurred_at).await?;
                        later.extend(
                            pending
                                .iter()
                                .filter(|p| &p.key == key && p.position > position)
                                .filter_map(|p| match p.effect {
                                    Effect::Delta(d) => Some(d),
                                    Effect::Set(_) => None,
                                }),
                        );
                        later
                    }
                    _ => Vec::new(),
                };
                let current = slot.existed.then_some(slot.state);
                match apply_effect(current, *effect, position, || later) {
                    Ok(Some(next)) => {
                        updates.push(PendingUpdate {
                            change: recorded.len(),
                            key: key.clone(),
                            previous: current.map(|c| c.quantity),
                            quantity: next.quantity,
                        });
                        slot.state = next;
                        slot.existed = true;
                        slot.calculated_at = request.now;
                    }
                    Ok(None) => {}
                    Err(_) => {
                        return Err(StoreError::CountOutOfRange {
                            field: format!(
                                "changes[{index}].{}.quantity",
                                change.movement.change_type().member()
                            ),
                        });
                    }
                }
                pending.push(PendingEntry {
                    key: key.clone(),
                    effect: *effect,
                    position,
                });
            }
            recorded.push(RecordedChange {
                seq: position.1,
                feed_seq: 0,
                id: new_id(),
                change: change.clone(),
                created_at: request.now,
                source: request.source.clone(),
            });
        }

        // Write the changes and their effects in bulk, then trade provisional sequences for
        // the real ones. The feed sequence is claimed last: its lock is held only briefly.
        let first_feed_seq = claim_feed_sequences(&tx, merchant, recorded.len()).await?;
        for (offset, r) in recorded.iter_mut().enumerate() {
            r.feed_seq = first_feed_seq + offset as i64;
        }
        insert_changes(&tx, merchant, &recorded, request).await?;
        let real_seqs = stored_seqs(&tx, &recorded).await?;
        let real = |provisional: i64| -> i64 {
            usize::try_from(provisional - PROVISIONAL_SEQ_BASE)
                .ok()
                .and_then(|i| real_seqs.get(i).copied())
                .unwrap_or(provisional)
        };
        insert_entries(&tx, merchant, &pending, &real).await?;
        for slot in counts.values_mut() {
            if let Some((occurred_at, seq)) = slot.state.anchor {
                slot.state.anchor = Some((occurred_at, real(seq)));
            }
        }
        for r in &mut recorded {
            r.seq = real(r.seq);
        }
        insert_count_updates(&tx, merchant, &updates, &recorded, request.now).await?;

        save_counts(&tx, merchant, &touched, &counts).await?;
        let current: Vec<CountRecord> = touched
            .iter()
            .map(|key| CountRecord {
                key: key.clone(),
                quantity: counts[key].state.quantity,
                calculated_at: counts[key].calculated_at,
            })
            .collect();
        let (response, built) = encode(&recorded, &current);
        idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::Response, Expr::value(response))
            .filter(idempotency_key::Column::MerchantId.eq(&merchant.0))
            .filter(idempotency_key::Column::IdempotencyKey.eq(&request.idempotency_key))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(BatchOutcome::Applied(built))
    }

    /// One page of history in (occurred_at, seq) order, after `after` if given.
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
            select = select.filter(
                Condition::any().add(C::OccurredAt.gt(occurred_at)).add(
                    Condition::all()
                        .add(C::OccurredAt.eq(occurred_at))
                        .add(C::Seq.gt(seq)),
                ),
            );
        }
        let rows = select
            .order_by_asc(C::OccurredAt)
            .order_by_asc(C::Seq)
            .limit(limit + 1)
            .all(self.connection())
            .await?;
        Page::from_overfetch(rows, limit).try_map(change_from_row)
    }

    /// One change by id and type.
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
    pub async fn list_counts(
        &self,
        merchant: &MerchantId,
        query: &CountQuery,
        after: Option<CountPosition>,
        limit: u64,
    ) -> Result<Page<CountRecord>, StoreError> {
        use inventory_count::Column as N;
        let mut select = inventory_count::Entity::find().filter(N::MerchantId.eq(&merchant.0));
        if !query.catalog_object_ids.is_empty() {
            select = select.filter(N::CatalogObjectId.is_in(query.catalog_object_ids.clone()));
        }
        if !query.location_ids.is_empty() {
            select = select.filter(N::LocationId.is_in(query.location_ids.clone()));
        }
        if !query.states.is_empty() {
            select = select.filter(N::State.is_in(query.states.iter().map(|s| s.as_str())));
        }
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

    /// Up to `limit` committed changes after feed sequence `after`, in feed order.
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

    /// Up to `limit` count updates after position `after` (feed sequence, ordinal), in
    /// feed order.
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
        if !query.catalog_object_ids.is_empty() {
            select = select.filter(U::CatalogObjectId.is_in(query.catalog_object_ids.clone()));
        }
        if !query.location_ids.is_empty() {
            select = select.filter(U::LocationId.is_in(query.location_ids.clone()));
        }
        if !query.states.is_empty() {
            select = select.filter(U::State.is_in(query.states.iter().map(|s| s.as_str())));
        }
        let rows = select
            .order_by_asc(U::FeedSeq)
            .order_by_asc(U::Ordinal)
            .limit(limit)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(|row| {
                let change_type = ChangeType::from_stored(&row.change_type).ok_or_else(|| {
                    StoreError::Corrupt(format!("change type {:?}", row.change_type))
                })?;
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
            })
            .collect()
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
        let history = rows
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
            .collect();
        Ok(crate::domain::ledger::fold_count(history))
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

/// A locked count during a batch.
struct CountSlot {
    state: CountState,
    existed: bool,
    calculated_at: i64,
}

/// Claims the key for this request. `Some(response)` if it was used before for the same
/// request; `IdempotencyKeyReused` if for another.
async fn claim_idempotency_key(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    request: &BatchRequest,
) -> Result<Option<Vec<u8>>, StoreError> {
    use idempotency_key::Column as K;
    let row = idempotency_key::ActiveModel {
        merchant_id: Set(merchant.0.clone()),
        idempotency_key: Set(request.idempotency_key.clone()),
        request_digest: Set(request.request_digest.clone()),
        response: Set(None),
        created_at: Set(request.now),
    };
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([K::MerchantId, K::IdempotencyKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let existing =
        idempotency_key::Entity::find_by_id((merchant.0.clone(), request.idempotency_key.clone()))
            .one(tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt("idempotency key vanished".into()))?;
    if existing.request_digest != request.request_digest {
        return Err(StoreError::IdempotencyKeyReused);
    }
    existing
        .response
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt("idempotency key without a response".into()))
}

async fn load_reference_facts(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    changes: &[NewChange],
) -> Result<ReferenceFacts, StoreError> {
    let mut item_ids: Vec<String> = changes
        .iter()
        .map(|c| c.catalog_object_id.clone())
        .collect();
    item_ids.sort();
    item_ids.dedup();
    let mut location_ids: Vec<String> = changes
        .iter()
        .flat_map(|c| {
            c.movement
                .locations()
                .into_iter()
                .map(|(_, l)| l.to_owned())
        })
        .collect();
    location_ids.sort();
    location_ids.dedup();
    let items: Vec<(String, bool)> = inventory_item::Entity::find()
        .select_only()
        .column(inventory_item::Column::Id)
        .column(inventory_item::Column::Tracked)
        .filter(inventory_item::Column::MerchantId.eq(&merchant.0))
        .filter(inventory_item::Column::Id.is_in(item_ids))
        .into_tuple()
        .all(tx)
        .await?;
    let locations: Vec<(String, String)> = location::Entity::find()
        .select_only()
        .column(location::Column::Id)
        .column(location::Column::Status)
        .filter(location::Column::MerchantId.eq(&merchant.0))
        .filter(location::Column::Id.is_in(location_ids))
        .into_tuple()
        .all(tx)
        .await?;
    Ok(ReferenceFacts {
        items: items.into_iter().collect(),
        locations: locations
            .into_iter()
            .map(|(id, status)| {
                (
                    id,
                    LocationStatus::from_stored(&status) == Some(LocationStatus::Active),
                )
            })
            .collect(),
    })
}

/// Creates missing count rows and locks every one, in sorted key order.
async fn lock_counts(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    keys: &[CountKey],
    now: i64,
) -> Result<HashMap<CountKey, CountSlot>, StoreError> {
    use inventory_count::Column as N;
    let mut slots = HashMap::with_capacity(keys.len());
    for key in keys {
        let fresh = inventory_count::ActiveModel {
            merchant_id: Set(merchant.0.clone()),
            catalog_object_id: Set(key.catalog_object_id.clone()),
            location_id: Set(key.location_id.clone()),
            state: Set(key.state.as_str().to_owned()),
            quantity_units: Set(0),
            calculated_at: Set(now),
            anchor_occurred_at: Set(None),
            anchor_seq: Set(None),
        };
        let created = inventory_count::Entity::insert(fresh)
            .on_conflict(
                OnConflict::columns([N::MerchantId, N::CatalogObjectId, N::LocationId, N::State])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(tx)
            .await?
            == 1;
        let row = inventory_count::Entity::find_by_id((
            merchant.0.clone(),
            key.catalog_object_id.clone(),
            key.location_id.clone(),
            key.state.as_str().to_owned(),
        ))
        .lock(LockType::Update)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt("count row vanished".into()))?;
        let anchor = row.anchor_occurred_at.zip(row.anchor_seq);
        slots.insert(
            key.clone(),
            CountSlot {
                state: CountState {
                    quantity: Fixed5::from_units(row.quantity_units),
                    anchor,
                },
                existed: !created,
                calculated_at: row.calculated_at,
            },
        );
    }
    Ok(slots)
}

/// Whether a physical count equals the count it sets (and so is not recorded).
fn is_unchanged_count(
    change: &NewChange,
    change_effects: &[(CountKey, Effect)],
    counts: &HashMap<CountKey, CountSlot>,
) -> bool {
    match (&change.movement, change_effects) {
        (ChangeMovement::PhysicalCount { .. }, [(key, Effect::Set(quantity))]) => {
            let slot = &counts[key];
            slot.existed && slot.state.quantity == *quantity
        }
        _ => false,
    }
}

/// Sequences above every real one, standing in for the sequences of a batch's new changes
/// until they are inserted.
const PROVISIONAL_SEQ_BASE: i64 = i64::MAX / 2;

/// An effect decided in memory, written in bulk once the batch is decided.
struct PendingEntry {
    key: CountKey,
    effect: Effect,
    position: (i64, i64),
}

/// A count moved by a change of the batch, logged for WatchInventoryCounts.
struct PendingUpdate {
    /// Index of the change in the batch's recorded changes.
    change: usize,
    key: CountKey,
    previous: Option<Fixed5>,
    quantity: Fixed5,
}

/// Name of the PostgreSQL notification channel that announces committed changes.
pub const FEED_CHANNEL: &str = "stockledger_feed";

/// Hands out `n` consecutive feed sequences for the merchant and returns the first. The row
/// lock is held until commit, so sequences are gap-free and ordered as commits are, however
/// many replicas write. On PostgreSQL it also queues a notification, delivered on commit.
async fn claim_feed_sequences(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    n: usize,
) -> Result<i64, StoreError> {
    use merchant_feed::Column as F;
    if n == 0 {
        return Ok(0);
    }
    let head = merchant_feed::ActiveModel {
        merchant_id: Set(merchant.0.clone()),
        last_seq: Set(0),
    };
    merchant_feed::Entity::insert(head)
        .on_conflict(OnConflict::column(F::MerchantId).do_nothing().to_owned())
        .exec_without_returning(tx)
        .await?;
    let last = merchant_feed::Entity::find_by_id(merchant.0.clone())
        .lock(LockType::Update)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt("feed head vanished".into()))?
        .last_seq;
    merchant_feed::Entity::update_many()
        .col_expr(F::LastSeq, Expr::value(last + n as i64))
        .filter(F::MerchantId.eq(&merchant.0))
        .exec(tx)
        .await?;
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        tx.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [FEED_CHANNEL.into(), merchant.0.clone().into()],
        ))
        .await?;
    }
    Ok(last + 1)
}

async fn insert_count_updates(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    updates: &[PendingUpdate],
    recorded: &[RecordedChange],
    now: i64,
) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Ok(());
    }
    let mut ordinal = 0;
    let mut previous_change = usize::MAX;
    let rows: Vec<_> = updates
        .iter()
        .map(|u| {
            ordinal = if u.change == previous_change {
                ordinal + 1
            } else {
                0
            };
            previous_change = u.change;
            let change = &recorded[u.change];
            inventory_count_update::ActiveModel {
                merchant_id: Set(merchant.0.clone()),
                feed_seq: Set(change.feed_seq),
                ordinal: Set(ordinal),
                catalog_object_id: Set(u.key.catalog_object_id.clone()),
                location_id: Set(u.key.location_id.clone()),
                state: Set(u.key.state.as_str().to_owned()),
                previous_units: Set(u.previous.map(Fixed5::units)),
                quantity_units: Set(u.quantity.units()),
                calculated_at: Set(now),
                change_id: Set(change.id.clone()),
                change_type: Set(change.change.movement.change_type().as_str().to_owned()),
            }
        })
        .collect();
    inventory_count_update::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// Inserts the batch's changes in one statement.
async fn insert_changes(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    recorded: &[RecordedChange],
    request: &BatchRequest,
) -> Result<(), StoreError> {
    if recorded.is_empty() {
        return Ok(());
    }
    let rows = recorded.iter().map(|r| change_row(merchant, r, request));
    inventory_change::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// The real sequences of the recorded changes, in their order.
async fn stored_seqs(
    tx: &DatabaseTransaction,
    recorded: &[RecordedChange],
) -> Result<Vec<i64>, StoreError> {
    if recorded.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64)> = inventory_change::Entity::find()
        .select_only()
        .column(inventory_change::Column::Id)
        .column(inventory_change::Column::Seq)
        .filter(inventory_change::Column::Id.is_in(recorded.iter().map(|r| r.id.clone())))
        .into_tuple()
        .all(tx)
        .await?;
    let by_id: HashMap<String, i64> = rows.into_iter().collect();
    recorded
        .iter()
        .map(|r| {
            by_id
                .get(&r.id)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("change {} vanished", r.id)))
        })
        .collect()
}

fn change_row(
    merchant: &MerchantId,
    recorded: &RecordedChange,
    request: &BatchRequest,
) -> inventory_change::ActiveModel {
    let change = &recorded.change;
    let (location_id, to_location_id, from_state, to_state) = match &change.movement {
        ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id,
        } => (
            location_id.clone(),
            None,
            Some(from_state.as_str()),
            to_state.as_str(),
        ),
        ChangeMovement::PhysicalCount { state, location_id } => {
            (location_id.clone(), None, None, state.as_str())
        }
        ChangeMovement::Transfer {
            state,
            from_location_id,
            to_location_id,
        } => (
            from_location_id.clone(),
            Some(to_location_id.clone()),
            Some(state.as_str()),
            state.as_str(),
        ),
    };
    let refs = &change.references;
    inventory_change::ActiveModel {
        feed_seq: Set(recorded.feed_seq),
        id: Set(recorded.id.clone()),
        merchant_id: Set(merchant.0.clone()),
        change_type: Set(change.movement.change_type().as_str().to_owned()),
        catalog_object_id: Set(change.catalog_object_id.clone()),
        location_id: Set(location_id),
        to_location_id: Set(to_location_id),
        from_state: Set(from_state.map(str::to_owned)),
        to_state: Set(to_state.to_owned()),
        quantity_units: Set(change.quantity.units()),
        total_price_units: Set(change.total_price.as_ref().map(|m| m.amount.units())),
        total_price_currency: Set(change.total_price.as_ref().map(|m| m.currency.clone())),
        occurred_at: Set(change.occurred_at),
        created_at: Set(request.now),
        source_product: Set(request.source.product.clone()),
        source_application_id: Set(request.source.application_id.clone()),
        source_name: Set(request.source.name.clone()),
        reference_id: Set(refs.reference_id.clone()),
        employee_id: Set(refs.employee_id.clone()),
        team_member_id: Set(refs.team_member_id.clone()),
        transaction_id: Set(refs.transaction_id.clone()),
        refund_id: Set(refs.refund_id.clone()),
        purchase_order_id: Set(refs.purchase_order_id.clone()),
        goods_receipt_id: Set(refs.goods_receipt_id.clone()),
        ..Default::default()
    }
}

/// Inserts the batch's effects in one statement, with real sequences.
async fn insert_entries(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    pending: &[PendingEntry],
    real_seq: &impl Fn(i64) -> i64,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let rows = pending.iter().map(|p| {
        let (kind, quantity) = match p.effect {
            Effect::Delta(q) => (DELTA, q),
            Effect::Set(q) => (SET, q),
        };
        inventory_entry::ActiveModel {
            change_seq: Set(real_seq(p.position.1)),
            merchant_id: Set(merchant.0.clone()),
            catalog_object_id: Set(p.key.catalog_object_id.clone()),
            location_id: Set(p.key.location_id.clone()),
            state: Set(p.key.state.as_str().to_owned()),
            effect: Set(kind.to_owned()),
            quantity_units: Set(quantity.units()),
            occurred_at: Set(p.position.0),
        }
    });
    inventory_entry::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

fn entry_key_filter(merchant: &MerchantId, key: &CountKey) -> Condition {
    use inventory_entry::Column as E;
    Condition::all()
        .add(E::MerchantId.eq(&merchant.0))
        .add(E::CatalogObjectId.eq(&key.catalog_object_id))
        .add(E::LocationId.eq(&key.location_id))
        .add(E::State.eq(key.state.as_str()))
}

/// The stored deltas of a count that occurred strictly after `occurred_at`: every stored
/// change sorts before a new one with the same occurred_at.
async fn stored_deltas_after(
    tx: &impl ConnectionTrait,
    merchant: &MerchantId,
    key: &CountKey,
    occurred_at: i64,
) -> Result<Vec<Fixed5>, StoreError> {
    use inventory_entry::Column as E;
    let units: Vec<i64> = inventory_entry::Entity::find()
        .select_only()
        .column(E::QuantityUnits)
        .filter(entry_key_filter(merchant, key))
        .filter(E::Effect.eq(DELTA))
        .filter(E::OccurredAt.gt(occurred_at))
        .into_tuple()
        .all(tx)
        .await?;
    Ok(units.into_iter().map(Fixed5::from_units).collect())
}

/// Writes every touched count in one statement (the rows exist and are locked).
async fn save_counts(
    tx: &DatabaseTransaction,
    merchant: &MerchantId,
    keys: &[CountKey],
    counts: &HashMap<CountKey, CountSlot>,
) -> Result<(), StoreError> {
    use inventory_count::Column as N;
    if keys.is_empty() {
        return Ok(());
    }
    let rows = keys.iter().map(|key| {
        let slot = &counts[key];
        inventory_count::ActiveModel {
            merchant_id: Set(merchant.0.clone()),
            catalog_object_id: Set(key.catalog_object_id.clone()),
            location_id: Set(key.location_id.clone()),
            state: Set(key.state.as_str().to_owned()),
            quantity_units: Set(slot.state.quantity.units()),
            calculated_at: Set(slot.calculated_at),
            anchor_occurred_at: Set(slot.state.anchor.map(|a| a.0)),
            anchor_seq: Set(slot.state.anchor.map(|a| a.1)),
        }
    });
    inventory_count::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([N::MerchantId, N::CatalogObjectId, N::LocationId, N::State])
                .update_columns([
                    N::QuantityUnits,
                    N::CalculatedAt,
                    N::AnchorOccurredAt,
                    N::AnchorSeq,
                ])
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    Ok(())
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
    if let Some(after) = query.updated_after {
        condition = condition.add(C::CreatedAt.gt(after));
    }
    if let Some(before) = query.updated_before {
        condition = condition.add(C::CreatedAt.lt(before));
    }
    condition
}

fn parse_state(text: &str) -> Result<InventoryState, StoreError> {
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
    Ok(RecordedChange {
        seq: row.seq,
        feed_seq: row.feed_seq,
        id: row.id,
        change: NewChange {
            movement,
            catalog_object_id: row.catalog_object_id,
            quantity: Fixed5::from_units(row.quantity_units),
            occurred_at: row.occurred_at,
            total_price,
            references: ChangeReferences {
                reference_id: row.reference_id,
                employee_id: row.employee_id,
                team_member_id: row.team_member_id,
                transaction_id: row.transaction_id,
                refund_id: row.refund_id,
                purchase_order_id: row.purchase_order_id,
                goods_receipt_id: row.goods_receipt_id,
            },
        },
        created_at: row.created_at,
        source: ChangeSource {
            product: row.source_product,
            application_id: row.source_application_id,
            name: row.source_name,
        },
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
