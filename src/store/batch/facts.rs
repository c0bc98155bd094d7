//! The facts a group is decided on, read with a constant number of statements: what
//! `domain::decide::screen` needs (stored idempotency keys, kept change ids, items and
//! locations), then, for the open batches, their counts under lock, new server sequences
//! and the stored deltas a late physical count replays.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryResult, QuerySelect, Statement,
};

use super::rows::unpack_answer;
use super::sql::run_values;
use crate::domain::alert::ReorderPoints;
use crate::domain::decide::{GroupFacts, GroupKey, ReferenceFacts, StoredKey, Wanted};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{CountKey, CountState};
use crate::domain::location::LocationStatus;
use crate::domain::plan::{CountFact, StoredDelta};
use crate::store::StoreError;
use crate::store::entity::{inventory_adjustment_reason, inventory_item, location};
use crate::store::ledger::parse_state;

/// The facts `decide::screen` needs, read with one statement each (per bind limit).
#[tracing::instrument(level = "debug", name = "db.read_group_facts", skip_all)]
pub(super) async fn read_group_facts(
    tx: &DatabaseTransaction,
    wanted: &Wanted<'_>,
) -> Result<GroupFacts, StoreError> {
    // Reservations first: every group takes their locks before the counts'.
    let reservations = lock_reservations(tx, &wanted.reservations).await?;
    Ok(GroupFacts {
        reservations,
        keys: stored_idempotency_keys(tx, &wanted.keys).await?,
        change_ids: stored_change_ids(tx, &wanted.change_ids).await?,
        references: reference_facts(tx, wanted).await?,
    })
}

/// The stored idempotency keys among `keys`: (merchant, key) → stored.
async fn stored_idempotency_keys(
    tx: &DatabaseTransaction,
    keys: &BTreeSet<(&str, &str)>,
) -> Result<HashMap<(String, String), StoredKey>, StoreError> {
    let rows = keys
        .iter()
        .map(|(m, k)| vec![(*m).into(), (*k).into()])
        .collect();
    let (_, found) = run_values(
        tx,
        // A join with the list, not `IN (VALUES …)`: SQLite answers a multi-row IN list of
        // row values with a scan of the whole table.
        "WITH wanted (m, k) AS (",
        ") SELECT i.merchant_id, i.idempotency_key, i.request_digest, i.response \
         FROM wanted JOIN idempotency_keys i ON i.merchant_id = wanted.m \
         AND i.idempotency_key = wanted.k",
        2,
        rows,
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| {
            let merchant: String = row.try_get_by_index(0)?;
            let key: String = row.try_get_by_index(1)?;
            let request_digest: String = row.try_get_by_index(2)?;
            let response: Option<Vec<u8>> = row.try_get_by_index(3)?;
            let response = response
                .ok_or_else(|| StoreError::Corrupt("idempotency key without a response".into()))?;
            let stored = StoredKey {
                request_digest,
                answer: unpack_answer(response)?,
            };
            Ok(((merchant, key), stored))
        })
        .collect()
}

/// The reservations the group's steps name, locked in id order (PostgreSQL: `FOR UPDATE`,
/// so that a step racing another step of the same reservation on another replica waits
/// for it and then sees its version; SQLite: the IMMEDIATE transaction excludes every other
/// writer already): id → (merchant, version).
async fn lock_reservations(
    tx: &DatabaseTransaction,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, (String, i64)>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let lock = match tx.get_database_backend() {
        DatabaseBackend::Postgres => " FOR UPDATE OF r",
        _ => "",
    };
    let (_, found) = run_values(
        tx,
        "WITH wanted (id) AS (",
        &format!(
            ") SELECT r.id, r.merchant_id, r.version FROM wanted \
             JOIN reservations r ON r.id = wanted.id ORDER BY r.id{lock}"
        ),
        1,
        ids.iter().map(|id| vec![(*id).into()]).collect(),
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| {
            let id: String = row.try_get_by_index(0)?;
            Ok((id, (row.try_get_by_index(1)?, row.try_get_by_index(2)?)))
        })
        .collect()
}

/// Which of `ids` are recorded changes: id → its merchant.
async fn stored_change_ids(
    tx: &DatabaseTransaction,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (_, found) = run_values(
        tx,
        "WITH wanted (id) AS (",
        ") SELECT c.id, c.merchant_id FROM wanted JOIN inventory_changes c ON c.id = wanted.id",
        1,
        ids.iter().map(|id| vec![(*id).into()]).collect(),
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// Which of the items, locations and custom reasons named exist, for which merchant,
/// tracked, active, deleted: merchant → facts.
async fn reference_facts(
    tx: &DatabaseTransaction,
    wanted: &Wanted<'_>,
) -> Result<HashMap<String, ReferenceFacts>, StoreError> {
    let (item_ids, location_ids) = (&wanted.items, &wanted.locations);
    let mut facts: HashMap<String, ReferenceFacts> = HashMap::new();
    if item_ids.is_empty() {
        return Ok(facts);
    }
    let items: Vec<(String, String, bool)> = inventory_item::Entity::find()
        .select_only()
        .column(inventory_item::Column::MerchantId)
        .column(inventory_item::Column::Id)
        .column(inventory_item::Column::Tracked)
        .filter(inventory_item::Column::Id.is_in(item_ids.iter().copied()))
        .into_tuple()
        .all(tx)
        .await?;
    let locations: Vec<(String, String, String, bool)> = location::Entity::find()
        .select_only()
        .column(location::Column::MerchantId)
        .column(location::Column::Id)
        .column(location::Column::Status)
        .column(location::Column::ForbidNegativeCounts)
        .filter(location::Column::Id.is_in(location_ids.iter().copied()))
        .into_tuple()
        .all(tx)
        .await?;
    for (merchant, id, tracked) in items {
        facts.entry(merchant).or_default().items.insert(id, tracked);
    }
    for (merchant, id, status, forbid_negative_counts) in locations {
        let active = LocationStatus::from_stored(&status) == Some(LocationStatus::Active);
        let facts = facts.entry(merchant).or_default();
        if forbid_negative_counts {
            facts.forbidding_negative_counts.insert(id.clone());
        }
        facts.locations.insert(id, active);
    }
    if !wanted.custom_reasons.is_empty() {
        let reasons: Vec<(String, String, bool)> = inventory_adjustment_reason::Entity::find()
            .select_only()
            .column(inventory_adjustment_reason::Column::MerchantId)
            .column(inventory_adjustment_reason::Column::Id)
            .column(inventory_adjustment_reason::Column::IsDeleted)
            .filter(
                inventory_adjustment_reason::Column::Id
                    .is_in(wanted.custom_reasons.iter().copied()),
            )
            .into_tuple()
            .all(tx)
            .await?;
        for (merchant, id, deleted) in reasons {
            let facts = facts.entry(merchant).or_default();
            facts.custom_reasons.insert(id, deleted);
        }
    }
    Ok(facts)
}

/// The group's counts, read under lock.
pub(super) struct LockedCounts {
    /// Every count of the group with its merchant; absent counts have no state.
    pub(super) facts: Vec<(String, CountFact)>,
    /// Rows created only to be locked (PostgreSQL): deleted again unless a batch moved them.
    pub(super) created: BTreeSet<GroupKey>,
}

/// Reads every count of the group under lock, in key order. PostgreSQL: one upsert creates
/// the missing rows (so that a concurrent first change of the same count waits) and locks
/// them all in the order given. SQLite: the IMMEDIATE transaction already excludes every
/// other writer, so a plain read suffices.
#[tracing::instrument(level = "debug", name = "db.lock_counts", skip_all)]
pub(super) async fn lock_counts(
    tx: &DatabaseTransaction,
    keys: &BTreeSet<GroupKey>,
) -> Result<LockedCounts, StoreError> {
    let postgres = tx.get_database_backend() == DatabaseBackend::Postgres;
    const COLUMNS: &str = "merchant_id, catalog_object_id, location_id, state, quantity_units, \
                           calculated_at, anchor_occurred_at, anchor_seq";
    const COUNT_COLUMNS: &str = "c.merchant_id, c.catalog_object_id, c.location_id, c.state, \
                                 c.quantity_units, c.calculated_at, c.anchor_occurred_at, \
                                 c.anchor_seq";
    let (_, rows) = if postgres {
        // The ordinal keeps the rows, and so the locks, in the group's key order.
        let rows = keys
            .iter()
            .enumerate()
            .map(|(n, key)| {
                let mut values = group_key_values(key);
                values.push((n as i64).into());
                values
            })
            .collect();
        run_values(
            tx,
            "INSERT INTO inventory_counts (merchant_id, catalog_object_id, location_id, state, \
             quantity_units, calculated_at) SELECT m, i, l, s, 0, 0 FROM (",
            &format!(
                ") AS v(m, i, l, s, n) ORDER BY n \
                 ON CONFLICT (merchant_id, catalog_object_id, location_id, state) \
                 DO UPDATE SET quantity_units = inventory_counts.quantity_units \
                 RETURNING {COLUMNS}, (xmax = 0) AS created"
            ),
            5,
            rows,
            true,
        )
        .await?
    } else {
        run_values(
            tx,
            "WITH wanted (m, i, l, s) AS (",
            &format!(
                ") SELECT {COUNT_COLUMNS}, 0 AS created FROM wanted JOIN inventory_counts c \
                 ON c.merchant_id = wanted.m AND c.catalog_object_id = wanted.i \
                 AND c.location_id = wanted.l AND c.state = wanted.s"
            ),
            4,
            keys.iter().map(group_key_values).collect(),
            true,
        )
        .await?
    };
    let mut found: HashMap<GroupKey, (Option<CountState>, i64)> = HashMap::new();
    let mut created = BTreeSet::new();
    for row in rows {
        let (merchant, key) = group_key_of(&row)?;
        let quantity: i64 = row.try_get_by_index(4)?;
        let calculated_at: i64 = row.try_get_by_index(5)?;
        let anchor_at: Option<i64> = row.try_get_by_index(6)?;
        let anchor_seq: Option<i64> = row.try_get_by_index(7)?;
        let is_new: bool = row.try_get_by_index(8)?;
        let state = (!is_new).then_some(CountState {
            quantity: Fixed5::from_units(quantity),
            anchor: anchor_at.zip(anchor_seq),
        });
        if is_new {
            created.insert((merchant.clone(), key.clone()));
        }
        found.insert((merchant, key), (state, calculated_at));
    }
    let facts = keys
        .iter()
        .map(|(merchant, key)| {
            let (state, calculated_at) = found
                .remove(&(merchant.clone(), key.clone()))
                .unwrap_or((None, 0));
            let fact = CountFact {
                key: key.clone(),
                state,
                calculated_at,
            };
            (merchant.clone(), fact)
        })
        .collect();
    Ok(LockedCounts { facts, created })
}

/// `n` new server sequences, increasing, above every stored change of the counts the
/// transaction has locked.
#[tracing::instrument(level = "debug", name = "db.reserve_seqs", skip_all)]
pub(super) async fn reserve_seqs(
    tx: &DatabaseTransaction,
    n: usize,
) -> Result<Vec<i64>, StoreError> {
    let backend = tx.get_database_backend();
    if n == 0 {
        return Ok(Vec::new());
    }
    if backend == DatabaseBackend::Postgres {
        let rows = tx
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval(pg_get_serial_sequence('inventory_changes', 'seq')) \
                 FROM generate_series(1, $1) ORDER BY 1",
                [(n as i64).into()],
            ))
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get_by_index::<i64>(0)?))
            .collect()
    } else {
        let row = tx
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COALESCE(MAX(seq), 0) FROM inventory_changes",
            ))
            .await?
            .ok_or_else(|| StoreError::Corrupt("no maximum sequence".into()))?;
        let last: i64 = row.try_get_by_index(0)?;
        Ok((1..=n as i64).map(|k| last + k).collect())
    }
}

/// The stored deltas of each count positioned at or after the given occurred_at (the
/// earliest physical count of the group on that count).
#[tracing::instrument(level = "debug", name = "db.stored_deltas_after", skip_all)]
pub(super) async fn stored_deltas_after(
    tx: &DatabaseTransaction,
    earliest: &BTreeMap<GroupKey, i64>,
) -> Result<Vec<(String, StoredDelta)>, StoreError> {
    let rows = earliest
        .iter()
        .map(|(key, at)| {
            let mut values = group_key_values(key);
            values.push((*at).into());
            values
        })
        .collect();
    let (_, found) = run_values(
        tx,
        "WITH wanted (m, i, l, s, at) AS (",
        ") SELECT e.merchant_id, e.catalog_object_id, e.location_id, e.state, e.occurred_at, \
         e.change_seq, e.quantity_units FROM wanted JOIN inventory_entries e \
         ON e.merchant_id = wanted.m AND e.catalog_object_id = wanted.i \
         AND e.location_id = wanted.l AND e.state = wanted.s AND e.occurred_at >= wanted.at \
         WHERE e.effect = 'DELTA'",
        5,
        rows,
        true,
    )
    .await?;
    found
        .into_iter()
        .map(|row| {
            let (merchant, key) = group_key_of(&row)?;
            let delta = StoredDelta {
                key,
                position: (row.try_get_by_index(4)?, row.try_get_by_index(5)?),
                delta: Fixed5::from_units(row.try_get_by_index(6)?),
            };
            Ok((merchant, delta))
        })
        .collect()
}

/// The reorder points of `wanted` (merchant, item, location) that are set, in one
/// statement (per bind limit): merchant → points. Read after the counts are locked, in the
/// group's transaction, so the alerts are decided on the points as they stand when the
/// changes commit.
#[tracing::instrument(level = "debug", name = "db.reorder_points", skip_all)]
pub(super) async fn reorder_points(
    tx: &DatabaseTransaction,
    wanted: &BTreeSet<(&str, &str, &str)>,
) -> Result<HashMap<String, ReorderPoints>, StoreError> {
    let rows = wanted
        .iter()
        .map(|(m, i, l)| vec![(*m).into(), (*i).into(), (*l).into()])
        .collect();
    let (_, found) = run_values(
        tx,
        "WITH wanted (m, i, l) AS (",
        ") SELECT p.merchant_id, p.catalog_object_id, p.location_id, p.reorder_point_units          FROM wanted JOIN inventory_reorder_points p ON p.merchant_id = wanted.m          AND p.catalog_object_id = wanted.i AND p.location_id = wanted.l",
        3,
        rows,
        true,
    )
    .await?;
    let mut points: HashMap<String, ReorderPoints> = HashMap::new();
    for row in found {
        let merchant: String = row.try_get_by_index(0)?;
        let at = (row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let point = Fixed5::from_units(row.try_get_by_index(3)?);
        points.entry(merchant).or_default().insert(at, point);
    }
    Ok(points)
}

/// The count a row names in its first four columns: merchant, item, location, state.
fn group_key_of(row: &QueryResult) -> Result<GroupKey, StoreError> {
    let state: String = row.try_get_by_index(3)?;
    let key = CountKey {
        catalog_object_id: row.try_get_by_index(1)?,
        location_id: row.try_get_by_index(2)?,
        state: parse_state(&state)?,
    };
    Ok((row.try_get_by_index(0)?, key))
}

/// A count of the group as bind values: merchant, item, location, state.
pub(super) fn group_key_values((merchant, key): &GroupKey) -> Vec<Value> {
    vec![
        merchant.clone().into(),
        key.catalog_object_id.clone().into(),
        key.location_id.clone().into(),
        key.state.as_str().into(),
    ]
}
