"""``Client``: a channel that sends the bearer token on every call, the raw generated stubs,
and convenience methods that speak ``Decimal``, ``datetime`` and ``StockledgerError``."""

from __future__ import annotations

import collections
import datetime as _dt
import functools
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, TypeVar, Union

import grpc

from .errors import StockledgerError
from .v1 import inventory_item_pb2 as items_pb
from .v1 import inventory_item_pb2_grpc as items_grpc
from .v1 import inventory_pb2 as inventory_pb
from .v1 import inventory_pb2_grpc as inventory_grpc
from .v1 import location_pb2 as locations_pb
from .v1 import location_pb2_grpc as locations_grpc
from .v1 import reservation_pb2 as reservations_pb
from .v1 import reservation_pb2_grpc as reservations_grpc
from .values import (
    DecimalLike,
    enum_number,
    from_timestamp,
    from_wire_decimal,
    state,
    state_name,
    to_timestamp,
    to_wire_decimal,
)

T = TypeVar("T")


class _ExpectAbsent:
    """The type of :data:`EXPECT_ABSENT`."""

    _instance: "_ExpectAbsent | None" = None

    def __new__(cls) -> "_ExpectAbsent":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "stockledger.EXPECT_ABSENT"


#: Pass as a change builder's ``expected_quantity`` to require that the count the change
#: takes from does not exist yet (absent is not 0): the server's ``"ABSENT"``.
EXPECT_ABSENT = _ExpectAbsent()

#: What a change builder's ``expected_quantity`` accepts.
Expectation = Union[DecimalLike, _ExpectAbsent]


def _guarded(
    change: inventory_pb.InventoryChange, expected_quantity: Expectation | None
) -> inventory_pb.InventoryChange:
    if expected_quantity is EXPECT_ABSENT:
        change.expected_quantity = "ABSENT"
    elif expected_quantity is not None:
        assert not isinstance(expected_quantity, _ExpectAbsent)
        change.expected_quantity = to_wire_decimal(expected_quantity)
    return change


# --- authentication -------------------------------------------------------------------


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <token>`` to every call. (grpc's call credentials would
    need a TLS channel; an interceptor works on plaintext too.)"""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = [m for m in (details.metadata or ()) if m[0] != "authorization"]
        metadata.append(self._header)
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


def _translated(method: Callable[..., T]) -> Callable[..., T]:
    """Raises ``StockledgerError`` instead of ``grpc.RpcError``."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except grpc.RpcError as error:
            raise StockledgerError.from_rpc_error(error) from error

    return wrapper


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryCount:
    """The current quantity of one item in one state at one location."""

    catalog_object_id: str
    location_id: str
    state: str  # short name: "IN_STOCK", "WASTE", "DAMAGED", …
    quantity: Decimal
    calculated_at: Optional[_dt.datetime]

    @classmethod
    def from_proto(cls, count: inventory_pb.InventoryCount) -> "InventoryCount":
        return cls(
            catalog_object_id=count.catalog_object_id,
            location_id=count.location_id,
            state=state_name(count.state),
            quantity=from_wire_decimal(count.quantity) or Decimal(0),
            calculated_at=from_timestamp(count.calculated_at) if count.HasField("calculated_at") else None,
        )


@dataclass(frozen=True)
class BatchChangeResult:
    """What BatchChangeInventory returned: the touched counts and the recorded changes."""

    counts: list[InventoryCount]
    changes: list[inventory_pb.InventoryChange]

    def quantity(self, state_: str, location_id: str | None = None) -> Decimal | None:
        """The quantity in ``state_`` ("IN_STOCK") among the returned counts, if present."""
        for count in self.counts:
            if count.state == state_ and (location_id is None or count.location_id == location_id):
                return count.quantity
        return None


@dataclass(frozen=True)
class ChangesPage:
    """One page of BatchRetrieveInventoryChanges; ``cursor`` is ``""`` on the last page."""

    changes: list[inventory_pb.InventoryChange]
    cursor: str


@dataclass(frozen=True)
class StreamedChange:
    """One message of StreamInventoryChanges; pass ``cursor`` to resume after it."""

    change: inventory_pb.InventoryChange
    cursor: str


@dataclass(frozen=True)
class WatchedChange:
    """One message of WatchInventoryChanges; pass ``resume_token`` to resume after it."""

    change: inventory_pb.InventoryChange
    sequence: int
    resume_token: str


@dataclass(frozen=True)
class CountUpdate:
    """One message of WatchInventoryCounts."""

    catalog_object_id: str
    location_id: str
    state: str
    previous_quantity: Optional[Decimal]  # None when the count did not exist before
    quantity: Decimal
    calculated_at: Optional[_dt.datetime]
    change_id: str
    sequence: int
    resume_token: str


@dataclass(frozen=True)
class ReservationLine:
    """Units of one item held at one location. Only the first three are sent when you
    create a reservation; the others are what the server reports."""

    catalog_object_id: str
    location_id: str
    quantity: Decimal
    committed_quantity: Decimal = Decimal(0)
    released_quantity: Decimal = Decimal(0)
    held_quantity: Decimal = Decimal(0)

    @classmethod
    def from_proto(cls, line: reservations_pb.ReservationLine) -> "ReservationLine":
        return cls(
            catalog_object_id=line.catalog_object_id,
            location_id=line.location_id,
            quantity=from_wire_decimal(line.quantity) or Decimal(0),
            committed_quantity=from_wire_decimal(line.committed_quantity) or Decimal(0),
            released_quantity=from_wire_decimal(line.released_quantity) or Decimal(0),
            held_quantity=from_wire_decimal(line.held_quantity) or Decimal(0),
        )


@dataclass(frozen=True)
class Reservation:
    """A reservation: ``state`` is a short name ("HELD", "COMMITTED", "RELEASED",
    "EXPIRED"), ``lines`` in the order they were sent."""

    id: str
    state: str
    lines: list[ReservationLine]
    reference_id: str
    expires_at: Optional[_dt.datetime]
    created_at: Optional[_dt.datetime]
    updated_at: Optional[_dt.datetime]

    @classmethod
    def from_proto(cls, reservation: reservations_pb.Reservation) -> "Reservation":
        def when(field: str) -> Optional[_dt.datetime]:
            return from_timestamp(getattr(reservation, field)) if reservation.HasField(field) else None

        return cls(
            id=reservation.id,
            state=reservations_pb.ReservationState.Name(reservation.state).removeprefix("RESERVATION_STATE_"),
            lines=[ReservationLine.from_proto(line) for line in reservation.lines],
            reference_id=reservation.reference_id,
            expires_at=when("expires_at"),
            created_at=when("created_at"),
            updated_at=when("updated_at"),
        )


#: A line to reserve: a :class:`ReservationLine` or ``(catalog_object_id, location_id, quantity)``.
LineLike = Union[ReservationLine, tuple[str, str, DecimalLike]]


def _reservation_line(line: LineLike) -> reservations_pb.ReservationLine:
    if isinstance(line, ReservationLine):
        catalog_object_id, location_id, quantity = line.catalog_object_id, line.location_id, line.quantity
    else:
        catalog_object_id, location_id, quantity = line
    return reservations_pb.ReservationLine(
        catalog_object_id=catalog_object_id, location_id=location_id, quantity=to_wire_decimal(quantity)
    )


def _hold_until(request: Any, ttl: _dt.timedelta | None, expires_at: _dt.datetime | None) -> None:
    """Sets exactly one of ``ttl`` and ``expires_at`` on a request."""
    if (ttl is None) == (expires_at is None):
        raise ValueError("pass exactly one of ttl= (a timedelta) or expires_at= (an aware datetime)")
    if ttl is not None:
        if not isinstance(ttl, _dt.timedelta):
            raise TypeError(f"ttl: expected datetime.timedelta, got {type(ttl).__name__}")
        request.ttl.FromTimedelta(ttl)
    else:
        assert expires_at is not None
        request.expires_at.CopyFrom(to_timestamp(expires_at))


def _reservation_state(value: str | int | None) -> int:
    """A ReservationState by short name ("HELD"), full name ("RESERVATION_STATE_HELD") or
    number; ``None`` is RESERVATION_STATE_UNSPECIFIED (every state, in a filter)."""
    if value is None:
        return reservations_pb.RESERVATION_STATE_UNSPECIFIED
    return enum_number(
        reservations_pb.ReservationState,
        "RESERVATION_STATE_",
        value,
        "reservation state",
        "reservation state",
    )


# --- adjustment reasons ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonId:
    """Names an adjustment reason: a standard one by its type's short name
    (``ReasonId("DAMAGED")``) or a merchant's custom one (``ReasonId.custom(id)``)."""

    type: str  # short name: "RECEIVED", "DAMAGED", …, "CUSTOM"
    custom_reason_id: str = ""

    @classmethod
    def custom(cls, custom_reason_id: str) -> "ReasonId":
        return cls("CUSTOM", custom_reason_id)

    @classmethod
    def from_proto(cls, reason_id: inventory_pb.InventoryAdjustmentReasonId) -> "ReasonId":
        return cls(reason_type_name(reason_id.type), reason_id.custom_reason_id)

    def to_proto(self) -> inventory_pb.InventoryAdjustmentReasonId:
        return inventory_pb.InventoryAdjustmentReasonId(
            type=reason_type(self.type), custom_reason_id=self.custom_reason_id
        )


@dataclass(frozen=True)
class AdjustmentReason:
    """An adjustment reason: ``direction`` is ``"INCREASE"``, ``"DECREASE"`` or
    ``"UNSPECIFIED"`` (system codes and Shopify's reasons); ``name`` is empty and the
    timestamps ``None`` for standard reasons."""

    id: ReasonId
    name: str
    direction: str
    created_at: Optional[_dt.datetime]
    updated_at: Optional[_dt.datetime]
    is_deleted: bool

    @classmethod
    def from_proto(cls, reason: inventory_pb.InventoryAdjustmentReason) -> "AdjustmentReason":
        def when(field: str) -> Optional[_dt.datetime]:
            return from_timestamp(getattr(reason, field)) if reason.HasField(field) else None

        return cls(
            id=ReasonId.from_proto(reason.id),
            name=reason.name,
            direction=inventory_pb.InventoryAdjustmentReasonDirection.Name(reason.direction).removeprefix(
                "INVENTORY_ADJUSTMENT_REASON_DIRECTION_"
            ),
            created_at=when("created_at"),
            updated_at=when("updated_at"),
            is_deleted=reason.is_deleted,
        )


#: What names a reason: a :class:`ReasonId`, an :class:`AdjustmentReason` (its id), a
#: standard type's short name (``"DAMAGED"``) or the generated message.
ReasonLike = Union[ReasonId, AdjustmentReason, str, inventory_pb.InventoryAdjustmentReasonId]


def reason_type(value: str | int) -> int:
    """An InventoryAdjustmentReasonType by short name ("DAMAGED"), full name
    ("INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED") or number."""
    return enum_number(
        inventory_pb.InventoryAdjustmentReasonType,
        "INVENTORY_ADJUSTMENT_REASON_TYPE_",
        value,
        "reason type",
        "adjustment reason type",
    )


def reason_type_name(value: int) -> str:
    """The short name of an InventoryAdjustmentReasonType number ("DAMAGED")."""
    return inventory_pb.InventoryAdjustmentReasonType.Name(value).removeprefix("INVENTORY_ADJUSTMENT_REASON_TYPE_")


def _reason_direction(value: str | int) -> int:
    return enum_number(
        inventory_pb.InventoryAdjustmentReasonDirection,
        "INVENTORY_ADJUSTMENT_REASON_DIRECTION_",
        value,
        "reason direction",
        "adjustment reason direction",
    )


def _reason_id(value: ReasonLike) -> inventory_pb.InventoryAdjustmentReasonId:
    if isinstance(value, AdjustmentReason):
        return value.id.to_proto()
    if isinstance(value, ReasonId):
        return value.to_proto()
    if isinstance(value, inventory_pb.InventoryAdjustmentReasonId):
        return value
    if isinstance(value, str):
        return inventory_pb.InventoryAdjustmentReasonId(type=reason_type(value))
    raise TypeError(f"expected a ReasonId, an AdjustmentReason or a reason type name, got {type(value).__name__}")


def _money(amount: DecimalLike, currency: str) -> inventory_pb.Money:
    return inventory_pb.Money(amount=to_wire_decimal(amount), currency=currency)


def change_id(change: inventory_pb.InventoryChange) -> str:
    """The id of whichever member (adjustment, physical count, transfer) is set."""
    member = change.WhichOneof("change")
    return getattr(change, member).id if member else ""


# --- building changes ---------------------------------------------------------------------


def adjustment(
    catalog_object_id: str,
    location_id: str,
    from_state: str | int,
    to_state: str | int,
    quantity: DecimalLike,
    *,
    occurred_at: _dt.datetime | None = None,
    total_price: tuple[DecimalLike, str] | None = None,
    expected_quantity: Expectation | None = None,
    reason: ReasonLike | None = None,
    cost: tuple[DecimalLike, str] | None = None,
    vendor_id: str = "",
    **fields: str,
) -> inventory_pb.InventoryChange:
    """An adjustment change: ``quantity`` moves from ``from_state`` to ``to_state``
    ("NONE", "IN_STOCK", "SOLD", "WASTE", "UNLINKED_RETURN", "DAMAGED", "QUALITY_CONTROL",
    "SAFETY_STOCK"). ``total_price`` is
    ``(amount, currency)``; other string fields (reference_id, employee_id, …) by name.

    ``reason`` says why (a :class:`ReasonId`, an :class:`AdjustmentReason` or a standard
    type's short name such as ``"DAMAGED"``). On a receipt (from "NONE" or
    "UNLINKED_RETURN") ``cost`` is what the units cost, ``(amount, currency)``, and
    ``vendor_id`` whom they were bought from.

    ``expected_quantity`` guards the change (compare-and-swap): the count it takes from
    (``from_state``'s, or ``to_state``'s for a receipt from "NONE") must hold exactly this
    quantity when the batch is applied, or :data:`EXPECT_ABSENT` for a count that must not
    exist yet; otherwise the batch raises :class:`QuantityMismatch`."""
    adj = inventory_pb.InventoryAdjustment(
        catalog_object_id=catalog_object_id,
        location_id=location_id,
        from_state=state(from_state),
        to_state=state(to_state),
        quantity=to_wire_decimal(quantity),
        vendor_id=vendor_id,
        **fields,
    )
    if occurred_at is not None:
        adj.occurred_at.CopyFrom(to_timestamp(occurred_at))
    if total_price is not None:
        adj.total_price_money.CopyFrom(_money(*total_price))
    if cost is not None:
        adj.cost_money.CopyFrom(_money(*cost))
    if reason is not None:
        adj.reason_id.CopyFrom(_reason_id(reason))
    return _guarded(
        inventory_pb.InventoryChange(type=inventory_pb.INVENTORY_CHANGE_TYPE_ADJUSTMENT, adjustment=adj),
        expected_quantity,
    )


def physical_count(
    catalog_object_id: str,
    location_id: str,
    state_: str | int,
    quantity: DecimalLike,
    *,
    occurred_at: _dt.datetime | None = None,
    expected_quantity: Expectation | None = None,
    reason: ReasonLike | None = None,
    **fields: str,
) -> inventory_pb.InventoryChange:
    """A physical count change: ``quantity`` was counted in ``state_`` ("IN_STOCK", "WASTE",
    "DAMAGED", "QUALITY_CONTROL", "SAFETY_STOCK").
    ``expected_quantity`` (or :data:`EXPECT_ABSENT`) guards the count it replaces;
    ``reason`` says why it was counted (as on :func:`adjustment`)."""
    count = inventory_pb.InventoryPhysicalCount(
        catalog_object_id=catalog_object_id,
        location_id=location_id,
        state=state(state_),
        quantity=to_wire_decimal(quantity),
        **fields,
    )
    if occurred_at is not None:
        count.occurred_at.CopyFrom(to_timestamp(occurred_at))
    if reason is not None:
        count.reason_id.CopyFrom(_reason_id(reason))
    return _guarded(
        inventory_pb.InventoryChange(type=inventory_pb.INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT, physical_count=count),
        expected_quantity,
    )


def transfer(
    catalog_object_id: str,
    from_location_id: str,
    to_location_id: str,
    state_: str | int,
    quantity: DecimalLike,
    *,
    occurred_at: _dt.datetime | None = None,
    expected_quantity: Expectation | None = None,
    reason: ReasonLike | None = None,
    **fields: str,
) -> inventory_pb.InventoryChange:
    """A transfer change: ``quantity`` in ``state_`` moves between two locations.
    ``expected_quantity`` (or :data:`EXPECT_ABSENT`) guards the source count; ``reason``
    says why it moved (as on :func:`adjustment`)."""
    moved = inventory_pb.InventoryTransfer(
        catalog_object_id=catalog_object_id,
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        state=state(state_),
        quantity=to_wire_decimal(quantity),
        **fields,
    )
    if occurred_at is not None:
        moved.occurred_at.CopyFrom(to_timestamp(occurred_at))
    if reason is not None:
        moved.reason_id.CopyFrom(_reason_id(reason))
    return _guarded(
        inventory_pb.InventoryChange(type=inventory_pb.INVENTORY_CHANGE_TYPE_TRANSFER, transfer=moved),
        expected_quantity,
    )


# --- the client ------------------------------------------------------------------------------


class Client:
    """A connection to a Stockledger server.

    ``Client("127.0.0.1:50051", token)`` opens a plaintext channel (pass ``credentials``,
    e.g. ``grpc.ssl_channel_credentials()``, for TLS) whose every call carries
    ``authorization: Bearer <token>``. The generated stubs are ``client.inventory``,
    ``client.items``, ``client.locations`` and ``client.reservations`` (they raise ``grpc.RpcError``; decode one with
    ``StockledgerError.from_rpc_error``); the methods below raise ``StockledgerError``.
    Use it as a context manager or call ``close()``.
    """

    def __init__(
        self,
        address: str,
        token: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        if not token:
            raise ValueError("a token is required (stockledger token create …)")
        raw = (
            grpc.secure_channel(address, credentials, options=options)
            if credentials is not None
            else grpc.insecure_channel(address, options=options)
        )
        self._raw_channel = raw
        self.channel = grpc.intercept_channel(raw, _BearerToken(token))
        self.inventory = inventory_grpc.InventoryServiceStub(self.channel)
        self.items = items_grpc.InventoryItemServiceStub(self.channel)
        self.locations = locations_grpc.LocationServiceStub(self.channel)
        self.reservations = reservations_grpc.ReservationServiceStub(self.channel)

    def close(self) -> None:
        self._raw_channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- locations ---

    @_translated
    def create_location(
        self, name: str, *, description: str = "", forbid_negative_counts: bool = False
    ) -> locations_pb.Location:
        """Creates a location; with ``forbid_negative_counts`` a batch that does not say
        otherwise may not leave a count of it that it lowers below zero."""
        request = locations_pb.CreateLocationRequest(
            location=locations_pb.Location(
                name=name, description=description, forbid_negative_counts=forbid_negative_counts
            )
        )
        return self.locations.CreateLocation(request).location

    @_translated
    def get_location(self, location_id: str) -> locations_pb.Location:
        return self.locations.GetLocation(locations_pb.GetLocationRequest(id=location_id)).location

    def list_locations(self, *, status: int = 0, page_size: int = 0) -> Iterator[locations_pb.Location]:
        """Every location, oldest first (pages are fetched as the generator advances)."""
        request = locations_pb.ListLocationsRequest(limit=page_size, status=status)
        return self._pages(self.locations.ListLocations, request, "locations")

    # --- inventory items ---

    @_translated
    def create_inventory_item(
        self,
        sku: str,
        *,
        cost: DecimalLike | None = None,
        tracked: bool | None = None,
        requires_shipping: bool | None = None,
        **fields: Any,
    ) -> items_pb.InventoryItem:
        """Creates an item; other InventoryItem fields (country_code_of_origin, …) by name."""
        item = items_pb.InventoryItem(sku=sku, **fields)
        if cost is not None:
            item.cost = to_wire_decimal(cost)
        if tracked is not None:
            item.tracked = tracked
        if requires_shipping is not None:
            item.requires_shipping = requires_shipping
        return self.items.CreateInventoryItem(items_pb.CreateInventoryItemRequest(inventory_item=item)).inventory_item

    @_translated
    def get_inventory_item(self, item_id: str) -> items_pb.InventoryItem:
        return self.items.GetInventoryItem(items_pb.GetInventoryItemRequest(id=item_id)).inventory_item

    def list_inventory_items(self, *, sku: str = "", page_size: int = 0) -> Iterator[items_pb.InventoryItem]:
        """Every item (or the one with ``sku``), oldest first."""
        request = items_pb.ListInventoryItemsRequest(limit=page_size, sku=sku)
        return self._pages(self.items.ListInventoryItems, request, "inventory_items")

    # --- the ledger ---

    @_translated
    def batch_change_inventory(
        self,
        changes: Iterable[inventory_pb.InventoryChange],
        *,
        idempotency_key: str | None = None,
        ignore_unchanged_counts: bool | None = None,
        forbid_negative_counts: bool | None = None,
    ) -> BatchChangeResult:
        """Applies the changes atomically (build them with ``adjustment``,
        ``physical_count``, ``transfer``). Without ``idempotency_key`` a fresh one is made:
        pass your own to make retries safe.

        ``forbid_negative_counts=True``: no count the batch lowers may end below zero (else
        :class:`InsufficientQuantity`); ``False``: counts may go negative; ``None`` (the
        default): each location's ``forbid_negative_counts`` decides. A change's
        ``expected_quantity`` that does not hold raises :class:`QuantityMismatch`."""
        request = inventory_pb.BatchChangeInventoryRequest(
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            changes=list(changes),
        )
        if ignore_unchanged_counts is not None:
            request.ignore_unchanged_counts = ignore_unchanged_counts
        if forbid_negative_counts is not None:
            request.forbid_negative_counts = forbid_negative_counts
        response = self.inventory.BatchChangeInventory(request)
        return BatchChangeResult(
            counts=[InventoryCount.from_proto(c) for c in response.counts],
            changes=list(response.changes),
        )

    @_translated
    def retrieve_inventory_count(
        self, catalog_object_id: str, *, location_ids: Sequence[str] = ()
    ) -> list[InventoryCount]:
        """Every current count of one item (all pages)."""
        counts: list[InventoryCount] = []
        request = inventory_pb.RetrieveInventoryCountRequest(
            catalog_object_id=catalog_object_id, location_ids=list(location_ids)
        )
        while True:
            response = self.inventory.RetrieveInventoryCount(request)
            counts.extend(InventoryCount.from_proto(c) for c in response.counts)
            if not response.cursor:
                return counts
            request.cursor = response.cursor

    def batch_retrieve_inventory_counts(
        self,
        *,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        states: Sequence[str | int] = (),
        updated_after: _dt.datetime | None = None,
        page_size: int = 0,
    ) -> Iterator[InventoryCount]:
        """Every matching current count, most recently calculated first."""
        request = inventory_pb.BatchRetrieveInventoryCountsRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            states=[state(s) for s in states],
            limit=page_size,
        )
        if updated_after is not None:
            request.updated_after.CopyFrom(to_timestamp(updated_after))
        for count in self._pages(self.inventory.BatchRetrieveInventoryCounts, request, "counts"):
            yield InventoryCount.from_proto(count)

    @_translated
    def batch_retrieve_inventory_changes(
        self,
        *,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        types: Sequence[int] = (),
        states: Sequence[str | int] = (),
        updated_after: _dt.datetime | None = None,
        updated_before: _dt.datetime | None = None,
        reason_ids: Sequence[ReasonLike] = (),
        cursor: str = "",
        limit: int = 0,
    ) -> ChangesPage:
        """One page of the history, oldest first (only changes carrying one of
        ``reason_ids``, when given). Pass the returned ``cursor`` (with the same filters, or
        none) for the next page; it is ``""`` on the last one."""
        request = inventory_pb.BatchRetrieveInventoryChangesRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            types=list(types),
            states=[state(s) for s in states],
            reason_ids=[_reason_id(r) for r in reason_ids],
            cursor=cursor,
            limit=limit,
        )
        if updated_after is not None:
            request.updated_after.CopyFrom(to_timestamp(updated_after))
        if updated_before is not None:
            request.updated_before.CopyFrom(to_timestamp(updated_before))
        response = self.inventory.BatchRetrieveInventoryChanges(request)
        return ChangesPage(changes=list(response.changes), cursor=response.cursor)

    def stream_inventory_changes(
        self,
        *,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        types: Sequence[int] = (),
        states: Sequence[str | int] = (),
        reason_ids: Sequence[ReasonLike] = (),
        cursor: str = "",
        timeout: float | None = None,
    ) -> Iterator[StreamedChange]:
        """The whole filtered history as a generator, oldest first; each item's ``cursor``
        resumes right after it."""
        request = inventory_pb.StreamInventoryChangesRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            types=list(types),
            states=[state(s) for s in states],
            reason_ids=[_reason_id(r) for r in reason_ids],
            cursor=cursor,
        )
        call = self.inventory.StreamInventoryChanges(request, timeout=timeout)
        return _follow(call, lambda m: StreamedChange(change=m.change, cursor=m.cursor))

    @_translated
    def watch_inventory_changes(
        self,
        *,
        resume_token: str = "",
        from_beginning: bool = False,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        types: Sequence[int] = (),
        states: Sequence[str | int] = (),
        timeout: float | None = None,
    ) -> Iterator[WatchedChange]:
        """The live feed of committed changes, in commit order, as an endless generator.

        Starts right after ``resume_token`` when given (the filters travel inside the
        token); otherwise from now, or from the first change with ``from_beginning``. The
        watch is established when this returns: a change committed afterwards is
        delivered. Close the generator (or leave the ``with closing(...)`` block) to end
        the call; on server shutdown it raises ``StockledgerError`` (``UNAVAILABLE``):
        resume from the last ``resume_token`` seen. ``timeout`` (seconds) bounds the whole
        call (it then raises ``DEADLINE_EXCEEDED``).
        """
        request = inventory_pb.WatchInventoryChangesRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            types=list(types),
            states=[state(s) for s in states],
            resume_token=resume_token,
        )
        if not resume_token:
            request.start = inventory_pb.WATCH_START_BEGINNING if from_beginning else inventory_pb.WATCH_START_NOW
        call = self.inventory.WatchInventoryChanges(request, timeout=timeout)
        _established(call)
        return _follow(
            call, lambda m: WatchedChange(change=m.change, sequence=m.sequence, resume_token=m.resume_token)
        )

    @_translated
    def watch_inventory_counts(
        self,
        *,
        resume_token: str = "",
        from_beginning: bool = False,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        states: Sequence[str | int] = (),
        timeout: float | None = None,
    ) -> Iterator[CountUpdate]:
        """The live feed of count updates; same start and resume rules as
        ``watch_inventory_changes``."""
        request = inventory_pb.WatchInventoryCountsRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            states=[state(s) for s in states],
            resume_token=resume_token,
        )
        if not resume_token:
            request.start = inventory_pb.WATCH_START_BEGINNING if from_beginning else inventory_pb.WATCH_START_NOW
        call = self.inventory.WatchInventoryCounts(request, timeout=timeout)
        _established(call)

        def convert(m: inventory_pb.WatchInventoryCountsResponse) -> CountUpdate:
            u = m.update
            return CountUpdate(
                catalog_object_id=u.catalog_object_id,
                location_id=u.location_id,
                state=state_name(u.state),
                previous_quantity=from_wire_decimal(u.previous_quantity),
                quantity=from_wire_decimal(u.quantity) or Decimal(0),
                calculated_at=from_timestamp(u.calculated_at) if u.HasField("calculated_at") else None,
                change_id=u.change_id,
                sequence=m.sequence,
                resume_token=m.resume_token,
            )

        return _follow(call, convert)

    # --- adjustment reasons ---

    @_translated
    def list_inventory_adjustment_reasons(
        self, *, include_deleted: bool = False, include_system_codes: bool = False
    ) -> list[AdjustmentReason]:
        """The standard reasons in type order, then the merchant's custom ones, oldest
        first (deleted ones with ``include_deleted``; Square's system codes SALE, RECOUNT,
        … with ``include_system_codes``)."""
        request = inventory_pb.ListInventoryAdjustmentReasonsRequest(
            include_deleted=include_deleted, include_system_codes=include_system_codes
        )
        response = self.inventory.ListInventoryAdjustmentReasons(request)
        return [AdjustmentReason.from_proto(r) for r in response.adjustment_reasons]

    @_translated
    def create_inventory_adjustment_reason(
        self, name: str, direction: str | int, *, idempotency_key: str | None = None
    ) -> AdjustmentReason:
        """Creates a custom reason; ``direction`` ("INCREASE" or "DECREASE") is fixed once
        created, ``name`` unique among the live custom reasons (else ``ALREADY_EXISTS``).
        Without ``idempotency_key`` a fresh one is made: pass your own to make retries safe."""
        request = inventory_pb.CreateInventoryAdjustmentReasonRequest(
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            adjustment_reason=inventory_pb.InventoryAdjustmentReason(
                name=name, direction=_reason_direction(direction)
            ),
        )
        return AdjustmentReason.from_proto(self.inventory.CreateInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def retrieve_inventory_adjustment_reason(self, reason: ReasonLike) -> AdjustmentReason:
        """One reason, standard or custom (a deleted custom one too)."""
        request = inventory_pb.RetrieveInventoryAdjustmentReasonRequest(reason_id=_reason_id(reason))
        return AdjustmentReason.from_proto(self.inventory.RetrieveInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def update_inventory_adjustment_reason(self, reason: ReasonLike, *, name: str) -> AdjustmentReason:
        """Renames a custom reason that is not deleted (a deleted one: ``FAILED_PRECONDITION``)."""
        request = inventory_pb.UpdateInventoryAdjustmentReasonRequest(
            reason_id=_reason_id(reason), adjustment_reason=inventory_pb.InventoryAdjustmentReason(name=name)
        )
        return AdjustmentReason.from_proto(self.inventory.UpdateInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def delete_inventory_adjustment_reason(self, reason: ReasonLike) -> AdjustmentReason:
        """Soft-deletes a custom reason: still retrievable and named by the changes that
        carry it, but a new change naming it raises ``INVALID_ARGUMENT``
        (``ADJUSTMENT_REASON_DELETED``)."""
        request = inventory_pb.DeleteInventoryAdjustmentReasonRequest(reason_id=_reason_id(reason))
        return AdjustmentReason.from_proto(self.inventory.DeleteInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def restore_inventory_adjustment_reason(self, reason: ReasonLike) -> AdjustmentReason:
        """Restores a soft-deleted custom reason (``ALREADY_EXISTS`` when a live reason
        has taken its name meanwhile)."""
        request = inventory_pb.RestoreInventoryAdjustmentReasonRequest(reason_id=_reason_id(reason))
        return AdjustmentReason.from_proto(self.inventory.RestoreInventoryAdjustmentReason(request).adjustment_reason)

    # --- reservations ---

    @_translated
    def create_reservation(
        self,
        lines: Iterable[LineLike],
        *,
        ttl: _dt.timedelta | None = None,
        expires_at: _dt.datetime | None = None,
        reference_id: str = "",
        idempotency_key: str | None = None,
    ) -> Reservation:
        """Holds every line (``(catalog_object_id, location_id, quantity)`` or a
        :class:`ReservationLine`) from IN_STOCK, all or nothing, for ``ttl`` or until
        ``expires_at`` (exactly one). A line the stock cannot cover raises
        :class:`InsufficientQuantity` (``field`` ``"lines[i].quantity"``,
        ``available_quantity``). Without ``idempotency_key`` a fresh one is made: pass your
        own to make retries safe."""
        request = reservations_pb.CreateReservationRequest(
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            lines=[_reservation_line(line) for line in lines],
            reference_id=reference_id,
        )
        _hold_until(request, ttl, expires_at)
        return Reservation.from_proto(self.reservations.CreateReservation(request).reservation)

    @_translated
    def commit_reservation(
        self,
        reservation_id: str,
        *,
        lines: Mapping[int, DecimalLike] | None = None,
        total_price: tuple[DecimalLike, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Reservation:
        """Sells held units: everything held, or ``lines`` ``{line index: quantity}``.
        ``total_price`` is ``(amount, currency)``. Raises :class:`ReservationNotHeld` once
        nothing is held, :class:`ReservationExpired` past ``expires_at``. Without
        ``idempotency_key`` a fresh one is made."""
        request = reservations_pb.CommitReservationRequest(
            id=reservation_id,
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            lines=[
                reservations_pb.CommitLine(line=index, quantity=to_wire_decimal(quantity))
                for index, quantity in (lines or {}).items()
            ],
        )
        if total_price is not None:
            amount, currency = total_price
            request.total_price_money.CopyFrom(inventory_pb.Money(amount=to_wire_decimal(amount), currency=currency))
        return Reservation.from_proto(self.reservations.CommitReservation(request).reservation)

    @_translated
    def release_reservation(self, reservation_id: str) -> Reservation:
        """Gives back everything still held (a reservation holding nothing is answered as it is)."""
        request = reservations_pb.ReleaseReservationRequest(id=reservation_id)
        return Reservation.from_proto(self.reservations.ReleaseReservation(request).reservation)

    @_translated
    def extend_reservation(
        self,
        reservation_id: str,
        *,
        ttl: _dt.timedelta | None = None,
        expires_at: _dt.datetime | None = None,
    ) -> Reservation:
        """Moves a held reservation's ``expires_at``: ``ttl`` from now, or ``expires_at``
        (exactly one)."""
        request = reservations_pb.ExtendReservationRequest(id=reservation_id)
        _hold_until(request, ttl, expires_at)
        return Reservation.from_proto(self.reservations.ExtendReservation(request).reservation)

    @_translated
    def get_reservation(self, reservation_id: str) -> Reservation:
        request = reservations_pb.GetReservationRequest(id=reservation_id)
        return Reservation.from_proto(self.reservations.GetReservation(request).reservation)

    def list_reservations(
        self, *, state: str | int | None = None, reference_id: str = "", page_size: int = 0
    ) -> Iterator[Reservation]:
        """Every reservation, oldest first (pages are fetched as the generator advances),
        optionally only those in ``state`` ("HELD", "COMMITTED", "RELEASED", "EXPIRED") and
        those with ``reference_id``."""
        request = reservations_pb.ListReservationsRequest(
            limit=page_size, state=_reservation_state(state), reference_id=reference_id
        )
        pages = self._pages(self.reservations.ListReservations, request, "reservations")
        return (Reservation.from_proto(reservation) for reservation in pages)

    # --- helpers ---

    def _pages(self, rpc: Callable[[Any], Any], request: Any, field: str) -> Iterator[Any]:
        while True:
            try:
                response = rpc(request)
            except grpc.RpcError as error:
                raise StockledgerError.from_rpc_error(error) from error
            yield from getattr(response, field)
            if not response.cursor:
                return
            next_request = type(request)()
            next_request.CopyFrom(request)
            next_request.cursor = response.cursor
            request = next_request


def _established(call: Any) -> None:
    """Waits for the response headers (the server has fixed the stream's start by then)
    and raises at once if the call was refused."""
    call.initial_metadata()
    if call.done() and call.code() != grpc.StatusCode.OK:
        raise call  # a grpc.RpcError: translated by the caller's decorator


def _follow(call: Any, convert: Callable[[Any], T]) -> Iterator[T]:
    """A generator over a server stream that raises StockledgerError and cancels the call
    when closed early."""
    try:
        for message in call:
            yield convert(message)
    except grpc.RpcError as error:
        raise StockledgerError.from_rpc_error(error) from error
    finally:
        call.cancel()
