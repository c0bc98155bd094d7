//! The rows a decided group writes — changes, effects, count updates, counts, idempotency
//! keys with their stored responses — gathered so that each table gets one statement.

use std::collections::HashMap;

use sea_orm::DatabaseTransaction;
use sea_orm::sea_query::Value;

use super::Encoder;
use super::sql::run_values;
use crate::domain::decide::{BatchOutcome, Decided, GroupPlan, PlannedBatch, Submission};
use crate::domain::decimal::Fixed5;
use crate::domain::ledger::{ChangeMovement, Effect};
use crate::domain::plan::{BatchPlan, PlannedCount};
use crate::store::ledger::{CountRecord, DELTA, RecordedChange, SET};
use crate::store::{StoreError, new_id};

/// The rows a group writes, gathered so that each table gets one statement (per bind limit).
#[derive(Default)]
pub(super) struct GroupRows {
    changes: Vec<Vec<Value>>,
    entries: Vec<Vec<Value>>,
    updates: Vec<Vec<Value>>,
    counts: Vec<Vec<Value>>,
    keys: Vec<Vec<Value>>,
}

impl GroupRows {
    /// The rows of a decided group, and the answer to each batch: each planned batch's
    /// changes get their feed sequences (from `feed_firsts`) and ids, and its response is
    /// encoded once — kept with its idempotency key, returned to its caller.
    pub(super) fn record<T>(
        plan: GroupPlan<'_>,
        mut feed_firsts: HashMap<&str, i64>,
        encode: &Encoder<T>,
    ) -> (GroupRows, Vec<Decided<T>>) {
        let mut rows = GroupRows::default();
        let mut answers = Vec::with_capacity(plan.batches.len());
        for (batch, planned) in plan.group.iter().zip(plan.batches) {
            let batch_plan = match planned {
                PlannedBatch::Decided(decided) => {
                    answers.push(decided.map(BatchOutcome::Replayed));
                    continue;
                }
                PlannedBatch::Planned(batch_plan) => batch_plan,
            };
            let feed_seq = feed_firsts.get_mut(batch.merchant.0.as_str());
            let recorded = recorded_changes(batch, &batch_plan, feed_seq);
            let counts: Vec<CountRecord> = batch_plan.counts.iter().map(count_record).collect();
            let (response, value) = encode(&recorded, &counts);
            rows.add_batch(batch, &batch_plan, &recorded, &response);
            answers.push(Ok(BatchOutcome::Applied(value)));
        }
        for (merchant, count) in &plan.moved {
            rows.counts.push(count_row(merchant, count));
        }
        (rows, answers)
    }

    fn add_batch(
        &mut self,
        batch: &Submission,
        plan: &BatchPlan,
        recorded: &[RecordedChange],
        response: &[u8],
    ) {
        let merchant = &batch.merchant.0;
        for r in recorded {
            self.changes.push(change_row(merchant, r));
        }
        for entry in &plan.entries {
            let change = &recorded[entry.change];
            let (kind, quantity) = match entry.effect {
                Effect::Delta(q) => (DELTA, q),
                Effect::Set(q) => (SET, q),
            };
            self.entries.push(vec![
                change.seq.into(),
                merchant.clone().into(),
                entry.key.catalog_object_id.clone().into(),
                entry.key.location_id.clone().into(),
                entry.key.state.as_str().into(),
                kind.into(),
                quantity.units().into(),
                change.change.occurred_at.into(),
            ]);
        }
        for update in &plan.updates {
            let change = &recorded[update.change];
            self.updates.push(vec![
                merchant.clone().into(),
                change.feed_seq.into(),
                update.ordinal.into(),
                update.key.catalog_object_id.clone().into(),
                update.key.location_id.clone().into(),
                update.key.state.as_str().into(),
                update.previous.map(Fixed5::units).into(),
                update.quantity.units().into(),
                change.created_at.into(),
                change.id.clone().into(),
                change.change.movement.change_type().as_str().into(),
            ]);
        }
        self.keys.push(vec![
            merchant.clone().into(),
            batch.request.idempotency_key.clone().into(),
            batch.request.request_digest.clone().into(),
            pack_response(response).into(),
            batch.request.now.into(),
        ]);
    }

    pub(super) async fn write(self, tx: &DatabaseTransaction) -> Result<(), StoreError> {
        run_values(
            tx,
            "INSERT INTO inventory_changes (seq, feed_seq, id, merchant_id, change_type, \
             catalog_object_id, location_id, to_location_id, from_state, to_state, \
             quantity_units, total_price_units, total_price_currency, occurred_at, created_at, \
             source_product, source_application_id, source_name, reference_id, employee_id, \
             team_member_id, transaction_id, refund_id, purchase_order_id, goods_receipt_id)",
            "",
            CHANGE_COLUMNS,
            self.changes,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO inventory_entries (change_seq, merchant_id, catalog_object_id, \
             location_id, state, effect, quantity_units, occurred_at)",
            "",
            8,
            self.entries,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO inventory_count_updates (merchant_id, feed_seq, ordinal, \
             catalog_object_id, location_id, state, previous_units, quantity_units, \
             calculated_at, change_id, change_type)",
            "",
            11,
            self.updates,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO inventory_counts (merchant_id, catalog_object_id, location_id, state, \
             quantity_units, calculated_at, anchor_occurred_at, anchor_seq)",
            "ON CONFLICT (merchant_id, catalog_object_id, location_id, state) DO UPDATE SET \
             quantity_units = excluded.quantity_units, calculated_at = excluded.calculated_at, \
             anchor_occurred_at = excluded.anchor_occurred_at, anchor_seq = excluded.anchor_seq",
            8,
            self.counts,
            false,
        )
        .await?;
        let expected = self.keys.len() as u64;
        let (inserted, _) = run_values(
            tx,
            "INSERT INTO idempotency_keys (merchant_id, idempotency_key, request_digest, \
             response, created_at)",
            "ON CONFLICT (merchant_id, idempotency_key) DO NOTHING",
            5,
            self.keys,
            false,
        )
        .await?;
        if inserted != expected {
            // Another replica committed one of these keys since the group read them.
            return Err(StoreError::Contention);
        }
        Ok(())
    }
}

/// A planned batch's changes as recorded: the next feed sequences of its merchant (none
/// when it records nothing), an id (the one an import keeps, or a new one), created_at and
/// source (an import's, or the batch's).
fn recorded_changes(
    batch: &Submission,
    plan: &BatchPlan,
    mut feed_seq: Option<&mut i64>,
) -> Vec<RecordedChange> {
    let request = &batch.request;
    plan.recorded
        .iter()
        .map(|planned| {
            let feed_seq = feed_seq
                .as_deref_mut()
                .expect("feed sequences claimed for every recording merchant");
            *feed_seq += 1;
            let kept = request.kept.get(planned.index);
            RecordedChange {
                seq: planned.seq,
                feed_seq: *feed_seq - 1,
                id: kept.and_then(|k| k.id.clone()).unwrap_or_else(new_id),
                change: request.changes[planned.index].clone(),
                created_at: kept.and_then(|k| k.created_at).unwrap_or(request.now),
                source: kept
                    .and_then(|k| k.source.clone())
                    .unwrap_or_else(|| request.source.clone()),
            }
        })
        .collect()
}

fn count_record(count: &PlannedCount) -> CountRecord {
    CountRecord {
        key: count.key.clone(),
        quantity: count.state.quantity,
        calculated_at: count.calculated_at,
    }
}

/// The format byte of an LZ4-compressed stored response. Responses repeat the same ids and
/// names in every change, so they shrink several times, and they are most of the bytes a
/// batch writes. A bare protobuf message never starts with 0x01 (field number 0 does not
/// exist), so rows stored before compression still read back.
const LZ4_RESPONSE: u8 = 1;

fn pack_response(response: &[u8]) -> Vec<u8> {
    let mut packed = vec![LZ4_RESPONSE];
    packed.extend(lz4_flex::compress_prepend_size(response));
    packed
}

pub(super) fn unpack_response(stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    match stored.split_first() {
        Some((&LZ4_RESPONSE, packed)) => lz4_flex::decompress_size_prepended(packed)
            .map_err(|e| StoreError::Corrupt(format!("stored response: {e}"))),
        _ => Ok(stored),
    }
}

fn count_row(merchant: &str, count: &PlannedCount) -> Vec<Value> {
    vec![
        merchant.into(),
        count.key.catalog_object_id.clone().into(),
        count.key.location_id.clone().into(),
        count.key.state.as_str().into(),
        count.state.quantity.units().into(),
        count.calculated_at.into(),
        count.state.anchor.map(|a| a.0).into(),
        count.state.anchor.map(|a| a.1).into(),
    ]
}

const CHANGE_COLUMNS: usize = 25;

fn change_row(merchant: &str, recorded: &RecordedChange) -> Vec<Value> {
    let change = &recorded.change;
    let (location_id, to_location_id, from_state, to_state) = match &change.movement {
        ChangeMovement::Adjustment {
            from_state,
            to_state,
            location_id,
        } => (
            location_id,
            None,
            Some(from_state.as_str()),
            to_state.as_str(),
        ),
        ChangeMovement::PhysicalCount { state, location_id } => {
            (location_id, None, None, state.as_str())
        }
        ChangeMovement::Transfer {
            state,
            from_location_id,
            to_location_id,
        } => (
            from_location_id,
            Some(to_location_id.clone()),
            Some(state.as_str()),
            state.as_str(),
        ),
    };
    let refs = &change.references;
    let source = &recorded.source;
    vec![
        recorded.seq.into(),
        recorded.feed_seq.into(),
        recorded.id.clone().into(),
        merchant.into(),
        change.movement.change_type().as_str().into(),
        change.catalog_object_id.clone().into(),
        location_id.clone().into(),
        to_location_id.into(),
        from_state.map(str::to_owned).into(),
        to_state.into(),
        change.quantity.units().into(),
        change.total_price.as_ref().map(|m| m.amount.units()).into(),
        change
            .total_price
            .as_ref()
            .map(|m| m.currency.clone())
            .into(),
        change.occurred_at.into(),
        recorded.created_at.into(),
        source.product.clone().into(),
        source.application_id.clone().into(),
        source.name.clone().into(),
        refs.reference_id.clone().into(),
        refs.employee_id.clone().into(),
        refs.team_member_id.clone().into(),
        refs.transaction_id.clone().into(),
        refs.refund_id.clone().into(),
        refs.purchase_order_id.clone().into(),
        refs.goods_receipt_id.clone().into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_responses_round_trip_packed_or_bare() {
        let response = b"\x0a\x05hello\x12\x03abc".repeat(50);
        let packed = pack_response(&response);
        assert!(
            packed.len() < response.len() / 4,
            "repetitive responses shrink"
        );
        assert_eq!(unpack_response(packed).unwrap(), response);
        assert_eq!(
            unpack_response(response.clone()).unwrap(),
            response,
            "rows stored bare"
        );
        assert!(unpack_response(vec![LZ4_RESPONSE, 9, 9]).is_err());
    }
}
