//! One CSV record's cells, typed: a time (RFC 3339), a flag (`true`/`false`), an enum
//! value by its short name; and the text of each for writing.

use std::collections::HashMap;

use prost_types::Timestamp;

use super::RowError;
use crate::api::convert::{rfc3339, timestamp_from_rfc3339};
use crate::proto::v1 as pb;

/// One CSV record with its header's columns.
pub struct CsvRow<'a> {
    pub(super) record: &'a csv::StringRecord,
    pub(super) columns: &'a HashMap<String, usize>,
}

impl CsvRow<'_> {
    /// The value of `column` (empty when the file has no such column).
    pub fn get(&self, column: &str) -> String {
        self.columns
            .get(column)
            .and_then(|i| self.record.get(*i))
            .unwrap_or_default()
            .to_owned()
    }

    pub(super) fn time(&self, column: &str) -> Result<Option<Timestamp>, RowError> {
        let text = self.get(column);
        if text.is_empty() {
            return Ok(None);
        }
        timestamp_from_rfc3339(&text)
            .map(Some)
            .map_err(|e| RowError::new(column, format!("not an RFC 3339 time: {e}")))
    }

    pub(super) fn flag(&self, column: &str) -> Result<Option<bool>, RowError> {
        match self.get(column).as_str() {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(RowError::new(
                column,
                format!("must be true or false, not {other:?}"),
            )),
        }
    }

    /// An enum value by its short name (`IN_STOCK` for `INVENTORY_STATE_IN_STOCK`).
    pub(super) fn enumerated(
        &self,
        column: &str,
        prefix: &str,
        parse: fn(&str) -> Option<i32>,
    ) -> Result<i32, RowError> {
        let text = self.get(column);
        if text.is_empty() {
            return Ok(0);
        }
        parse(&format!("{prefix}{text}"))
            .ok_or_else(|| RowError::new(column, format!("{text:?} is not a known value")))
    }
}

pub(super) fn time_text(ts: &Option<Timestamp>) -> String {
    ts.as_ref().and_then(rfc3339).unwrap_or_default()
}

pub(super) fn flag_text(flag: Option<bool>) -> String {
    flag.map(|f| f.to_string()).unwrap_or_default()
}

/// An enum's short name: its proto name less `prefix`.
pub(super) fn short(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

pub(super) fn state_name(raw: i32) -> String {
    pb::InventoryState::try_from(raw)
        .ok()
        .filter(|s| *s != pb::InventoryState::Unspecified)
        .map(|s| short(s.as_str_name(), "INVENTORY_STATE_"))
        .unwrap_or_default()
}

pub(super) fn parse_state(name: &str) -> Option<i32> {
    pb::InventoryState::from_str_name(name).map(Into::into)
}

const REASON_PREFIX: &str = "INVENTORY_ADJUSTMENT_REASON_TYPE_";

/// The two cells of a reason: its type's short name (`THEFT`) and the custom reason's id.
pub(super) fn reason_cells(reason: &Option<pb::InventoryAdjustmentReasonId>) -> (String, String) {
    let Some(reason) = reason else {
        return (String::new(), String::new());
    };
    let kind = pb::InventoryAdjustmentReasonType::try_from(reason.r#type)
        .ok()
        .filter(|t| *t != pb::InventoryAdjustmentReasonType::Unspecified)
        .map(|t| short(t.as_str_name(), REASON_PREFIX))
        .unwrap_or_default();
    (kind, reason.custom_reason_id.clone())
}

impl CsvRow<'_> {
    /// The reason of the `reason_type` and `custom_reason_id` cells; none when both are
    /// empty.
    pub(super) fn reason(&self) -> Result<Option<pb::InventoryAdjustmentReasonId>, RowError> {
        let custom_reason_id = self.get("custom_reason_id");
        let r#type = self.enumerated("reason_type", REASON_PREFIX, |name| {
            pb::InventoryAdjustmentReasonType::from_str_name(name).map(Into::into)
        })?;
        Ok((r#type != 0 || !custom_reason_id.is_empty()).then_some(
            pb::InventoryAdjustmentReasonId {
                r#type,
                custom_reason_id,
            },
        ))
    }
}
