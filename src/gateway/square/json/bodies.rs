//! The bodies of Square's inventory paths: each request body read as the ledger's request
//! (with Square's 2026 `sort` and its `ADJUSTMENT` filter that includes moves between
//! locations), and each answer written from the ledger's response.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::encoding::{square_has, square_has_wire, state_number, time_from_json, type_number};
use super::reasons::{InventoryAdjustmentReasonId, square_reason_id};
use super::{
    InventoryAdjustment, InventoryChange, InventoryCount, InventoryPhysicalCount,
    InventoryTransfer, Refusal, change_from_json, change_to_json, count_to_json, is_empty,
};
use crate::api::ledger_wire::{state_from_wire, state_to_wire};
use crate::domain::ledger::InventoryState;
use crate::domain::list::{MAX_FILTER_ENTRIES, check_length, distinct};
use crate::domain::text::quote;
use crate::proto::v1 as pb;

/// Body of `POST /v2/inventory/changes/batch-create` (and `/batch-change`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchChangeInventoryRequest {
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub changes: Vec<InventoryChange>,
    #[serde(default)]
    pub ignore_unchanged_counts: Option<bool>,
}

/// Body of `POST /v2/inventory/counts/batch-retrieve` (and `/batch-retrieve-counts`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRetrieveInventoryCountsRequest {
    #[serde(default)]
    pub catalog_object_ids: Vec<String>,
    #[serde(default)]
    pub location_ids: Vec<String>,
    #[serde(default)]
    pub updated_after: Option<String>,
    #[serde(default)]
    pub cursor: String,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub limit: Option<i32>,
}

/// Body of `POST /v2/inventory/changes/batch-retrieve` (and `/batch-retrieve-changes`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRetrieveInventoryChangesRequest {
    #[serde(default)]
    pub catalog_object_ids: Vec<String>,
    #[serde(default)]
    pub location_ids: Vec<String>,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub updated_after: Option<String>,
    #[serde(default)]
    pub updated_before: Option<String>,
    #[serde(default)]
    pub cursor: String,
    #[serde(default)]
    pub limit: Option<i32>,
    /// Square 2026: `{"field": "OCCURRED_AT", "order": "ASC" | "DESC"}`.
    #[serde(default)]
    pub sort: Option<ChangesSort>,
    /// Square 2026: only changes with one of these reasons; not with `states`.
    #[serde(default)]
    pub reason_ids: Vec<InventoryAdjustmentReasonId>,
}

/// Square's `BatchRetrieveInventoryChangesSort`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesSort {
    /// Only `OCCURRED_AT` (the default).
    #[serde(default)]
    pub field: Option<String>,
    /// `ASC` (the default) or `DESC`.
    #[serde(default)]
    pub order: Option<String>,
}

/// The ledger's order of a `sort`: by `occurred_at` (then the server's sequence).
fn sort_order(sort: &Option<ChangesSort>) -> Result<i32, Refusal> {
    let Some(sort) = sort else { return Ok(0) };
    if let Some(field) = sort.field.as_deref().filter(|f| *f != "OCCURRED_AT") {
        return Err(Refusal::invalid_value(
            "sort.field",
            &format!(
                "changes are sorted by OCCURRED_AT only, not {}",
                quote(field)
            ),
        ));
    }
    match sort.order.as_deref() {
        None | Some("ASC") => Ok(pb::SortOrder::OldestFirst as i32),
        Some("DESC") => Ok(pb::SortOrder::NewestFirst as i32),
        Some(other) => Err(Refusal::invalid_value(
            "sort.order",
            &format!("must be ASC or DESC, not {}", quote(other)),
        )),
    }
}

/// A response holding counts: batch-create's, batch-retrieve counts', GET an item's counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CountsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<InventoryCount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<InventoryChange>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub cursor: String,
}

/// A response holding changes: batch-retrieve changes', GET an item's changes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangesResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<InventoryChange>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub cursor: String,
}

/// Answer of `GET /v2/inventory/adjustments/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<InventoryAdjustment>,
}

/// Answer of `GET /v2/inventory/physical-counts/{id}`: Square names the physical count
/// `count`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PhysicalCountResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<InventoryPhysicalCount>,
}

/// Answer of `GET /v2/inventory/transfers/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransferResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<InventoryTransfer>,
}

pub fn batch_change_from_json(
    r: &BatchChangeInventoryRequest,
) -> Result<pb::BatchChangeInventoryRequest, Refusal> {
    Ok(pb::BatchChangeInventoryRequest {
        idempotency_key: r.idempotency_key.clone(),
        changes: r
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| change_from_json(i, c))
            .collect::<Result<_, _>>()?,
        ignore_unchanged_counts: r.ignore_unchanged_counts,
        forbid_negative_counts: None,
    })
}

pub fn batch_change_to_json(r: &pb::BatchChangeInventoryResponse) -> CountsResponse {
    CountsResponse {
        counts: r
            .counts
            .iter()
            .filter(answered_to_square)
            .map(count_to_json)
            .collect(),
        changes: r.changes.iter().map(change_to_json).collect(),
        cursor: String::new(),
    }
}

/// The service's request for Square's counts request; `None` when its `states` filter names
/// only states that keep no count here (beyond the ones Square ignores), whose answer is
/// empty, as Square's would be.
pub fn counts_request_from_json(
    r: &BatchRetrieveInventoryCountsRequest,
) -> Result<Option<pb::BatchRetrieveInventoryCountsRequest>, Refusal> {
    let Some(states) = counts_states(&r.states)? else {
        return Ok(None);
    };
    Ok(Some(pb::BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: r.catalog_object_ids.clone(),
        location_ids: r.location_ids.clone(),
        updated_after: time_from_json("updated_after", &r.updated_after)?,
        cursor: r.cursor.clone(),
        states,
        limit: r.limit.unwrap_or(0),
        as_of: None,
    }))
}

/// Square's counts `states` filter as the service takes it: NONE, SOLD and UNLINKED_RETURN
/// are ignored, as Square ignores them there; a state that keeps no count here (Square's
/// IN_TRANSIT, …) matches nothing; an unknown name goes on, for the service to refuse; a
/// state Square does not have (DAMAGED, …) is refused. `None` when the filter matches
/// nothing.
fn counts_states(names: &[String]) -> Result<Option<Vec<i32>>, Refusal> {
    let mut states = Vec::with_capacity(names.len());
    let mut matches_nothing = false;
    for (i, name) in names.iter().enumerate() {
        let number = state_number(&format!("states[{i}]"), &Some(name.clone()))?;
        match state_from_wire(number) {
            Some(InventoryState::None | InventoryState::Sold | InventoryState::UnlinkedReturn) => {}
            Some(state) if !state.keeps_count() => matches_nothing = true,
            _ => states.push(number),
        }
    }
    Ok(if states.is_empty() && matches_nothing {
        None
    } else {
        Some(states)
    })
}

/// Square's history `states` filter: each name as the service takes it, a state Square
/// does not have refused; `SUPPORTED_BY_NEWER_VERSION`, which Square's door answers for
/// the ledger's own states, also finds the changes in them.
fn changes_states(names: &[String]) -> Result<Vec<i32>, Refusal> {
    let mut states = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let number = state_number(&format!("states[{i}]"), &Some(name.clone()))?;
        states.push(number);
        if number == pb::InventoryState::SupportedByNewerVersion as i32 {
            states.extend(
                InventoryState::ALL
                    .into_iter()
                    .filter(|s| !square_has(*s))
                    .map(state_to_wire),
            );
        }
    }
    Ok(states)
}

/// Whether Square's door answers this count: not when it is in a state Square does not
/// have (docs/square.md, "States Square does not have").
fn answered_to_square(count: &&pb::InventoryCount) -> bool {
    square_has_wire(count.state)
}

pub fn counts_to_json(counts: &[pb::InventoryCount], cursor: &str) -> CountsResponse {
    CountsResponse {
        counts: counts
            .iter()
            .filter(answered_to_square)
            .map(count_to_json)
            .collect(),
        changes: Vec::new(),
        cursor: cursor.to_owned(),
    }
}

/// The ledger's types of a `types` filter: in Square's 2026 model an `ADJUSTMENT` includes
/// moves between locations, the ledger's transfers. The list is bounded as the service
/// bounds it (checked here, on the list as sent, since the transfer is added to it), and
/// each type is sent once.
fn changes_types(types: &[String]) -> Result<Vec<i32>, Refusal> {
    check_length("types", types.len(), MAX_FILTER_ENTRIES, "types").map_err(Refusal::from)?;
    let mut numbers = distinct(types.iter().map(|t| type_number(t)).collect());
    let transfer = pb::InventoryChangeType::Transfer as i32;
    if numbers.contains(&(pb::InventoryChangeType::Adjustment as i32))
        && !numbers.contains(&transfer)
    {
        numbers.push(transfer);
    }
    Ok(numbers)
}

pub fn changes_request_from_json(
    r: &BatchRetrieveInventoryChangesRequest,
) -> Result<pb::BatchRetrieveInventoryChangesRequest, Refusal> {
    if !r.reason_ids.is_empty() && !r.states.is_empty() {
        return Err(Refusal::invalid_value(
            "reason_ids",
            "a request cannot filter on both reason_ids and states",
        ));
    }
    Ok(pb::BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: r.catalog_object_ids.clone(),
        location_ids: r.location_ids.clone(),
        types: changes_types(&r.types)?,
        states: changes_states(&r.states)?,
        updated_after: time_from_json("updated_after", &r.updated_after)?,
        updated_before: time_from_json("updated_before", &r.updated_before)?,
        cursor: r.cursor.clone(),
        limit: r.limit.unwrap_or(0),
        sort_order: sort_order(&r.sort)?,
        reason_ids: r
            .reason_ids
            .iter()
            .enumerate()
            .map(|(i, id)| square_reason_id(&format!("reason_ids[{i}]"), id))
            .collect::<Result<_, _>>()?,
    })
}

pub fn changes_to_json(changes: &[pb::InventoryChange], cursor: &str) -> ChangesResponse {
    ChangesResponse {
        changes: changes.iter().map(change_to_json).collect(),
        cursor: cursor.to_owned(),
    }
}

/// Square's rule for `occurred_at`: never in the future. A change of the batch saying it
/// occurred later than `skew` from now is refused (`INVALID_TIME`), naming its field as
/// sent; the ledger itself allows five minutes of clock skew, Square none.
pub fn check_not_in_future(
    sent: &BatchChangeInventoryRequest,
    skew: std::time::Duration,
) -> Result<(), Refusal> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let latest = (now + skew).as_micros() as i64;
    for (i, change) in sent.changes.iter().enumerate() {
        let members = [
            (
                "adjustment",
                change
                    .adjustment
                    .as_ref()
                    .and_then(|a| a.occurred_at.as_ref()),
            ),
            (
                "physical_count",
                change
                    .physical_count
                    .as_ref()
                    .and_then(|c| c.occurred_at.as_ref()),
            ),
            (
                "transfer",
                change
                    .transfer
                    .as_ref()
                    .and_then(|t| t.occurred_at.as_ref()),
            ),
        ];
        for (member, occurred_at) in members {
            let Some(text) = occurred_at else { continue };
            let field = format!("changes[{i}].{member}.occurred_at");
            let Ok(time) = crate::api::convert::timestamp_from_rfc3339(text) else {
                continue; // unreadable: the conversion names it
            };
            let micros = time.seconds * 1_000_000 + i64::from(time.nanos) / 1_000;
            if micros > latest {
                return Err(Refusal::one(
                    http::StatusCode::BAD_REQUEST,
                    super::INVALID_REQUEST_ERROR,
                    "INVALID_TIME",
                    "occurred_at must not be in the future",
                    Some(field),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::gateway::square::json::fixtures::{adjustment_json, ts};

    #[test]
    fn square_2026_sort_of_changes() {
        let table: [(Value, Result<i32, &str>); 7] = [
            (json!({}), Ok(0)),
            (json!({"sort": {}}), Ok(1)),
            (json!({"sort": {"order": "ASC"}}), Ok(1)),
            (
                json!({"sort": {"field": "OCCURRED_AT", "order": "DESC"}}),
                Ok(2),
            ),
            (json!({"sort": {"order": "DESC"}}), Ok(2)),
            (json!({"sort": {"order": "desc"}}), Err("sort.order")),
            (json!({"sort": {"field": "CREATED_AT"}}), Err("sort.field")),
        ];
        for (body, expected) in table {
            let request: BatchRetrieveInventoryChangesRequest =
                serde_json::from_value(body.clone()).unwrap();
            let got = changes_request_from_json(&request);
            match expected {
                Ok(order) => assert_eq!(got.unwrap().sort_order, order, "{body}"),
                Err(field) => assert_eq!(
                    got.unwrap_err().envelope.errors[0].field.as_deref(),
                    Some(field),
                    "{body}"
                ),
            }
        }
    }

    #[test]
    fn an_adjustment_filter_includes_moves_between_locations() {
        let request = BatchRetrieveInventoryChangesRequest {
            types: vec!["ADJUSTMENT".into()],
            ..Default::default()
        };
        assert_eq!(
            changes_request_from_json(&request).unwrap().types,
            [
                pb::InventoryChangeType::Adjustment as i32,
                pb::InventoryChangeType::Transfer as i32
            ]
        );
        let request = BatchRetrieveInventoryChangesRequest {
            types: vec!["PHYSICAL_COUNT".into()],
            ..Default::default()
        };
        assert_eq!(
            changes_request_from_json(&request).unwrap().types,
            [pb::InventoryChangeType::PhysicalCount as i32]
        );
    }

    #[test]
    fn requests_map_every_field() {
        let body = json!({
            "catalog_object_ids": ["item-1"],
            "location_ids": ["loc-1", "loc-2"],
            "types": ["PHYSICAL_COUNT"],
            "states": ["IN_STOCK", "WASTE"],
            "updated_after": "2026-11-27T09:30:00Z",
            "updated_before": "2026-11-27T10:30:00Z",
            "cursor": "c",
            "limit": 7,
        });
        let read: BatchRetrieveInventoryChangesRequest = serde_json::from_value(body).unwrap();
        assert_eq!(
            changes_request_from_json(&read).unwrap(),
            pb::BatchRetrieveInventoryChangesRequest {
                catalog_object_ids: vec!["item-1".into()],
                location_ids: vec!["loc-1".into(), "loc-2".into()],
                types: vec![pb::InventoryChangeType::PhysicalCount as i32],
                states: vec![
                    pb::InventoryState::InStock as i32,
                    pb::InventoryState::Waste as i32
                ],
                updated_after: ts(1_795_771_800, 0),
                updated_before: ts(1_795_775_400, 0),
                cursor: "c".into(),
                limit: 7,
                sort_order: 0,
                reason_ids: Vec::new(),
            }
        );
        let body = json!({
            "catalog_object_ids": ["item-1"],
            "location_ids": ["loc-1"],
            "states": ["IN_STOCK"],
            "updated_after": "2026-11-27T09:30:00Z",
            "cursor": "c",
            "limit": 1000,
        });
        let read: BatchRetrieveInventoryCountsRequest = serde_json::from_value(body).unwrap();
        assert_eq!(
            counts_request_from_json(&read).unwrap(),
            Some(pb::BatchRetrieveInventoryCountsRequest {
                catalog_object_ids: vec!["item-1".into()],
                location_ids: vec!["loc-1".into()],
                updated_after: ts(1_795_771_800, 0),
                cursor: "c".into(),
                states: vec![pb::InventoryState::InStock as i32],
                limit: 1000,
                as_of: None,
            })
        );
        let body = json!({
            "idempotency_key": "k",
            "changes": [{"type": "ADJUSTMENT", "adjustment": adjustment_json()}],
            "ignore_unchanged_counts": false,
        });
        let read: BatchChangeInventoryRequest = serde_json::from_value(body).unwrap();
        let request = batch_change_from_json(&read).unwrap();
        assert_eq!(request.idempotency_key, "k");
        assert_eq!(request.ignore_unchanged_counts, Some(false));
        assert_eq!(request.changes.len(), 1);
    }

    #[test]
    fn counts_states_are_taken_as_square_takes_them() {
        use pb::InventoryState as S;
        let states = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            counts_states(&names).unwrap()
        };
        let number = |s: S| s as i32;
        assert_eq!(
            states(&["IN_STOCK", "RESERVED_FOR_SALE", "WASTE"]),
            Some(vec![
                number(S::InStock),
                number(S::ReservedForSale),
                number(S::Waste)
            ])
        );
        assert_eq!(
            states(&["SOLD", "NONE", "UNLINKED_RETURN", "IN_STOCK"]),
            Some(vec![number(S::InStock)]),
            "ignored as Square ignores them"
        );
        assert_eq!(
            states(&["SOLD"]),
            Some(vec![]),
            "only ignored states: no filter"
        );
        assert_eq!(
            states(&["IN_TRANSIT"]),
            None,
            "keeps no count here: nothing matches"
        );
        assert_eq!(
            states(&["IN_TRANSIT", "WASTE"]),
            Some(vec![number(S::Waste)])
        );
        let unknown = states(&["NOT_A_STATE"]).unwrap();
        assert_eq!(unknown.len(), 1, "left for the service to refuse");
        let refused = counts_states(&["IN_STOCK".into(), "DAMAGED".into()]).unwrap_err();
        let error = &refused.envelope.errors[0];
        assert_eq!(
            (error.code.as_str(), error.field.as_deref()),
            ("INVALID_ENUM_VALUE", Some("states[1]")),
            "a state Square does not have is refused, named"
        );
    }

    #[test]
    fn states_square_does_not_have_stay_out_of_its_answers() {
        use pb::InventoryState as S;
        let count = |state: S| pb::InventoryCount {
            state: state as i32,
            ..Default::default()
        };
        let counts = [count(S::InStock), count(S::Damaged), count(S::SafetyStock)];
        let answered = counts_to_json(&counts, "next");
        assert_eq!(answered.counts.len(), 1);
        assert_eq!(answered.counts[0].state.as_deref(), Some("IN_STOCK"));
        assert_eq!(answered.cursor, "next");
        // History: Square's word for them finds them.
        let read = |states: &[&str]| {
            let request = BatchRetrieveInventoryChangesRequest {
                states: states.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            };
            changes_request_from_json(&request)
        };
        assert_eq!(
            read(&["SUPPORTED_BY_NEWER_VERSION"]).unwrap().states,
            [
                S::SupportedByNewerVersion as i32,
                S::Damaged as i32,
                S::QualityControl as i32,
                S::SafetyStock as i32
            ]
        );
        let refused = read(&["WASTE", "QUALITY_CONTROL"]).unwrap_err();
        assert_eq!(
            refused.envelope.errors[0].field.as_deref(),
            Some("states[1]")
        );
    }
}
