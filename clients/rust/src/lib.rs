//! Rust client for Stockledger, the gRPC inventory ledger.
//!
//! A thin layer over the tonic stubs generated from the service's own protos:
//!
//! - [`Client::connect`] opens a channel whose every call carries `authorization: Bearer
//!   <token>` ([`BearerAuth`]); [`Client::builder`] ([`ClientBuilder`]) also connects over
//!   TLS with the `tls` cargo feature (a CA certificate, optionally a client identity); [`Client::inventory`], [`Client::items`],
//!   [`Client::locations`] and [`Client::reservations`] hand out the raw generated clients on that channel, and the
//!   generated messages are in [`pb`].
//! - Every RPC is also a method on [`Client`] that answers typed values, or for the
//!   streaming ones a [`futures::Stream`] of them ([`Messages`]), with failures as one
//!   [`Error`] carrying the gRPC code, the message, the `ErrorInfo` reason and domain and
//!   the field violations the server sent (a value the server sent that does not convert,
//!   e.g. a quantity that is no decimal, is an [`Error`] naming the response field).
//! - Changes ([`history`]): [`Client::batch_change_inventory`] answers a [`ChangeBatch`]
//!   (the [`Change`]s recorded and the [`Count`]s they left);
//!   [`Client::batch_retrieve_inventory_changes`] a [`ChangePage`] and
//!   [`Client::list_inventory_changes`] every page ([`ChangeFilter`], [`Pages`]);
//!   [`Client::retrieve_inventory_adjustment`], [`Client::retrieve_inventory_physical_count`]
//!   and [`Client::retrieve_inventory_transfer`] an [`Adjustment`], a [`PhysicalCount`], a
//!   [`Transfer`]; [`Client::stream_inventory_changes`], [`Client::watch_inventory_changes`]
//!   and [`Client::watch_inventory_counts`] stream [`StreamedChange`]s, [`WatchedChange`]s
//!   and [`WatchedCount`]s ([`CountUpdate`]); [`Client::import_inventory_changes`] answers
//!   an [`ImportSummary`]. Quantities are exact [`Decimal`]s, states
//!   [`pb::InventoryState`]s, times [`std::time::SystemTime`]s.
//! - Quantities and money are [`Decimal`]s on this side and decimal strings on the wire:
//!   [`decimal::to_wire`] refuses more than five decimal places, [`decimal::from_wire`]
//!   reads the server's strings back. [`time`] converts timestamps to and from
//!   [`std::time::SystemTime`]; [`changes`] builds the three kinds of inventory change,
//!   guarded with [`pb::InventoryChange::expecting`] (a [`Decimal`] or
//!   [`changes::Expected::Absent`]); a guard's refusal is typed by
//!   [`Error::guard_refusal`] ([`GuardRefusal`]).
//! - Adjustment reasons ([`reasons`]): the six reason RPCs take and return typed values
//!   ([`Client::create_inventory_adjustment_reason`] with a [`NewAdjustmentReason`], …,
//!   each answering an [`AdjustmentReason`]); a change carries one with
//!   [`pb::InventoryChange::with_reason`] ([`changes::reason`], [`changes::custom_reason`]),
//!   a receipt its cost and vendor with [`pb::InventoryChange::with_cost`] and
//!   [`pb::InventoryChange::with_vendor`]; a change naming a deleted custom reason is
//!   refused ([`Error::is_adjustment_reason_deleted`]).
//! - Locations and items ([`locations`], [`items`]): [`Client::create_location`],
//!   [`Client::get_location`], [`Client::list_locations`], [`Client::update_location`] and
//!   [`Client::create_inventory_item`], [`Client::get_inventory_item`],
//!   [`Client::batch_get_inventory_items`], [`Client::list_inventory_items`],
//!   [`Client::update_inventory_item`] take and return typed values ([`Location`],
//!   [`Item`] with its cost a [`Decimal`]); an update names exactly the fields it is given.
//! - Counts ([`counts`]): [`Client::list_inventory_counts`] reads them page after page as
//!   [`Count`]s with exact quantities ([`CountFilter`]);
//!   [`Client::batch_retrieve_inventory_counts`] and [`Client::retrieve_inventory_count`]
//!   answer one page of them ([`CountPage`]).
//! - Reservations ([`reservations`]): [`Client::create_reservation`],
//!   [`Client::commit_reservation`], [`Client::release_reservation`],
//!   [`Client::extend_reservation`] and [`Client::get_reservation`] take and return typed
//!   values ([`NewReservation`], [`Commit`], [`Hold`], [`Reservation`]), and
//!   [`Client::list_reservations`] streams them page after page ([`ReservationFilter`],
//!   [`Pages`]); a refusal is typed by [`Error::is_reservation_not_held`],
//!   [`Error::is_reservation_expired`] and, for stock that is not there,
//!   [`Error::guard_refusal`].
//!
//! The README's quick start, a whole program:
//!
//! ```no_run
//! use stockledger_client::changes::adjustment;
//! use stockledger_client::pb::{self, InventoryState as S};
//! use stockledger_client::{Client, NewItem, NewLocation};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let addr = std::env::var("STOCKLEDGER_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".into());
//!     let client = Client::connect(addr, std::env::var("STOCKLEDGER_TOKEN")?).await?;
//!     let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
//!     let shop = client.create_location(NewLocation::new(format!("Corner Shop {run}"))).await?;
//!     let mug = client.create_inventory_item(NewItem::new().sku(format!("MUG-{run}")).cost("4.20")?).await?;
//!     println!("cost {:?}", mug.cost); // cost Some(4.2)
//!
//!     let receive = adjustment(&mug.id, &shop.id, S::None, S::InStock, 100)?;
//!     client.batch_change_inventory(pb::BatchChangeInventoryRequest {
//!         idempotency_key: format!("receive-{run}"), changes: vec![receive], ..Default::default() }).await?;
//!     let read = client.retrieve_inventory_count(pb::RetrieveInventoryCountRequest {
//!         catalog_object_id: mug.id.clone(), location_ids: vec![shop.id.clone()], ..Default::default() }).await?;
//!     println!("{:?} {}", read.counts[0].state, read.counts[0].quantity); // InStock 100
//!
//!     // Refused here, before sending: the same Error as the server's refusals.
//!     let err = adjustment(&mug.id, &shop.id, S::InStock, S::Sold, "1,5").unwrap_err();
//!     println!("{:?} {:?} {:?}", err.code(), err.reason(), err.field()); // InvalidArgument Some("INVALID_VALUE") Some("adjustment.quantity")
//!     Ok(())
//! }
//! ```

pub mod alerts;
mod builder;
pub mod changes;
pub mod counts;
pub mod decimal;
mod error;
pub mod history;
pub mod items;
pub mod locations;
pub mod reasons;
pub mod reservations;
pub mod time;

use futures::{StreamExt, TryStreamExt};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use alerts::{Alert, ReorderPoint, ReorderPointSet, WatchedAlert};
pub use builder::ClientBuilder;
pub use counts::{Count, CountFilter, CountPage};
pub use error::{
    ADJUSTMENT_REASON_DELETED, CLIENT_DOMAIN, CountKey, Error, FieldViolation, GuardRefusal,
    INSUFFICIENT_QUANTITY, INVALID_VALUE, QUANTITY_MISMATCH, RESERVATION_EXPIRED,
    RESERVATION_NOT_HELD,
};
pub use history::{
    Adjustment, Change, ChangeBatch, ChangeFilter, ChangePage, CountUpdate, ImportSummary, Money,
    PhysicalCount, RefusedChange, Source, StreamedChange, Transfer, WatchedChange, WatchedCount,
};
pub use items::{Item, ItemFields, ItemFilter, ItemUpdate, NewItem};
pub use locations::{Location, LocationFilter, LocationUpdate, NewLocation};
pub use reasons::{AdjustmentReason, AdjustmentReasonFilter, NewAdjustmentReason};
pub use reservations::{
    Commit, Hold, NewReservation, Reservation, ReservationFilter, ReservationLine,
};
pub use rust_decimal::Decimal;
pub use {prost_types, tonic, tonic_types};

/// Messages, enums and client stubs of the `stockledger.v1` package, generated at build time
/// from `proto/stockledger/v1/*.proto`.
pub mod pb {
    #![allow(
        missing_docs,
        clippy::large_enum_variant,
        clippy::doc_lazy_continuation
    )]
    tonic::include_proto!("stockledger.v1");
}

use pb::inventory_item_service_client::InventoryItemServiceClient;
use pb::inventory_service_client::InventoryServiceClient;
use pb::location_service_client::LocationServiceClient;
use pb::reservation_service_client::ReservationServiceClient;

/// The channel every generated client of a [`Client`] runs on: the connection plus the
/// interceptor that adds the token.
pub type AuthChannel = InterceptedService<Channel, BearerAuth>;

/// The typed messages of a server-streaming call ([`StreamedChange`], [`WatchedChange`],
/// [`WatchedCount`]), with each failure as an [`Error`]. It ends when the server ends the
/// call; a watch ends only with an error (e.g. `Unavailable` when the server shuts down:
/// resume from the last resume token).
pub type Messages<T> = futures::stream::BoxStream<'static, Result<T, Error>>;

/// The items of a paged list, fetched page after page as the stream is polled, with a
/// failure as an [`Error`] that ends the stream.
pub type Pages<T> = futures::stream::BoxStream<'static, Result<T, Error>>;

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct BearerAuth {
    header: MetadataValue<Ascii>,
}

impl BearerAuth {
    /// Refuses a token that cannot travel in a header (non-visible-ASCII characters).
    pub fn new(token: &str) -> Result<Self, Error> {
        let mut header: MetadataValue<Ascii> = format!("Bearer {token}").parse().map_err(|_| {
            Error::local(
                tonic::Code::InvalidArgument,
                "the token must be printable ASCII",
            )
        })?;
        // Keeps the secret out of HPACK tables and out of debug output.
        header.set_sensitive(true);
        Ok(BearerAuth { header })
    }
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerAuth(<redacted>)")
    }
}

impl Interceptor for BearerAuth {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.header.clone());
        Ok(request)
    }
}

/// A connection to Stockledger acting with one token. Cheap to clone; clones share the
/// connection.
#[derive(Clone, Debug)]
pub struct Client {
    channel: Channel,
    auth: BearerAuth,
}

impl Client {
    /// Connects to `addr` (`host:port`, or a full `http://…`/`https://…` URI) and acts with
    /// `token` on every call.
    /// Plain HTTP/2; for TLS (the `tls` feature) or a connect timeout, [`Client::builder`].
    pub async fn connect(addr: impl AsRef<str>, token: impl AsRef<str>) -> Result<Self, Error> {
        Client::builder(addr.as_ref(), token.as_ref())
            .connect()
            .await
    }

    /// How to connect to `addr` (as for [`Client::connect`]) acting with `token`: TLS with
    /// the `tls` feature ([`ClientBuilder::ca_certificate_pem`] or [`ClientBuilder::tls`],
    /// [`ClientBuilder::identity_pem`]), a connect timeout; then
    /// [`ClientBuilder::connect`].
    pub fn builder(addr: impl Into<String>, token: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(addr, token)
    }

    /// Uses a channel built by the caller (TLS, timeouts, load balancing, lazy connect).
    pub fn with_channel(channel: Channel, token: impl AsRef<str>) -> Result<Self, Error> {
        Ok(Client {
            channel,
            auth: BearerAuth::new(token.as_ref())?,
        })
    }

    fn channel(&self) -> AuthChannel {
        InterceptedService::new(self.channel.clone(), self.auth.clone())
    }

    /// The generated `InventoryService` client on this connection.
    pub fn inventory(&self) -> InventoryServiceClient<AuthChannel> {
        InventoryServiceClient::new(self.channel())
    }

    /// The generated `InventoryItemService` client on this connection.
    pub fn items(&self) -> InventoryItemServiceClient<AuthChannel> {
        InventoryItemServiceClient::new(self.channel())
    }

    /// The generated `LocationService` client on this connection.
    pub fn locations(&self) -> LocationServiceClient<AuthChannel> {
        LocationServiceClient::new(self.channel())
    }

    /// The generated `ReservationService` client on this connection.
    pub fn reservations(&self) -> ReservationServiceClient<AuthChannel> {
        ReservationServiceClient::new(self.channel())
    }

    /// Holds every line from IN_STOCK, all or nothing. A line the stock cannot cover is
    /// refused with [`GuardRefusal::InsufficientQuantity`] ([`Error::guard_refusal`]; the
    /// field is `lines[i].quantity`).
    pub async fn create_reservation(
        &self,
        reservation: NewReservation,
    ) -> Result<Reservation, Error> {
        let request = reservation.to_wire()?;
        reservation_of(
            self.reservations()
                .create_reservation(request)
                .await?
                .into_inner()
                .reservation,
        )
    }

    /// Sells held units (RESERVED_FOR_SALE → SOLD): [`Commit::all`] or some lines. Refused
    /// once nothing is held ([`Error::is_reservation_not_held`]) or past its `expires_at`
    /// ([`Error::is_reservation_expired`]).
    pub async fn commit_reservation(
        &self,
        id: impl Into<String>,
        commit: Commit,
    ) -> Result<Reservation, Error> {
        let request = commit.to_wire(id.into())?;
        reservation_of(
            self.reservations()
                .commit_reservation(request)
                .await?
                .into_inner()
                .reservation,
        )
    }

    /// Gives back everything still held; a reservation that holds nothing is answered as it
    /// is.
    pub async fn release_reservation(&self, id: impl Into<String>) -> Result<Reservation, Error> {
        let request = pb::ReleaseReservationRequest { id: id.into() };
        reservation_of(
            self.reservations()
                .release_reservation(request)
                .await?
                .into_inner()
                .reservation,
        )
    }

    /// Moves a held reservation's `expires_at`.
    pub async fn extend_reservation(
        &self,
        id: impl Into<String>,
        hold: Hold,
    ) -> Result<Reservation, Error> {
        let (ttl, expires_at) = hold.to_wire()?;
        let request = pb::ExtendReservationRequest {
            id: id.into(),
            ttl,
            expires_at,
        };
        reservation_of(
            self.reservations()
                .extend_reservation(request)
                .await?
                .into_inner()
                .reservation,
        )
    }

    /// Reads one reservation.
    pub async fn get_reservation(&self, id: impl Into<String>) -> Result<Reservation, Error> {
        let request = pb::GetReservationRequest { id: id.into() };
        reservation_of(
            self.reservations()
                .get_reservation(request)
                .await?
                .into_inner()
                .reservation,
        )
    }

    /// Every reservation `filter` selects, oldest first, fetched page after page
    /// (`filter.page_size` a call) as the stream is polled; a refused page ends the stream
    /// with its [`Error`].
    pub fn list_reservations(&self, filter: ReservationFilter) -> Pages<Reservation> {
        let first = (self.reservations(), Some(filter.to_wire()));
        futures::stream::try_unfold(first, |(mut client, request)| async move {
            let Some(request) = request else {
                return Ok::<_, Error>(None);
            };
            let page = client
                .list_reservations(request.clone())
                .await?
                .into_inner();
            let reservations = page
                .reservations
                .into_iter()
                .map(|reservation| Reservation::try_from(reservation).map(Ok::<_, Error>))
                .collect::<Result<Vec<_>, _>>()?;
            let next = if page.cursor.is_empty() {
                None // the last page
            } else {
                Some(pb::ListReservationsRequest {
                    cursor: page.cursor,
                    ..request
                })
            };
            Ok(Some((futures::stream::iter(reservations), (client, next))))
        })
        .try_flatten()
        .boxed()
    }

    /// Creates a location (`NewLocation::new(name)`, …); a name already taken is refused
    /// (`AlreadyExists`, field `location.name`).
    pub async fn create_location(&self, location: NewLocation) -> Result<Location, Error> {
        let response = self.locations().create_location(location.to_wire()).await?;
        Ok(required(response.into_inner().location, "location")?.into())
    }

    /// Reads one location (`NotFound` when it is not one of the caller's).
    pub async fn get_location(&self, id: impl Into<String>) -> Result<Location, Error> {
        let request = pb::GetLocationRequest { id: id.into() };
        let response = self.locations().get_location(request).await?;
        Ok(required(response.into_inner().location, "location")?.into())
    }

    /// Every location `filter` selects, oldest first, fetched page after page as the
    /// stream is polled.
    pub fn list_locations(&self, filter: LocationFilter) -> Pages<Location> {
        let client = self.locations();
        paged(
            filter.to_wire(),
            move |request: pb::ListLocationsRequest| {
                let mut client = client.clone();
                Box::pin(async move {
                    let page = client.list_locations(request.clone()).await?.into_inner();
                    let next = if page.cursor.is_empty() {
                        None // the last page
                    } else {
                        Some(pb::ListLocationsRequest {
                            cursor: page.cursor,
                            ..request
                        })
                    };
                    Ok((
                        page.locations.into_iter().map(Location::from).collect(),
                        next,
                    ))
                })
            },
        )
    }

    /// Changes the fields `update` gives, and only those.
    pub async fn update_location(
        &self,
        id: impl Into<String>,
        update: LocationUpdate,
    ) -> Result<Location, Error> {
        let request = update.to_wire(id.into());
        let response = self.locations().update_location(request).await?;
        Ok(required(response.into_inner().location, "location")?.into())
    }

    /// Creates an item (`NewItem::new().sku(..)`, …).
    pub async fn create_inventory_item(&self, item: NewItem) -> Result<Item, Error> {
        let response = self.items().create_inventory_item(item.to_create()).await?;
        required(response.into_inner().inventory_item, "inventory_item")?.try_into()
    }

    /// Reads one item (`NotFound` when it is not one of the caller's).
    pub async fn get_inventory_item(&self, id: impl Into<String>) -> Result<Item, Error> {
        let request = pb::GetInventoryItemRequest { id: id.into() };
        let response = self.items().get_inventory_item(request).await?;
        required(response.into_inner().inventory_item, "inventory_item")?.try_into()
    }

    /// Reads up to 100 items by id, in the order of `ids`; an id that names no item of the
    /// caller is left out.
    pub async fn batch_get_inventory_items(
        &self,
        ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Vec<Item>, Error> {
        let request = pb::BatchGetInventoryItemsRequest {
            ids: ids.into_iter().map(Into::into).collect(),
        };
        let response = self.items().batch_get_inventory_items(request).await?;
        response
            .into_inner()
            .inventory_items
            .into_iter()
            .map(Item::try_from)
            .collect()
    }

    /// Every item `filter` selects, oldest first, fetched page after page as the stream
    /// is polled.
    pub fn list_inventory_items(&self, filter: ItemFilter) -> Pages<Item> {
        let client = self.items();
        paged(
            filter.to_wire(),
            move |request: pb::ListInventoryItemsRequest| {
                let mut client = client.clone();
                Box::pin(async move {
                    let page = client
                        .list_inventory_items(request.clone())
                        .await?
                        .into_inner();
                    let items = page
                        .inventory_items
                        .into_iter()
                        .map(Item::try_from)
                        .collect::<Result<Vec<_>, _>>()?;
                    let next = if page.cursor.is_empty() {
                        None // the last page
                    } else {
                        Some(pb::ListInventoryItemsRequest {
                            cursor: page.cursor,
                            ..request
                        })
                    };
                    Ok((items, next))
                })
            },
        )
    }

    /// Changes the fields `update` gives (`ItemUpdate::new().cost(..)?`, …), and only those.
    pub async fn update_inventory_item(
        &self,
        id: impl Into<String>,
        update: ItemUpdate,
    ) -> Result<Item, Error> {
        let request = update.to_update(id.into());
        let response = self.items().update_inventory_item(request).await?;
        required(response.into_inner().inventory_item, "inventory_item")?.try_into()
    }

    /// Every count `filter` selects (`BatchRetrieveInventoryCounts`), fetched page after
    /// page as the stream is polled, each a [`Count`] with an exact quantity.
    pub fn list_inventory_counts(&self, filter: CountFilter) -> Pages<Count> {
        let client = self.inventory();
        paged(
            filter.to_wire(),
            move |request: pb::BatchRetrieveInventoryCountsRequest| {
                let mut client = client.clone();
                Box::pin(async move {
                    let response = client
                        .batch_retrieve_inventory_counts(request.clone())
                        .await?
                        .into_inner();
                    let page = CountPage::from_wire(response.counts, response.cursor)?;
                    let next = if page.cursor.is_empty() {
                        None // the last page
                    } else {
                        Some(pb::BatchRetrieveInventoryCountsRequest {
                            cursor: page.cursor,
                            ..request
                        })
                    };
                    Ok((page.counts, next))
                })
            },
        )
    }

    /// Creates a custom adjustment reason (`NewAdjustmentReason::new(name, direction)`); a
    /// name taken by another live reason is refused (`AlreadyExists`).
    pub async fn create_inventory_adjustment_reason(
        &self,
        reason: NewAdjustmentReason,
    ) -> Result<AdjustmentReason, Error> {
        let request = reason.to_wire();
        let response = self
            .inventory()
            .create_inventory_adjustment_reason(request)
            .await?;
        required(response.into_inner().adjustment_reason, "adjustment_reason")?.try_into()
    }

    /// Reads one reason, standard ([`changes::reason`]) or custom ([`changes::custom_reason`]).
    pub async fn retrieve_inventory_adjustment_reason(
        &self,
        reason_id: pb::InventoryAdjustmentReasonId,
    ) -> Result<AdjustmentReason, Error> {
        let request = pb::RetrieveInventoryAdjustmentReasonRequest {
            reason_id: Some(reason_id),
        };
        let response = self
            .inventory()
            .retrieve_inventory_adjustment_reason(request)
            .await?;
        required(response.into_inner().adjustment_reason, "adjustment_reason")?.try_into()
    }

    /// The standard reasons in type order, then the custom ones, oldest first
    /// (`AdjustmentReasonFilter::default()`, `.include_deleted()`,
    /// `.include_system_codes()`).
    pub async fn list_inventory_adjustment_reasons(
        &self,
        filter: AdjustmentReasonFilter,
    ) -> Result<Vec<AdjustmentReason>, Error> {
        let response = self
            .inventory()
            .list_inventory_adjustment_reasons(filter.to_wire())
            .await?;
        response
            .into_inner()
            .adjustment_reasons
            .into_iter()
            .map(AdjustmentReason::try_from)
            .collect()
    }

    /// Renames a custom reason that is not deleted (its direction is fixed).
    pub async fn update_inventory_adjustment_reason(
        &self,
        reason_id: pb::InventoryAdjustmentReasonId,
        name: impl Into<String>,
    ) -> Result<AdjustmentReason, Error> {
        let request = pb::UpdateInventoryAdjustmentReasonRequest {
            reason_id: Some(reason_id),
            adjustment_reason: Some(pb::InventoryAdjustmentReason {
                name: name.into(),
                ..Default::default()
            }),
        };
        let response = self
            .inventory()
            .update_inventory_adjustment_reason(request)
            .await?;
        required(response.into_inner().adjustment_reason, "adjustment_reason")?.try_into()
    }

    /// Deletes a custom reason (softly: a new change naming it is refused,
    /// [`Error::is_adjustment_reason_deleted`]; the history keeps it).
    pub async fn delete_inventory_adjustment_reason(
        &self,
        reason_id: pb::InventoryAdjustmentReasonId,
    ) -> Result<AdjustmentReason, Error> {
        let request = pb::DeleteInventoryAdjustmentReasonRequest {
            reason_id: Some(reason_id),
        };
        let response = self
            .inventory()
            .delete_inventory_adjustment_reason(request)
            .await?;
        required(response.into_inner().adjustment_reason, "adjustment_reason")?.try_into()
    }

    /// Restores a deleted custom reason (refused with `AlreadyExists` when another live
    /// reason took its name meanwhile).
    pub async fn restore_inventory_adjustment_reason(
        &self,
        reason_id: pb::InventoryAdjustmentReasonId,
    ) -> Result<AdjustmentReason, Error> {
        let request = pb::RestoreInventoryAdjustmentReasonRequest {
            reason_id: Some(reason_id),
        };
        let response = self
            .inventory()
            .restore_inventory_adjustment_reason(request)
            .await?;
        required(response.into_inner().adjustment_reason, "adjustment_reason")?.try_into()
    }

    /// Applies the request's changes (all or none) and answers the changes recorded and
    /// the counts they left, typed ([`ChangeBatch`]: [`Change`]s and [`Count`]s with exact
    /// quantities). A guard's refusal is typed by [`Error::guard_refusal`].
    pub async fn batch_change_inventory(
        &self,
        request: pb::BatchChangeInventoryRequest,
    ) -> Result<ChangeBatch, Error> {
        let response = self.inventory().batch_change_inventory(request).await?;
        response.into_inner().try_into()
    }

    /// One page of the counts `request` selects (a [`CountFilter`] or the request message,
    /// which can carry a cursor), as [`Count`]s, with the cursor of the next page
    /// ([`Client::list_inventory_counts`] reads them all).
    pub async fn batch_retrieve_inventory_counts(
        &self,
        request: impl Into<pb::BatchRetrieveInventoryCountsRequest>,
    ) -> Result<CountPage, Error> {
        let response = self
            .inventory()
            .batch_retrieve_inventory_counts(request.into())
            .await?
            .into_inner();
        CountPage::from_wire(response.counts, response.cursor)
    }

    /// One page of one item's counts, as [`Count`]s, with the cursor of the next page.
    pub async fn retrieve_inventory_count(
        &self,
        request: pb::RetrieveInventoryCountRequest,
    ) -> Result<CountPage, Error> {
        let response = self
            .inventory()
            .retrieve_inventory_count(request)
            .await?
            .into_inner();
        CountPage::from_wire(response.counts, response.cursor)
    }

    /// One page of the history `request` selects (a [`ChangeFilter`] or the request
    /// message, which can carry a cursor), as [`Change`]s, with the cursor of the next page
    /// (empty on the last); [`Client::list_inventory_changes`] reads every page.
    pub async fn batch_retrieve_inventory_changes(
        &self,
        request: impl Into<pb::BatchRetrieveInventoryChangesRequest>,
    ) -> Result<ChangePage, Error> {
        let response = self
            .inventory()
            .batch_retrieve_inventory_changes(request.into())
            .await?;
        response.into_inner().try_into()
    }

    /// The history `filter` selects, oldest first unless `.newest_first()`, fetched page
    /// after page (`filter.page_size` a call) as the stream is polled, each a [`Change`].
    pub fn list_inventory_changes(&self, filter: ChangeFilter) -> Pages<Change> {
        let client = self.inventory();
        paged(
            pb::BatchRetrieveInventoryChangesRequest::from(filter),
            move |request: pb::BatchRetrieveInventoryChangesRequest| {
                let mut client = client.clone();
                Box::pin(async move {
                    let page: ChangePage = client
                        .batch_retrieve_inventory_changes(request.clone())
                        .await?
                        .into_inner()
                        .try_into()?;
                    let next = if page.cursor.is_empty() {
                        None // the last page
                    } else {
                        Some(pb::BatchRetrieveInventoryChangesRequest {
                            cursor: page.cursor,
                            ..request
                        })
                    };
                    Ok((page.changes, next))
                })
            },
        )
    }

    /// Reads one adjustment by id.
    pub async fn retrieve_inventory_adjustment(
        &self,
        id: impl Into<String>,
    ) -> Result<Adjustment, Error> {
        let request = pb::RetrieveInventoryAdjustmentRequest {
            adjustment_id: id.into(),
        };
        let response = self
            .inventory()
            .retrieve_inventory_adjustment(request)
            .await?;
        let adjustment = required(response.into_inner().adjustment, "adjustment")?;
        Adjustment::from_wire(adjustment, "adjustment")
    }

    /// Reads one physical count by id.
    pub async fn retrieve_inventory_physical_count(
        &self,
        id: impl Into<String>,
    ) -> Result<PhysicalCount, Error> {
        let request = pb::RetrieveInventoryPhysicalCountRequest {
            physical_count_id: id.into(),
        };
        let response = self
            .inventory()
            .retrieve_inventory_physical_count(request)
            .await?;
        let count = required(response.into_inner().physical_count, "physical_count")?;
        PhysicalCount::from_wire(count, "physical_count")
    }

    /// Reads one transfer by id.
    pub async fn retrieve_inventory_transfer(
        &self,
        id: impl Into<String>,
    ) -> Result<Transfer, Error> {
        let request = pb::RetrieveInventoryTransferRequest {
            transfer_id: id.into(),
        };
        let response = self
            .inventory()
            .retrieve_inventory_transfer(request)
            .await?;
        let transfer = required(response.into_inner().transfer, "transfer")?;
        Transfer::from_wire(transfer, "transfer")
    }

    /// Brings in history from another system (a token with the `INVENTORY_IMPORT` scope):
    /// each message of `batches` is applied whole or not at all; a change may carry its own
    /// id (one the merchant already has is skipped, so sending the same batches again
    /// changes nothing), `created_at`, source and any past `occurred_at`. Answered once
    /// `batches` ends, with what was applied, already present and refused
    /// ([`ImportSummary`]); a refused change is reported there, not as an [`Error`].
    pub async fn import_inventory_changes<S>(&self, batches: S) -> Result<ImportSummary, Error>
    where
        S: futures::Stream<Item = pb::ImportInventoryChangesRequest> + Send + 'static,
    {
        let response = self.inventory().import_inventory_changes(batches).await?;
        response.into_inner().try_into()
    }

    /// The whole history `request` selects (a [`ChangeFilter`] or the request message,
    /// which can carry a cursor), in one call, as [`StreamedChange`]s: each a [`Change`]
    /// and the cursor to resume right after it with a new call.
    pub async fn stream_inventory_changes(
        &self,
        request: impl Into<pb::StreamInventoryChangesRequest>,
    ) -> Result<Messages<StreamedChange>, Error> {
        Ok(messages(
            self.inventory()
                .stream_inventory_changes(request.into())
                .await?,
        ))
    }

    /// Live feed of committed changes (from `request.start` when no resume token is set),
    /// as [`WatchedChange`]s: a [`Change`], its sequence number and its resume token.
    pub async fn watch_inventory_changes(
        &self,
        request: pb::WatchInventoryChangesRequest,
    ) -> Result<Messages<WatchedChange>, Error> {
        Ok(messages(
            self.inventory().watch_inventory_changes(request).await?,
        ))
    }

    /// Resumes a change feed right after the message that carried `resume_token`, with the
    /// filters of the watch that produced it.
    pub async fn resume_inventory_changes(
        &self,
        resume_token: impl Into<String>,
    ) -> Result<Messages<WatchedChange>, Error> {
        self.watch_inventory_changes(pb::WatchInventoryChangesRequest {
            resume_token: resume_token.into(),
            ..Default::default()
        })
        .await
    }

    /// Live feed of count updates (from `request.start` when no resume token is set), as
    /// [`WatchedCount`]s: a [`CountUpdate`] with exact quantities (the previous one `None`
    /// for a count that did not exist), its sequence number and its resume token.
    pub async fn watch_inventory_counts(
        &self,
        request: pb::WatchInventoryCountsRequest,
    ) -> Result<Messages<WatchedCount>, Error> {
        Ok(messages(
            self.inventory().watch_inventory_counts(request).await?,
        ))
    }

    /// Resumes a count feed right after the message that carried `resume_token`, with the
    /// filters of the watch that produced it.
    pub async fn resume_inventory_counts(
        &self,
        resume_token: impl Into<String>,
    ) -> Result<Messages<WatchedCount>, Error> {
        self.watch_inventory_counts(pb::WatchInventoryCountsRequest {
            resume_token: resume_token.into(),
            ..Default::default()
        })
        .await
    }
    /// Live feed of low-stock alerts (from `request.start` when no resume token is set), as
    /// [`WatchedAlert`]s.
    pub async fn watch_inventory_alerts(
        &self,
        request: pb::WatchInventoryAlertsRequest,
    ) -> Result<Messages<WatchedAlert>, Error> {
        Ok(messages(
            self.inventory().watch_inventory_alerts(request).await?,
        ))
    }

    /// Resumes an alert feed right after the message that carried `resume_token`, with the
    /// filters of the watch that produced it.
    pub async fn resume_inventory_alerts(
        &self,
        resume_token: impl Into<String>,
    ) -> Result<Messages<WatchedAlert>, Error> {
        self.watch_inventory_alerts(pb::WatchInventoryAlertsRequest {
            resume_token: resume_token.into(),
            ..Default::default()
        })
        .await
    }

    /// Sets (creates or replaces) the reorder point of an item at a location; the answer
    /// tells whether its IN_STOCK count there is low now.
    pub async fn set_inventory_reorder_point(
        &self,
        catalog_object_id: impl Into<String>,
        location_id: impl Into<String>,
        reorder_point: impl decimal::IntoDecimal,
    ) -> Result<ReorderPointSet, Error> {
        let request = pb::SetInventoryReorderPointRequest {
            catalog_object_id: catalog_object_id.into(),
            location_id: location_id.into(),
            reorder_point: decimal::field_to_wire(reorder_point, "reorder_point")?,
        };
        let response = self
            .inventory()
            .set_inventory_reorder_point(request)
            .await?;
        response.into_inner().try_into()
    }

    /// Deletes the reorder point of an item at a location (`NotFound` when none is set).
    pub async fn delete_inventory_reorder_point(
        &self,
        catalog_object_id: impl Into<String>,
        location_id: impl Into<String>,
    ) -> Result<(), Error> {
        let request = pb::DeleteInventoryReorderPointRequest {
            catalog_object_id: catalog_object_id.into(),
            location_id: location_id.into(),
        };
        self.inventory()
            .delete_inventory_reorder_point(request)
            .await?;
        Ok(())
    }

    /// Every reorder point of these items at these locations (empty: all), by item then
    /// location, page after page.
    pub fn list_inventory_reorder_points(
        &self,
        catalog_object_ids: Vec<String>,
        location_ids: Vec<String>,
    ) -> Pages<ReorderPoint> {
        let client = self.inventory();
        let first = pb::ListInventoryReorderPointsRequest {
            catalog_object_ids,
            location_ids,
            ..Default::default()
        };
        paged(
            first,
            move |request: pb::ListInventoryReorderPointsRequest| {
                let mut client = client.clone();
                Box::pin(async move {
                    let page = client
                        .list_inventory_reorder_points(request.clone())
                        .await?
                        .into_inner();
                    let next = if page.cursor.is_empty() {
                        None // the last page
                    } else {
                        Some(pb::ListInventoryReorderPointsRequest {
                            cursor: page.cursor,
                            ..request
                        })
                    };
                    let points = page
                        .reorder_points
                        .into_iter()
                        .map(ReorderPoint::try_from)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((points, next))
                })
            },
        )
    }
}

/// A list read page after page: `fetch` answers one request with its items and the
/// request for the next page (`None` after the last).
fn paged<R, T, F>(first: R, fetch: F) -> Pages<T>
where
    R: Send + 'static,
    T: Send + 'static,
    F: Fn(R) -> futures::future::BoxFuture<'static, Result<(Vec<T>, Option<R>), Error>>
        + Send
        + 'static,
{
    futures::stream::try_unfold((Some(first), fetch), |(request, fetch)| async move {
        let Some(request) = request else {
            return Ok::<_, Error>(None);
        };
        let (items, next) = fetch(request).await?;
        let items = futures::stream::iter(items.into_iter().map(Ok::<T, Error>));
        Ok(Some((items, (next, fetch))))
    })
    .try_flatten()
    .boxed()
}

/// The message a response must carry in `field`.
fn required<T>(message: Option<T>, field: &str) -> Result<T, Error> {
    message.ok_or_else(|| {
        Error::local(
            tonic::Code::Internal,
            format!("the server sent no {field} in its response"),
        )
    })
}

fn reservation_of(reservation: Option<pb::Reservation>) -> Result<Reservation, Error> {
    Reservation::try_from(required(reservation, "reservation")?)
}

/// A server stream's messages, each turned into its typed value (a message that does not
/// convert is an [`Error`] in the stream, which goes on).
fn messages<M, T>(response: tonic::Response<tonic::Streaming<M>>) -> Messages<T>
where
    M: Send + 'static,
    T: TryFrom<M, Error = Error> + Send + 'static,
{
    response
        .into_inner()
        .map_err(Error::from)
        .and_then(|message| futures::future::ready(T::try_from(message)))
        .boxed()
}

#[cfg(test)]
mod readme {
    /// The code blocks that open with `open` in `text` (a Markdown file, or the `//!` lines
    /// of a source file), each as its visible lines: rustdoc's hidden `# ` lines left out.
    fn blocks(text: &str, open: &str) -> Vec<String> {
        let mut blocks = Vec::new();
        let mut block: Option<Vec<&str>> = None;
        for line in text.lines() {
            let line = line
                .strip_prefix("//! ")
                .or_else(|| line.strip_prefix("//!"))
                .unwrap_or(line);
            match &mut block {
                None if line == open => block = Some(Vec::new()),
                None => {}
                Some(lines) if line == "```" => {
                    blocks.push(lines.join("\n"));
                    block = None;
                }
                Some(_) if line == "#" || line.starts_with("# ") => {}
                Some(lines) => lines.push(line),
            }
        }
        blocks
    }

    /// Every Rust snippet of the README is the visible part of a doc example, which
    /// `cargo test --doc` compiles (clients/rust/test.sh runs it): a snippet edited on one
    /// side only, or a doc example removed, fails here.
    #[test]
    fn every_readme_snippet_is_a_compiled_doc_example() {
        let snippets = blocks(include_str!("../README.md"), "```rust");
        let examples: Vec<String> = [
            include_str!("lib.rs"),
            include_str!("builder.rs"),
            include_str!("changes.rs"),
            include_str!("reservations.rs"),
        ]
        .into_iter()
        .flat_map(|source| blocks(source, "```no_run"))
        .collect();
        assert_eq!(snippets.len(), 4, "the README's Rust snippets");
        for snippet in snippets {
            assert!(
                examples.contains(&snippet),
                "this README snippet is no doc example of src/ (lib.rs, builder.rs, changes.rs, \
                 reservations.rs):\n{snippet}"
            );
        }
    }
}
