//! Counts as of a moment (docs/ledger.md, "Counts as of a moment"): the reads. A count as
//! of a position starts from the later of its latest physical count (one seek of the
//! partial index `inventory_entries_set_idx`) and its latest checkpoint
//! (`inventory_checkpoints`) at or before it, then adds the deltas between that start and
//! the position: with a checkpoint every [`CHECKPOINT_EVERY`] entries, at most that many
//! rows per count (more only where changes recorded late landed). Each step is one
//! set-based statement for any number of counts; the write path
//! (`store::batch::checkpoints`) uses the same fold to place its checkpoints.
//!
//! [`CHECKPOINT_EVERY`]: crate::domain::asof::CHECKPOINT_EVERY

use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, QueryResult, Statement};

use super::batch::sql::tuples;
use super::binds::Binds;
use super::ledger::{CountPosition, CountQuery, CountRecord, SET, parse_state};
use super::{MerchantId, Page, Store, StoreError};
use crate::domain::asof::{Anchor, Checkpoint, position_at, quantity_from, start_of};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{CountKey, Effect, Position};

/// Most counts folded by one statement (7 bind values each, under every bind limit).
const FOLDS_PER_STATEMENT: usize = 2_000;

/// A count folded up to a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Folded {
    /// The count there; `None` when no entry is that old.
    pub quantity: Option<Fixed5>,
    /// Position of the latest physical count at or before the position, if any.
    pub base: Option<Position>,
    /// Rows read: the start (Set or checkpoint), if any, and the deltas after it.
    pub rows_read: u64,
}

/// A checkpoint whose stored fold differs from its count's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointDifference {
    /// Merchant.
    pub merchant_id: String,
    /// Which count.
    pub key: CountKey,
    /// Stored.
    pub stored: Checkpoint,
    /// Implied by the history (quantity `None`: no entry at or before it).
    pub expected: Option<Checkpoint>,
}

/// The same count as a row of `w` (m, i, l, s).
const SAME_COUNT: &str = "x.merchant_id = w.m AND x.catalog_object_id = w.i \
                          AND x.location_id = w.l AND x.state = w.s";

/// Folds each `(merchant, count, position)` up to and including its position: one
/// statement finds every start, one sums every run of deltas (per [`FOLDS_PER_STATEMENT`]).
pub async fn fold_at<C: ConnectionTrait>(
    conn: &C,
    wanted: &[(String, CountKey, Position)],
) -> Result<Vec<Folded>, StoreError> {
    let mut folded = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(FOLDS_PER_STATEMENT) {
        folded.extend(fold_chunk(conn, chunk).await?);
    }
    Ok(folded)
}

async fn fold_chunk<C: ConnectionTrait>(
    conn: &C,
    wanted: &[(String, CountKey, Position)],
) -> Result<Vec<Folded>, StoreError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let rows = |extra: &dyn Fn(usize) -> Vec<Value>| -> Vec<Value> {
        wanted
            .iter()
            .enumerate()
            .flat_map(|(n, (merchant, key, _))| {
                let mut row: Vec<Value> = vec![
                    (n as i64).into(),
                    merchant.clone().into(),
                    key.catalog_object_id.clone().into(),
                    key.location_id.clone().into(),
                    key.state.as_str().into(),
                ];
                row.extend(extra(n));
                row
            })
            .collect()
    };
    // The latest Set and the latest checkpoint at or before each position.
    let latest = |table: &str, column: &str, set: &str| {
        format!(
            "(SELECT x.{column} FROM {table} x WHERE {SAME_COUNT}{set} \
             AND (x.occurred_at, x.change_seq) <= (w.at, w.seq) \
             ORDER BY x.occurred_at DESC, x.change_seq DESC LIMIT 1)"
        )
    };
    let set_only = format!(" AND x.effect = '{SET}'");
    let sql = format!(
        "WITH w (n, m, i, l, s, at, seq) AS (VALUES {values}) \
         SELECT w.n, e.occurred_at, e.change_seq, e.quantity_units, \
         c.occurred_at, c.change_seq, c.quantity_units \
         FROM w \
         LEFT JOIN inventory_entries e ON e.merchant_id = w.m AND e.catalog_object_id = w.i \
         AND e.location_id = w.l AND e.state = w.s AND e.effect = '{SET}' \
         AND e.occurred_at = {set_at} AND e.change_seq = {set_seq} \
         LEFT JOIN inventory_checkpoints c ON c.merchant_id = w.m \
         AND c.catalog_object_id = w.i AND c.location_id = w.l AND c.state = w.s \
         AND c.occurred_at = {cp_at} AND c.change_seq = {cp_seq}",
        values = tuples(backend, wanted.len(), 7),
        set_at = latest("inventory_entries", "occurred_at", &set_only),
        set_seq = latest("inventory_entries", "change_seq", &set_only),
        cp_at = latest("inventory_checkpoints", "occurred_at", ""),
        cp_seq = latest("inventory_checkpoints", "change_seq", ""),
    );
    let values = rows(&|n| {
        let (at, seq) = wanted[n].2;
        vec![at.into(), seq.into()]
    });
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut starts: Vec<(Option<Anchor>, Option<Position>)> = vec![(None, None); wanted.len()];
    for row in found {
        let n = ordinal(&row, wanted.len())?;
        let set = anchor(&row, 1)?;
        let checkpoint = anchor(&row, 4)?;
        starts[n] = (start_of(set, checkpoint), set.map(|s| s.position));
    }
    // The deltas after each start, up to the position.
    let sql = format!(
        "WITH w (n, m, i, l, s, fat, fseq, tat, tseq) AS (VALUES {values}) \
         SELECT w.n, CAST(SUM(x.quantity_units) AS BIGINT), COUNT(*) \
         FROM w JOIN inventory_entries x ON {SAME_COUNT} AND x.effect = 'DELTA' \
         AND (x.occurred_at, x.change_seq) > (w.fat, w.fseq) \
         AND (x.occurred_at, x.change_seq) <= (w.tat, w.tseq) \
         GROUP BY w.n",
        values = tuples(backend, wanted.len(), 9),
    );
    let values = rows(&|n| {
        let (from_at, from_seq) = starts[n]
            .0
            .map_or((i64::MIN, i64::MIN), |start| start.position);
        let (at, seq) = wanted[n].2;
        vec![from_at.into(), from_seq.into(), at.into(), seq.into()]
    });
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut sums = vec![(Fixed5::ZERO, 0u64); wanted.len()];
    for row in found {
        let n = ordinal(&row, wanted.len())?;
        let sum: i64 = row.try_get_by_index(1)?;
        let count: i64 = row.try_get_by_index(2)?;
        sums[n] = (Fixed5::from_units(sum), count as u64);
    }
    starts
        .into_iter()
        .zip(sums)
        .map(|((start, base), (sum, deltas))| {
            let quantity = quantity_from(start, sum, deltas);
            if quantity.is_none() && (start.is_some() || deltas > 0) {
                return Err(StoreError::Corrupt(
                    "a count as of a moment overflows".into(),
                ));
            }
            Ok(Folded {
                quantity,
                base,
                rows_read: u64::from(start.is_some()) + deltas,
            })
        })
        .collect()
}

fn ordinal(row: &QueryResult, len: usize) -> Result<usize, StoreError> {
    let n: i64 = row.try_get_by_index(0)?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n < len)
        .ok_or_else(|| StoreError::Corrupt("fold ordinal out of range".into()))
}

/// (occurred_at, seq, quantity) at columns `first..first + 3`, all null for none.
fn anchor(row: &QueryResult, first: usize) -> Result<Option<Anchor>, StoreError> {
    let at: Option<i64> = row.try_get_by_index(first)?;
    let seq: Option<i64> = row.try_get_by_index(first + 1)?;
    let units: Option<i64> = row.try_get_by_index(first + 2)?;
    Ok(match (at, seq, units) {
        (Some(at), Some(seq), Some(units)) => Some(Anchor {
            position: (at, seq),
            quantity: Fixed5::from_units(units),
        }),
        _ => None,
    })
}

impl Store {
    /// One page of counts as of `as_of` (µs): in key order (every count is calculated at
    /// `as_of`), after `after`'s key if given; counts without an entry at or before
    /// `as_of` left out.
    pub(super) async fn list_counts_as_of(
        &self,
        merchant: &MerchantId,
        query: &CountQuery,
        as_of: i64,
        after: Option<CountPosition>,
        limit: u64,
    ) -> Result<Page<CountRecord>, StoreError> {
        if query.updated_after.is_some_and(|after| as_of <= after) {
            return Ok(Page {
                items: Vec::new(),
                has_more: false,
            });
        }
        let backend = self.connection().get_database_backend();
        let mut binds = Binds::new(backend);
        let mut sql = format!(
            "SELECT n.catalog_object_id, n.location_id, n.state FROM inventory_counts n \
             WHERE n.merchant_id = {}",
            binds.push(merchant.0.clone())
        );
        let mut any_of = |column: &str, values: Vec<String>, binds: &mut Binds| {
            if !values.is_empty() {
                let list: Vec<String> = values.into_iter().map(|v| binds.push(v)).collect();
                sql.push_str(&format!(" AND n.{column} IN ({})", list.join(", ")));
            }
        };
        any_of(
            "catalog_object_id",
            query.catalog_object_ids.clone(),
            &mut binds,
        );
        any_of("location_id", query.location_ids.clone(), &mut binds);
        any_of(
            "state",
            query.states.iter().map(|s| s.as_str().to_owned()).collect(),
            &mut binds,
        );
        if let Some((_, item, location, state)) = after {
            sql.push_str(&format!(
                " AND (n.catalog_object_id, n.location_id, n.state) > ({}, {}, {})",
                binds.push(item),
                binds.push(location),
                binds.push(state)
            ));
        }
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM inventory_entries x WHERE x.merchant_id = n.merchant_id \
             AND x.catalog_object_id = n.catalog_object_id AND x.location_id = n.location_id \
             AND x.state = n.state AND x.occurred_at <= {}) \
             ORDER BY n.catalog_object_id, n.location_id, n.state LIMIT {}",
            binds.push(as_of),
            binds.push(limit.saturating_add(1).min(i64::MAX as u64) as i64),
        ));
        let rows = self
            .connection()
            .query_all_raw(Statement::from_sql_and_values(backend, sql, binds.values))
            .await?;
        let keys = rows
            .iter()
            .map(|row| {
                let state: String = row.try_get_by_index(2)?;
                Ok(CountKey {
                    catalog_object_id: row.try_get_by_index(0)?,
                    location_id: row.try_get_by_index(1)?,
                    state: parse_state(&state)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let page = Page::from_overfetch(keys, limit);
        let wanted: Vec<_> = page
            .items
            .iter()
            .map(|key| (merchant.0.clone(), key.clone(), position_at(as_of)))
            .collect();
        let folded = fold_at(self.connection(), &wanted).await?;
        let items = wanted
            .into_iter()
            .zip(folded)
            .map(|((_, key, _), folded)| {
                let quantity = folded.quantity.ok_or_else(|| {
                    StoreError::Corrupt("a count listed as of a moment has no entry".into())
                })?;
                Ok(CountRecord {
                    key,
                    quantity,
                    calculated_at: as_of,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page {
            items,
            has_more: page.has_more,
        })
    }

    /// One count as of `as_of` (µs), with the rows its fold read: what the read cost of
    /// an as-of count is measured by.
    #[tracing::instrument(level = "debug", name = "db.count_as_of", skip_all)]
    pub async fn count_as_of(
        &self,
        merchant: &MerchantId,
        key: &CountKey,
        as_of: i64,
    ) -> Result<Folded, StoreError> {
        let wanted = [(merchant.0.clone(), key.clone(), position_at(as_of))];
        let mut folded = fold_at(self.connection(), &wanted).await?;
        folded
            .pop()
            .ok_or_else(|| StoreError::Corrupt("no fold returned".into()))
    }

    /// The checkpoints of a count, in position order.
    async fn checkpoints_of(
        &self,
        merchant: &MerchantId,
        key: &CountKey,
    ) -> Result<Vec<Checkpoint>, StoreError> {
        let backend = self.connection().get_database_backend();
        let mut binds = Binds::new(backend);
        let sql = format!(
            "SELECT occurred_at, change_seq, quantity_units, base_occurred_at, base_seq \
             FROM inventory_checkpoints WHERE merchant_id = {} AND catalog_object_id = {} \
             AND location_id = {} AND state = {} ORDER BY occurred_at, change_seq",
            binds.push(merchant.0.clone()),
            binds.push(key.catalog_object_id.clone()),
            binds.push(key.location_id.clone()),
            binds.push(key.state.as_str()),
        );
        let rows = self
            .connection()
            .query_all_raw(Statement::from_sql_and_values(backend, sql, binds.values))
            .await?;
        rows.iter().map(checkpoint_of).collect()
    }

    /// Checks every checkpoint of the counts with checkpoints against the reference fold
    /// of their history (one pass over each such count's history): each difference.
    pub async fn verify_checkpoints(&self) -> Result<Vec<CheckpointDifference>, StoreError> {
        let backend = self.connection().get_database_backend();
        let keys = self
            .connection()
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT DISTINCT merchant_id, catalog_object_id, location_id, state \
                 FROM inventory_checkpoints ORDER BY 1, 2, 3, 4",
            ))
            .await?;
        let mut differences = Vec::new();
        for row in keys {
            let merchant = MerchantId(row.try_get_by_index(0)?);
            let state: String = row.try_get_by_index(3)?;
            let key = CountKey {
                catalog_object_id: row.try_get_by_index(1)?,
                location_id: row.try_get_by_index(2)?,
                state: parse_state(&state)?,
            };
            let mut history = self.history_of(&merchant, &key).await?;
            history.sort_by_key(|(position, _)| *position);
            let mut entries = history.iter().peekable();
            let (mut quantity, mut base, mut any) = (Fixed5::ZERO, None, false);
            for stored in self.checkpoints_of(&merchant, &key).await? {
                while let Some((position, effect)) =
                    entries.next_if(|(position, _)| *position <= stored.position)
                {
                    any = true;
                    match effect {
                        Effect::Set(q) => {
                            quantity = *q;
                            base = Some(*position);
                        }
                        Effect::Delta(d) => {
                            quantity = quantity.checked_add(*d).ok_or_else(|| {
                                StoreError::Corrupt("a count's history overflows".into())
                            })?
                        }
                    }
                }
                let expected = any.then_some(Checkpoint {
                    position: stored.position,
                    quantity,
                    base,
                });
                if expected != Some(stored) {
                    differences.push(CheckpointDifference {
                        merchant_id: merchant.0.clone(),
                        key: key.clone(),
                        stored,
                        expected,
                    });
                }
            }
        }
        Ok(differences)
    }
}

/// A checkpoint from a row of (occurred_at, change_seq, quantity_units, base_occurred_at,
/// base_seq).
fn checkpoint_of(row: &QueryResult) -> Result<Checkpoint, StoreError> {
    let base_at: Option<i64> = row.try_get_by_index(3)?;
    let base_seq: Option<i64> = row.try_get_by_index(4)?;
    Ok(Checkpoint {
        position: (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
        quantity: Fixed5::from_units(row.try_get_by_index(2)?),
        base: base_at.zip(base_seq),
    })
}
