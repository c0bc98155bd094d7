//! Reservations: units held for a cart or an order until they are committed (sold),
//! released, or expire. [`Client::create_reservation`](crate::Client::create_reservation)
//! and its siblings take and return these types: quantities as [`Decimal`]s, times as
//! [`SystemTime`]s, the state as [`pb::ReservationState`].
//!
//! The README's reservations (`examples/reservations.rs` is the whole program):
//!
//! ```no_run
//! # use std::time::Duration;
//! # async fn reservations(client: stockledger_client::Client, item: String, shop: String, run: u64) -> Result<(), stockledger_client::Error> {
//! use futures::TryStreamExt;
//! use stockledger_client::{Commit, Decimal, GuardRefusal, Hold, NewReservation, ReservationFilter, ReservationLine};
//! let lines = vec![ReservationLine::new(&item, &shop, Decimal::from(2))];
//! let hold = Hold::For(Duration::from_secs(15 * 60));
//! let cart = client
//!     .create_reservation(NewReservation::new(lines.clone(), hold).reference_id(format!("cart-{run}")))
//!     .await?;
//! let err = client.create_reservation(NewReservation::new(lines, hold)).await.unwrap_err();
//! if let Some(GuardRefusal::InsufficientQuantity { field, available_quantity, .. }) = err.guard_refusal() {
//!     println!("{field} has only {available_quantity}"); // lines[0].quantity has only 1
//! }
//! client.commit_reservation(&cart.id, Commit::line(0, Decimal::ONE)).await?; // sell 1 of the 2
//! let cart = client.release_reservation(&cart.id).await?; // give the other back
//! println!("{:?} {} {}", cart.state, cart.lines[0].committed_quantity, cart.lines[0].released_quantity); // Released 1 1
//! let carts: Vec<_> = client.list_reservations(ReservationFilter::all().reference_id(&cart.reference_id)).try_collect().await?;
//! println!("{:?}", carts.iter().map(|r| r.state).collect::<Vec<_>>()); // [Released]
//! let err = client.commit_reservation(&cart.id, Commit::all()).await.unwrap_err();
//! println!("{:?} {:?}", err.reason(), err.reservation_state()); // Some("RESERVATION_NOT_HELD") Some(Released)
//! # Ok(())
//! # }
//! ```

use std::time::{Duration, SystemTime};

use rust_decimal::Decimal;

use crate::decimal::{field_from_wire, field_to_wire};
use crate::{Error, pb};

/// How long a reservation holds what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// For this long from now (the request's `ttl`).
    For(Duration),
    /// Until this time (the request's `expires_at`).
    Until(SystemTime),
}

impl Hold {
    /// The request's `ttl` and `expires_at`, exactly one of them set.
    pub(crate) fn to_wire(
        self,
    ) -> Result<
        (
            Option<prost_types::Duration>,
            Option<prost_types::Timestamp>,
        ),
        Error,
    > {
        match self {
            Hold::For(ttl) => {
                let ttl = prost_types::Duration::try_from(ttl).map_err(|_| {
                    Error::local(tonic::Code::InvalidArgument, "ttl: too long a duration")
                })?;
                Ok((Some(ttl), None))
            }
            Hold::Until(time) => Ok((None, Some(crate::time::to_timestamp(time)))),
        }
    }
}

/// Units of one item held at one location. To reserve, only the item, the location and the
/// quantity are sent: build the line with [`ReservationLine::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationLine {
    /// Id of the item.
    pub catalog_object_id: String,
    /// Id of the location.
    pub location_id: String,
    /// Units reserved.
    pub quantity: Decimal,
    /// Units committed (sold) so far.
    pub committed_quantity: Decimal,
    /// Units released (by a caller or at expiry) so far.
    pub released_quantity: Decimal,
    /// Units still held: quantity − committed − released.
    pub held_quantity: Decimal,
}

impl ReservationLine {
    /// A line to reserve: `quantity` units of an item at a location.
    pub fn new(
        catalog_object_id: impl Into<String>,
        location_id: impl Into<String>,
        quantity: Decimal,
    ) -> Self {
        ReservationLine {
            catalog_object_id: catalog_object_id.into(),
            location_id: location_id.into(),
            quantity,
            committed_quantity: Decimal::ZERO,
            released_quantity: Decimal::ZERO,
            held_quantity: Decimal::ZERO,
        }
    }

    fn to_wire(&self, position: usize) -> Result<pb::ReservationLine, Error> {
        Ok(pb::ReservationLine {
            catalog_object_id: self.catalog_object_id.clone(),
            location_id: self.location_id.clone(),
            quantity: field_to_wire(self.quantity, &format!("lines[{position}].quantity"))?,
            ..Default::default()
        })
    }
}

impl ReservationLine {
    /// The server's line at `position` (a quantity it left empty is zero).
    fn from_wire(line: pb::ReservationLine, position: usize) -> Result<Self, Error> {
        let quantity =
            |text: &str, name: &str| field_from_wire(text, &format!("lines[{position}].{name}"));
        Ok(ReservationLine {
            quantity: quantity(&line.quantity, "quantity")?,
            committed_quantity: quantity(&line.committed_quantity, "committed_quantity")?,
            released_quantity: quantity(&line.released_quantity, "released_quantity")?,
            held_quantity: quantity(&line.held_quantity, "held_quantity")?,
            catalog_object_id: line.catalog_object_id,
            location_id: line.location_id,
        })
    }
}

/// A reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Its id, assigned by the server.
    pub id: String,
    /// `Held`, `Committed`, `Released` or `Expired`.
    pub state: pb::ReservationState,
    /// Its lines, in the order they were sent.
    pub lines: Vec<ReservationLine>,
    /// The caller's own id (an order, a cart); empty when none.
    pub reference_id: String,
    /// When the server releases what is still held.
    pub expires_at: Option<SystemTime>,
    /// When it was created (server time).
    pub created_at: Option<SystemTime>,
    /// When it last changed (server time).
    pub updated_at: Option<SystemTime>,
}

impl TryFrom<pb::Reservation> for Reservation {
    type Error = Error;

    fn try_from(reservation: pb::Reservation) -> Result<Self, Error> {
        Ok(Reservation {
            state: reservation.state(),
            expires_at: crate::time::from_field(reservation.expires_at.as_ref()),
            created_at: crate::time::from_field(reservation.created_at.as_ref()),
            updated_at: crate::time::from_field(reservation.updated_at.as_ref()),
            lines: reservation
                .lines
                .into_iter()
                .enumerate()
                .map(|(position, line)| ReservationLine::from_wire(line, position))
                .collect::<Result<_, _>>()?,
            id: reservation.id,
            reference_id: reservation.reference_id,
        })
    }
}

/// What [`Client::create_reservation`](crate::Client::create_reservation) sends:
/// `NewReservation::new(lines, Hold::For(ttl))`, optionally
/// `.reference_id(..)` and `.idempotency_key(..)` (a fresh one when not given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReservation {
    /// 1–100 lines ([`ReservationLine::new`]).
    pub lines: Vec<ReservationLine>,
    /// How long to hold.
    pub hold: Hold,
    /// The caller's own id (an order, a cart); empty for none.
    pub reference_id: String,
    /// `None`: a fresh key.
    pub idempotency_key: Option<String>,
}

impl NewReservation {
    /// Holds `lines` as `hold` says.
    pub fn new(lines: Vec<ReservationLine>, hold: Hold) -> Self {
        NewReservation {
            lines,
            hold,
            reference_id: String::new(),
            idempotency_key: None,
        }
    }

    /// With the caller's own id for it.
    pub fn reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = reference_id.into();
        self
    }

    /// With your own idempotency key, to make retries safe.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    pub(crate) fn to_wire(&self) -> Result<pb::CreateReservationRequest, Error> {
        let (ttl, expires_at) = self.hold.to_wire()?;
        Ok(pb::CreateReservationRequest {
            idempotency_key: key_or_fresh(self.idempotency_key.as_deref()),
            lines: self
                .lines
                .iter()
                .enumerate()
                .map(|(position, line)| line.to_wire(position))
                .collect::<Result<_, _>>()?,
            ttl,
            expires_at,
            reference_id: self.reference_id.clone(),
        })
    }
}

/// What [`Client::commit_reservation`](crate::Client::commit_reservation) sells:
/// everything held ([`Commit::all`]) or some units of some lines ([`Commit::line`]),
/// optionally with the total price and an idempotency key (a fresh one when not given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// `(line position from 0, units)`; empty commits everything held.
    pub lines: Vec<(i32, Decimal)>,
    /// Total price of the units sold: `(amount, ISO 4217 currency)`.
    pub total_price: Option<(Decimal, String)>,
    /// `None`: a fresh key.
    pub idempotency_key: Option<String>,
}

impl Commit {
    /// Everything held.
    pub fn all() -> Self {
        Commit::default()
    }

    /// `quantity` units of line `line` (from 0).
    pub fn line(line: i32, quantity: Decimal) -> Self {
        Commit::all().and_line(line, quantity)
    }

    /// This commit and `quantity` units of line `line`.
    pub fn and_line(mut self, line: i32, quantity: Decimal) -> Self {
        self.lines.push((line, quantity));
        self
    }

    /// With the total price of the units sold.
    pub fn total_price(mut self, amount: Decimal, currency: impl Into<String>) -> Self {
        self.total_price = Some((amount, currency.into()));
        self
    }

    /// With your own idempotency key, to make retries safe.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    pub(crate) fn to_wire(&self, id: String) -> Result<pb::CommitReservationRequest, Error> {
        Ok(pb::CommitReservationRequest {
            id,
            idempotency_key: key_or_fresh(self.idempotency_key.as_deref()),
            lines: self
                .lines
                .iter()
                .enumerate()
                .map(|(position, &(line, quantity))| {
                    Ok(pb::CommitLine {
                        line,
                        quantity: field_to_wire(quantity, &format!("lines[{position}].quantity"))?,
                    })
                })
                .collect::<Result<_, Error>>()?,
            total_price_money: self
                .total_price
                .as_ref()
                .map(|(amount, currency)| {
                    crate::changes::money_at(*amount, currency.clone(), "total_price_money.amount")
                })
                .transpose()?,
        })
    }
}

/// What [`Client::list_reservations`](crate::Client::list_reservations) reads:
/// [`ReservationFilter::all`], optionally only those in one `.state(..)` or with one
/// `.reference_id(..)`, `.page_size(..)` reservations a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReservationFilter {
    /// Only reservations in this state; `None`: every state.
    pub state: Option<pb::ReservationState>,
    /// Only reservations with this reference id; empty: any.
    pub reference_id: String,
    /// Reservations a page (1–250); 0: the server's default (50).
    pub page_size: i32,
}

impl ReservationFilter {
    /// Every reservation, the server's page size.
    pub fn all() -> Self {
        ReservationFilter::default()
    }

    /// Only reservations in `state`.
    pub fn state(mut self, state: pb::ReservationState) -> Self {
        self.state = Some(state);
        self
    }

    /// Only reservations with this reference id.
    pub fn reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = reference_id.into();
        self
    }

    /// `page_size` reservations a call (1–250).
    pub fn page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    /// The first page's request.
    pub(crate) fn to_wire(&self) -> pb::ListReservationsRequest {
        pb::ListReservationsRequest {
            limit: self.page_size,
            cursor: String::new(),
            state: self.state.map_or(0, |state| state as i32),
            reference_id: self.reference_id.clone(),
        }
    }
}

/// `key`, or a fresh one (a UUID) when none is given.
pub(crate) fn key_or_fresh(key: Option<&str>) -> String {
    match key {
        Some(key) if !key.is_empty() => key.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_reservation_on_the_wire() {
        let request = NewReservation::new(
            vec![ReservationLine::new("item", "shop", Decimal::new(250, 2))],
            Hold::For(Duration::from_millis(1500)),
        )
        .reference_id("cart-1")
        .to_wire()
        .unwrap();
        assert_eq!(request.lines[0].quantity, "2.5");
        assert_eq!(
            request.ttl,
            Some(prost_types::Duration {
                seconds: 1,
                nanos: 500_000_000
            })
        );
        assert_eq!(request.expires_at, None);
        assert_eq!(request.reference_id, "cart-1");
        assert_eq!(request.idempotency_key.len(), 36, "a fresh uuid");
        let again = NewReservation::new(vec![], Hold::Until(SystemTime::UNIX_EPOCH))
            .idempotency_key("mine")
            .to_wire()
            .unwrap();
        assert_eq!((again.idempotency_key.as_str(), again.ttl), ("mine", None));
        assert_eq!(again.expires_at, Some(prost_types::Timestamp::default()));
    }

    #[test]
    fn a_commit_on_the_wire() {
        let request = Commit::line(0, Decimal::ONE)
            .and_line(2, Decimal::new(5, 1))
            .total_price(Decimal::new(950, 2), "EUR")
            .to_wire("r".into())
            .unwrap();
        assert_eq!(
            request
                .lines
                .iter()
                .map(|l| (l.line, l.quantity.as_str()))
                .collect::<Vec<_>>(),
            [(0, "1"), (2, "0.5")]
        );
        let price = request.total_price_money.unwrap();
        assert_eq!(
            (price.amount.as_str(), price.currency.as_str()),
            ("9.5", "EUR")
        );
        assert!(
            Commit::line(0, Decimal::new(1, 6))
                .to_wire("r".into())
                .is_err()
        );
    }

    #[test]
    fn a_reservation_filter_on_the_wire() {
        assert_eq!(
            ReservationFilter::all().to_wire(),
            pb::ListReservationsRequest::default()
        );
        let request = ReservationFilter::all()
            .state(pb::ReservationState::Released)
            .reference_id("cart-1")
            .page_size(2)
            .to_wire();
        assert_eq!(request.state(), pb::ReservationState::Released);
        assert_eq!(
            (request.reference_id.as_str(), request.limit),
            ("cart-1", 2)
        );
    }

    #[test]
    fn a_reservation_from_the_wire() {
        let reservation = Reservation::try_from(pb::Reservation {
            id: "r".into(),
            state: pb::ReservationState::Held as i32,
            lines: vec![pb::ReservationLine {
                catalog_object_id: "item".into(),
                location_id: "shop".into(),
                quantity: "2".into(),
                committed_quantity: "1".into(),
                released_quantity: "0".into(),
                held_quantity: "1".into(),
            }],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(reservation.state, pb::ReservationState::Held);
        assert_eq!(reservation.lines[0].held_quantity, Decimal::ONE);
        assert_eq!(reservation.expires_at, None);
    }
}
