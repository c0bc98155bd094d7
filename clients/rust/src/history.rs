//! Changes as the server answers them, typed: a [`Change`] is an [`Adjustment`], a
//! [`PhysicalCount`] or a [`Transfer`], with exact [`Decimal`] quantities, states as
//! [`pb::InventoryState`]s and times as [`SystemTime`]s. They come back from
//! [`Client::batch_change_inventory`](crate::Client::batch_change_inventory) (a
//! [`ChangeBatch`]: the changes recorded and the counts they left), the history reads
//! ([`Client::batch_retrieve_inventory_changes`](crate::Client::batch_retrieve_inventory_changes),
//! a [`ChangePage`]; [`Client::retrieve_inventory_adjustment`](crate::Client::retrieve_inventory_adjustment)
//! and its siblings) and the streams ([`StreamedChange`], [`WatchedChange`],
//! [`WatchedCount`] with its [`CountUpdate`]); an import answers an [`ImportSummary`]. A
//! decimal the server sent that is none is
//! an [`Error`] naming the response field (e.g. `changes[2].adjustment.quantity`), as a
//! change missing from its message is.

use std::time::SystemTime;

use rust_decimal::Decimal;

use crate::counts::Count;
use crate::decimal::field_from_wire;
use crate::pb::{self, InventoryChangeType, InventoryState, inventory_change};
use crate::{Error, required, time};

/// An amount of money: an exact amount in an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// ISO 4217 code, upper case (e.g. `EUR`).
    pub currency: String,
}

/// Which application made a change (the server sets it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The kind of product (`Unspecified` for one newer than this client).
    pub product: pb::Product,
    /// Id of the application.
    pub application_id: String,
    /// Display name of the application.
    pub name: String,
}

/// A quantity moved from one state to another at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    /// The server's id.
    pub id: String,
    /// The caller's own id (empty: none).
    pub reference_id: String,
    /// The state the quantity left.
    pub from_state: InventoryState,
    /// The state the quantity entered.
    pub to_state: InventoryState,
    /// Id of the location.
    pub location_id: String,
    /// Id of the item.
    pub catalog_object_id: String,
    /// The quantity moved, exact.
    pub quantity: Decimal,
    /// Total price of a sale (to SOLD), when given.
    pub total_price: Option<Money>,
    /// When it happened (client time).
    pub occurred_at: Option<SystemTime>,
    /// When the server recorded it.
    pub created_at: Option<SystemTime>,
    /// Which application made it.
    pub source: Option<Source>,
    /// Employee who made it (empty: none).
    pub employee_id: String,
    /// Team member who made it (empty: none).
    pub team_member_id: String,
    /// Sale it belongs to (empty: none).
    pub transaction_id: String,
    /// Refund it belongs to (empty: none).
    pub refund_id: String,
    /// Purchase order it belongs to (empty: none).
    pub purchase_order_id: String,
    /// Goods receipt it belongs to (empty: none).
    pub goods_receipt_id: String,
    /// The reservation whose step moved these units (empty: none).
    pub reservation_id: String,
    /// Why the stock moved, when given.
    pub reason_id: Option<pb::InventoryAdjustmentReasonId>,
    /// What a receipt's units cost, when given.
    pub cost: Option<Money>,
    /// The vendor a receipt's units came from (empty: none).
    pub vendor_id: String,
}

/// A verified quantity in one state at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysicalCount {
    /// The server's id.
    pub id: String,
    /// The caller's own id (empty: none).
    pub reference_id: String,
    /// Id of the item.
    pub catalog_object_id: String,
    /// The state counted.
    pub state: InventoryState,
    /// Id of the location.
    pub location_id: String,
    /// The quantity counted, exact.
    pub quantity: Decimal,
    /// Which application made it.
    pub source: Option<Source>,
    /// Employee who counted (empty: none).
    pub employee_id: String,
    /// Team member who counted (empty: none).
    pub team_member_id: String,
    /// When it was counted (client time).
    pub occurred_at: Option<SystemTime>,
    /// When the server recorded it.
    pub created_at: Option<SystemTime>,
    /// Why it was counted, when given.
    pub reason_id: Option<pb::InventoryAdjustmentReasonId>,
}

/// A quantity in one state moved from one location to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The server's id.
    pub id: String,
    /// The caller's own id (empty: none).
    pub reference_id: String,
    /// The state of the quantity moved.
    pub state: InventoryState,
    /// Id of the location the quantity left.
    pub from_location_id: String,
    /// Id of the location the quantity entered.
    pub to_location_id: String,
    /// Id of the item.
    pub catalog_object_id: String,
    /// The quantity moved, exact.
    pub quantity: Decimal,
    /// When it happened (client time).
    pub occurred_at: Option<SystemTime>,
    /// When the server recorded it.
    pub created_at: Option<SystemTime>,
    /// Which application made it.
    pub source: Option<Source>,
    /// Employee who made it (empty: none).
    pub employee_id: String,
    /// Team member who made it (empty: none).
    pub team_member_id: String,
    /// Why it moved, when given.
    pub reason_id: Option<pb::InventoryAdjustmentReasonId>,
}

/// One recorded inventory change, whichever kind it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A quantity moved between states.
    Adjustment(Adjustment),
    /// A verified quantity.
    PhysicalCount(PhysicalCount),
    /// A quantity moved between locations.
    Transfer(Transfer),
}

impl Change {
    /// The server's id of the change.
    pub fn id(&self) -> &str {
        match self {
            Change::Adjustment(a) => &a.id,
            Change::PhysicalCount(c) => &c.id,
            Change::Transfer(t) => &t.id,
        }
    }

    /// Which kind of change it is.
    pub fn change_type(&self) -> InventoryChangeType {
        match self {
            Change::Adjustment(_) => InventoryChangeType::Adjustment,
            Change::PhysicalCount(_) => InventoryChangeType::PhysicalCount,
            Change::Transfer(_) => InventoryChangeType::Transfer,
        }
    }

    /// Id of the item changed.
    pub fn catalog_object_id(&self) -> &str {
        match self {
            Change::Adjustment(a) => &a.catalog_object_id,
            Change::PhysicalCount(c) => &c.catalog_object_id,
            Change::Transfer(t) => &t.catalog_object_id,
        }
    }

    /// The quantity moved or counted, exact.
    pub fn quantity(&self) -> Decimal {
        match self {
            Change::Adjustment(a) => a.quantity,
            Change::PhysicalCount(c) => c.quantity,
            Change::Transfer(t) => t.quantity,
        }
    }

    /// When it happened (client time).
    pub fn occurred_at(&self) -> Option<SystemTime> {
        match self {
            Change::Adjustment(a) => a.occurred_at,
            Change::PhysicalCount(c) => c.occurred_at,
            Change::Transfer(t) => t.occurred_at,
        }
    }

    /// When the server recorded it.
    pub fn created_at(&self) -> Option<SystemTime> {
        match self {
            Change::Adjustment(a) => a.created_at,
            Change::PhysicalCount(c) => c.created_at,
            Change::Transfer(t) => t.created_at,
        }
    }

    /// The server's change at `field` of its answer (e.g. `changes[0]`; its quantity is
    /// then `changes[0].adjustment.quantity`).
    pub(crate) fn from_wire(change: pb::InventoryChange, field: &str) -> Result<Self, Error> {
        match change.change {
            Some(inventory_change::Change::Adjustment(a)) => {
                Adjustment::from_wire(a, &format!("{field}.adjustment")).map(Change::Adjustment)
            }
            Some(inventory_change::Change::PhysicalCount(c)) => {
                PhysicalCount::from_wire(c, &format!("{field}.physical_count"))
                    .map(Change::PhysicalCount)
            }
            Some(inventory_change::Change::Transfer(t)) => {
                Transfer::from_wire(t, &format!("{field}.transfer")).map(Change::Transfer)
            }
            None => Err(Error::local(
                tonic::Code::Internal,
                format!("the server sent no {field} in its response"),
            )),
        }
    }
}

fn money_from_wire(money: Option<pb::Money>, field: &str) -> Result<Option<Money>, Error> {
    money
        .map(|money| {
            Ok(Money {
                amount: field_from_wire(&money.amount, &format!("{field}.amount"))?,
                currency: money.currency,
            })
        })
        .transpose()
}

fn source_from_wire(source: Option<pb::SourceApplication>) -> Option<Source> {
    source.map(|source| Source {
        product: source.product(),
        application_id: source.application_id,
        name: source.name,
    })
}

impl Adjustment {
    /// The server's adjustment at `field` of its answer (`adjustment`, `changes[0].adjustment`).
    pub(crate) fn from_wire(a: pb::InventoryAdjustment, field: &str) -> Result<Self, Error> {
        Ok(Adjustment {
            from_state: a.from_state(),
            to_state: a.to_state(),
            quantity: field_from_wire(&a.quantity, &format!("{field}.quantity"))?,
            total_price: money_from_wire(
                a.total_price_money,
                &format!("{field}.total_price_money"),
            )?,
            cost: money_from_wire(a.cost_money, &format!("{field}.cost_money"))?,
            occurred_at: time::from_field(a.occurred_at.as_ref()),
            created_at: time::from_field(a.created_at.as_ref()),
            source: source_from_wire(a.source),
            id: a.id,
            reference_id: a.reference_id,
            location_id: a.location_id,
            catalog_object_id: a.catalog_object_id,
            employee_id: a.employee_id,
            team_member_id: a.team_member_id,
            transaction_id: a.transaction_id,
            refund_id: a.refund_id,
            purchase_order_id: a.purchase_order_id,
            goods_receipt_id: a.goods_receipt_id,
            reservation_id: a.reservation_id,
            reason_id: a.reason_id,
            vendor_id: a.vendor_id,
        })
    }
}

impl PhysicalCount {
    /// The server's physical count at `field` of its answer.
    pub(crate) fn from_wire(c: pb::InventoryPhysicalCount, field: &str) -> Result<Self, Error> {
        Ok(PhysicalCount {
            state: c.state(),
            quantity: field_from_wire(&c.quantity, &format!("{field}.quantity"))?,
            occurred_at: time::from_field(c.occurred_at.as_ref()),
            created_at: time::from_field(c.created_at.as_ref()),
            source: source_from_wire(c.source),
            id: c.id,
            reference_id: c.reference_id,
            catalog_object_id: c.catalog_object_id,
            location_id: c.location_id,
            employee_id: c.employee_id,
            team_member_id: c.team_member_id,
            reason_id: c.reason_id,
        })
    }
}

impl Transfer {
    /// The server's transfer at `field` of its answer.
    pub(crate) fn from_wire(t: pb::InventoryTransfer, field: &str) -> Result<Self, Error> {
        Ok(Transfer {
            state: t.state(),
            quantity: field_from_wire(&t.quantity, &format!("{field}.quantity"))?,
            occurred_at: time::from_field(t.occurred_at.as_ref()),
            created_at: time::from_field(t.created_at.as_ref()),
            source: source_from_wire(t.source),
            id: t.id,
            reference_id: t.reference_id,
            from_location_id: t.from_location_id,
            to_location_id: t.to_location_id,
            catalog_object_id: t.catalog_object_id,
            employee_id: t.employee_id,
            team_member_id: t.team_member_id,
            reason_id: t.reason_id,
        })
    }
}

/// The server's changes, each named by its position in `changes`.
fn changes_from_wire(changes: Vec<pb::InventoryChange>) -> Result<Vec<Change>, Error> {
    changes
        .into_iter()
        .enumerate()
        .map(|(i, change)| Change::from_wire(change, &format!("changes[{i}]")))
        .collect()
}

/// What [`Client::batch_change_inventory`](crate::Client::batch_change_inventory) answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeBatch {
    /// The changes recorded, in request order (a physical count skipped as unchanged is
    /// absent), with their ids, `created_at` and source.
    pub changes: Vec<Change>,
    /// The count of every (item, location, state that keeps a count) the batch touched, as
    /// the batch left it.
    pub counts: Vec<Count>,
}

impl TryFrom<pb::BatchChangeInventoryResponse> for ChangeBatch {
    type Error = Error;

    fn try_from(response: pb::BatchChangeInventoryResponse) -> Result<Self, Error> {
        Ok(ChangeBatch {
            changes: changes_from_wire(response.changes)?,
            counts: response
                .counts
                .into_iter()
                .enumerate()
                .map(|(position, count)| Count::from_wire(count, position))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// One page of [`Client::batch_retrieve_inventory_changes`](crate::Client::batch_retrieve_inventory_changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangePage {
    /// The changes, in the requested order.
    pub changes: Vec<Change>,
    /// The request's `cursor` for the next page; empty on the last page.
    pub cursor: String,
}

impl TryFrom<pb::BatchRetrieveInventoryChangesResponse> for ChangePage {
    type Error = Error;

    fn try_from(response: pb::BatchRetrieveInventoryChangesResponse) -> Result<Self, Error> {
        Ok(ChangePage {
            changes: changes_from_wire(response.changes)?,
            cursor: response.cursor,
        })
    }
}

/// One message of [`Client::stream_inventory_changes`](crate::Client::stream_inventory_changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamedChange {
    /// The next change in the requested order.
    pub change: Change,
    /// The request's `cursor` to resume right after this change.
    pub cursor: String,
}

impl TryFrom<pb::StreamInventoryChangesResponse> for StreamedChange {
    type Error = Error;

    fn try_from(message: pb::StreamInventoryChangesResponse) -> Result<Self, Error> {
        Ok(StreamedChange {
            change: Change::from_wire(required(message.change, "change")?, "change")?,
            cursor: message.cursor,
        })
    }
}

/// One message of [`Client::watch_inventory_changes`](crate::Client::watch_inventory_changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedChange {
    /// The committed change.
    pub change: Change,
    /// Its per-merchant sequence number: gap-free, in commit order.
    pub sequence: u64,
    /// Give it to [`Client::resume_inventory_changes`](crate::Client::resume_inventory_changes)
    /// to resume right after this change.
    pub resume_token: String,
}

impl TryFrom<pb::WatchInventoryChangesResponse> for WatchedChange {
    type Error = Error;

    fn try_from(message: pb::WatchInventoryChangesResponse) -> Result<Self, Error> {
        Ok(WatchedChange {
            change: Change::from_wire(required(message.change, "change")?, "change")?,
            sequence: message.sequence,
            resume_token: message.resume_token,
        })
    }
}

/// A count that a committed change moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountUpdate {
    /// Id of the item.
    pub catalog_object_id: String,
    /// Id of the location.
    pub location_id: String,
    /// The state of the count.
    pub state: InventoryState,
    /// The quantity before the change; `None` when the count did not exist before (absent
    /// is not zero).
    pub previous_quantity: Option<Decimal>,
    /// The quantity after the change, exact.
    pub quantity: Decimal,
    /// Server time of the change.
    pub calculated_at: Option<SystemTime>,
    /// Id of the change that moved it.
    pub change_id: String,
    /// Kind of the change that moved it.
    pub change_type: InventoryChangeType,
}

/// One message of [`Client::watch_inventory_counts`](crate::Client::watch_inventory_counts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedCount {
    /// The count update.
    pub update: CountUpdate,
    /// Sequence number of the change that caused it.
    pub sequence: u64,
    /// Give it to [`Client::resume_inventory_counts`](crate::Client::resume_inventory_counts)
    /// to resume right after this update.
    pub resume_token: String,
}

impl TryFrom<pb::WatchInventoryCountsResponse> for WatchedCount {
    type Error = Error;

    fn try_from(message: pb::WatchInventoryCountsResponse) -> Result<Self, Error> {
        let update = required(message.update, "update")?;
        let previous_quantity = if update.previous_quantity.is_empty() {
            None
        } else {
            Some(field_from_wire(
                &update.previous_quantity,
                "update.previous_quantity",
            )?)
        };
        Ok(WatchedCount {
            update: CountUpdate {
                state: update.state(),
                change_type: update.change_type(),
                previous_quantity,
                quantity: field_from_wire(&update.quantity, "update.quantity")?,
                calculated_at: time::from_field(update.calculated_at.as_ref()),
                catalog_object_id: update.catalog_object_id,
                location_id: update.location_id,
                change_id: update.change_id,
            },
            sequence: message.sequence,
            resume_token: message.resume_token,
        })
    }
}

/// What [`Client::import_inventory_changes`](crate::Client::import_inventory_changes)
/// answers once the stream of batches ends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Changes recorded now.
    pub applied: u64,
    /// Changes skipped because the merchant already has their id (a batch sent again).
    pub already_present: u64,
    /// Changes refused: bad on their own or refused by the ledger.
    pub refused: u64,
    /// Good changes not applied because another change of their batch was refused.
    pub held_back: u64,
    /// Every refusal, in stream order (at most 1000; `refused` counts all).
    pub refused_changes: Vec<RefusedChange>,
}

/// A change of an import that was refused (with its whole batch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedChange {
    /// Position of the change in the stream, counting from 0 over every batch.
    pub index: u64,
    /// Field path inside the change, e.g. `adjustment.quantity` (empty: the change as a
    /// whole).
    pub field: String,
    /// The reason code, as in an [`Error`]'s `reason()` (e.g. `INVALID_VALUE`).
    pub reason: String,
    /// What is wrong.
    pub description: String,
}

/// A count the server sent at `field`, which cannot be negative.
fn count_from_wire(value: i64, field: &str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| {
        Error::local(
            tonic::Code::Internal,
            format!("the server sent {value} as {field}, which cannot be negative"),
        )
    })
}

impl TryFrom<pb::ImportInventoryChangesResponse> for ImportSummary {
    type Error = Error;

    fn try_from(response: pb::ImportInventoryChangesResponse) -> Result<Self, Error> {
        Ok(ImportSummary {
            applied: count_from_wire(response.applied, "applied")?,
            already_present: count_from_wire(response.already_present, "already_present")?,
            refused: count_from_wire(response.refused, "refused")?,
            held_back: count_from_wire(response.held_back, "held_back")?,
            refused_changes: response
                .refused_changes
                .into_iter()
                .enumerate()
                .map(|(i, refused)| {
                    Ok(RefusedChange {
                        index: count_from_wire(
                            refused.index,
                            &format!("refused_changes[{i}].index"),
                        )?,
                        field: refused.field,
                        reason: refused.reason,
                        description: refused.description,
                    })
                })
                .collect::<Result<_, Error>>()?,
        })
    }
}

/// Which history [`Client::list_inventory_changes`](crate::Client::list_inventory_changes)
/// and [`Client::stream_inventory_changes`](crate::Client::stream_inventory_changes) read:
/// [`ChangeFilter::all`], optionally `.items(..)`, `.locations(..)`, `.types(..)`,
/// `.states(..)`, `.reasons(..)`, `.updated_after(..)`, `.updated_before(..)`,
/// `.newest_first()` and `.page_size(..)` (a page of the list; the stream has none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Only changes of these items; empty: all.
    pub catalog_object_ids: Vec<String>,
    /// Only changes at these locations (either end of a transfer); empty: all.
    pub location_ids: Vec<String>,
    /// Only changes of these kinds; empty: all.
    pub types: Vec<InventoryChangeType>,
    /// Only changes that involve one of these states; empty: all.
    pub states: Vec<InventoryState>,
    /// Only changes carrying one of these reasons; empty: all.
    pub reason_ids: Vec<pb::InventoryAdjustmentReasonId>,
    /// Only changes the server recorded strictly after this time.
    pub updated_after: Option<SystemTime>,
    /// Only changes the server recorded strictly before this time.
    pub updated_before: Option<SystemTime>,
    /// Newest `occurred_at` first instead of oldest first.
    pub newest_first: bool,
    /// Changes a page of the list; 0: the server's default.
    pub page_size: i32,
}

impl ChangeFilter {
    /// The whole history.
    pub fn all() -> Self {
        ChangeFilter::default()
    }

    /// Only changes of these items.
    pub fn items(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.catalog_object_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Only changes at these locations.
    pub fn locations(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.location_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Only changes of these kinds.
    pub fn types(mut self, types: impl IntoIterator<Item = InventoryChangeType>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// Only changes that involve one of these states.
    pub fn states(mut self, states: impl IntoIterator<Item = InventoryState>) -> Self {
        self.states = states.into_iter().collect();
        self
    }

    /// Only changes carrying one of these reasons ([`crate::changes::reason`],
    /// [`crate::changes::custom_reason`]).
    pub fn reasons(
        mut self,
        reason_ids: impl IntoIterator<Item = pb::InventoryAdjustmentReasonId>,
    ) -> Self {
        self.reason_ids = reason_ids.into_iter().collect();
        self
    }

    /// Only changes recorded strictly after `time`.
    pub fn updated_after(mut self, time: SystemTime) -> Self {
        self.updated_after = Some(time);
        self
    }

    /// Only changes recorded strictly before `time`.
    pub fn updated_before(mut self, time: SystemTime) -> Self {
        self.updated_before = Some(time);
        self
    }

    /// Newest first.
    pub fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }

    /// `page_size` changes a call of the list.
    pub fn page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    fn sort_order(&self) -> i32 {
        if self.newest_first {
            pb::SortOrder::NewestFirst.into()
        } else {
            pb::SortOrder::OldestFirst.into()
        }
    }
}

impl From<ChangeFilter> for pb::BatchRetrieveInventoryChangesRequest {
    fn from(filter: ChangeFilter) -> Self {
        pb::BatchRetrieveInventoryChangesRequest {
            sort_order: filter.sort_order(),
            types: filter.types.iter().map(|&t| t.into()).collect(),
            states: filter.states.iter().map(|&s| s.into()).collect(),
            updated_after: filter.updated_after.map(time::to_timestamp),
            updated_before: filter.updated_before.map(time::to_timestamp),
            limit: filter.page_size,
            cursor: String::new(),
            catalog_object_ids: filter.catalog_object_ids,
            location_ids: filter.location_ids,
            reason_ids: filter.reason_ids,
        }
    }
}

impl From<ChangeFilter> for pb::StreamInventoryChangesRequest {
    fn from(filter: ChangeFilter) -> Self {
        pb::StreamInventoryChangesRequest {
            sort_order: filter.sort_order(),
            types: filter.types.iter().map(|&t| t.into()).collect(),
            states: filter.states.iter().map(|&s| s.into()).collect(),
            updated_after: filter.updated_after.map(time::to_timestamp),
            updated_before: filter.updated_before.map(time::to_timestamp),
            cursor: String::new(),
            catalog_object_ids: filter.catalog_object_ids,
            location_ids: filter.location_ids,
            reason_ids: filter.reason_ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn wire_adjustment(quantity: &str) -> pb::InventoryChange {
        pb::InventoryChange {
            r#type: InventoryChangeType::Adjustment.into(),
            change: Some(inventory_change::Change::Adjustment(
                pb::InventoryAdjustment {
                    id: "a1".into(),
                    from_state: InventoryState::InStock.into(),
                    to_state: InventoryState::Sold.into(),
                    quantity: quantity.into(),
                    total_price_money: Some(pb::Money {
                        amount: "19.99".into(),
                        currency: "EUR".into(),
                    }),
                    created_at: Some(prost_types::Timestamp {
                        seconds: 10,
                        nanos: 500,
                    }),
                    source: Some(pb::SourceApplication {
                        product: pb::Product::ExternalApi.into(),
                        application_id: "app".into(),
                        name: "App".into(),
                    }),
                    ..Default::default()
                },
            )),
            expected_quantity: None,
        }
    }

    #[test]
    fn an_adjustment_from_the_wire_keeps_exact_quantities_states_and_times() {
        let change = Change::from_wire(wire_adjustment("2.00001"), "changes[0]").unwrap();
        assert_eq!(change.id(), "a1");
        assert_eq!(change.change_type(), InventoryChangeType::Adjustment);
        assert_eq!(change.quantity(), Decimal::new(200_001, 5));
        assert_eq!(
            change.created_at(),
            Some(UNIX_EPOCH + Duration::new(10, 500))
        );
        let Change::Adjustment(a) = change else {
            panic!("not an adjustment")
        };
        assert_eq!(
            (a.from_state, a.to_state),
            (InventoryState::InStock, InventoryState::Sold)
        );
        assert_eq!(
            a.total_price,
            Some(Money {
                amount: Decimal::new(1999, 2),
                currency: "EUR".into()
            })
        );
        assert_eq!(a.source.map(|s| s.product), Some(pb::Product::ExternalApi));
        assert_eq!((a.cost, a.occurred_at), (None, None));
    }

    #[test]
    fn a_bad_decimal_or_a_missing_change_is_an_error_naming_the_response_field() {
        let page = ChangePage::try_from(pb::BatchRetrieveInventoryChangesResponse {
            changes: vec![wire_adjustment("1"), wire_adjustment("1,5")],
            cursor: String::new(),
        })
        .unwrap_err();
        assert_eq!(page.field(), Some("changes[1].adjustment.quantity"));
        let empty = StreamedChange::try_from(pb::StreamInventoryChangesResponse {
            change: Some(pb::InventoryChange::default()),
            cursor: "c".into(),
        })
        .unwrap_err();
        assert_eq!(empty.code(), tonic::Code::Internal);
        assert!(empty.message().contains("change"), "{}", empty.message());
    }

    #[test]
    fn a_batch_answer_has_its_changes_and_counts() {
        let batch = ChangeBatch::try_from(pb::BatchChangeInventoryResponse {
            changes: vec![
                wire_adjustment("3"),
                pb::InventoryChange {
                    change: Some(inventory_change::Change::Transfer(pb::InventoryTransfer {
                        id: "t1".into(),
                        state: InventoryState::InStock.into(),
                        quantity: "0.5".into(),
                        ..Default::default()
                    })),
                    ..Default::default()
                },
            ],
            counts: vec![pb::InventoryCount {
                state: InventoryState::InStock.into(),
                quantity: "-3".into(),
                ..Default::default()
            }],
        })
        .unwrap();
        assert_eq!(
            batch.changes.iter().map(Change::id).collect::<Vec<_>>(),
            ["a1", "t1"]
        );
        assert!(
            matches!(&batch.changes[1], Change::Transfer(t) if t.quantity == Decimal::new(5, 1))
        );
        assert_eq!(batch.counts[0].quantity, Decimal::from(-3));
    }

    #[test]
    fn an_import_summary_from_the_wire() {
        let summary = ImportSummary::try_from(pb::ImportInventoryChangesResponse {
            applied: 2,
            already_present: 1,
            refused: 1,
            held_back: 3,
            refused_changes: vec![pb::RefusedInventoryChange {
                index: 4,
                field: "adjustment.quantity".into(),
                reason: "INVALID_VALUE".into(),
                description: "no decimal".into(),
            }],
        })
        .unwrap();
        assert_eq!(
            (
                summary.applied,
                summary.already_present,
                summary.refused,
                summary.held_back
            ),
            (2, 1, 1, 3)
        );
        assert_eq!(summary.refused_changes[0].index, 4);
        let negative = ImportSummary::try_from(pb::ImportInventoryChangesResponse {
            applied: -1,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(negative.code(), tonic::Code::Internal);
        assert!(
            negative.message().contains("applied"),
            "{}",
            negative.message()
        );
    }

    #[test]
    fn a_filter_on_the_wire() {
        let filter = ChangeFilter::all()
            .items(["i"])
            .types([InventoryChangeType::Transfer])
            .states([InventoryState::Waste])
            .updated_before(UNIX_EPOCH + Duration::from_secs(5))
            .newest_first()
            .page_size(2);
        let page = pb::BatchRetrieveInventoryChangesRequest::from(filter.clone());
        assert_eq!(page.catalog_object_ids, ["i"]);
        assert_eq!(page.types, [InventoryChangeType::Transfer as i32]);
        assert_eq!(page.states, [InventoryState::Waste as i32]);
        assert_eq!(page.sort_order(), pb::SortOrder::NewestFirst);
        assert_eq!(page.updated_before.map(|t| t.seconds), Some(5));
        assert_eq!((page.limit, page.updated_after), (2, None));
        let stream = pb::StreamInventoryChangesRequest::from(filter);
        assert_eq!(stream.sort_order(), pb::SortOrder::NewestFirst);
        assert_eq!(
            pb::StreamInventoryChangesRequest::from(ChangeFilter::all()).sort_order(),
            pb::SortOrder::OldestFirst
        );
    }

    #[test]
    fn a_count_update_tells_an_absent_previous_count_from_zero() {
        let update = |previous: &str| pb::WatchInventoryCountsResponse {
            update: Some(pb::InventoryCountUpdate {
                state: InventoryState::Waste.into(),
                previous_quantity: previous.into(),
                quantity: "2".into(),
                change_type: InventoryChangeType::PhysicalCount.into(),
                ..Default::default()
            }),
            sequence: 7,
            resume_token: "r".into(),
        };
        let first = WatchedCount::try_from(update("")).unwrap();
        assert_eq!(first.update.previous_quantity, None);
        assert_eq!(
            (first.update.quantity, first.update.state, first.sequence),
            (Decimal::from(2), InventoryState::Waste, 7)
        );
        assert_eq!(first.update.change_type, InventoryChangeType::PhysicalCount);
        let later = WatchedCount::try_from(update("0")).unwrap();
        assert_eq!(later.update.previous_quantity, Some(Decimal::ZERO));
        let bad = WatchedCount::try_from(update("x")).unwrap_err();
        assert_eq!(bad.field(), Some("update.previous_quantity"));
    }
}
