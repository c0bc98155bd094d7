//! The bad-input catalogue (issue 11): one table of malformed requests to every RPC of
//! InventoryService, InventoryItemService and LocationService — unknown enum numbers,
//! read-only states, malformed and out-of-range quantities, times outside the window,
//! batches of 0 and 101 changes, malformed and unknown ids, oversize and control-character
//! strings, taken names and reused keys, tampered and foreign cursors, bad tokens and
//! scopes.
//!
//! Each row is data: who calls, the request, and the refusal expected — the gRPC code, the
//! ErrorInfo reason and the field paths the BadRequest names (the first also in the
//! ErrorInfo's `field`). Every row also checks that every violation carries its reason and
//! that the status stays within `MAX_STATUS_BYTES` whatever the request held; and after
//! every row, that a digest of the merchant's data read through the API (items, locations,
//! counts, the whole history) is unchanged. Cursor rows assert only the code, the reason
//! `INVALID_CURSOR` and the field: the cursor format is not this test's business.

mod common;

use std::time::Instant;

use common::ledger::{adjust, apply, batch, count, item, location, now_micros, transfer};
use common::paging::list_all;
use common::{Clients, TEST_MERCHANT, TestServer, UNKNOWN_ID, mask};
use futures::StreamExt;
use prost::Message;
use sha2::{Digest, Sha256};
use stockledger::api::error::MAX_STATUS_BYTES;
use stockledger::auth::scopes::{Scope, rpc_scopes};
use stockledger::proto::v1::{
    self as pb, InventoryState as S, inventory_change::Change,
    inventory_item_service_client::InventoryItemServiceClient,
    inventory_service_client::InventoryServiceClient,
    location_service_client::LocationServiceClient,
    reservation_service_client::ReservationServiceClient,
    webhook_service_client::WebhookServiceClient,
};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Three megabytes: a value far beyond any field's bound, still within a request's size.
const HUGE: usize = 3 << 20;

/// Sends an `authorization` header of its choice, or none.
#[derive(Clone, Debug)]
struct Authorization(Option<MetadataValue<Ascii>>);

impl Interceptor for Authorization {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

type Authorized = InterceptedService<Channel, Authorization>;

/// Clients of every service sending one `authorization` header (or none).
struct Callers {
    inventory: InventoryServiceClient<Authorized>,
    items: InventoryItemServiceClient<Authorized>,
    locations: LocationServiceClient<Authorized>,
    reservations: ReservationServiceClient<Authorized>,
    webhooks: WebhookServiceClient<Authorized>,
}

impl Callers {
    fn new(channel: &Channel, authorization: Option<&str>) -> Callers {
        let value = authorization.map(|text| text.parse().expect("an ASCII header value"));
        let channel = || InterceptedService::new(channel.clone(), Authorization(value.clone()));
        Callers {
            inventory: InventoryServiceClient::new(channel()),
            items: InventoryItemServiceClient::new(channel()),
            locations: LocationServiceClient::new(channel()),
            reservations: ReservationServiceClient::new(channel()),
            webhooks: WebhookServiceClient::new(channel()),
        }
    }
}

/// The RPCs, each with its request message; `Rpc::NAMES` lists them all.
macro_rules! rpcs {
    ($($method:ident($request:ident) => $client:ident.$call:ident),+ $(,)?) => {
        enum Rpc {
            $($method(pb::$request)),+
        }

        impl Rpc {
            const NAMES: &[&str] = &[$(stringify!($method)),+];

            fn name(&self) -> &'static str {
                match self {
                    $(Rpc::$method(_) => stringify!($method)),+
                }
            }

            /// Sends the request; a stream that opens is dropped at once.
            async fn send(self, callers: &mut Callers) -> Result<(), Status> {
                match self {
                    $(Rpc::$method(request) => callers.$client.$call(request).await.map(drop)),+
                }
            }
        }

        $(
            impl From<pb::$request> for Rpc {
                fn from(request: pb::$request) -> Rpc {
                    Rpc::$method(request)
                }
            }
        )+
    };
}

rpcs! {
    BatchChangeInventory(BatchChangeInventoryRequest) => inventory.batch_change_inventory,
    BatchRetrieveInventoryCounts(BatchRetrieveInventoryCountsRequest) =>
        inventory.batch_retrieve_inventory_counts,
    RetrieveInventoryCount(RetrieveInventoryCountRequest) => inventory.retrieve_inventory_count,
    BatchRetrieveInventoryChanges(BatchRetrieveInventoryChangesRequest) =>
        inventory.batch_retrieve_inventory_changes,
    RetrieveInventoryAdjustment(RetrieveInventoryAdjustmentRequest) =>
        inventory.retrieve_inventory_adjustment,
    RetrieveInventoryPhysicalCount(RetrieveInventoryPhysicalCountRequest) =>
        inventory.retrieve_inventory_physical_count,
    RetrieveInventoryTransfer(RetrieveInventoryTransferRequest) =>
        inventory.retrieve_inventory_transfer,
    StreamInventoryChanges(StreamInventoryChangesRequest) => inventory.stream_inventory_changes,
    WatchInventoryChanges(WatchInventoryChangesRequest) => inventory.watch_inventory_changes,
    WatchInventoryCounts(WatchInventoryCountsRequest) => inventory.watch_inventory_counts,
    ImportInventoryChanges(ImportInventoryChangesRequest) => inventory.import_one,
    CreateInventoryItem(CreateInventoryItemRequest) => items.create_inventory_item,
    GetInventoryItem(GetInventoryItemRequest) => items.get_inventory_item,
    BatchGetInventoryItems(BatchGetInventoryItemsRequest) => items.batch_get_inventory_items,
    ListInventoryItems(ListInventoryItemsRequest) => items.list_inventory_items,
    UpdateInventoryItem(UpdateInventoryItemRequest) => items.update_inventory_item,
    CreateLocation(CreateLocationRequest) => locations.create_location,
    GetLocation(GetLocationRequest) => locations.get_location,
    ListLocations(ListLocationsRequest) => locations.list_locations,
    UpdateLocation(UpdateLocationRequest) => locations.update_location,
    CreateReservation(CreateReservationRequest) => reservations.create_reservation,
    CommitReservation(CommitReservationRequest) => reservations.commit_reservation,
    ReleaseReservation(ReleaseReservationRequest) => reservations.release_reservation,
    ExtendReservation(ExtendReservationRequest) => reservations.extend_reservation,
    GetReservation(GetReservationRequest) => reservations.get_reservation,
    ListReservations(ListReservationsRequest) => reservations.list_reservations,
    ListInventoryAdjustmentReasons(ListInventoryAdjustmentReasonsRequest) =>
        inventory.list_inventory_adjustment_reasons,
    CreateInventoryAdjustmentReason(CreateInventoryAdjustmentReasonRequest) =>
        inventory.create_inventory_adjustment_reason,
    RetrieveInventoryAdjustmentReason(RetrieveInventoryAdjustmentReasonRequest) =>
        inventory.retrieve_inventory_adjustment_reason,
    UpdateInventoryAdjustmentReason(UpdateInventoryAdjustmentReasonRequest) =>
        inventory.update_inventory_adjustment_reason,
    DeleteInventoryAdjustmentReason(DeleteInventoryAdjustmentReasonRequest) =>
        inventory.delete_inventory_adjustment_reason,
    RestoreInventoryAdjustmentReason(RestoreInventoryAdjustmentReasonRequest) =>
        inventory.restore_inventory_adjustment_reason,
    CreateWebhookSubscription(CreateWebhookSubscriptionRequest) =>
        webhooks.create_webhook_subscription,
    GetWebhookSubscription(GetWebhookSubscriptionRequest) => webhooks.get_webhook_subscription,
    ListWebhookSubscriptions(ListWebhookSubscriptionsRequest) =>
        webhooks.list_webhook_subscriptions,
    DeleteWebhookSubscription(DeleteWebhookSubscriptionRequest) =>
        webhooks.delete_webhook_subscription,
    ReplayWebhookSubscription(ReplayWebhookSubscriptionRequest) =>
        webhooks.replay_webhook_subscription,
    SetInventoryReorderPoint(SetInventoryReorderPointRequest) =>
        inventory.set_inventory_reorder_point,
    DeleteInventoryReorderPoint(DeleteInventoryReorderPointRequest) =>
        inventory.delete_inventory_reorder_point,
    ListInventoryReorderPoints(ListInventoryReorderPointsRequest) =>
        inventory.list_inventory_reorder_points,
    WatchInventoryAlerts(WatchInventoryAlertsRequest) => inventory.watch_inventory_alerts,
}

/// ImportInventoryChanges with a stream of one message, as the table sends every RPC.
trait ImportOne {
    async fn import_one(
        &mut self,
        request: pb::ImportInventoryChangesRequest,
    ) -> Result<tonic::Response<pb::ImportInventoryChangesResponse>, Status>;
}

impl ImportOne for InventoryServiceClient<Authorized> {
    async fn import_one(
        &mut self,
        request: pb::ImportInventoryChangesRequest,
    ) -> Result<tonic::Response<pb::ImportInventoryChangesResponse>, Status> {
        self.import_inventory_changes(futures::stream::iter([request]))
            .await
    }
}

/// Who sends a row's request.
#[derive(Clone, Debug)]
enum Who {
    /// The merchant whose data the digest covers, with every scope.
    Merchant,
    /// Another merchant, with every scope.
    OtherMerchant,
    /// Exactly this `authorization` header, or none.
    Header(Option<String>),
}

/// What a row expects.
#[derive(Debug)]
enum Expected {
    /// The call is refused with `code` and ErrorInfo `reason`, the BadRequest naming exactly
    /// `fields` (the first also in the ErrorInfo's `field`).
    Refused {
        code: Code,
        reason: &'static str,
        fields: Vec<String>,
    },
    /// The call succeeds by replaying a stored response: nothing changes.
    Replayed,
}

/// One malformed request and the answer it must get.
struct Row {
    what: String,
    who: Who,
    rpc: Rpc,
    expected: Expected,
}

impl Row {
    /// The same row sent by `who`.
    fn by(self, who: Who) -> Row {
        Row { who, ..self }
    }
}

/// A row refused with `code` and `reason`, naming `fields`.
fn refused(
    what: impl Into<String>,
    rpc: impl Into<Rpc>,
    code: Code,
    reason: &'static str,
    fields: &[&str],
) -> Row {
    Row {
        what: what.into(),
        who: Who::Merchant,
        rpc: rpc.into(),
        expected: Expected::Refused {
            code,
            reason,
            fields: fields.iter().map(|f| f.to_string()).collect(),
        },
    }
}

/// A row refused as INVALID_ARGUMENT with `reason`, naming `field`.
fn invalid(what: impl Into<String>, rpc: impl Into<Rpc>, reason: &'static str, field: &str) -> Row {
    refused(what, rpc, Code::InvalidArgument, reason, &[field])
}

/// Reasons, as the ErrorInfo and BadRequest spell them.
mod reason {
    pub const MISSING: &str = "MISSING_REQUIRED_PARAMETER";
    pub const INVALID_VALUE: &str = "INVALID_VALUE";
    pub const TOO_LONG: &str = "VALUE_TOO_LONG";
    pub const TOO_LOW: &str = "VALUE_TOO_LOW";
    pub const TOO_HIGH: &str = "VALUE_TOO_HIGH";
    pub const ARRAY_TOO_LONG: &str = "ARRAY_LENGTH_TOO_LONG";
    pub const ARRAY_TOO_SHORT: &str = "ARRAY_LENGTH_TOO_SHORT";
    pub const ENUM: &str = "INVALID_ENUM_VALUE";
    pub const CURSOR: &str = "INVALID_CURSOR";
    pub const COUNTRY: &str = "INVALID_COUNTRY";
    pub const ID: &str = "INVALID_ID";
    pub const MASK: &str = "INVALID_FIELD_MASK";
    pub const READ_ONLY: &str = "READ_ONLY_FIELD";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const EXISTS: &str = "ALREADY_EXISTS";
    pub const KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
    pub const OUT_OF_RANGE: &str = "COUNT_OUT_OF_RANGE";
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    pub const SCOPES: &str = "INSUFFICIENT_SCOPES";
    pub const TIME: &str = "INVALID_TIME";
    pub const TRANSITION: &str = "INVALID_STATE_TRANSITION";
    pub const NOT_TRACKED: &str = "ITEM_NOT_TRACKED";
    pub const INACTIVE: &str = "LOCATION_INACTIVE";
}

/// The cursors and resume tokens of the merchant's data, one of each kind.
struct Cursors {
    items: String,
    locations: String,
    counts: String,
    item_counts: String,
    changes: String,
    stream: String,
    watch_changes: String,
    watch_counts: String,
}

/// The merchant's data the rows aim at, and the tokens they use.
struct Fixture {
    /// A tracked item (SKU "MUG") with history at both shops.
    item: String,
    /// An untracked item.
    untracked: String,
    /// Active locations: "Shop", "Back room".
    shop: String,
    back_room: String,
    /// An inactive location.
    closed: String,
    /// The ids of the seed batch's three changes.
    adjustment_id: String,
    physical_count_id: String,
    transfer_id: String,
    /// The seed batch, as sent (its key is stored).
    seed: pb::BatchChangeInventoryRequest,
    cursors: Cursors,
    /// The merchant's token with every scope except the write ones.
    read_only_token: String,
    /// The merchant's token with ITEMS_READ only.
    items_read_token: String,
    /// The other merchant's token, every scope.
    other_token: String,
    /// The other merchant's item (SKU "BOLT") whose count at `other_warehouse` is at the
    /// maximum, 10¹² (a thousand changes: the other merchant's, so that the merchant's own
    /// history, read after every row, stays short).
    other_bolt: String,
    other_warehouse: String,
}

/// A timestamp `micros` from the epoch.
fn timestamp(micros: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    })
}

/// A timestamp no server accepts.
fn broken_timestamp() -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: 0,
        nanos: -1,
    })
}

/// A valid adjustment of MUG at the shop between two states, edited by `edit`.
fn adjust_with(
    f: &Fixture,
    from: S,
    to: S,
    edit: impl FnOnce(&mut pb::InventoryAdjustment),
) -> pb::InventoryChange {
    let mut change = adjust(&f.item, &f.shop, from, to, "1");
    if let Some(Change::Adjustment(a)) = change.change.as_mut() {
        edit(a);
    }
    change
}

/// A valid receipt of one MUG at the shop, edited by `edit`.
fn receipt(f: &Fixture, edit: impl FnOnce(&mut pb::InventoryAdjustment)) -> pb::InventoryChange {
    adjust_with(f, S::None, S::InStock, edit)
}

/// A valid physical count of MUG at the shop, edited by `edit`.
fn recount(f: &Fixture, edit: impl FnOnce(&mut pb::InventoryPhysicalCount)) -> pb::InventoryChange {
    let mut change = count(&f.item, &f.shop, S::InStock, "7");
    if let Some(Change::PhysicalCount(c)) = change.change.as_mut() {
        edit(c);
    }
    change
}

/// A valid transfer of one MUG from the shop to the back room, edited by `edit`.
fn move_one(f: &Fixture, edit: impl FnOnce(&mut pb::InventoryTransfer)) -> pb::InventoryChange {
    let mut change = transfer(&f.item, &f.shop, &f.back_room, "1");
    if let Some(Change::Transfer(t)) = change.change.as_mut() {
        edit(t);
    }
    change
}

/// The free-text reference `field` of an adjustment.
fn reference_mut<'a>(a: &'a mut pb::InventoryAdjustment, field: &str) -> &'a mut String {
    match field {
        "reference_id" => &mut a.reference_id,
        "employee_id" => &mut a.employee_id,
        "team_member_id" => &mut a.team_member_id,
        "transaction_id" => &mut a.transaction_id,
        "refund_id" => &mut a.refund_id,
        "purchase_order_id" => &mut a.purchase_order_id,
        "goods_receipt_id" => &mut a.goods_receipt_id,
        other => panic!("{other} is not a reference of an adjustment"),
    }
}

/// A batch of one change, with a fresh key.
fn one(change: pb::InventoryChange) -> pb::BatchChangeInventoryRequest {
    batch(vec![change])
}

fn state_name(state: i32) -> &'static str {
    S::try_from(state).map_or("?", |s| s.as_str_name())
}

/// BatchChangeInventory: enums, states, quantities, times, ids, references, keys, sizes.
fn batch_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let a = |field: &str| format!("changes[0].adjustment.{field}");
    let c = |field: &str| format!("changes[0].physical_count.{field}");
    let t = |field: &str| format!("changes[0].transfer.{field}");
    let mut rows = vec![];

    // Unknown enum numbers, wherever they are.
    for (number, why) in [
        (99, "unknown"),
        (21, "unknown, after the last state"),
        (-1, "negative"),
    ] {
        let mut change = receipt(f, |_| {});
        change.r#type = number;
        rows.push(invalid(
            format!("change type {number} ({why})"),
            one(change),
            ENUM,
            "changes[0].type",
        ));
        rows.push(invalid(
            format!("from_state {number}"),
            one(receipt(f, |a| a.from_state = number)),
            ENUM,
            &a("from_state"),
        ));
        rows.push(invalid(
            format!("to_state {number}"),
            one(receipt(f, |a| a.to_state = number)),
            ENUM,
            &a("to_state"),
        ));
    }
    rows.push(invalid(
        "physical count state 99",
        one(recount(f, |c| c.state = 99)),
        ENUM,
        &c("state"),
    ));
    rows.push(invalid(
        "transfer state 99",
        one(move_one(f, |t| t.state = 99)),
        ENUM,
        &t("state"),
    ));
    rows.push(invalid(
        "from_state unspecified",
        one(receipt(f, |a| a.from_state = 0)),
        ENUM,
        &a("from_state"),
    ));
    let mut contradicting = receipt(f, |_| {});
    contradicting.r#type = pb::InventoryChangeType::PhysicalCount as i32;
    rows.push(invalid(
        "type contradicting the member",
        one(contradicting),
        INVALID_VALUE,
        "changes[0].type",
    ));
    rows.push(invalid(
        "a change without a member",
        one(pb::InventoryChange {
            expected_quantity: None,
            r#type: pb::InventoryChangeType::Adjustment as i32,
            change: None,
        }),
        MISSING,
        "changes[0].adjustment",
    ));

    // Read-only states: no client may set them.
    // Writable: NONE, IN_STOCK, SOLD, WASTE, UNLINKED_RETURN, DAMAGED, QUALITY_CONTROL,
    // SAFETY_STOCK (1, 2, 3, 11, 12, 18, 19, 20).
    let read_only = (1..=20).filter(|n| ![1, 2, 3, 11, 12, 18, 19, 20].contains(n));
    for state in read_only {
        rows.push(invalid(
            format!("to_state {} (read-only)", state_name(state)),
            one(receipt(f, |a| {
                a.from_state = S::InStock as i32;
                a.to_state = state;
            })),
            TRANSITION,
            &a("to_state"),
        ));
    }
    rows.push(invalid(
        "from_state CUSTOM (read-only)",
        one(receipt(f, |a| a.from_state = S::Custom as i32)),
        TRANSITION,
        &a("from_state"),
    ));
    rows.push(invalid(
        "physical count of RESERVED_FOR_SALE (read-only)",
        one(recount(f, |c| c.state = S::ReservedForSale as i32)),
        TRANSITION,
        &c("state"),
    ));
    rows.push(invalid(
        "transfer of IN_TRANSIT (read-only)",
        one(move_one(f, |t| t.state = S::InTransit as i32)),
        TRANSITION,
        &t("state"),
    ));
    rows.push(invalid(
        "physical count of SOLD (keeps no count)",
        one(recount(f, |c| c.state = S::Sold as i32)),
        TRANSITION,
        &c("state"),
    ));
    rows.push(invalid(
        "to NONE",
        one(adjust(&f.item, &f.shop, S::InStock, S::None, "1")),
        TRANSITION,
        &a("to_state"),
    ));
    rows.push(invalid(
        "from_state = to_state",
        one(adjust(&f.item, &f.shop, S::InStock, S::InStock, "1")),
        TRANSITION,
        &a("to_state"),
    ));
    rows.push(invalid(
        "a transfer to where it starts",
        one(move_one(f, |t| t.to_location_id = f.shop.clone())),
        INVALID_VALUE,
        &t("to_location_id"),
    ));

    // Quantities: the grammar of docs/ledger.md, then the bounds whatever the length.
    let nines = "9".repeat(27);
    let huge_digits = "9".repeat(HUGE);
    let quantities: Vec<(&str, &str, &'static str)> = vec![
        ("1e3", "an exponent", INVALID_VALUE),
        ("1E3", "an upper-case exponent", INVALID_VALUE),
        ("NaN", "not a number", INVALID_VALUE),
        ("inf", "infinity", INVALID_VALUE),
        ("５", "a fullwidth digit", INVALID_VALUE),
        ("١", "an Arabic-Indic digit", INVALID_VALUE),
        (" 1", "a leading space", INVALID_VALUE),
        ("1 ", "a trailing space", INVALID_VALUE),
        ("1.", "no digit after the point", INVALID_VALUE),
        (".5", "no digit before the point", INVALID_VALUE),
        ("+1", "a plus sign", INVALID_VALUE),
        ("0x10", "hexadecimal", INVALID_VALUE),
        ("1,5", "a decimal comma", INVALID_VALUE),
        ("1.000001", "six places", INVALID_VALUE),
        ("", "empty", MISSING),
        ("0", "zero", TOO_LOW),
        ("-0", "minus zero", TOO_LOW),
        ("-1", "negative", TOO_LOW),
        ("1000000000.00001", "just above 10^9", TOO_HIGH),
        ("92233720368547.75808", "beyond i64 units", TOO_HIGH),
        (&nines, "27 digits", TOO_HIGH),
        (&huge_digits, "three million digits", TOO_HIGH),
    ];
    for (quantity, why, expected) in quantities {
        rows.push(invalid(
            format!("adjustment quantity: {why}"),
            one(receipt(f, |a| a.quantity = quantity.into())),
            expected,
            &a("quantity"),
        ));
    }
    let minus_nines = format!("-{nines}");
    let counted: Vec<(&str, &str, &'static str)> = vec![
        ("-0.00001", "below zero", TOO_LOW),
        (&minus_nines, "27 digits below zero", TOO_LOW),
        (&nines, "27 digits", TOO_HIGH),
        ("NaN", "not a number", INVALID_VALUE),
    ];
    for (quantity, why, expected) in counted {
        rows.push(invalid(
            format!("physical count quantity: {why}"),
            one(recount(f, |c| c.quantity = quantity.into())),
            expected,
            &c("quantity"),
        ));
    }
    rows.push(invalid(
        "transfer quantity: 27 digits",
        one(move_one(f, |t| t.quantity = nines.clone())),
        TOO_HIGH,
        &t("quantity"),
    ));
    let sale = |amount: &str, currency: &str| {
        let mut change = adjust(&f.item, &f.shop, S::InStock, S::Sold, "1");
        if let Some(Change::Adjustment(a)) = change.change.as_mut() {
            a.total_price_money = Some(pb::Money {
                amount: amount.into(),
                currency: currency.into(),
            });
        }
        one(change)
    };
    for (amount, currency, why, expected, field) in [
        ("1e3", "EUR", "an exponent", INVALID_VALUE, "amount"),
        ("-1", "EUR", "negative", TOO_LOW, "amount"),
        (nines.as_str(), "EUR", "27 digits", TOO_HIGH, "amount"),
        (
            "19.99",
            "eur",
            "a lower-case currency",
            INVALID_VALUE,
            "currency",
        ),
    ] {
        rows.push(invalid(
            format!("sale price: {why}"),
            sale(amount, currency),
            expected,
            &a(&format!("total_price_money.{field}")),
        ));
    }
    rows.push(invalid(
        "a price on a receipt",
        one(receipt(f, |a| {
            a.total_price_money = Some(pb::Money {
                amount: "1".into(),
                currency: "EUR".into(),
            })
        })),
        INVALID_VALUE,
        &a("total_price_money"),
    ));

    // Times.
    let hour = 3_600_000_000;
    for (at, why, expected) in [
        (timestamp(now_micros() - 25 * hour), "25 h ago", TIME),
        (timestamp(now_micros() + hour), "1 h ahead", TIME),
        (broken_timestamp(), "negative nanos", INVALID_VALUE),
    ] {
        rows.push(invalid(
            format!("occurred_at {why}"),
            one(receipt(f, |a| a.occurred_at = at)),
            expected,
            &a("occurred_at"),
        ));
    }

    // Ids: malformed is INVALID_ID before anything is looked up; unknown is NOT_FOUND.
    let huge_id = "x".repeat(HUGE);
    for (id, why, expected) in [
        ("", "missing", MISSING),
        ("nope", "not a UUID", ID),
        (
            "01a20c5a-8f67-7031-9d39-e3d5cae5d63",
            "a UUID short of a digit",
            ID,
        ),
        (huge_id.as_str(), "three megabytes", ID),
        (UNKNOWN_ID, "unknown", NOT_FOUND),
        (f.untracked.as_str(), "untracked", NOT_TRACKED),
    ] {
        rows.push(invalid(
            format!("catalog_object_id {why}"),
            one(receipt(f, |a| a.catalog_object_id = id.into())),
            expected,
            &a("catalog_object_id"),
        ));
    }
    for (id, why, expected) in [
        ("shop-1", "not a UUID", ID),
        (UNKNOWN_ID, "unknown", NOT_FOUND),
        (f.closed.as_str(), "inactive", INACTIVE),
    ] {
        rows.push(invalid(
            format!("location_id {why}"),
            one(receipt(f, |a| a.location_id = id.into())),
            expected,
            &a("location_id"),
        ));
    }
    rows.push(invalid(
        "transfer from_location_id not a UUID",
        one(move_one(f, |t| t.from_location_id = "\0".into())),
        ID,
        &t("from_location_id"),
    ));
    rows.push(invalid(
        "physical count location_id missing",
        one(recount(f, |c| c.location_id.clear())),
        MISSING,
        &c("location_id"),
    ));

    // Free text: control characters and lengths.
    let long_reference = "r".repeat(256);
    let huge_reference = "r".repeat(HUGE);
    let references: [(&str, &str, &str, &str); 8] = [
        ("reference_id", "NUL", "PO\0", INVALID_VALUE),
        ("reference_id", "LF", "PO\n7", INVALID_VALUE),
        ("reference_id", "ESC", "\u{1b}[2J", INVALID_VALUE),
        ("transaction_id", "CR", "t\r1", INVALID_VALUE),
        ("employee_id", "DEL", "e\u{7f}", INVALID_VALUE),
        ("goods_receipt_id", "a C1 control", "\u{85}", INVALID_VALUE),
        (
            "team_member_id",
            "256 characters",
            &long_reference,
            TOO_LONG,
        ),
        ("reference_id", "three megabytes", &huge_reference, TOO_LONG),
    ];
    for (field, why, value, expected) in references {
        rows.push(invalid(
            format!("{field}: {why}"),
            one(receipt(f, |a| *reference_mut(a, field) = value.to_owned())),
            expected,
            &a(field),
        ));
    }
    rows.push(invalid(
        "an adjustment's id set",
        one(receipt(f, |a| a.id = UNKNOWN_ID.into())),
        READ_ONLY,
        &a("id"),
    ));
    rows.push(invalid(
        "a transfer's created_at set",
        one(move_one(f, |t| t.created_at = timestamp(now_micros()))),
        READ_ONLY,
        &t("created_at"),
    ));

    // Idempotency keys.
    let with_key = |key: String| pb::BatchChangeInventoryRequest {
        idempotency_key: key,
        ..one(receipt(f, |_| {}))
    };
    for (key, why, expected) in [
        (String::new(), "missing", MISSING),
        ("k".repeat(129), "129 characters", TOO_LONG),
        ("k".repeat(HUGE), "three megabytes", TOO_LONG),
        ("k\0".into(), "NUL", INVALID_VALUE),
        ("k\r\n".into(), "CR LF", INVALID_VALUE),
        ("\u{1b}k".into(), "ESC", INVALID_VALUE),
    ] {
        rows.push(invalid(
            format!("idempotency_key {why}"),
            with_key(key),
            expected,
            "idempotency_key",
        ));
    }

    // Batch sizes.
    rows.push(invalid(
        "0 changes",
        batch(vec![]),
        ARRAY_TOO_SHORT,
        "changes",
    ));
    rows.push(invalid(
        "101 changes",
        batch((0..101).map(|_| receipt(f, |_| {})).collect()),
        ARRAY_TOO_LONG,
        "changes",
    ));
    // 100 bad changes: every one refused, eight listed, the status still small.
    let bad_references: Vec<String> = (0..8)
        .map(|i| format!("changes[{i}].adjustment.reference_id"))
        .collect();
    let junk = "\u{1b}".repeat(30_000);
    let mut hundred = refused(
        "100 changes with 30,000 ESC characters each",
        batch(
            (0..100)
                .map(|_| receipt(f, |a| a.reference_id = junk.clone()))
                .collect(),
        ),
        Code::InvalidArgument,
        TOO_LONG,
        &[],
    );
    if let Expected::Refused { fields, .. } = &mut hundred.expected {
        *fields = bad_references;
    }
    rows.push(hundred);

    // Keys already used, counts at their bound.
    let mut other_request = f.seed.clone();
    other_request.changes.truncate(1);
    rows.push(refused(
        "a stored idempotency key with another request",
        other_request,
        Code::AlreadyExists,
        KEY_REUSED,
        &["idempotency_key"],
    ));
    let explicit_false = pb::BatchChangeInventoryRequest {
        ignore_unchanged_counts: Some(false),
        ..f.seed.clone()
    };
    rows.push(refused(
        "a stored idempotency key with ignore_unchanged_counts: false",
        explicit_false,
        Code::AlreadyExists,
        KEY_REUSED,
        &["idempotency_key"],
    ));
    rows.push(Row {
        what: "the seed batch again with ignore_unchanged_counts: true spelled out".into(),
        who: Who::Merchant,
        rpc: pb::BatchChangeInventoryRequest {
            ignore_unchanged_counts: Some(true),
            ..f.seed.clone()
        }
        .into(),
        expected: Expected::Replayed,
    });
    rows.push(
        refused(
            "one more BOLT into a count at 10^12",
            one(adjust(
                &f.other_bolt,
                &f.other_warehouse,
                S::None,
                S::InStock,
                "0.00001",
            )),
            Code::OutOfRange,
            OUT_OF_RANGE,
            &[&a("quantity")],
        )
        .by(Who::OtherMerchant),
    );
    rows.push(
        refused(
            "another merchant's item and location",
            one(receipt(f, |_| {})),
            Code::InvalidArgument,
            NOT_FOUND,
            &[&a("catalog_object_id"), &a("location_id")],
        )
        .by(Who::OtherMerchant),
    );
    rows
}

/// Reads: filters, ids and page sizes of every read RPC of InventoryService.
fn read_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let mut rows = vec![];
    let sold = S::Sold as i32;
    let in_stock = S::InStock as i32;
    let thousand_and_one: Vec<String> = (0..1001).map(|_| UNKNOWN_ID.to_owned()).collect();

    // Counts filters: states that keep no count, unknown numbers, ids.
    for (states, why, expected, field) in [
        (
            vec![sold],
            "SOLD (keeps no count)",
            INVALID_VALUE,
            "states[0]",
        ),
        (
            vec![in_stock, S::None as i32],
            "NONE (keeps no count)",
            INVALID_VALUE,
            "states[1]",
        ),
        (
            vec![S::UnlinkedReturn as i32],
            "UNLINKED_RETURN",
            INVALID_VALUE,
            "states[0]",
        ),
        (
            vec![S::Custom as i32],
            "CUSTOM (read-only)",
            INVALID_VALUE,
            "states[0]",
        ),
        (vec![99], "99 (unknown)", ENUM, "states[0]"),
        (
            vec![S::SafetyStock as i32, 21],
            "21 (unknown, after SAFETY_STOCK)",
            ENUM,
            "states[1]",
        ),
        (vec![in_stock, 0], "unspecified", ENUM, "states[1]"),
        (
            vec![in_stock; 32_766],
            "IN_STOCK 32,766 times",
            ARRAY_TOO_LONG,
            "states",
        ),
        (
            vec![in_stock; 65_535],
            "IN_STOCK 65,535 times",
            ARRAY_TOO_LONG,
            "states",
        ),
    ] {
        rows.push(invalid(
            format!("counts filter state {why}"),
            pb::BatchRetrieveInventoryCountsRequest {
                states: states.clone(),
                ..Default::default()
            },
            expected,
            field,
        ));
        rows.push(invalid(
            format!("watched counts state {why}"),
            pb::WatchInventoryCountsRequest {
                states,
                ..Default::default()
            },
            expected,
            field,
        ));
    }
    rows.push(invalid(
        "counts filter: a malformed item id",
        pb::BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: vec![f.item.clone(), "nope".into()],
            ..Default::default()
        },
        ID,
        "catalog_object_ids[1]",
    ));
    rows.push(invalid(
        "counts filter: a three-megabyte location id",
        pb::BatchRetrieveInventoryCountsRequest {
            location_ids: vec!["l".repeat(HUGE)],
            ..Default::default()
        },
        ID,
        "location_ids[0]",
    ));
    rows.push(invalid(
        "counts filter: 1001 item ids",
        pb::BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: thousand_and_one.clone(),
            ..Default::default()
        },
        ARRAY_TOO_LONG,
        "catalog_object_ids",
    ));
    for (limit, expected) in [(-1, TOO_LOW), (1001, TOO_HIGH)] {
        rows.push(invalid(
            format!("counts limit {limit}"),
            pb::BatchRetrieveInventoryCountsRequest {
                limit,
                ..Default::default()
            },
            expected,
            "limit",
        ));
    }
    rows.push(invalid(
        "counts updated_after with negative nanos",
        pb::BatchRetrieveInventoryCountsRequest {
            updated_after: broken_timestamp(),
            ..Default::default()
        },
        INVALID_VALUE,
        "updated_after",
    ));
    let far_future = Some(prost_types::Timestamp {
        seconds: 4_102_444_800, // 2100-01-01
        nanos: 0,
    });
    let out_of_range = Some(prost_types::Timestamp {
        seconds: i64::MAX,
        nanos: 0,
    });
    for (why, as_of, expected) in [
        ("with negative nanos", broken_timestamp(), INVALID_VALUE),
        (
            "with a billion nanos",
            Some(prost_types::Timestamp {
                seconds: 0,
                nanos: 1_000_000_000,
            }),
            INVALID_VALUE,
        ),
        ("beyond the microsecond range", out_of_range, INVALID_VALUE),
        ("in the future", far_future, TIME),
    ] {
        rows.push(invalid(
            format!("counts as_of {why}"),
            pb::BatchRetrieveInventoryCountsRequest {
                as_of,
                ..Default::default()
            },
            expected,
            "as_of",
        ));
        rows.push(invalid(
            format!("count of an item as_of {why}"),
            pb::RetrieveInventoryCountRequest {
                catalog_object_id: f.item.clone(),
                as_of,
                ..Default::default()
            },
            expected,
            "as_of",
        ));
    }
    rows.push(invalid(
        "watched counts: start 99",
        pb::WatchInventoryCountsRequest {
            start: 99,
            ..Default::default()
        },
        ENUM,
        "start",
    ));
    rows.push(invalid(
        "watched counts: a malformed location id",
        pb::WatchInventoryCountsRequest {
            location_ids: vec!["here".into()],
            ..Default::default()
        },
        ID,
        "location_ids[0]",
    ));

    // One item's counts.
    for (id, why, expected) in [("", "missing", MISSING), ("nope", "not a UUID", ID)] {
        rows.push(invalid(
            format!("count of an item id {why}"),
            pb::RetrieveInventoryCountRequest {
                catalog_object_id: id.into(),
                ..Default::default()
            },
            expected,
            "catalog_object_id",
        ));
    }
    rows.push(invalid(
        "count of an item at a malformed location id",
        pb::RetrieveInventoryCountRequest {
            catalog_object_id: f.item.clone(),
            location_ids: vec!["\n".into()],
            ..Default::default()
        },
        ID,
        "location_ids[0]",
    ));
    rows.push(invalid(
        "count of an item, limit -5",
        pb::RetrieveInventoryCountRequest {
            catalog_object_id: f.item.clone(),
            limit: -5,
            ..Default::default()
        },
        TOO_LOW,
        "limit",
    ));

    // History filters, for the paged, streamed and watched history alike.
    /// A bad history filter: types, states, item ids; the reason and field refused.
    struct HistoryFilter {
        why: &'static str,
        types: Vec<i32>,
        states: Vec<i32>,
        ids: Vec<String>,
        reason: &'static str,
        field: &'static str,
    }
    let filter = |why, types: &[i32], states: &[i32], ids: &[&str], reason, field| HistoryFilter {
        why,
        types: types.to_vec(),
        states: states.to_vec(),
        ids: ids.iter().map(|id| id.to_string()).collect(),
        reason,
        field,
    };
    let history_filters = [
        filter("type 99", &[99], &[], &[], ENUM, "types[0]"),
        filter("type unspecified", &[1, 0], &[], &[], ENUM, "types[1]"),
        filter("state 99", &[], &[99], &[], ENUM, "states[0]"),
        filter("state 21", &[], &[18, 19, 20, 21], &[], ENUM, "states[3]"),
        filter("state -3", &[], &[-3], &[], ENUM, "states[0]"),
        // Beyond SQLite's 32,766 and PostgreSQL's 65,535 bind parameters: refused by length
        // before any query is built (it was INTERNAL), however valid each entry.
        filter(
            "32,766 types",
            &[pb::InventoryChangeType::Adjustment as i32; 32_766],
            &[],
            &[],
            ARRAY_TOO_LONG,
            "types",
        ),
        filter(
            "65,535 states",
            &[],
            &[S::InStock as i32; 65_535],
            &[],
            ARRAY_TOO_LONG,
            "states",
        ),
        filter(
            "1001 types, 1000 of them valid",
            &[[1; 1000].as_slice(), &[99]].concat(),
            &[],
            &[],
            ARRAY_TOO_LONG,
            "types",
        ),
        filter(
            "a malformed item id",
            &[],
            &[],
            &["nope"],
            ID,
            "catalog_object_ids[0]",
        ),
    ];
    for HistoryFilter {
        why,
        types,
        states,
        ids,
        reason: expected,
        field,
    } in history_filters
    {
        rows.push(invalid(
            format!("history filter: {why}"),
            pb::BatchRetrieveInventoryChangesRequest {
                types: types.clone(),
                states: states.clone(),
                catalog_object_ids: ids.clone(),
                ..Default::default()
            },
            expected,
            field,
        ));
        rows.push(invalid(
            format!("streamed history filter: {why}"),
            pb::StreamInventoryChangesRequest {
                types: types.clone(),
                states: states.clone(),
                catalog_object_ids: ids.clone(),
                ..Default::default()
            },
            expected,
            field,
        ));
        rows.push(invalid(
            format!("watched history filter: {why}"),
            pb::WatchInventoryChangesRequest {
                types,
                states,
                catalog_object_ids: ids,
                ..Default::default()
            },
            expected,
            field,
        ));
    }
    rows.push(invalid(
        "history filter: 1001 location ids",
        pb::BatchRetrieveInventoryChangesRequest {
            location_ids: thousand_and_one,
            ..Default::default()
        },
        ARRAY_TOO_LONG,
        "location_ids",
    ));
    rows.push(invalid(
        "history limit 1001",
        pb::BatchRetrieveInventoryChangesRequest {
            limit: 1001,
            ..Default::default()
        },
        TOO_HIGH,
        "limit",
    ));
    rows.push(invalid(
        "history updated_before with negative nanos",
        pb::StreamInventoryChangesRequest {
            updated_before: broken_timestamp(),
            ..Default::default()
        },
        INVALID_VALUE,
        "updated_before",
    ));
    rows.push(invalid(
        "watched history: start 99",
        pb::WatchInventoryChangesRequest {
            start: 99,
            ..Default::default()
        },
        ENUM,
        "start",
    ));
    rows.push(invalid(
        "watched history: a resume_token and a start",
        pb::WatchInventoryChangesRequest {
            resume_token: f.cursors.watch_changes.clone(),
            start: pb::WatchStart::Beginning as i32,
            ..Default::default()
        },
        INVALID_VALUE,
        "start",
    ));

    // Retrieve* by id: malformed ids are INVALID_ID, unknown ones NOT_FOUND naming the field.
    let huge_id = "i".repeat(HUGE);
    for (id, why) in [
        ("", "missing"),
        ("nope", "not a UUID"),
        (huge_id.as_str(), "three megabytes"),
        (UNKNOWN_ID, "unknown"),
    ] {
        let (code, expected) = match why {
            "missing" => (Code::InvalidArgument, MISSING),
            "unknown" => (Code::NotFound, NOT_FOUND),
            _ => (Code::InvalidArgument, ID),
        };
        rows.push(refused(
            format!("adjustment id {why}"),
            pb::RetrieveInventoryAdjustmentRequest {
                adjustment_id: id.into(),
            },
            code,
            expected,
            &["adjustment_id"],
        ));
        rows.push(refused(
            format!("physical count id {why}"),
            pb::RetrieveInventoryPhysicalCountRequest {
                physical_count_id: id.into(),
            },
            code,
            expected,
            &["physical_count_id"],
        ));
        rows.push(refused(
            format!("transfer id {why}"),
            pb::RetrieveInventoryTransferRequest {
                transfer_id: id.into(),
            },
            code,
            expected,
            &["transfer_id"],
        ));
    }
    rows.push(refused(
        "a physical count's id asked as an adjustment",
        pb::RetrieveInventoryAdjustmentRequest {
            adjustment_id: f.physical_count_id.clone(),
        },
        Code::NotFound,
        NOT_FOUND,
        &["adjustment_id"],
    ));
    rows.push(refused(
        "a transfer's id asked as a physical count",
        pb::RetrieveInventoryPhysicalCountRequest {
            physical_count_id: f.transfer_id.clone(),
        },
        Code::NotFound,
        NOT_FOUND,
        &["physical_count_id"],
    ));
    rows.push(refused(
        "an adjustment's id asked as a transfer",
        pb::RetrieveInventoryTransferRequest {
            transfer_id: f.adjustment_id.clone(),
        },
        Code::NotFound,
        NOT_FOUND,
        &["transfer_id"],
    ));
    rows.push(
        refused(
            "another merchant's adjustment",
            pb::RetrieveInventoryAdjustmentRequest {
                adjustment_id: f.adjustment_id.clone(),
            },
            Code::NotFound,
            NOT_FOUND,
            &["adjustment_id"],
        )
        .by(Who::OtherMerchant),
    );
    rows
}

/// The adjustment reason RPCs, and reasons, costs and vendors on changes and filters.
fn adjustment_reason_rows(f: &Fixture) -> Vec<Row> {
    use pb::InventoryAdjustmentReasonType as T;
    use reason::*;
    let id = |kind: T, custom: &str| {
        Some(pb::InventoryAdjustmentReasonId {
            r#type: kind as i32,
            custom_reason_id: custom.into(),
        })
    };
    let unknown = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";
    let named = |name: &str, direction: i32| {
        Some(pb::InventoryAdjustmentReason {
            name: name.into(),
            direction,
            ..Default::default()
        })
    };
    let decrease = pb::InventoryAdjustmentReasonDirection::Decrease as i32;
    let create = |key: &str, reason| pb::CreateInventoryAdjustmentReasonRequest {
        idempotency_key: key.into(),
        adjustment_reason: reason,
    };
    let retrieve = |reason_id| pb::RetrieveInventoryAdjustmentReasonRequest { reason_id };
    let mut rows = vec![
        invalid(
            "a reason without its idempotency key",
            create("", named("Breakage", decrease)),
            MISSING,
            "idempotency_key",
        ),
        invalid(
            "a reason without its body",
            create("k", None),
            MISSING,
            "adjustment_reason",
        ),
        invalid(
            "a reason with a blank name",
            create("k", named("   ", decrease)),
            MISSING,
            "adjustment_reason.name",
        ),
        invalid(
            "a reason with a 256-character name",
            create("k", named(&"n".repeat(256), decrease)),
            TOO_LONG,
            "adjustment_reason.name",
        ),
        invalid(
            "a reason without a direction",
            create("k", named("Breakage", 0)),
            MISSING,
            "adjustment_reason.direction",
        ),
        invalid(
            "a reason whose id is set by the caller",
            create(
                "k",
                Some(pb::InventoryAdjustmentReason {
                    id: id(T::Custom, unknown),
                    ..named("Breakage", decrease).unwrap()
                }),
            ),
            READ_ONLY,
            "adjustment_reason.id",
        ),
        invalid(
            "a retrieve without its id",
            retrieve(None),
            MISSING,
            "reason_id",
        ),
        invalid(
            "a custom reason without its custom id",
            retrieve(id(T::Custom, "")),
            MISSING,
            "reason_id.custom_reason_id",
        ),
        invalid(
            "a malformed custom reason id",
            retrieve(id(T::Custom, "nope")),
            ID,
            "reason_id.custom_reason_id",
        ),
        invalid(
            "a custom id on a standard reason",
            retrieve(id(T::Theft, unknown)),
            INVALID_VALUE,
            "reason_id.custom_reason_id",
        ),
        invalid(
            "an unknown reason type",
            retrieve(Some(pb::InventoryAdjustmentReasonId {
                r#type: 99,
                custom_reason_id: String::new(),
            })),
            ENUM,
            "reason_id.type",
        ),
        refused(
            "a custom reason that does not exist",
            retrieve(id(T::Custom, unknown)),
            Code::NotFound,
            NOT_FOUND,
            &["reason_id.custom_reason_id"],
        ),
        invalid(
            "an update of a standard reason",
            pb::UpdateInventoryAdjustmentReasonRequest {
                reason_id: id(T::Damaged, ""),
                adjustment_reason: named("Broken", 0),
            },
            INVALID_VALUE,
            "reason_id.type",
        ),
        invalid(
            "an update to a blank name",
            pb::UpdateInventoryAdjustmentReasonRequest {
                reason_id: id(T::Custom, unknown),
                adjustment_reason: named("", 0),
            },
            MISSING,
            "adjustment_reason.name",
        ),
        invalid(
            "a delete without its id",
            pb::DeleteInventoryAdjustmentReasonRequest { reason_id: None },
            MISSING,
            "reason_id",
        ),
        refused(
            "a restore of a reason that does not exist",
            pb::RestoreInventoryAdjustmentReasonRequest {
                reason_id: id(T::Custom, unknown),
            },
            Code::NotFound,
            NOT_FOUND,
            &["reason_id.custom_reason_id"],
        ),
        refused(
            "reasons listed without a token",
            pb::ListInventoryAdjustmentReasonsRequest::default(),
            Code::Unauthenticated,
            UNAUTHORIZED,
            &[],
        )
        .by(Who::Header(None)),
        refused(
            "a reason created with a read-only token",
            create("k", named("Breakage", decrease)),
            Code::PermissionDenied,
            SCOPES,
            &[],
        )
        .by(Who::Header(Some(format!("Bearer {}", f.read_only_token)))),
        invalid(
            "a receipt carrying a system code",
            one(receipt(f, |a| a.reason_id = id(T::Sale, ""))),
            INVALID_VALUE,
            "changes[0].adjustment.reason_id.type",
        ),
        refused(
            "a receipt carrying a custom reason that does not exist",
            one(receipt(f, |a| a.reason_id = id(T::Custom, unknown))),
            Code::InvalidArgument,
            NOT_FOUND,
            &["changes[0].adjustment.reason_id.custom_reason_id"],
        ),
        invalid(
            "a receipt whose cost is negative",
            one(receipt(f, |a| {
                a.cost_money = Some(pb::Money {
                    amount: "-1".into(),
                    currency: "EUR".into(),
                })
            })),
            TOO_LOW,
            "changes[0].adjustment.cost_money.amount",
        ),
        invalid(
            "a vendor on an adjustment to WASTE",
            one(adjust_with(f, S::InStock, S::Waste, |a| {
                a.vendor_id = "v".into()
            })),
            INVALID_VALUE,
            "changes[0].adjustment.vendor_id",
        ),
        invalid(
            "101 reasons in a history filter",
            pb::BatchRetrieveInventoryChangesRequest {
                reason_ids: vec![id(T::Theft, "").unwrap(); 101],
                ..Default::default()
            },
            ARRAY_TOO_LONG,
            "reason_ids",
        ),
        invalid(
            "a custom reason without its id in a streamed filter",
            pb::StreamInventoryChangesRequest {
                reason_ids: vec![id(T::Custom, "").unwrap()],
                ..Default::default()
            },
            MISSING,
            "reason_ids[0].custom_reason_id",
        ),
    ];
    rows.push(invalid(
        "a transfer carrying the TRANSFER system code",
        one(pb::InventoryChange {
            expected_quantity: None,
            r#type: 0,
            change: Some(Change::Transfer(pb::InventoryTransfer {
                catalog_object_id: f.item.clone(),
                from_location_id: f.shop.clone(),
                to_location_id: f.back_room.clone(),
                state: S::InStock.into(),
                quantity: "1".into(),
                reason_id: id(T::Transfer, ""),
                ..Default::default()
            })),
        }),
        INVALID_VALUE,
        "changes[0].transfer.reason_id.type",
    ));
    rows
}

/// InventoryItemService: ids, SKUs, decimals, countries, masks.
fn reorder_point_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let set = |item: &str, location: &str, point: &str| pb::SetInventoryReorderPointRequest {
        catalog_object_id: item.into(),
        location_id: location.into(),
        reorder_point: point.into(),
    };
    let delete = |item: &str, location: &str| pb::DeleteInventoryReorderPointRequest {
        catalog_object_id: item.into(),
        location_id: location.into(),
    };
    vec![
        invalid(
            "a reorder point without its item",
            set("", &f.shop, "1"),
            MISSING,
            "catalog_object_id",
        ),
        invalid(
            "a reorder point at a malformed location",
            set(&f.item, "nope", "1"),
            ID,
            "location_id",
        ),
        invalid(
            "a negative reorder point",
            set(&f.item, &f.shop, "-1"),
            TOO_LOW,
            "reorder_point",
        ),
        invalid(
            "a reorder point with six decimals",
            set(&f.item, &f.shop, "1.000001"),
            INVALID_VALUE,
            "reorder_point",
        ),
        invalid(
            "a reorder point without a quantity",
            set(&f.item, &f.shop, ""),
            MISSING,
            "reorder_point",
        ),
        refused(
            "a reorder point of an unknown item",
            set(UNKNOWN_ID, &f.shop, "1"),
            Code::NotFound,
            NOT_FOUND,
            &["catalog_object_id"],
        ),
        refused(
            "a reorder point at an unknown location",
            set(&f.item, UNKNOWN_ID, "1"),
            Code::NotFound,
            NOT_FOUND,
            &["location_id"],
        ),
        refused(
            "a reorder point at another merchant's item",
            set(&f.item, &f.shop, "1"),
            Code::NotFound,
            NOT_FOUND,
            &["catalog_object_id"],
        )
        .by(Who::OtherMerchant),
        refused(
            "a reorder point set with a read-only token",
            set(&f.item, &f.shop, "1"),
            Code::PermissionDenied,
            SCOPES,
            &[],
        )
        .by(Who::Header(Some(format!("Bearer {}", f.read_only_token)))),
        refused(
            "a delete of a reorder point never set",
            delete(&f.item, &f.back_room),
            Code::NotFound,
            NOT_FOUND,
            &["location_id"],
        ),
        invalid(
            "a delete without its location",
            delete(&f.item, ""),
            MISSING,
            "location_id",
        ),
        invalid(
            "reorder points listed with a malformed item id",
            pb::ListInventoryReorderPointsRequest {
                catalog_object_ids: vec!["nope".into()],
                ..Default::default()
            },
            ID,
            "catalog_object_ids[0]",
        ),
        invalid(
            "reorder points listed with a page too long",
            pb::ListInventoryReorderPointsRequest {
                limit: 1001,
                ..Default::default()
            },
            TOO_HIGH,
            "limit",
        ),
        refused(
            "reorder points listed with a cursor of another query",
            pb::ListInventoryReorderPointsRequest {
                cursor: f.cursors.items.clone(),
                ..Default::default()
            },
            Code::InvalidArgument,
            CURSOR,
            &["cursor"],
        ),
        invalid(
            "alerts watched at a malformed location",
            pb::WatchInventoryAlertsRequest {
                location_ids: vec!["nope".into()],
                ..Default::default()
            },
            ID,
            "location_ids[0]",
        ),
        refused(
            "alerts watched from a counts resume token",
            pb::WatchInventoryAlertsRequest {
                resume_token: f.cursors.watch_counts.clone(),
                ..Default::default()
            },
            Code::InvalidArgument,
            CURSOR,
            &["resume_token"],
        ),
        refused(
            "alerts watched without a token",
            pb::WatchInventoryAlertsRequest::default(),
            Code::Unauthenticated,
            UNAUTHORIZED,
            &[],
        )
        .by(Who::Header(None)),
    ]
}

fn item_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let mut rows = vec![];
    let create = |edit: &dyn Fn(&mut pb::InventoryItem)| {
        let mut item = pb::InventoryItem {
            sku: "NEW-1".into(),
            ..Default::default()
        };
        edit(&mut item);
        pb::CreateInventoryItemRequest {
            inventory_item: Some(item),
        }
    };
    let field = |name: &str| format!("inventory_item.{name}");
    rows.push(invalid(
        "create without an item",
        pb::CreateInventoryItemRequest {
            inventory_item: None,
        },
        MISSING,
        "inventory_item",
    ));
    // An empty or blank SKU is no SKU (optional, as in Shopify: tests/sort_and_items.rs).
    let skus: Vec<(String, &str, &str)> = vec![
        ("A\0B".into(), "NUL", INVALID_VALUE),
        ("A\nB".into(), "LF inside", INVALID_VALUE),
        ("\u{1b}[31mRED".into(), "ESC", INVALID_VALUE),
        ("S".repeat(256), "256 characters", TOO_LONG),
        ("S".repeat(HUGE), "three megabytes", TOO_LONG),
    ];
    for (sku, why, expected) in skus {
        rows.push(invalid(
            format!("create: SKU {why}"),
            create(&|i| i.sku = sku.clone()),
            expected,
            &field("sku"),
        ));
    }
    let nines = "9".repeat(27);
    for (cost, why, expected) in [
        ("1e3", "an exponent", INVALID_VALUE),
        ("NaN", "not a number", INVALID_VALUE),
        ("５", "a fullwidth digit", INVALID_VALUE),
        (".5", "no digit before the point", INVALID_VALUE),
        ("-1", "negative", TOO_LOW),
        ("92233720368547.75808", "beyond i64 units", TOO_HIGH),
        (nines.as_str(), "27 digits", TOO_HIGH),
        (
            "000000000000000000000000001",
            "27 characters of a small value",
            TOO_LONG,
        ),
    ] {
        rows.push(invalid(
            format!("create: cost {why}"),
            create(&|i| i.cost = cost.into()),
            expected,
            &field("cost"),
        ));
    }
    let huge_country = "F".repeat(HUGE);
    for (country, why) in [
        ("fr", "lower case"),
        ("XX", "unassigned"),
        (huge_country.as_str(), "three megabytes"),
    ] {
        rows.push(invalid(
            format!("create: country {why}"),
            create(&|i| i.country_code_of_origin = country.into()),
            COUNTRY,
            &field("country_code_of_origin"),
        ));
    }
    rows.push(invalid(
        "create: a province without a country",
        create(&|i| i.province_code_of_origin = "QC".into()),
        INVALID_VALUE,
        &field("province_code_of_origin"),
    ));
    rows.push(invalid(
        "create: a five-digit HS code",
        create(&|i| i.harmonized_system_code = "12345".into()),
        INVALID_VALUE,
        &field("harmonized_system_code"),
    ));
    rows.push(invalid(
        "create: 251 country HS codes",
        create(&|i| {
            i.country_harmonized_system_codes = (0..251)
                .map(|_| pb::CountryHarmonizedSystemCode {
                    harmonized_system_code: "123456".into(),
                    country_code: "FR".into(),
                })
                .collect()
        }),
        ARRAY_TOO_LONG,
        &field("country_harmonized_system_codes"),
    ));
    let general_entry = |code: &str| pb::CountryHarmonizedSystemCode {
        harmonized_system_code: code.into(),
        country_code: String::new(),
    };
    rows.push(invalid(
        "create: an HS entry without a country, unlike the general code",
        create(&|i| {
            i.harmonized_system_code = "123456".into();
            i.country_harmonized_system_codes = vec![general_entry("654321")];
        }),
        INVALID_VALUE,
        &field("country_harmonized_system_codes[0].country_code"),
    ));
    rows.push(invalid(
        "create: two HS entries without a country",
        create(&|i| {
            i.country_harmonized_system_codes =
                vec![general_entry("123456"), general_entry("123456")]
        }),
        MISSING,
        &field("country_harmonized_system_codes[1].country_code"),
    ));
    rows.push(invalid(
        "create: an id set",
        create(&|i| i.id = UNKNOWN_ID.into()),
        READ_ONLY,
        &field("id"),
    ));
    rows.push(invalid(
        "create: created_at set",
        create(&|i| i.created_at = timestamp(0)),
        READ_ONLY,
        &field("created_at"),
    ));

    let huge_id = "i".repeat(HUGE);
    for (id, why) in [
        ("", "missing"),
        ("nope", "not a UUID"),
        ("\0", "NUL"),
        (huge_id.as_str(), "three megabytes"),
        (UNKNOWN_ID, "unknown"),
    ] {
        let (code, expected) = match why {
            "missing" => (Code::InvalidArgument, MISSING),
            "unknown" => (Code::NotFound, NOT_FOUND),
            _ => (Code::InvalidArgument, ID),
        };
        rows.push(refused(
            format!("get: id {why}"),
            pb::GetInventoryItemRequest { id: id.into() },
            code,
            expected,
            &["id"],
        ));
    }
    rows.push(
        refused(
            "get: another merchant's item",
            pb::GetInventoryItemRequest { id: f.item.clone() },
            Code::NotFound,
            NOT_FOUND,
            &["id"],
        )
        .by(Who::OtherMerchant),
    );
    rows.push(invalid(
        "batch get: no ids",
        pb::BatchGetInventoryItemsRequest { ids: vec![] },
        ARRAY_TOO_SHORT,
        "ids",
    ));
    rows.push(invalid(
        "batch get: 101 ids",
        pb::BatchGetInventoryItemsRequest {
            ids: vec![f.item.clone(); 101],
        },
        ARRAY_TOO_LONG,
        "ids",
    ));
    rows.push(invalid(
        "batch get: a malformed id after a good one",
        pb::BatchGetInventoryItemsRequest {
            ids: vec![f.item.clone(), "x".into()],
        },
        ID,
        "ids[1]",
    ));
    for (limit, expected) in [(-1, TOO_LOW), (251, TOO_HIGH)] {
        rows.push(invalid(
            format!("list items: limit {limit}"),
            pb::ListInventoryItemsRequest {
                limit,
                ..Default::default()
            },
            expected,
            "limit",
        ));
    }
    for (sku, why, expected) in [
        ("MUG\n".to_owned(), "a LF", INVALID_VALUE),
        ("S".repeat(256), "256 characters", TOO_LONG),
    ] {
        rows.push(invalid(
            format!("list items: SKU filter with {why}"),
            pb::ListInventoryItemsRequest {
                sku,
                ..Default::default()
            },
            expected,
            "sku",
        ));
    }
    rows.push(invalid(
        "list items: updated_after with negative nanos",
        pb::ListInventoryItemsRequest {
            updated_after: broken_timestamp(),
            ..Default::default()
        },
        INVALID_VALUE,
        "updated_after",
    ));

    let update = |id: &str, edit: &dyn Fn(&mut pb::InventoryItem), paths: &[&str]| {
        let mut item = pb::InventoryItem {
            id: id.into(),
            ..Default::default()
        };
        edit(&mut item);
        pb::UpdateInventoryItemRequest {
            inventory_item: Some(item),
            update_mask: mask(paths),
        }
    };
    rows.push(invalid(
        "update without an item",
        pb::UpdateInventoryItemRequest {
            inventory_item: None,
            update_mask: None,
        },
        MISSING,
        "inventory_item",
    ));
    for (id, why) in [
        ("", "missing"),
        ("nope", "not a UUID"),
        (UNKNOWN_ID, "unknown"),
    ] {
        let (code, expected) = match why {
            "missing" => (Code::InvalidArgument, MISSING),
            "unknown" => (Code::NotFound, NOT_FOUND),
            _ => (Code::InvalidArgument, ID),
        };
        rows.push(refused(
            format!("update: id {why}"),
            update(id, &|i| i.cost = "1".into(), &["cost"]),
            code,
            expected,
            &[&field("id")],
        ));
    }
    let huge_path = "p".repeat(HUGE);
    for (paths, why, at) in [
        (vec!["bogus"], "an unknown path", "update_mask.paths[0]"),
        (vec!["id"], "a read-only path", "update_mask.paths[0]"),
        (
            vec!["cost", "cost"],
            "a repeated path",
            "update_mask.paths[1]",
        ),
        (
            vec![huge_path.as_str()],
            "a three-megabyte path",
            "update_mask.paths[0]",
        ),
    ] {
        rows.push(invalid(
            format!("update: mask with {why}"),
            update(&f.item, &|i| i.cost = "1".into(), &paths),
            MASK,
            at,
        ));
    }
    rows.push(invalid(
        "update: a SKU with a CR",
        update(&f.item, &|i| i.sku = "MUG\rX".into(), &["sku"]),
        INVALID_VALUE,
        &field("sku"),
    ));
    rows.push(invalid(
        "update: cost 27 digits",
        update(&f.item, &|i| i.cost = "9".repeat(27), &["cost"]),
        TOO_HIGH,
        &field("cost"),
    ));
    rows
}

/// LocationService: ids, names, descriptions, statuses, masks.
fn reservation_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let mut rows = vec![];
    let line = |item: &str, location: &str, quantity: &str| pb::ReservationLine {
        catalog_object_id: item.into(),
        location_id: location.into(),
        quantity: quantity.into(),
        ..Default::default()
    };
    let ttl = Some(prost_types::Duration {
        seconds: 60,
        nanos: 0,
    });
    let create = |edit: &dyn Fn(&mut pb::CreateReservationRequest)| {
        let mut request = pb::CreateReservationRequest {
            idempotency_key: "reserve".into(),
            lines: vec![line(&f.item, &f.shop, "1")],
            ttl,
            ..Default::default()
        };
        edit(&mut request);
        request
    };
    let cases: Vec<(&str, pb::CreateReservationRequest, Code, &str, &str)> = vec![
        (
            "no idempotency key",
            create(&|r| r.idempotency_key.clear()),
            Code::InvalidArgument,
            MISSING,
            "idempotency_key",
        ),
        (
            "no lines",
            create(&|r| r.lines.clear()),
            Code::InvalidArgument,
            ARRAY_TOO_SHORT,
            "lines",
        ),
        (
            "a quantity of 0",
            create(&|r| r.lines[0].quantity = "0".into()),
            Code::InvalidArgument,
            TOO_LOW,
            "lines[0].quantity",
        ),
        (
            "a malformed quantity",
            create(&|r| r.lines[0].quantity = "1e3".into()),
            Code::InvalidArgument,
            INVALID_VALUE,
            "lines[0].quantity",
        ),
        (
            "an item id that is not a UUID",
            create(&|r| r.lines[0].catalog_object_id = "nope".into()),
            Code::InvalidArgument,
            ID,
            "lines[0].catalog_object_id",
        ),
        (
            "an unknown item",
            create(&|r| r.lines[0].catalog_object_id = UNKNOWN_ID.into()),
            Code::InvalidArgument,
            NOT_FOUND,
            "lines[0].catalog_object_id",
        ),
        (
            "an inactive location",
            create(&|r| r.lines[0].location_id = f.closed.clone()),
            Code::InvalidArgument,
            INACTIVE,
            "lines[0].location_id",
        ),
        (
            "a held quantity set",
            create(&|r| r.lines[0].held_quantity = "1".into()),
            Code::InvalidArgument,
            READ_ONLY,
            "lines[0].held_quantity",
        ),
        (
            "neither ttl nor expires_at",
            create(&|r| r.ttl = None),
            Code::InvalidArgument,
            MISSING,
            "ttl",
        ),
        (
            "a ttl of 31 days",
            create(&|r| {
                r.ttl = Some(prost_types::Duration {
                    seconds: 31 * 24 * 3600,
                    nanos: 0,
                })
            }),
            Code::InvalidArgument,
            TOO_HIGH,
            "ttl",
        ),
    ];
    for (why, request, code, expected, field) in cases {
        rows.push(refused(
            format!("reserve: {why}"),
            request,
            code,
            expected,
            &[field],
        ));
    }
    for (id, why) in [
        ("", "missing"),
        ("nope", "not a UUID"),
        (UNKNOWN_ID, "unknown"),
    ] {
        let (code, expected) = match why {
            "missing" => (Code::InvalidArgument, MISSING),
            "unknown" => (Code::NotFound, NOT_FOUND),
            _ => (Code::InvalidArgument, ID),
        };
        let commit = pb::CommitReservationRequest {
            id: id.into(),
            idempotency_key: "commit".into(),
            ..Default::default()
        };
        let extend = pb::ExtendReservationRequest {
            id: id.into(),
            ttl,
            expires_at: None,
        };
        let requests: Vec<(&str, Rpc)> = vec![
            ("commit", commit.into()),
            (
                "release",
                pb::ReleaseReservationRequest { id: id.into() }.into(),
            ),
            ("extend", extend.into()),
            ("get", pb::GetReservationRequest { id: id.into() }.into()),
        ];
        for (rpc, request) in requests {
            rows.push(refused(
                format!("{rpc} reservation: id {why}"),
                request,
                code,
                expected,
                &["id"],
            ));
        }
    }
    for (state, limit, cursor, why, expected, at) in [
        (99, 0, "", "state 99", ENUM, "state"),
        (0, 251, "", "limit 251", TOO_HIGH, "limit"),
        (0, 0, "nope", "a forged cursor", CURSOR, "cursor"),
    ] {
        rows.push(invalid(
            format!("list reservations: {why}"),
            pb::ListReservationsRequest {
                state,
                limit,
                cursor: cursor.into(),
                ..Default::default()
            },
            expected,
            at,
        ));
    }
    rows
}

fn webhook_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let _ = f;
    let create = |edit: &dyn Fn(&mut pb::WebhookSubscription), from_sequence: i64| {
        let mut subscription = pb::WebhookSubscription {
            notification_url: "https://hooks.example.com/stock".into(),
            format: pb::WebhookFormat::Square.into(),
            event_types: vec![pb::WebhookEventType::CountUpdated.into()],
            ..Default::default()
        };
        edit(&mut subscription);
        pb::CreateWebhookSubscriptionRequest {
            subscription: Some(subscription),
            from_sequence,
        }
    };
    let field = |name: &str| format!("subscription.{name}");
    let mut rows = vec![invalid(
        "create webhook without a subscription",
        pb::CreateWebhookSubscriptionRequest::default(),
        MISSING,
        "subscription",
    )];
    type Edit = fn(&mut pb::WebhookSubscription);
    let cases: [(&str, Edit, &str, &str); 10] = [
        (
            "no URL",
            |s| s.notification_url.clear(),
            MISSING,
            "notification_url",
        ),
        (
            "a relative URL",
            |s| s.notification_url = "/hooks".into(),
            INVALID_VALUE,
            "notification_url",
        ),
        (
            "an ftp URL",
            |s| s.notification_url = "ftp://example.com/x".into(),
            INVALID_VALUE,
            "notification_url",
        ),
        (
            "credentials in the URL",
            |s| s.notification_url = "https://u:p@example.com/".into(),
            INVALID_VALUE,
            "notification_url",
        ),
        ("no format", |s| s.format = 0, MISSING, "format"),
        (
            "no event type",
            |s| s.event_types.clear(),
            MISSING,
            "event_types",
        ),
        (
            "an unknown event type",
            |s| s.event_types.push(99),
            INVALID_VALUE,
            "event_types[1]",
        ),
        (
            "an event type twice",
            |s| s.event_types.push(1),
            INVALID_VALUE,
            "event_types[1]",
        ),
        (
            "a Shopify subscription to changes",
            |s| {
                s.format = pb::WebhookFormat::Shopify.into();
                s.event_types = vec![pb::WebhookEventType::ChangeRecorded.into()];
            },
            INVALID_VALUE,
            "event_types[0]",
        ),
        (
            "a signature key",
            |s| s.signature_key = "mine".into(),
            READ_ONLY,
            "signature_key",
        ),
    ];
    for (why, edit, expected, at) in cases {
        rows.push(invalid(
            format!("create webhook: {why}"),
            create(&edit, 0),
            expected,
            &field(at),
        ));
    }
    rows.push(invalid(
        "create webhook: a negative from_sequence",
        create(&|_| {}, -1),
        INVALID_VALUE,
        "from_sequence",
    ));
    rows.push(refused(
        "create webhook: from_sequence beyond the feed",
        create(&|_| {}, 1_000_000),
        Code::OutOfRange,
        INVALID_VALUE,
        &["from_sequence"],
    ));
    for (id, why, code, expected) in [
        ("", "missing", Code::InvalidArgument, MISSING),
        ("nope", "malformed", Code::InvalidArgument, ID),
        (UNKNOWN_ID, "unknown", Code::NotFound, NOT_FOUND),
    ] {
        let requests: Vec<(&str, Rpc)> = vec![
            (
                "get",
                pb::GetWebhookSubscriptionRequest { id: id.into() }.into(),
            ),
            (
                "delete",
                pb::DeleteWebhookSubscriptionRequest { id: id.into() }.into(),
            ),
            (
                "replay",
                pb::ReplayWebhookSubscriptionRequest {
                    id: id.into(),
                    from_sequence: 0,
                }
                .into(),
            ),
        ];
        for (rpc, request) in requests {
            rows.push(refused(
                format!("{rpc} webhook: id {why}"),
                request,
                code,
                expected,
                &["id"],
            ));
        }
    }
    rows.push(
        refused(
            "list webhooks without a token",
            pb::ListWebhookSubscriptionsRequest::default(),
            Code::Unauthenticated,
            UNAUTHORIZED,
            &[],
        )
        .by(Who::Header(None)),
    );
    rows
}

fn location_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let mut rows = vec![];
    let create = |edit: &dyn Fn(&mut pb::Location)| {
        let mut location = pb::Location {
            name: "New shop".into(),
            ..Default::default()
        };
        edit(&mut location);
        pb::CreateLocationRequest {
            location: Some(location),
        }
    };
    let field = |name: &str| format!("location.{name}");
    rows.push(invalid(
        "create without a location",
        pb::CreateLocationRequest { location: None },
        MISSING,
        "location",
    ));
    let names: Vec<(String, &str, &str)> = vec![
        (String::new(), "empty", MISSING),
        ("Shop\0".into(), "NUL", INVALID_VALUE),
        ("Sh\nop".into(), "LF inside", INVALID_VALUE),
        ("N".repeat(256), "256 characters", TOO_LONG),
    ];
    for (name, why, expected) in names {
        rows.push(invalid(
            format!("create: name {why}"),
            create(&|l| l.name = name.clone()),
            expected,
            &field("name"),
        ));
    }
    rows.push(refused(
        "create: a taken name",
        create(&|l| l.name = "Shop".into()),
        Code::AlreadyExists,
        EXISTS,
        &[&field("name")],
    ));
    let descriptions: Vec<(String, &str, &str)> = vec![
        ("line 1\nline 2".into(), "LF", INVALID_VALUE),
        ("a\rb".into(), "CR", INVALID_VALUE),
        ("\u{1b}]0;pwned\u{7}".into(), "ESC and BEL", INVALID_VALUE),
        ("\0".into(), "NUL", INVALID_VALUE),
        ("d".repeat(1025), "1025 characters", TOO_LONG),
        ("d".repeat(HUGE), "three megabytes", TOO_LONG),
    ];
    for (description, why, expected) in descriptions {
        rows.push(invalid(
            format!("create: description {why}"),
            create(&|l| l.description = description.clone()),
            expected,
            &field("description"),
        ));
    }
    rows.push(invalid(
        "create: status 99",
        create(&|l| l.status = 99),
        ENUM,
        &field("status"),
    ));
    rows.push(invalid(
        "create: an id set",
        create(&|l| l.id = UNKNOWN_ID.into()),
        READ_ONLY,
        &field("id"),
    ));
    let huge_id = "l".repeat(HUGE);
    for (id, why) in [
        ("", "missing"),
        ("nope", "not a UUID"),
        (huge_id.as_str(), "three megabytes"),
        (UNKNOWN_ID, "unknown"),
    ] {
        let (code, expected) = match why {
            "missing" => (Code::InvalidArgument, MISSING),
            "unknown" => (Code::NotFound, NOT_FOUND),
            _ => (Code::InvalidArgument, ID),
        };
        rows.push(refused(
            format!("get: location id {why}"),
            pb::GetLocationRequest { id: id.into() },
            code,
            expected,
            &["id"],
        ));
    }
    for (status, limit, why, expected, at) in [
        (99, 0, "status 99", ENUM, "status"),
        (-1, 0, "status -1", ENUM, "status"),
        (0, -1, "limit -1", TOO_LOW, "limit"),
        (0, 251, "limit 251", TOO_HIGH, "limit"),
    ] {
        rows.push(invalid(
            format!("list locations: {why}"),
            pb::ListLocationsRequest {
                status,
                limit,
                ..Default::default()
            },
            expected,
            at,
        ));
    }
    let update = |id: &str, edit: &dyn Fn(&mut pb::Location), paths: &[&str]| {
        let mut location = pb::Location {
            id: id.into(),
            ..Default::default()
        };
        edit(&mut location);
        pb::UpdateLocationRequest {
            location: Some(location),
            update_mask: mask(paths),
        }
    };
    for (id, why) in [("nope", "not a UUID"), (UNKNOWN_ID, "unknown")] {
        let (code, expected) = if why == "unknown" {
            (Code::NotFound, NOT_FOUND)
        } else {
            (Code::InvalidArgument, ID)
        };
        rows.push(refused(
            format!("update: location id {why}"),
            update(id, &|l| l.name = "Renamed".into(), &["name"]),
            code,
            expected,
            &[&field("id")],
        ));
    }
    rows.push(invalid(
        "update: status named but unspecified",
        update(&f.shop, &|_| {}, &["status"]),
        ENUM,
        &field("status"),
    ));
    rows.push(invalid(
        "update: status 99",
        update(&f.shop, &|l| l.status = 99, &["status"]),
        ENUM,
        &field("status"),
    ));
    rows.push(refused(
        "update: another location's name",
        update(&f.back_room, &|l| l.name = "Shop".into(), &["name"]),
        Code::AlreadyExists,
        EXISTS,
        &[&field("name")],
    ));
    rows.push(invalid(
        "update: a description with a CR",
        update(&f.shop, &|l| l.description = "\r".into(), &["description"]),
        INVALID_VALUE,
        &field("description"),
    ));
    rows.push(invalid(
        "update: mask naming created_at",
        update(&f.shop, &|l| l.name = "Shop".into(), &["created_at"]),
        MASK,
        "update_mask.paths[0]",
    ));
    rows
}

/// Every cursor and resume token tampered with, truncated, oversize, from another merchant
/// and from another query: INVALID_ARGUMENT, INVALID_CURSOR, naming `cursor` or
/// `resume_token` — nothing about their format.
fn cursor_rows(f: &Fixture) -> Vec<Row> {
    let c = &f.cursors;
    type Build = Box<dyn Fn(String) -> Rpc>;
    let kinds: Vec<(&str, &str, &String, Build)> = vec![
        (
            "items",
            "cursor",
            &c.items,
            Box::new(|cursor| {
                pb::ListInventoryItemsRequest {
                    cursor,
                    ..Default::default()
                }
                .into()
            }),
        ),
        (
            "locations",
            "cursor",
            &c.locations,
            Box::new(|cursor| {
                pb::ListLocationsRequest {
                    cursor,
                    ..Default::default()
                }
                .into()
            }),
        ),
        (
            "counts",
            "cursor",
            &c.counts,
            Box::new(|cursor| {
                pb::BatchRetrieveInventoryCountsRequest {
                    cursor,
                    ..Default::default()
                }
                .into()
            }),
        ),
        ("one item's counts", "cursor", &c.item_counts, {
            let item = f.item.clone();
            Box::new(move |cursor| {
                pb::RetrieveInventoryCountRequest {
                    catalog_object_id: item.clone(),
                    cursor,
                    ..Default::default()
                }
                .into()
            })
        }),
        (
            "history",
            "cursor",
            &c.changes,
            Box::new(|cursor| {
                pb::BatchRetrieveInventoryChangesRequest {
                    cursor,
                    ..Default::default()
                }
                .into()
            }),
        ),
        (
            "streamed history",
            "cursor",
            &c.stream,
            Box::new(|cursor| {
                pb::StreamInventoryChangesRequest {
                    cursor,
                    ..Default::default()
                }
                .into()
            }),
        ),
        (
            "watched history",
            "resume_token",
            &c.watch_changes,
            Box::new(|resume_token| {
                pb::WatchInventoryChangesRequest {
                    resume_token,
                    ..Default::default()
                }
                .into()
            }),
        ),
        (
            "watched counts",
            "resume_token",
            &c.watch_counts,
            Box::new(|resume_token| {
                pb::WatchInventoryCountsRequest {
                    resume_token,
                    ..Default::default()
                }
                .into()
            }),
        ),
    ];
    let mut rows = vec![];
    for (i, (kind, field, cursor, build)) in kinds.iter().enumerate() {
        let middle = cursor.len() / 2;
        let mut tampered = cursor.as_bytes().to_vec();
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ASCII cursors");
        // Two kinds on: a query of another family (a one item's counts cursor is a counts
        // cursor, a streamed history cursor a history cursor — by design).
        let (next_kind, _, other_query, _) = &kinds[(i + 2) % kinds.len()];
        let cases: Vec<(String, String, Who)> = vec![
            ("tampered".into(), tampered, Who::Merchant),
            (
                "truncated".into(),
                cursor[..middle].to_owned(),
                Who::Merchant,
            ),
            ("oversize".into(), "A".repeat(100_000), Who::Merchant),
            (
                "another merchant's".into(),
                (*cursor).clone(),
                Who::OtherMerchant,
            ),
            (
                format!("the {next_kind} query's"),
                (*other_query).clone(),
                Who::Merchant,
            ),
        ];
        for (why, text, who) in cases {
            rows.push(
                invalid(
                    format!("{kind}: {why} {field}"),
                    build(text),
                    reason::CURSOR,
                    field,
                )
                .by(who),
            );
        }
    }
    rows
}

/// Tokens: missing, malformed and unknown are UNAUTHENTICATED (reason UNAUTHORIZED); a
/// token without the
/// RPC's scope is PERMISSION_DENIED. No field is named.
fn token_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let unknown = format!("Bearer slk_{}_{}", "0".repeat(32), "A".repeat(43));
    let headers: Vec<(&str, Option<String>)> = vec![
        ("no authorization header", None),
        ("an empty header", Some(String::new())),
        ("a Basic credential", Some("Basic dXNlcjpwYXNz".into())),
        ("a malformed bearer token", Some("Bearer nonsense".into())),
        (
            "an 8 KB bearer token",
            Some(format!("Bearer slk_{}", "a".repeat(8192))),
        ),
        ("an unknown token", Some(unknown)),
    ];
    let mut rows = vec![];
    for (i, (why, header)) in headers.into_iter().enumerate() {
        // Each case on a different service, all three services covered.
        let rpc: Rpc = match i % 3 {
            0 => pb::GetInventoryItemRequest { id: f.item.clone() }.into(),
            1 => pb::ListLocationsRequest::default().into(),
            _ => one(receipt(f, |_| {})).into(),
        };
        rows.push(
            refused(why, rpc, Code::Unauthenticated, UNAUTHORIZED, &[]).by(Who::Header(header)),
        );
    }
    let bearer = |token: &str| Who::Header(Some(format!("Bearer {token}")));
    let scoped: Vec<(&str, &String, Rpc)> = vec![
        (
            "BatchChangeInventory with a read-only token",
            &f.read_only_token,
            one(receipt(f, |_| {})).into(),
        ),
        (
            "CreateInventoryItem with a read-only token",
            &f.read_only_token,
            pb::CreateInventoryItemRequest {
                inventory_item: Some(pb::InventoryItem {
                    sku: "X".into(),
                    ..Default::default()
                }),
            }
            .into(),
        ),
        (
            "UpdateLocation with a read-only token",
            &f.read_only_token,
            pb::UpdateLocationRequest {
                location: Some(pb::Location {
                    id: f.shop.clone(),
                    name: "Mine".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["name"]),
            }
            .into(),
        ),
        (
            "BatchRetrieveInventoryCounts with an items token",
            &f.items_read_token,
            pb::BatchRetrieveInventoryCountsRequest::default().into(),
        ),
        (
            "WatchInventoryChanges with an items token",
            &f.items_read_token,
            pb::WatchInventoryChangesRequest::default().into(),
        ),
        (
            "GetLocation with an items token",
            &f.items_read_token,
            pb::GetLocationRequest { id: f.shop.clone() }.into(),
        ),
    ];
    for (why, token, rpc) in scoped {
        rows.push(refused(why, rpc, Code::PermissionDenied, SCOPES, &[]).by(bearer(token)));
    }
    rows
}

/// ImportInventoryChanges: a message's size and the scope (a bad change is answered in the
/// response, not refused; tests/import_export.rs covers it).
fn import_rows(f: &Fixture) -> Vec<Row> {
    use reason::*;
    let message = |changes: Vec<pb::InventoryChange>| pb::ImportInventoryChangesRequest {
        changes,
        source: None,
    };
    vec![
        invalid(
            "ImportInventoryChanges: a message without changes",
            message(vec![]),
            ARRAY_TOO_SHORT,
            "changes",
        ),
        invalid(
            "ImportInventoryChanges: a message of 1001 changes",
            message(vec![receipt(f, |_| {}); 1001]),
            ARRAY_TOO_LONG,
            "changes",
        ),
        refused(
            "ImportInventoryChanges with a read-only token",
            message(vec![receipt(f, |_| {})]),
            Code::PermissionDenied,
            SCOPES,
            &[],
        )
        .by(Who::Header(Some(format!("Bearer {}", f.read_only_token)))),
    ]
}

/// A digest of everything the merchant can read: items, locations, counts, history.
async fn digest(clients: &mut Clients) -> String {
    let mut hash = Sha256::new();
    for item in list_all(clients, pb::ListInventoryItemsRequest::default()).await {
        hash.update(item.encode_to_vec());
    }
    for location in list_all(clients, pb::ListLocationsRequest::default()).await {
        hash.update(location.encode_to_vec());
    }
    for count in list_all(clients, pb::BatchRetrieveInventoryCountsRequest::default()).await {
        hash.update(count.encode_to_vec());
    }
    let history = clients
        .inventory
        .stream_inventory_changes(pb::StreamInventoryChangesRequest::default())
        .await
        .expect("streaming the history")
        .into_inner();
    let mut history = std::pin::pin!(history);
    while let Some(message) = history.next().await {
        let change = message.expect("a streamed change").change;
        hash.update(change.expect("a change").encode_to_vec());
    }
    let subscriptions = clients
        .webhooks
        .list_webhook_subscriptions(pb::ListWebhookSubscriptionsRequest::default())
        .await
        .expect("listing webhook subscriptions")
        .into_inner()
        .subscriptions;
    for subscription in subscriptions {
        // Without the feed's head, which the rows' own changes would move.
        hash.update(
            pb::WebhookSubscription {
                feed_sequence: 0,
                ..subscription
            }
            .encode_to_vec(),
        );
    }
    format!("{:x}", hash.finalize())
}

/// The merchant's data and cursors, and the tokens the rows use.
async fn fixture(server: &mut TestServer) -> Fixture {
    let shop = location(server, "Shop").await;
    let back_room = location(server, "Back room").await;
    let closed = location(server, "Old shop").await;
    let deactivate = pb::UpdateLocationRequest {
        location: Some(pb::Location {
            id: closed.clone(),
            status: pb::LocationStatus::Inactive as i32,
            ..Default::default()
        }),
        update_mask: mask(&["status"]),
    };
    server
        .locations
        .update_location(deactivate)
        .await
        .expect("deactivate");
    let mug = item(server, "MUG").await;
    let gift_card = pb::CreateInventoryItemRequest {
        inventory_item: Some(pb::InventoryItem {
            sku: "GIFT-CARD".into(),
            tracked: Some(false),
            ..Default::default()
        }),
    };
    let untracked = server.items.create_inventory_item(gift_card).await;
    let untracked = untracked
        .expect("untracked item")
        .into_inner()
        .inventory_item
        .unwrap()
        .id;

    // The seed: one change of each kind, its key kept for the replay rows.
    let seed = pb::BatchChangeInventoryRequest {
        forbid_negative_counts: None,
        idempotency_key: "seed-day".into(),
        changes: vec![
            adjust(&mug, &shop, S::None, S::InStock, "100"),
            count(&mug, &shop, S::Waste, "2"),
            transfer(&mug, &shop, &back_room, "5"),
        ],
        ignore_unchanged_counts: None,
    };
    let recorded = server.inventory.batch_change_inventory(seed.clone()).await;
    let ids: Vec<String> = recorded
        .expect("the seed batch")
        .into_inner()
        .changes
        .iter()
        .map(common::ledger::change_id)
        .collect();
    // The other merchant's BOLT up to the largest count, 10^12, in ten batches of 10^11.
    let other_token = server.token_for("merchant-b", &Scope::ALL, "B app").await;
    let mut other = server.clients(&other_token);
    let other_warehouse = location(&mut other, "Warehouse").await;
    let other_bolt = item(&mut other, "BOLT").await;
    for _ in 0..10 {
        let receipts = (0..100)
            .map(|_| {
                adjust(
                    &other_bolt,
                    &other_warehouse,
                    S::None,
                    S::InStock,
                    "1000000000",
                )
            })
            .collect();
        apply(&mut other, receipts).await;
    }

    let cursors = cursors(server, &mug).await;
    let read_only = [Scope::InventoryRead, Scope::ItemsRead, Scope::LocationsRead];
    Fixture {
        item: mug,
        untracked,
        shop,
        back_room,
        closed,
        adjustment_id: ids[0].clone(),
        physical_count_id: ids[1].clone(),
        transfer_id: ids[2].clone(),
        seed,
        cursors,
        read_only_token: server
            .token_for(TEST_MERCHANT, &read_only, "Read-only app")
            .await,
        items_read_token: server
            .token_for(TEST_MERCHANT, &[Scope::ItemsRead], "Items app")
            .await,
        other_token,
        other_bolt,
        other_warehouse,
    }
}

/// One cursor or resume token of each kind, issued to the merchant.
async fn cursors(server: &mut TestServer, item: &str) -> Cursors {
    let inventory = &mut server.clients.inventory;
    let items = pb::ListInventoryItemsRequest {
        limit: 1,
        ..Default::default()
    };
    let items = server.clients.items.list_inventory_items(items).await;
    let locations = pb::ListLocationsRequest {
        limit: 1,
        ..Default::default()
    };
    let locations = server.clients.locations.list_locations(locations).await;
    let counts = pb::BatchRetrieveInventoryCountsRequest {
        limit: 1,
        ..Default::default()
    };
    let counts = inventory.batch_retrieve_inventory_counts(counts).await;
    let item_counts = pb::RetrieveInventoryCountRequest {
        catalog_object_id: item.into(),
        limit: 1,
        ..Default::default()
    };
    let item_counts = inventory.retrieve_inventory_count(item_counts).await;
    let changes = pb::BatchRetrieveInventoryChangesRequest {
        limit: 1,
        ..Default::default()
    };
    let changes = inventory.batch_retrieve_inventory_changes(changes).await;
    let stream = inventory
        .stream_inventory_changes(pb::StreamInventoryChangesRequest::default())
        .await;
    let stream = stream.expect("stream").into_inner().next().await;
    let from_the_beginning = pb::WatchStart::Beginning as i32;
    let watch_changes = pb::WatchInventoryChangesRequest {
        start: from_the_beginning,
        ..Default::default()
    };
    let watch_changes = inventory.watch_inventory_changes(watch_changes).await;
    let watch_changes = watch_changes.expect("watch").into_inner().next().await;
    let watch_counts = pb::WatchInventoryCountsRequest {
        start: from_the_beginning,
        ..Default::default()
    };
    let watch_counts = inventory.watch_inventory_counts(watch_counts).await;
    let watch_counts = watch_counts.expect("watch").into_inner().next().await;
    let issued = |cursor: String| {
        assert!(!cursor.is_empty(), "a cursor is issued");
        cursor
    };
    Cursors {
        items: issued(items.expect("items").into_inner().cursor),
        locations: issued(locations.expect("locations").into_inner().cursor),
        counts: issued(counts.expect("counts").into_inner().cursor),
        item_counts: issued(item_counts.expect("item counts").into_inner().cursor),
        changes: issued(changes.expect("changes").into_inner().cursor),
        stream: issued(stream.expect("a change").expect("streamed").cursor),
        watch_changes: issued(
            watch_changes
                .expect("a change")
                .expect("watched")
                .resume_token,
        ),
        watch_counts: issued(
            watch_counts
                .expect("an update")
                .expect("watched")
                .resume_token,
        ),
    }
}

/// What is wrong with `result` for `expected`, if anything.
fn mismatch(expected: &Expected, result: Result<(), Status>) -> Option<String> {
    let (code, reason, fields, status) = match (expected, result) {
        (Expected::Replayed, Ok(())) => return None,
        (Expected::Replayed, Err(status)) => {
            return Some(format!("expected a replay, got {status:?}"));
        }
        (Expected::Refused { .. }, Ok(())) => return Some("accepted".into()),
        (
            Expected::Refused {
                code,
                reason,
                fields,
            },
            Err(status),
        ) => (code, reason, fields, status),
    };
    let details = status.get_error_details();
    let info = details.error_info();
    let violations = details
        .bad_request()
        .map(|b| b.field_violations.clone())
        .unwrap_or_default();
    let named: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    let mut wrong = vec![];
    if status.code() != *code {
        wrong.push(format!("code {:?}, not {code:?}", status.code()));
    }
    match info {
        None => wrong.push("no ErrorInfo".into()),
        Some(info) => {
            if info.reason != *reason {
                wrong.push(format!("reason {}, not {reason}", info.reason));
            }
            if info.domain != "stockledger" {
                wrong.push(format!("domain {}", info.domain));
            }
            if info.metadata.get("field") != fields.first() {
                wrong.push(format!("ErrorInfo field {:?}", info.metadata.get("field")));
            }
        }
    }
    if named != *fields {
        wrong.push(format!("BadRequest names {named:?}, not {fields:?}"));
    }
    if let Some(unexplained) = violations.iter().find(|v| v.reason.is_empty()) {
        wrong.push(format!(
            "violation of {} without a reason",
            unexplained.field
        ));
    }
    let size = status.message().len() + status.details().len();
    if size > MAX_STATUS_BYTES {
        wrong.push(format!("a status of {size} bytes"));
    }
    (!wrong.is_empty()).then(|| {
        let message: String = status.message().chars().take(300).collect();
        format!("{} (message: {message})", wrong.join("; "))
    })
}

on_both_backends!(every_bad_input_is_refused_alike_and_changes_nothing);
async fn every_bad_input_is_refused_alike_and_changes_nothing(mut server: TestServer) {
    let backend = server
        .database_url
        .split(':')
        .next()
        .unwrap_or("?")
        .to_owned();
    let f = fixture(&mut server).await;
    let started = Instant::now();
    let rows: Vec<Row> = [
        batch_rows(&f),
        read_rows(&f),
        item_rows(&f),
        location_rows(&f),
        reservation_rows(&f),
        webhook_rows(&f),
        adjustment_reason_rows(&f),
        reorder_point_rows(&f),
        cursor_rows(&f),
        token_rows(&f),
        import_rows(&f),
    ]
    .into_iter()
    .flatten()
    .collect();

    // Every RPC of the three services has rows.
    let mut covered: Vec<&str> = rows.iter().map(|r| r.rpc.name()).collect();
    covered.sort();
    covered.dedup();
    let mut every_rpc: Vec<&str> = rpc_scopes()
        .iter()
        .map(|(path, _)| path.rsplit('/').next().expect("a method"))
        .collect();
    every_rpc.sort();
    assert_eq!(covered, every_rpc, "rows for every RPC");
    assert_eq!(Rpc::NAMES.len(), every_rpc.len());

    let mut callers = Callers::new(&server.channel, Some(&format!("Bearer {}", server.token)));
    let other_bearer = format!("Bearer {}", f.other_token);
    let mut other_callers = Callers::new(&server.channel, Some(&other_bearer));
    let mut other_clients = server.clients(&f.other_token);
    let mut baseline = digest(&mut server).await;
    let mut other_baseline = digest(&mut other_clients).await;
    let mut failures = vec![];
    let count = rows.len();
    for row in rows {
        let rpc_name = row.rpc.name();
        let result = match &row.who {
            Who::Merchant => row.rpc.send(&mut callers).await,
            Who::OtherMerchant => row.rpc.send(&mut other_callers).await,
            Who::Header(header) => {
                let mut anyone = Callers::new(&server.channel, header.as_deref());
                row.rpc.send(&mut anyone).await
            }
        };
        if let Some(wrong) = mismatch(&row.expected, result) {
            failures.push(format!("{rpc_name}: {}: {wrong}", row.what));
        }
        // The merchant's data after every row; the other merchant's after each of its own.
        let now = digest(&mut server).await;
        if now != baseline {
            failures.push(format!(
                "{rpc_name}: {}: changed the merchant's data",
                row.what
            ));
            baseline = now;
        }
        if matches!(row.who, Who::OtherMerchant) {
            let now = digest(&mut other_clients).await;
            if now != other_baseline {
                failures.push(format!(
                    "{rpc_name}: {}: changed its caller's data",
                    row.what
                ));
                other_baseline = now;
            }
        }
    }
    println!(
        "bad_inputs: {count} rows checked on {backend} in {:.1?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
