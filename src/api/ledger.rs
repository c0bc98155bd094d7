//! The one way into the ledger. Every batch — a BatchChangeInventory call (from gRPC or a
//! front door), each message of ImportInventoryChanges, each batch of `stockledger import`
//! — is checked, digested and submitted here, to the process's one group-commit writer
//! (`store::writer`), and answered here: applied, replayed, or refused with a typed
//! [`Refusal`] that each caller words its own way.
//!
//! This module owns what a batch is as a request: its limits, the rules of each change
//! (`domain::validate`, with the live or the history `occurred_at` window), the digest that
//! tells a retry from a reuse of its idempotency key, and an import's key
//! (`import:<digest>`). The decisions over stored facts are the domain's
//! (`domain::decide`), run by the store.

use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::Status;

use super::ApiError;
use super::ledger_wire::{
    change_draft, change_to_wire, count_to_wire, imported_change, spell_ids_canonically,
};
use crate::domain::decide::{BatchOutcome, BatchRequest, KeptChange, ReservationWrite, Submission};
use crate::domain::error::{Violation, reasons};
use crate::domain::guard::{BatchGuards, Expected};
use crate::domain::id::repeated_ids;
use crate::domain::ledger::{ChangeSource, MAX_CHANGES_PER_BATCH, NewChange};
use crate::domain::refusal::{ChangeViolation, ChangeViolations, Refusal};
use crate::domain::reservation::Step;
use crate::domain::tenant::{Caller, MerchantId};
use crate::domain::validate::{check_idempotency_key, validate_change};
use crate::feed::Feed;
use crate::proto::v1 as pb;
use crate::store::ledger::{CountRecord, RecordedChange};
use crate::store::rehearsal::Rehearsal;
use crate::store::writer::BatchWriter;
use crate::store::{Store, StoreError, now_micros};

/// Most changes in one import batch (a message of ImportInventoryChanges).
pub const MAX_IMPORT_BATCH: usize = 1_000;

/// Why a batch was not applied.
#[derive(Debug)]
pub enum SubmitError {
    /// The ledger refused it: typed, so that each caller names the field its own way.
    Refused(Refusal),
    /// The request as a whole was malformed (its key, its number of changes), or the call
    /// failed (storage, shutdown).
    Failed(ApiError),
}

impl From<ApiError> for SubmitError {
    fn from(err: ApiError) -> Self {
        SubmitError::Failed(err)
    }
}

impl From<Violation> for SubmitError {
    fn from(violation: Violation) -> Self {
        SubmitError::Failed(violation.into())
    }
}

impl From<StoreError> for SubmitError {
    fn from(err: StoreError) -> Self {
        SubmitError::Failed(err.into())
    }
}

impl From<ChangeViolations> for SubmitError {
    fn from(violations: ChangeViolations) -> Self {
        SubmitError::Refused(Refusal::Invalid(violations))
    }
}

impl From<SubmitError> for ApiError {
    fn from(err: SubmitError) -> Self {
        match err {
            SubmitError::Refused(refusal) => refusal.into(),
            SubmitError::Failed(err) => err,
        }
    }
}

impl From<SubmitError> for Status {
    fn from(err: SubmitError) -> Self {
        ApiError::from(err).into()
    }
}

/// A reservation step to submit ([`Ledger::step_reservation`]).
#[derive(Debug)]
pub struct ReservationBatch {
    /// The step's idempotency key: [`reservation_key`], never one a caller could send.
    pub key: String,
    /// Digest of what was asked, to tell a retry from a reuse of the key.
    pub request_digest: String,
    /// The step: the reservation after it and the changes that move its units.
    pub step: Step,
    /// The version the step was computed from; `None` for a creation.
    pub from_version: Option<i64>,
    /// Whether no IN_STOCK count the step lowers may end below zero (a creation: never
    /// reserve stock that is not there).
    pub guarded: bool,
    /// Who takes the step.
    pub source: ChangeSource,
    /// Receipt time, µs: the `now` the step was computed at.
    pub now: i64,
}

/// The idempotency key of a reservation step: `parts` behind a prefix holding a control
/// character, which no caller's key may hold (`check_idempotency_key`), so that a step can
/// never replay or clash with a BatchChangeInventory call.
pub fn reservation_key(parts: &[&str]) -> String {
    let mut key = String::from("\u{1}reservation");
    for part in parts {
        key.push('\u{1}');
        key.push_str(part);
    }
    key
}

/// What an import batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportedBatch {
    /// Changes recorded now.
    pub applied: usize,
    /// Changes recorded before (kept ids already present, or the whole batch imported
    /// before).
    pub already_present: usize,
}

/// The ledger's door: submits batches to the process's group-commit writer and announces
/// applied ones on the in-process feed. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Ledger {
    writer: BatchWriter<pb::BatchChangeInventoryResponse>,
    feed: Arc<Feed>,
}

impl Ledger {
    /// Starts the group-commit writer on `store`; applied batches are announced on `feed`.
    pub fn start(store: Store, feed: Arc<Feed>) -> Ledger {
        Ledger {
            writer: BatchWriter::start(store, Arc::new(encode_batch_response)),
            feed,
        }
    }

    /// BatchChangeInventory for `caller`: the request's limits and key, each change's rules
    /// (the live `occurred_at` window), then the ledger's decision. A retry with the same
    /// key and request gets the stored response.
    pub async fn change(
        &self,
        caller: &Caller,
        mut request: pb::BatchChangeInventoryRequest,
    ) -> Result<pb::BatchChangeInventoryResponse, SubmitError> {
        check_idempotency_key(&request.idempotency_key)?;
        check_batch_length(request.changes.len(), MAX_CHANGES_PER_BATCH)?;
        let ignore_unchanged_counts = request.ignore_unchanged_counts.unwrap_or(true);
        let request_digest = batch_digest(&mut request);
        let now = now_micros();
        let mut violations = ChangeViolations::default();
        let mut changes = Vec::with_capacity(request.changes.len());
        let mut guards = BatchGuards {
            expected: Vec::new(),
            forbid_negative_counts: request.forbid_negative_counts,
        };
        for (index, mut change) in request.changes.into_iter().enumerate() {
            let expected_text = change.expected_quantity.take();
            let valid = change_draft(index, change)
                .and_then(|draft| validate_change(index, draft, now))
                .and_then(|valid| {
                    let expected = expected_text
                        .map(|text| Expected::parse(index, &text, &valid))
                        .transpose()?;
                    Ok((valid, expected))
                });
            match valid {
                Ok((valid, expected)) => {
                    changes.push(Arc::new(valid));
                    guards.expected.push(expected);
                }
                Err(v) => violations.extend(v),
            }
        }
        if !violations.is_empty() {
            return Err(violations.into());
        }
        if guards.expected.iter().all(Option::is_none) {
            guards.expected.clear();
        }
        let request = BatchRequest {
            idempotency_key: request.idempotency_key,
            request_digest,
            changes,
            ignore_unchanged_counts,
            source: Arc::new(caller.source.clone()),
            now,
            kept: Vec::new(),
            guards,
            reservation: None,
        };
        match self.submit(caller.merchant.clone(), request).await? {
            BatchOutcome::Applied(response) => Ok(response),
            BatchOutcome::Replayed(bytes) => {
                pb::BatchChangeInventoryResponse::decode(bytes.as_slice())
                    .map_err(|e| ApiError::Internal(Box::new(e)).into())
            }
        }
    }

    /// One batch of history for `merchant`, built with [`ImportBatch`]. Submitted again (same
    /// changes, same source), it is already present.
    pub async fn import(
        &self,
        merchant: &MerchantId,
        batch: BatchRequest,
    ) -> Result<ImportedBatch, SubmitError> {
        let n = batch.changes.len();
        Ok(imported_batch(
            n,
            self.submit(merchant.clone(), batch).await?,
        ))
    }

    /// A reservation step of `merchant`, as one batch of its changes (each attributed to
    /// the reservation) written with the reservation as the step leaves it: applied,
    /// replayed (the step's key was used before), or refused — among others with
    /// [`Refusal::ReservationChanged`] when the reservation moved since the step was
    /// computed, or by the guard of a creation ([`ReservationBatch::guarded`]).
    pub async fn step_reservation(
        &self,
        merchant: &MerchantId,
        batch: ReservationBatch,
    ) -> Result<BatchOutcome<pb::BatchChangeInventoryResponse>, SubmitError> {
        let ReservationBatch {
            key,
            request_digest,
            step,
            from_version,
            guarded,
            source,
            now,
        } = batch;
        let id = step.after.id.clone();
        let changes = step
            .changes
            .into_iter()
            .map(|mut change| {
                change.references.reservation_id.clone_from(&id);
                Arc::new(change)
            })
            .collect();
        let request = BatchRequest {
            idempotency_key: key,
            request_digest,
            changes,
            ignore_unchanged_counts: false,
            source: Arc::new(source),
            now,
            kept: Vec::new(),
            guards: BatchGuards {
                expected: Vec::new(),
                forbid_negative_counts: guarded.then_some(true),
            },
            reservation: Some(Arc::new(ReservationWrite {
                after: step.after,
                from_version,
            })),
        };
        self.submit(merchant.clone(), request).await
    }

    async fn submit(
        &self,
        merchant: MerchantId,
        request: BatchRequest,
    ) -> Result<BatchOutcome<pb::BatchChangeInventoryResponse>, SubmitError> {
        let decided = self.writer.submit(Submission { merchant, request }).await?;
        let outcome = decided.map_err(SubmitError::Refused)?;
        if let BatchOutcome::Applied(_) = outcome {
            self.feed.notify();
        }
        Ok(outcome)
    }
}

/// [`Ledger::import`] rehearsed (`stockledger import --dry-run`): the same decision and the
/// same writes, inside `rehearsal`, which rolls them back.
pub async fn rehearse_import(
    rehearsal: &Rehearsal,
    merchant: &MerchantId,
    batch: BatchRequest,
) -> Result<ImportedBatch, SubmitError> {
    let n = batch.changes.len();
    let submission = Submission {
        merchant: merchant.clone(),
        request: batch,
    };
    let decided = rehearsal.apply(submission, &encode_batch_response).await?;
    Ok(imported_batch(n, decided.map_err(SubmitError::Refused)?))
}

/// What an import batch of `n` changes came to.
fn imported_batch(
    n: usize,
    outcome: BatchOutcome<pb::BatchChangeInventoryResponse>,
) -> ImportedBatch {
    match outcome {
        BatchOutcome::Applied(applied) => ImportedBatch {
            applied: applied.changes.len(),
            already_present: n - applied.changes.len(),
        },
        BatchOutcome::Replayed(_) => ImportedBatch {
            applied: 0,
            already_present: n,
        },
    }
}

/// A batch holds 1 to `max` changes (field `changes`).
pub(super) fn check_batch_length(n: usize, max: usize) -> Result<(), Violation> {
    if n == 0 {
        Err(Violation::new(
            "changes",
            reasons::ARRAY_LENGTH_TOO_SHORT,
            "must hold at least 1 change",
        ))
    } else if n > max {
        Err(Violation::new(
            "changes",
            reasons::ARRAY_LENGTH_TOO_LONG,
            format!("must hold at most {max} changes"),
        ))
    } else {
        Ok(())
    }
}

/// What tells a retry from a reuse of an idempotency key: a digest of the request as it is
/// meant, so that spelling out a default or another spelling of an id does not make it
/// another request. The default of `ignore_unchanged_counts` (true) hashes as if absent,
/// and ids in their canonical spelling, as digests stored earlier did for such requests.
/// The request is brought to that form in place (an id that is not of the server's shape
/// stays as sent, and is refused by the change's rules).
fn batch_digest(request: &mut pb::BatchChangeInventoryRequest) -> String {
    if request.ignore_unchanged_counts == Some(true) {
        request.ignore_unchanged_counts = None;
    }
    request.changes.iter_mut().for_each(spell_ids_canonically);
    request_digest(request)
}

/// The digest an idempotency key is stored with: SHA-256 of the request's encoding, in hex.
/// A retry with the key must send a request of the same digest.
pub(crate) fn request_digest(request: &impl Message) -> String {
    format!("{:x}", Sha256::digest(request.encode_to_vec()))
}

/// Encodes an applied batch's response once: the bytes kept for replays and the message.
fn encode_batch_response(
    changes: &[RecordedChange],
    counts: &[CountRecord],
) -> (Vec<u8>, pb::BatchChangeInventoryResponse) {
    let response = pb::BatchChangeInventoryResponse {
        counts: counts.iter().map(count_to_wire).collect(),
        changes: changes.iter().map(change_to_wire).collect(),
    };
    (response.encode_to_vec(), response)
}

/// One batch of history on its way in, change by change: a message of
/// ImportInventoryChanges, or a batch of rows of `stockledger import`. Each change is
/// checked by the change's rules with history's `occurred_at` window; the batch's key is
/// `import:<digest>`, the digest being that of the ImportInventoryChangesRequest holding
/// its changes (ids in their canonical spelling) and `source`.
#[derive(Debug)]
pub struct ImportBatch {
    default_source: ChangeSource,
    wire_source: Option<pb::SourceApplication>,
    now: i64,
    changes: Vec<Arc<NewChange>>,
    kept: Vec<KeptChange>,
    sent: usize,
    refused: bool,
    digest: Sha256,
    with_reservations: bool,
}

impl ImportBatch {
    /// An empty batch received at `now` (µs). Changes without a source of their own get
    /// `default_source`; `wire_source` is the message's source as sent (part of the digest).
    pub fn new(
        default_source: ChangeSource,
        wire_source: Option<pb::SourceApplication>,
        now: i64,
    ) -> ImportBatch {
        ImportBatch {
            default_source,
            wire_source,
            now,
            changes: Vec::new(),
            kept: Vec::new(),
            sent: 0,
            refused: false,
            digest: Sha256::new(),
            with_reservations: false,
        }
    }

    /// The batch of an import that brings the reservations too (`stockledger import`'s
    /// reservations file): its adjustments may then carry a `reservation_id` and make that
    /// reservation's moves. Without it (ImportInventoryChanges) `reservation_id` is refused,
    /// as it would leave RESERVED_FOR_SALE units that no reservation holds.
    pub fn with_reservations(mut self) -> ImportBatch {
        self.with_reservations = true;
        self
    }

    /// How many changes were pushed.
    pub fn len(&self) -> usize {
        self.sent
    }

    /// Whether no change was pushed.
    pub fn is_empty(&self) -> bool {
        self.sent == 0
    }

    /// Adds the next change. On success, returns the id it keeps (canonical), if any; on
    /// refusal, the change's violations (the batch will then be refused as a whole).
    pub fn push(
        &mut self,
        mut change: pb::InventoryChange,
    ) -> Result<Option<&str>, ChangeViolations> {
        let index = self.sent;
        self.sent += 1;
        spell_ids_canonically(&mut change);
        // As `changes` (field 1) of an ImportInventoryChangesRequest encodes it.
        self.digest.update(encoded_field(1, &change));
        let default_source = &self.default_source;
        let imported = imported_change(
            index,
            change,
            self.now,
            default_source,
            self.with_reservations,
        );
        match imported {
            Ok((valid, kept)) => {
                self.changes.push(Arc::new(valid));
                self.kept.push(kept);
                Ok(self.kept.last().and_then(|k| k.id.as_deref()))
            }
            Err(violations) => {
                self.refused = true;
                Err(violations)
            }
        }
    }

    /// The batch to submit, once every change is pushed; refused when a change was, or
    /// when two carry the same id.
    pub fn finish(mut self) -> Result<BatchRequest, ChangeViolations> {
        if self.refused {
            return Err(ChangeViolations::default());
        }
        let ids = self.kept.iter().map(|k| k.id.as_deref());
        let repeated: Vec<ChangeViolation> = repeated_ids(ids)
            .into_iter()
            .enumerate()
            .filter_map(|(index, first)| {
                let first = first?;
                Some(ChangeViolation {
                    index,
                    member: Some(self.changes[index].movement.change_type()),
                    violation: Violation::new(
                        "id",
                        reasons::ALREADY_EXISTS,
                        format!("changes[{first}] of this message has the same id"),
                    ),
                })
            })
            .collect();
        if !repeated.is_empty() {
            return Err(ChangeViolations(repeated));
        }
        if let Some(source) = &self.wire_source {
            self.digest.update(encoded_field(2, source));
        }
        let digest = format!("{:x}", self.digest.finalize());
        Ok(BatchRequest {
            idempotency_key: format!("import:{digest}"),
            request_digest: digest,
            changes: self.changes,
            ignore_unchanged_counts: false,
            source: Arc::new(self.default_source),
            now: self.now,
            kept: self.kept,
            guards: BatchGuards::default(),
            reservation: None,
        })
    }
}

/// The changes a refused import batch names. An import batch's key is its digest, so a
/// reused key cannot happen; it would name the first change.
pub fn refused_changes(refusal: Refusal) -> ChangeViolations {
    match refusal {
        Refusal::Invalid(violations) => violations,
        Refusal::CountOutOfRange(change) => ChangeViolations(vec![ChangeViolation {
            violation: Violation::new(
                change.violation.field,
                reasons::COUNT_OUT_OF_RANGE,
                "the count would leave its range",
            ),
            ..change
        }]),
        Refusal::Guard(guard) => ChangeViolations(vec![guard.violation()]),
        Refusal::ReservationChanged => ChangeViolations::default(),
        Refusal::IdempotencyKeyReused => ChangeViolations(vec![ChangeViolation {
            index: 0,
            member: None,
            violation: Violation::new(
                "",
                reasons::IDEMPOTENCY_KEY_REUSED,
                "the batch's key was used for a different request",
            ),
        }]),
    }
}

/// `message` as field `tag` of an enclosing message encodes it (key, length, bytes).
fn encoded_field(tag: u32, message: &impl Message) -> Vec<u8> {
    let mut buf = Vec::with_capacity(message.encoded_len() + 8);
    prost::encoding::message::encode(tag, message, &mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    fn receive(id: &str, item: &str) -> pb::InventoryChange {
        pb::InventoryChange {
            expected_quantity: None,
            r#type: 0,
            change: Some(pb::inventory_change::Change::Adjustment(
                pb::InventoryAdjustment {
                    id: id.into(),
                    from_state: pb::InventoryState::None as i32,
                    to_state: pb::InventoryState::InStock as i32,
                    location_id: "01a20c5a-8f67-7031-9d39-e3d5cae5d631".into(),
                    catalog_object_id: item.into(),
                    quantity: "3".into(),
                    occurred_at: Some(prost_types::Timestamp {
                        seconds: 1_700_000_000,
                        nanos: 0,
                    }),
                    ..Default::default()
                },
            )),
        }
    }

    /// An import batch's key is the digest ImportInventoryChanges always stored for the
    /// same message (ids in their canonical spelling), so a message imported before this
    /// builder existed is recognised when sent again.
    #[test]
    fn an_import_batch_is_keyed_by_the_digest_of_its_message() {
        let message = pb::ImportInventoryChangesRequest {
            changes: vec![
                receive(
                    "01A20C5A-8F67-7031-9D39-E3D5CAE5D601",
                    "01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                ),
                receive("", "01A20C5A8F6770319D39E3D5CAE5D630"),
            ],
            source: Some(pb::SourceApplication {
                name: "legacy".into(),
                ..Default::default()
            }),
        };
        let mut meant = message.clone();
        meant.changes.iter_mut().for_each(spell_ids_canonically);
        let expected = format!("{:x}", Sha256::digest(meant.encode_to_vec()));

        let mut batch = ImportBatch::new(ChangeSource::default(), message.source.clone(), NOW);
        for change in message.changes {
            batch.push(change).expect("a valid change");
        }
        let request = batch.finish().expect("a valid batch");
        assert_eq!(request.request_digest, expected);
        assert_eq!(request.idempotency_key, format!("import:{expected}"));
        assert_eq!(
            request.kept[0].id.as_deref(),
            Some("01a20c5a-8f67-7031-9d39-e3d5cae5d601")
        );
    }

    #[test]
    fn one_id_twice_refuses_the_batch_at_the_second() {
        let id = "01a20c5a-8f67-7031-9d39-e3d5cae5d601";
        let item = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";
        let mut batch = ImportBatch::new(ChangeSource::default(), None, NOW);
        batch.push(receive(id, item)).unwrap();
        batch.push(receive(&id.to_uppercase(), item)).unwrap();
        let refused = batch.finish().unwrap_err();
        let named: Vec<(usize, String, &str)> = refused
            .0
            .iter()
            .map(|v| (v.index, v.path_in_change(), v.violation.reason))
            .collect();
        assert_eq!(
            named,
            vec![(1, "adjustment.id".to_owned(), reasons::ALREADY_EXISTS)]
        );
    }
}
