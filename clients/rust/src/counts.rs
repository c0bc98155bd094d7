//! Counts, typed: [`Client::list_inventory_counts`](crate::Client::list_inventory_counts)
//! reads `BatchRetrieveInventoryCounts` page after page as [`Count`]s, the quantity an
//! exact [`Decimal`], the state a [`pb::InventoryState`], the time a [`SystemTime`];
//! `batch_retrieve_inventory_counts` and `retrieve_inventory_count` answer one page of
//! them ([`CountPage`]).

use std::time::SystemTime;

use rust_decimal::Decimal;

use crate::{Error, pb};

/// One count: how much of an item is in one state at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// Id of the item.
    pub catalog_object_id: String,
    /// Id of the location.
    pub location_id: String,
    /// The state (`Unspecified` for a state newer than this client).
    pub state: pb::InventoryState,
    /// The quantity, exact (negative when more left than was recorded as arriving).
    pub quantity: Decimal,
    /// When the server calculated it.
    pub calculated_at: Option<SystemTime>,
    /// Whether it is an estimate.
    pub is_estimated: bool,
}

impl Count {
    /// The server's count at `position` of its answer.
    pub(crate) fn from_wire(count: pb::InventoryCount, position: usize) -> Result<Self, Error> {
        Ok(Count {
            state: count.state(),
            quantity: crate::decimal::field_from_wire(
                &count.quantity,
                &format!("counts[{position}].quantity"),
            )?,
            calculated_at: crate::time::from_field(count.calculated_at.as_ref()),
            is_estimated: count.is_estimated,
            catalog_object_id: count.catalog_object_id,
            location_id: count.location_id,
        })
    }
}

/// One page of counts (`batch_retrieve_inventory_counts`, `retrieve_inventory_count`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountPage {
    /// The counts, most recently calculated first.
    pub counts: Vec<Count>,
    /// The request's `cursor` for the next page; empty on the last page.
    pub cursor: String,
}

impl CountPage {
    /// The server's page: its counts, each named by its position, and its cursor.
    pub(crate) fn from_wire(
        counts: Vec<pb::InventoryCount>,
        cursor: String,
    ) -> Result<Self, Error> {
        Ok(CountPage {
            counts: counts
                .into_iter()
                .enumerate()
                .map(|(position, count)| Count::from_wire(count, position))
                .collect::<Result<_, _>>()?,
            cursor,
        })
    }
}

/// Which counts [`Client::list_inventory_counts`](crate::Client::list_inventory_counts)
/// reads: [`CountFilter::all`], optionally `.items(..)`, `.locations(..)`, `.states(..)`,
/// `.updated_after(..)`, `.as_of(..)` and `.page_size(..)` a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountFilter {
    /// Only these items; empty: all.
    pub catalog_object_ids: Vec<String>,
    /// Only at these locations; empty: all.
    pub location_ids: Vec<String>,
    /// Only in these states (those that keep a count: `InStock`, `Waste`, …; `Sold` is
    /// refused); empty: all of them.
    pub states: Vec<pb::InventoryState>,
    /// Only counts changed strictly after this time.
    pub updated_after: Option<SystemTime>,
    /// The counts as they were at this time; `None`: now.
    pub as_of: Option<SystemTime>,
    /// Counts a page; 0: the server's default.
    pub page_size: i32,
}

impl CountFilter {
    /// Every count.
    pub fn all() -> Self {
        CountFilter::default()
    }

    /// Only these items.
    pub fn items(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.catalog_object_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Only at these locations.
    pub fn locations(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.location_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Only in these states.
    pub fn states(mut self, states: impl IntoIterator<Item = pb::InventoryState>) -> Self {
        self.states = states.into_iter().collect();
        self
    }

    /// Only counts changed strictly after `time`.
    pub fn updated_after(mut self, time: SystemTime) -> Self {
        self.updated_after = Some(time);
        self
    }

    /// The counts as they were at `time`.
    pub fn as_of(mut self, time: SystemTime) -> Self {
        self.as_of = Some(time);
        self
    }

    /// `page_size` counts a call.
    pub fn page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    pub(crate) fn to_wire(&self) -> pb::BatchRetrieveInventoryCountsRequest {
        pb::BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: self.catalog_object_ids.clone(),
            location_ids: self.location_ids.clone(),
            updated_after: self.updated_after.map(crate::time::to_timestamp),
            cursor: String::new(),
            states: self.states.iter().map(|&state| state as i32).collect(),
            limit: self.page_size,
            as_of: self.as_of.map(crate::time::to_timestamp),
        }
    }
}

impl From<CountFilter> for pb::BatchRetrieveInventoryCountsRequest {
    fn from(filter: CountFilter) -> Self {
        filter.to_wire()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_on_the_wire() {
        let request = pb::BatchRetrieveInventoryCountsRequest::from(
            CountFilter::all()
                .items(["item"])
                .states([pb::InventoryState::InStock, pb::InventoryState::Sold])
                .as_of(SystemTime::UNIX_EPOCH)
                .page_size(5),
        );
        assert_eq!(request.catalog_object_ids, ["item"]);
        assert_eq!(
            request.states,
            [
                pb::InventoryState::InStock as i32,
                pb::InventoryState::Sold as i32
            ]
        );
        assert_eq!(request.as_of, Some(prost_types::Timestamp::default()));
        assert_eq!((request.limit, request.updated_after), (5, None));
    }

    #[test]
    fn a_count_from_the_wire() {
        let count = Count::from_wire(
            pb::InventoryCount {
                catalog_object_id: "i".into(),
                location_id: "l".into(),
                state: pb::InventoryState::InStock as i32,
                quantity: "-2.5".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap();
        assert_eq!(count.quantity, Decimal::new(-25, 1));
        assert_eq!(count.state, pb::InventoryState::InStock);
        let err = Count::from_wire(
            pb::InventoryCount {
                quantity: "x".into(),
                ..Default::default()
            },
            3,
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("counts[3].quantity"));
    }
}
