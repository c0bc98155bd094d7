//! The rows a decided group writes — changes, effects, count updates, low-stock alerts,
//! counts, idempotency keys with their stored responses — gathered so that each table gets one statement.

use std::collections::HashMap;

use sea_orm::DatabaseTransaction;
use sea_orm::sea_query::Value;

use super::Encoder;
use super::sql::run_values;
use crate::domain::decide::{BatchOutcome, Decided, GroupPlan, PlannedBatch, Submission};
use crate::domain::decimal::Fixed5;
use crate::domain::guard::{GuardKind, GuardRefusal};
use crate::domain::ledger::{ChangeMovement, ChangeType, CountKey, Effect, InventoryState};
use crate::domain::plan::{BatchPlan, PlannedCount};
use crate::domain::reason::ReasonId;
use crate::domain::refusal::Refusal;
use crate::domain::reservation::Reservation;
use crate::store::ledger::{CountRecord, DELTA, RecordedChange, SET};
use crate::store::{StoreError, new_id};

/// The rows a group writes, gathered so that each table gets one statement (per bind limit).
#[derive(Default)]
pub(super) struct GroupRows {
    changes: Vec<Vec<Value>>,
    entries: Vec<Vec<Value>>,
    updates: Vec<Vec<Value>>,
    counts: Vec<Vec<Value>>,
    alerts: Vec<Vec<Value>>,
    keys: Vec<Vec<Value>>,
    reservations: ReservationRows,
}

/// Reservations as they are to be stored, with their lines: a step's (in a group) or an
/// import's.
#[derive(Default)]
pub(in crate::store) struct ReservationRows {
    reservations: Vec<Vec<Value>>,
    lines: Vec<Vec<Value>>,
}

impl ReservationRows {
    /// A reservation as it is to be stored, with its lines.
    pub(in crate::store) fn add(&mut self, merchant: &str, reservation: &Reservation) {
        self.reservations.push(vec![
            reservation.id.clone().into(),
            merchant.into(),
            reservation.state.as_str().into(),
            reservation.reference_id.clone().into(),
            reservation.expires_at.into(),
            reservation.created_at.into(),
            reservation.updated_at.into(),
            reservation.version.into(),
        ]);
        for (line_no, line) in reservation.lines.iter().enumerate() {
            self.lines.push(vec![
                reservation.id.clone().into(),
                (line_no as i32).into(),
                merchant.into(),
                line.catalog_object_id.clone().into(),
                line.location_id.clone().into(),
                line.quantity.units().into(),
                line.committed.units().into(),
                line.released.units().into(),
            ]);
        }
    }

    /// Writes them (a reservation already stored takes the state, times and what its lines
    /// committed and released).
    pub(in crate::store) async fn write(self, tx: &DatabaseTransaction) -> Result<(), StoreError> {
        run_values(
            tx,
            "INSERT INTO reservations (id, merchant_id, state, reference_id, expires_at, \
             created_at, updated_at, version)",
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
             expires_at = excluded.expires_at, updated_at = excluded.updated_at, \
             version = excluded.version",
            8,
            self.reservations,
            false,
        )
        .await?;
        run_values(
            tx,
            "INSERT INTO reservation_lines (reservation_id, line_no, merchant_id, \
             catalog_object_id, location_id, quantity_units, committed_units, released_units)",
            "ON CONFLICT (reservation_id, line_no) DO UPDATE SET \
             committed_units = excluded.committed_units, released_units = excluded.released_units",
            8,
            self.lines,
            false,
        )
        .await?;
        Ok(())
    }
}

impl GroupRows {
    /// The batch's idempotency key with its packed answer.
    fn add_key(&mut self, batch: &Submission, answer: Vec<u8>) {
        self.keys.push(vec![
            batch.merchant.0.clone().into(),
            batch.request.idempotency_key.clone().into(),
            batch.request.request_digest.clone().into(),
            answer.into(),
            batch.request.now.into(),
        ]);
    }

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
                PlannedBatch::Guarded(refusal) => {
                    rows.add_key(batch, pack_refusal(&refusal));
                    answers.push(Err(Refusal::Guard(refusal)));
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
        for alert in &plan.alerts {
            let change = &recorded[alert.change];
            self.alerts.push(vec![
                merchant.clone().into(),
                change.feed_seq.into(),
                alert.ordinal.into(),
                alert.catalog_object_id.clone().into(),
                alert.location_id.clone().into(),
                alert.kind.as_str().into(),
                alert.quantity.units().into(),
                alert.reorder_point.units().into(),
                change.id.clone().into(),
                change.change.occurred_at.into(),
                change.created_at.into(),
            ]);
        }
        if let Some(step) = &batch.request.reservation {
            self.reservations.add(merchant, &step.after);
        }
        self.add_key(batch, pack_response(response));
    }

    #[tracing::instrument(level = "debug", name = "db.write_rows", skip_all)]
    pub(super) async fn write(self, tx: &DatabaseTransaction) -> Result<(), StoreError> {
        run_values(
            tx,
            "INSERT INTO inventory_changes (seq, feed_seq, id, merchant_id, change_type, \
             catalog_object_id, location_id, to_location_id, from_state, to_state, \
             quantity_units, total_price_units, total_price_currency, occurred_at, created_at, \
             source_product, source_application_id, source_name, reference_id, employee_id, \
             team_member_id, transaction_id, refund_id, purchase_order_id, goods_receipt_id, \
             reservation_id, reason, cost_units, cost_currency, vendor_id)",
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
            "INSERT INTO inventory_alerts (merchant_id, feed_seq, ordinal, catalog_object_id, \
             location_id, kind, quantity_units, reorder_point_units, change_id, occurred_at, \
             calculated_at)",
            "",
            11,
            self.alerts,
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
        self.reservations.write(tx).await?;
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

/// The format byte of a stored guard refusal (JSON of [`StoredGuardRefusal`]): a retry of
/// a batch a guard refused answers the same refusal.
const GUARD_REFUSAL: u8 = 2;

fn pack_response(response: &[u8]) -> Vec<u8> {
    let mut packed = vec![LZ4_RESPONSE];
    packed.extend(lz4_flex::compress_prepend_size(response));
    packed
}

/// A guard refusal as stored with its batch's idempotency key.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredGuardRefusal {
    kind: GuardKind,
    index: usize,
    change_type: ChangeType,
    catalog_object_id: String,
    location_id: String,
    state: InventoryState,
    quantity_units: Option<i64>,
}

fn pack_refusal(refusal: &GuardRefusal) -> Vec<u8> {
    let stored = StoredGuardRefusal {
        kind: refusal.kind,
        index: refusal.index,
        change_type: refusal.change_type,
        catalog_object_id: refusal.count.catalog_object_id.clone(),
        location_id: refusal.count.location_id.clone(),
        state: refusal.count.state,
        quantity_units: refusal.quantity.map(Fixed5::units),
    };
    let mut packed = vec![GUARD_REFUSAL];
    serde_json::to_writer(&mut packed, &stored).expect("a refusal serializes");
    packed
}

/// What a stored idempotency key answers: its response, or its guard refusal.
pub(super) fn unpack_answer(stored: Vec<u8>) -> Result<Result<Vec<u8>, Refusal>, StoreError> {
    match stored.split_first() {
        Some((&LZ4_RESPONSE, packed)) => lz4_flex::decompress_size_prepended(packed)
            .map(Ok)
            .map_err(|e| StoreError::Corrupt(format!("stored response: {e}"))),
        Some((&GUARD_REFUSAL, json)) => {
            let stored: StoredGuardRefusal = serde_json::from_slice(json)
                .map_err(|e| StoreError::Corrupt(format!("stored refusal: {e}")))?;
            Ok(Err(Refusal::Guard(GuardRefusal {
                kind: stored.kind,
                index: stored.index,
                change_type: stored.change_type,
                count: CountKey {
                    catalog_object_id: stored.catalog_object_id,
                    location_id: stored.location_id,
                    state: stored.state,
                },
                quantity: stored.quantity_units.map(Fixed5::from_units),
            })))
        }
        _ => Ok(Ok(stored)),
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

const CHANGE_COLUMNS: usize = 30;

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
        refs.reservation_id.clone().into(),
        change
            .reason
            .as_ref()
            .map(ReasonId::stored)
            .unwrap_or_default()
            .into(),
        change.cost.as_ref().map(|m| m.amount.units()).into(),
        change.cost.as_ref().map(|m| m.currency.clone()).into(),
        refs.vendor_id.clone().into(),
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
        assert_eq!(unpack_answer(packed).unwrap(), Ok(response.clone()));
        assert_eq!(
            unpack_answer(response.clone()).unwrap(),
            Ok(response),
            "rows stored bare"
        );
        assert!(unpack_answer(vec![LZ4_RESPONSE, 9, 9]).is_err());
    }

    #[test]
    fn stored_guard_refusals_round_trip() {
        let refusal = GuardRefusal {
            kind: GuardKind::InsufficientQuantity,
            index: 3,
            change_type: ChangeType::Transfer,
            count: CountKey {
                catalog_object_id: "item".into(),
                location_id: "shop".into(),
                state: InventoryState::InStock,
            },
            quantity: Some(Fixed5::from_units(250_000)),
        };
        let stored = pack_refusal(&refusal);
        assert_eq!(
            unpack_answer(stored).unwrap(),
            Err(Refusal::Guard(refusal.clone()))
        );
        let absent = GuardRefusal {
            kind: GuardKind::QuantityMismatch,
            quantity: None,
            ..refusal
        };
        assert_eq!(
            unpack_answer(pack_refusal(&absent)).unwrap(),
            Err(Refusal::Guard(absent))
        );
        assert!(unpack_answer(vec![GUARD_REFUSAL, b'{']).is_err());
    }
}
