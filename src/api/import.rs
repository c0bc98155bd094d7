//! ImportInventoryChanges: history from another system, a stream of batches through the
//! write path (docs/import-export.md). Each message is one batch, checked by the domain with
//! history's `occurred_at` window and applied whole or not at all; the call is answered
//! once the stream ends, with what was applied, already present and refused. Ids are
//! canonicalised (`domain::id`), so a change sent again in another spelling of its id is
//! already present, and one id twice in a message refuses the message.

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Status, Streaming};

use super::ApiError;
use super::ledger_wire::{imported_change, spell_ids_canonically};
use crate::domain::error::{Violation, Violations, reasons};
use crate::domain::id::repeated_ids;
use crate::domain::ledger::{ChangeSource, change_path};
use crate::domain::product::Product;
use crate::domain::tenant::Caller;
use crate::feed::Feed;
use crate::proto::v1 as pb;
use crate::store::StoreError;
use crate::store::ledger::{BatchOutcome, BatchRequest};
use crate::store::now_micros;
use crate::store::writer::BatchWriter;

/// Most changes in one message (one batch).
pub const MAX_IMPORT_BATCH: usize = 1_000;
/// Most refusals listed in the response (`refused` counts them all).
const MAX_LISTED_REFUSALS: usize = 1_000;

/// Applies every message of `stream` as one batch, in order.
pub(super) async fn import_changes(
    writer: &BatchWriter<pb::BatchChangeInventoryResponse>,
    feed: &Feed,
    caller: &Caller,
    mut stream: Streaming<pb::ImportInventoryChangesRequest>,
) -> Result<pb::ImportInventoryChangesResponse, Status> {
    let mut response = pb::ImportInventoryChangesResponse::default();
    let mut offset = 0i64;
    while let Some(message) = stream.message().await? {
        let n = message.changes.len();
        if n == 0 || n > MAX_IMPORT_BATCH {
            let (reason, description) = if n == 0 {
                (
                    reasons::ARRAY_LENGTH_TOO_SHORT,
                    "must hold at least 1 change".to_owned(),
                )
            } else {
                (
                    reasons::ARRAY_LENGTH_TOO_LONG,
                    format!("must hold at most {MAX_IMPORT_BATCH} changes"),
                )
            };
            return Err(ApiError::from(Violation::new("changes", reason, description)).into());
        }
        let refusals = import_batch(writer, feed, caller, message, &mut response).await?;
        let refused: std::collections::BTreeSet<usize> = refusals.iter().map(|r| r.0).collect();
        response.refused += refused.len() as i64;
        if !refused.is_empty() {
            response.held_back += (n - refused.len()) as i64;
        }
        for (index, violation) in refusals {
            if response.refused_changes.len() < MAX_LISTED_REFUSALS {
                response.refused_changes.push(pb::RefusedInventoryChange {
                    index: offset + index as i64,
                    field: violation
                        .field
                        .split_once("].")
                        .map_or(String::new(), |(_, f)| f.to_owned()),
                    reason: violation.reason.to_owned(),
                    description: violation.description,
                });
            }
        }
        offset += n as i64;
    }
    Ok(response)
}

/// One message: applied (counted in `response`) or its refusals, by change index.
async fn import_batch(
    writer: &BatchWriter<pb::BatchChangeInventoryResponse>,
    feed: &Feed,
    caller: &Caller,
    message: pb::ImportInventoryChangesRequest,
    response: &mut pb::ImportInventoryChangesResponse,
) -> Result<Vec<(usize, Violation)>, ApiError> {
    let mut meant = message.clone();
    meant.changes.iter_mut().for_each(spell_ids_canonically);
    let digest = format!("{:x}", Sha256::digest(meant.encode_to_vec()));
    let given = message.source.clone().unwrap_or_default();
    let default_source = ChangeSource {
        product: super::ledger_wire::product_from_wire(given.product)
            .unwrap_or(Product::ExternalApi)
            .as_str()
            .to_owned(),
        application_id: caller.source.application_id.clone(),
        name: if given.name.is_empty() {
            caller.source.name.clone()
        } else {
            given.name
        },
    };
    let now = now_micros();
    let n = message.changes.len();
    let mut errors = Violations::default();
    let mut changes = Vec::with_capacity(n);
    let mut kept = Vec::with_capacity(n);
    for (i, mut change) in message.changes.into_iter().enumerate() {
        match imported_change(i, &mut change, now, &default_source) {
            Ok((valid, keep)) => {
                changes.push(valid);
                kept.push(keep);
            }
            Err(violations) => errors.0.extend(violations.0),
        }
    }
    if errors.0.is_empty() {
        let ids = kept.iter().map(|k| k.id.as_deref());
        for (i, first) in repeated_ids(ids).into_iter().enumerate() {
            if let Some(first) = first {
                errors.push(Violation::new(
                    change_path(i, &changes[i], "id"),
                    reasons::ALREADY_EXISTS,
                    format!("changes[{first}] of this message has the same id"),
                ));
            }
        }
    }
    if !errors.0.is_empty() {
        return Ok(by_index(errors.0));
    }
    let batch = BatchRequest {
        idempotency_key: format!("import:{digest}"),
        request_digest: digest,
        changes,
        ignore_unchanged_counts: false,
        source: default_source,
        now,
        kept,
    };
    match writer.submit(caller.merchant.clone(), batch).await {
        Ok(BatchOutcome::Applied(applied)) => {
            feed.notify();
            response.applied += applied.changes.len() as i64;
            response.already_present += (n - applied.changes.len()) as i64;
            Ok(Vec::new())
        }
        Ok(BatchOutcome::Replayed(_)) => {
            response.already_present += n as i64;
            Ok(Vec::new())
        }
        Err(StoreError::Rejected(violations)) => Ok(by_index(violations.0)),
        Err(StoreError::CountOutOfRange { field }) => Ok(by_index(vec![Violation::new(
            field,
            reasons::COUNT_OUT_OF_RANGE,
            "the count would leave its range",
        )])),
        Err(e) => Err(e.into()),
    }
}

/// Violations with the index of their change (`changes[i].…`).
fn by_index(violations: Vec<Violation>) -> Vec<(usize, Violation)> {
    violations
        .into_iter()
        .map(|v| {
            let index = v
                .field
                .strip_prefix("changes[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| i.parse().ok())
                .unwrap_or(0);
            (index, v)
        })
        .collect()
}
