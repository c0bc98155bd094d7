//! ImportInventoryChanges: history from another system, a stream of batches through the
//! ledger's one way in (`api::ledger`, docs/import-export.md). Each message is one batch,
//! checked with history's `occurred_at` window and applied whole or not at all; the call is
//! answered once the stream ends, with what was applied, already present and refused. Ids
//! are canonicalised (`domain::id`), so a change sent again in another spelling of its id is
//! already present, and one id twice in a message refuses the message.

use tonic::{Status, Streaming};

use super::ApiError;
use super::ledger::{
    ImportBatch, Ledger, MAX_IMPORT_BATCH, SubmitError, check_batch_length, refused_changes,
};
use super::ledger_wire::product_from_wire;
use crate::domain::ledger::ChangeSource;
use crate::domain::product::Product;
use crate::domain::refusal::ChangeViolations;
use crate::domain::tenant::Caller;
use crate::proto::v1 as pb;
use crate::store::now_micros;

/// Most refusals listed in the response (`refused` counts them all).
const MAX_LISTED_REFUSALS: usize = 1_000;

/// Applies every message of `stream` as one batch, in order.
pub(super) async fn import_changes(
    ledger: &Ledger,
    caller: &Caller,
    mut stream: Streaming<pb::ImportInventoryChangesRequest>,
) -> Result<pb::ImportInventoryChangesResponse, Status> {
    let mut response = pb::ImportInventoryChangesResponse::default();
    let mut offset = 0i64;
    while let Some(message) = stream.message().await? {
        let n = message.changes.len();
        check_batch_length(n, MAX_IMPORT_BATCH).map_err(ApiError::from)?;
        let refusals = import_batch(ledger, caller, message, &mut response).await?;
        let refused = refusals.indices();
        response.refused += refused.len() as i64;
        if !refused.is_empty() {
            response.held_back += (n - refused.len()) as i64;
        }
        for refusal in refusals.0 {
            if response.refused_changes.len() < MAX_LISTED_REFUSALS {
                response.refused_changes.push(pb::RefusedInventoryChange {
                    index: offset + refusal.index as i64,
                    field: refusal.path_in_change(),
                    reason: refusal.violation.reason.to_owned(),
                    description: refusal.violation.description,
                });
            }
        }
        offset += n as i64;
    }
    Ok(response)
}

/// One message: applied (counted in `response`) or its refusals.
async fn import_batch(
    ledger: &Ledger,
    caller: &Caller,
    message: pb::ImportInventoryChangesRequest,
    response: &mut pb::ImportInventoryChangesResponse,
) -> Result<ChangeViolations, ApiError> {
    let given = message.source.clone().unwrap_or_default();
    let default_source = ChangeSource {
        product: product_from_wire(given.product)
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
    let mut batch = ImportBatch::new(default_source, message.source, now_micros());
    let mut refusals = ChangeViolations::default();
    for change in message.changes {
        if let Err(violations) = batch.push(change) {
            refusals.extend(violations);
        }
    }
    let request = match batch.finish() {
        Ok(request) => request,
        Err(violations) => {
            refusals.extend(violations);
            return Ok(refusals);
        }
    };
    match ledger.import(&caller.merchant, request).await {
        Ok(imported) => {
            response.applied += imported.applied as i64;
            response.already_present += imported.already_present as i64;
            Ok(refusals)
        }
        Err(SubmitError::Refused(refusal)) => Ok(refused_changes(refusal)),
        Err(SubmitError::Failed(e)) => Err(e),
    }
}
