"""``Client``: a channel that sends the bearer token on every call, the raw generated stubs,
and convenience methods that speak ``Decimal``, ``datetime``, enum short names and
``StockledgerError``, and answer with the typed values of :mod:`stockledger.models`."""

from __future__ import annotations

import collections
import datetime as _dt
import functools
import uuid
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar, Union

import grpc
from google.protobuf import field_mask_pb2

from .errors import InvalidInput, StockledgerError
from .models import (
    EXPECT_ABSENT,
    Adjustment,
    AdjustmentReason,
    Alert,
    BatchChangeResult,
    Change,
    ChangesPage,
    CountUpdate,
    ImportResult,
    InventoryCount,
    InventoryItem,
    Location,
    PhysicalCount,
    ReasonId,
    ReorderPoint,
    ReorderPointSet,
    Reservation,
    ReservationLine,
    SourceApplication,
    StreamedChange,
    Transfer,
    WatchedChange,
    _ExpectAbsent,
)
from .tls import PemSource, tls_channel
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
    change_type,
    location_status,
    product,
    reason_direction,
    reason_type,
    reason_type_name,  # noqa: F401 (stockledger.client.reason_type_name, as before)
    reservation_state,
    state,
    to_timestamp,
    to_wire_decimal,
)

T = TypeVar("T")

#: What a change builder's ``expected_quantity`` accepts.
Expectation = Union[DecimalLike, _ExpectAbsent]


def _guarded(
    change: inventory_pb.InventoryChange, expected_quantity: Expectation | None
) -> inventory_pb.InventoryChange:
    if expected_quantity is EXPECT_ABSENT:
        change.expected_quantity = "ABSENT"
    elif expected_quantity is not None:
        assert not isinstance(expected_quantity, _ExpectAbsent)
        change.expected_quantity = to_wire_decimal(expected_quantity, "expected_quantity")
    return change


def _message(message_type: Callable[..., T], path: str, **fields: Any) -> T:
    """``message_type(**fields)``, a field the message does not have or a value of the
    wrong type raising :class:`InvalidInput` (the field ``path.<name>``) instead of the
    protobuf runtime's ValueError or TypeError."""
    try:
        return message_type(**fields)
    except (ValueError, TypeError) as error:
        names = [name for name in fields if name in str(error)]
        where = f"{path}.{names[0]}" if names else path
        raise InvalidInput(where, str(error)) from None


def _enum_list(convert: Callable[[Any, str], int], values: Iterable[Any], field: str) -> list[int]:
    """Every value of a filter list through ``convert``, a refused one naming ``field[i]``."""
    return [convert(value, f"{field}[{index}]") for index, value in enumerate(values)]


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


# --- reservations and adjustment reasons: request pieces ------------------------------------

#: A line to reserve: a :class:`ReservationLine` or ``(catalog_object_id, location_id, quantity)``.
LineLike = Union[ReservationLine, tuple[str, str, DecimalLike]]


def _reservation_line(line: LineLike, field: str) -> reservations_pb.ReservationLine:
    if isinstance(line, ReservationLine):
        catalog_object_id, location_id, quantity = line.catalog_object_id, line.location_id, line.quantity
    else:
        try:
            catalog_object_id, location_id, quantity = line
        except (TypeError, ValueError):
            raise InvalidInput(
                field, "must be a ReservationLine or (catalog_object_id, location_id, quantity)"
            ) from None
    return _message(
        reservations_pb.ReservationLine,
        field,
        catalog_object_id=catalog_object_id,
        location_id=location_id,
        quantity=to_wire_decimal(quantity, f"{field}.quantity"),
    )


def _hold_until(request: Any, ttl: _dt.timedelta | None, expires_at: _dt.datetime | None) -> None:
    """Sets exactly one of ``ttl`` and ``expires_at`` on a request."""
    if (ttl is None) == (expires_at is None):
        raise InvalidInput(
            "ttl",
            "pass exactly one of ttl= (a timedelta) or expires_at= (an aware datetime)",
            reason="MISSING_REQUIRED_PARAMETER" if ttl is None else "INVALID_VALUE",
        )
    if ttl is not None:
        if not isinstance(ttl, _dt.timedelta):
            raise InvalidInput("ttl", f"must be a datetime.timedelta, not {type(ttl).__name__}")
        request.ttl.FromTimedelta(ttl)
    else:
        assert expires_at is not None
        request.expires_at.CopyFrom(to_timestamp(expires_at, "expires_at"))


#: What names a reason: a :class:`ReasonId`, an :class:`AdjustmentReason` (its id), a
#: standard type's short name (``"DAMAGED"``) or the generated message.
ReasonLike = Union[ReasonId, AdjustmentReason, str, inventory_pb.InventoryAdjustmentReasonId]


def _reason_id(value: ReasonLike, field: str) -> inventory_pb.InventoryAdjustmentReasonId:
    if isinstance(value, AdjustmentReason):
        return value.id.to_proto(field)
    if isinstance(value, ReasonId):
        return value.to_proto(field)
    if isinstance(value, inventory_pb.InventoryAdjustmentReasonId):
        return value
    if isinstance(value, str):
        return inventory_pb.InventoryAdjustmentReasonId(type=reason_type(value, f"{field}.type"))
    raise InvalidInput(
        field, f"must be a ReasonId, an AdjustmentReason or a reason type name, not {type(value).__name__}"
    )


def _money(price: tuple[DecimalLike, str], field: str) -> inventory_pb.Money:
    try:
        amount, currency = price
    except (TypeError, ValueError):
        raise InvalidInput(field, "must be (amount, currency)") from None
    return _message(inventory_pb.Money, field, amount=to_wire_decimal(amount, f"{field}.amount"), currency=currency)


def change_id(change: Change | inventory_pb.InventoryChange) -> str:
    """The id of whichever member (adjustment, physical count, transfer) is set, of a
    :class:`Change` or the generated message."""
    if isinstance(change, Change):
        return change.id
    member = change.WhichOneof("change")
    return getattr(change, member).id if member else ""


# --- building changes ---------------------------------------------------------------------
#
# A refused argument raises InvalidInput naming the field within the change
# ("adjustment.quantity", "expected_quantity"): the server's path after "changes[i].".


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
    adj = _message(
        inventory_pb.InventoryAdjustment,
        "adjustment",
        catalog_object_id=catalog_object_id,
        location_id=location_id,
        from_state=state(from_state, "adjustment.from_state"),
        to_state=state(to_state, "adjustment.to_state"),
        quantity=to_wire_decimal(quantity, "adjustment.quantity"),
        vendor_id=vendor_id,
        **fields,
    )
    if occurred_at is not None:
        adj.occurred_at.CopyFrom(to_timestamp(occurred_at, "adjustment.occurred_at"))
    if total_price is not None:
        adj.total_price_money.CopyFrom(_money(total_price, "adjustment.total_price_money"))
    if cost is not None:
        adj.cost_money.CopyFrom(_money(cost, "adjustment.cost_money"))
    if reason is not None:
        adj.reason_id.CopyFrom(_reason_id(reason, "adjustment.reason_id"))
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
    count = _message(
        inventory_pb.InventoryPhysicalCount,
        "physical_count",
        catalog_object_id=catalog_object_id,
        location_id=location_id,
        state=state(state_, "physical_count.state"),
        quantity=to_wire_decimal(quantity, "physical_count.quantity"),
        **fields,
    )
    if occurred_at is not None:
        count.occurred_at.CopyFrom(to_timestamp(occurred_at, "physical_count.occurred_at"))
    if reason is not None:
        count.reason_id.CopyFrom(_reason_id(reason, "physical_count.reason_id"))
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
    moved = _message(
        inventory_pb.InventoryTransfer,
        "transfer",
        catalog_object_id=catalog_object_id,
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        state=state(state_, "transfer.state"),
        quantity=to_wire_decimal(quantity, "transfer.quantity"),
        **fields,
    )
    if occurred_at is not None:
        moved.occurred_at.CopyFrom(to_timestamp(occurred_at, "transfer.occurred_at"))
    if reason is not None:
        moved.reason_id.CopyFrom(_reason_id(reason, "transfer.reason_id"))
    return _guarded(
        inventory_pb.InventoryChange(type=inventory_pb.INVENTORY_CHANGE_TYPE_TRANSFER, transfer=moved),
        expected_quantity,
    )


# --- the client ------------------------------------------------------------------------------


class Client:
    """A connection to a Stockledger server.

    ``Client("127.0.0.1:50051", token)`` opens a plaintext channel whose every call carries
    ``authorization: Bearer <token>``. TLS: ``ca_certificate=`` (the CA that issued the
    server's certificate: PEM bytes, PEM text or a file's path), with ``client_certificate=``
    and ``client_key=`` for mutual TLS, and ``server_name=`` when the certificate does not
    name the address's host; ``tls=True`` alone trusts grpc's default roots. Any of these
    turns TLS on; ``credentials=`` (``grpc.ChannelCredentials``) instead gives full control. The generated stubs are ``client.inventory``,
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
        tls: bool = False,
        ca_certificate: PemSource | None = None,
        client_certificate: PemSource | None = None,
        client_key: PemSource | None = None,
        server_name: str | None = None,
    ) -> None:
        if not token:
            raise InvalidInput(
                "token", "a token is required (stockledger token create …)", reason="MISSING_REQUIRED_PARAMETER"
            )
        settings = (ca_certificate, client_certificate, client_key, server_name)
        if tls or any(setting is not None for setting in settings):
            if credentials is not None:
                raise InvalidInput("credentials", "give either credentials or the TLS settings, not both")
            credentials, tls_options = tls_channel(
                ca_certificate=ca_certificate,
                client_certificate=client_certificate,
                client_key=client_key,
                server_name=server_name,
            )
            options = [*options, *tls_options]
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
    def create_location(self, name: str, *, description: str = "", forbid_negative_counts: bool = False) -> Location:
        """Creates a location; with ``forbid_negative_counts`` a batch that does not say
        otherwise may not leave a count of it that it lowers below zero."""
        location = _message(
            locations_pb.Location,
            "location",
            name=name,
            description=description,
            forbid_negative_counts=forbid_negative_counts,
        )
        request = locations_pb.CreateLocationRequest(location=location)
        return Location.from_proto(self.locations.CreateLocation(request).location)

    @_translated
    def get_location(self, location_id: str) -> Location:
        return Location.from_proto(self.locations.GetLocation(locations_pb.GetLocationRequest(id=location_id)).location)

    def list_locations(self, *, status: str | int | None = None, page_size: int = 0) -> Iterator[Location]:
        """Every location, oldest first (pages are fetched as the generator advances),
        optionally only those with ``status`` ("ACTIVE", "INACTIVE")."""
        request = locations_pb.ListLocationsRequest(
            limit=page_size, status=0 if status is None else location_status(status, "status")
        )
        return (Location.from_proto(m) for m in self._pages(self.locations.ListLocations, request, "locations"))

    @_translated
    def update_location(
        self,
        location_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        status: str | int | None = None,
        forbid_negative_counts: bool | None = None,
    ) -> Location:
        """Changes the fields given (and only those: ``description=""`` clears it);
        ``status`` "ACTIVE" or "INACTIVE"."""
        given = {
            "name": name,
            "description": description,
            "status": None if status is None else location_status(status, "location.status"),
            "forbid_negative_counts": forbid_negative_counts,
        }
        given = {field: value for field, value in given.items() if value is not None}
        request = locations_pb.UpdateLocationRequest(
            location=_message(locations_pb.Location, "location", id=location_id, **given),
            update_mask=field_mask_pb2.FieldMask(paths=sorted(given)),
        )
        return Location.from_proto(self.locations.UpdateLocation(request).location)

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
    ) -> InventoryItem:
        """Creates an item; other InventoryItem fields (country_code_of_origin, …) by name."""
        item = _message(items_pb.InventoryItem, "inventory_item", sku=sku, **fields)
        if cost is not None:
            item.cost = to_wire_decimal(cost, "inventory_item.cost")
        if tracked is not None:
            item.tracked = tracked
        if requires_shipping is not None:
            item.requires_shipping = requires_shipping
        response = self.items.CreateInventoryItem(items_pb.CreateInventoryItemRequest(inventory_item=item))
        return InventoryItem.from_proto(response.inventory_item)

    @_translated
    def get_inventory_item(self, item_id: str) -> InventoryItem:
        response = self.items.GetInventoryItem(items_pb.GetInventoryItemRequest(id=item_id))
        return InventoryItem.from_proto(response.inventory_item)

    @_translated
    def batch_get_inventory_items(self, item_ids: Sequence[str]) -> list[InventoryItem]:
        """Up to 100 items by id in one call."""
        response = self.items.BatchGetInventoryItems(items_pb.BatchGetInventoryItemsRequest(ids=list(item_ids)))
        return [InventoryItem.from_proto(item) for item in response.inventory_items]

    @_translated
    def update_inventory_item(
        self,
        item_id: str,
        *,
        cost: DecimalLike | None = None,
        tracked: bool | None = None,
        requires_shipping: bool | None = None,
        **fields: Any,
    ) -> InventoryItem:
        """Changes the fields given (``sku=``, ``cost=``, ``tracked=``,
        ``country_code_of_origin=``, …) and only those."""
        item = _message(items_pb.InventoryItem, "inventory_item", id=item_id, **fields)
        paths = sorted(fields)
        if cost is not None:
            item.cost = to_wire_decimal(cost, "inventory_item.cost")
            paths.append("cost")
        if tracked is not None:
            item.tracked = tracked
            paths.append("tracked")
        if requires_shipping is not None:
            item.requires_shipping = requires_shipping
            paths.append("requires_shipping")
        request = items_pb.UpdateInventoryItemRequest(
            inventory_item=item, update_mask=field_mask_pb2.FieldMask(paths=paths)
        )
        return InventoryItem.from_proto(self.items.UpdateInventoryItem(request).inventory_item)

    def list_inventory_items(self, *, sku: str = "", page_size: int = 0) -> Iterator[InventoryItem]:
        """Every item (or the one with ``sku``), oldest first."""
        request = items_pb.ListInventoryItemsRequest(limit=page_size, sku=sku)
        return (
            InventoryItem.from_proto(m) for m in self._pages(self.items.ListInventoryItems, request, "inventory_items")
        )

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
            changes=[Change.from_proto(c) for c in response.changes],
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
            states=_enum_list(state, states, "states"),
            limit=page_size,
        )
        if updated_after is not None:
            request.updated_after.CopyFrom(to_timestamp(updated_after, "updated_after"))
        pages = self._pages(self.inventory.BatchRetrieveInventoryCounts, request, "counts")
        return (InventoryCount.from_proto(count) for count in pages)

    @_translated
    def batch_retrieve_inventory_changes(
        self,
        *,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        types: Sequence[str | int] = (),
        states: Sequence[str | int] = (),
        updated_after: _dt.datetime | None = None,
        updated_before: _dt.datetime | None = None,
        reason_ids: Sequence[ReasonLike] = (),
        cursor: str = "",
        limit: int = 0,
    ) -> ChangesPage:
        """One page of the history, oldest first, as typed :class:`Change` values (only
        changes of ``types``, "ADJUSTMENT", "PHYSICAL_COUNT", "TRANSFER", touching
        ``states``, carrying one of ``reason_ids``, when given). Pass the returned ``cursor`` (with the same filters, or
        none) for the next page; it is ``""`` on the last one."""
        request = inventory_pb.BatchRetrieveInventoryChangesRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            types=_enum_list(change_type, types, "types"),
            states=_enum_list(state, states, "states"),
            reason_ids=[_reason_id(r, f"reason_ids[{i}]") for i, r in enumerate(reason_ids)],
            cursor=cursor,
            limit=limit,
        )
        if updated_after is not None:
            request.updated_after.CopyFrom(to_timestamp(updated_after, "updated_after"))
        if updated_before is not None:
            request.updated_before.CopyFrom(to_timestamp(updated_before, "updated_before"))
        response = self.inventory.BatchRetrieveInventoryChanges(request)
        return ChangesPage(changes=[Change.from_proto(c) for c in response.changes], cursor=response.cursor)

    @_translated
    def retrieve_inventory_adjustment(self, adjustment_id: str) -> Adjustment:
        """One adjustment by id."""
        request = inventory_pb.RetrieveInventoryAdjustmentRequest(adjustment_id=adjustment_id)
        return Adjustment.from_proto(self.inventory.RetrieveInventoryAdjustment(request).adjustment)

    @_translated
    def retrieve_inventory_physical_count(self, physical_count_id: str) -> PhysicalCount:
        """One physical count by id."""
        request = inventory_pb.RetrieveInventoryPhysicalCountRequest(physical_count_id=physical_count_id)
        return PhysicalCount.from_proto(self.inventory.RetrieveInventoryPhysicalCount(request).physical_count)

    @_translated
    def retrieve_inventory_transfer(self, transfer_id: str) -> Transfer:
        """One transfer by id."""
        request = inventory_pb.RetrieveInventoryTransferRequest(transfer_id=transfer_id)
        return Transfer.from_proto(self.inventory.RetrieveInventoryTransfer(request).transfer)

    def stream_inventory_changes(
        self,
        *,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        types: Sequence[str | int] = (),
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
            types=_enum_list(change_type, types, "types"),
            states=_enum_list(state, states, "states"),
            reason_ids=[_reason_id(r, f"reason_ids[{i}]") for i, r in enumerate(reason_ids)],
            cursor=cursor,
        )
        call = self.inventory.StreamInventoryChanges(request, timeout=timeout)
        return _follow(call, lambda m: StreamedChange(change=Change.from_proto(m.change), cursor=m.cursor))

    @_translated
    def import_inventory_changes(
        self,
        batches: Iterable[Iterable[inventory_pb.InventoryChange]],
        *,
        source: SourceApplication | None = None,
        timeout: float | None = None,
    ) -> ImportResult:
        """Streams recorded changes in, one message per batch (1–1000 changes, applied whole
        or not at all; build them with ``adjustment``, … and ``id=`` to keep an id). A
        change whose id the merchant already has is skipped, so sending the same batches
        again changes nothing. ``source`` is recorded on changes that carry none. Answers
        once every batch is sent: what was applied, already present and refused."""
        source_proto = None
        if source is not None:
            source_proto = _message(
                inventory_pb.SourceApplication,
                "source",
                product=product(source.product, "source.product"),
                application_id=source.application_id,
                name=source.name,
            )
        messages = []
        for batch in batches:
            message = inventory_pb.ImportInventoryChangesRequest(changes=list(batch))
            if source_proto is not None:
                message.source.CopyFrom(source_proto)
            messages.append(message)
        response = self.inventory.ImportInventoryChanges(iter(messages), timeout=timeout)
        return ImportResult.from_proto(response)

    @_translated
    def watch_inventory_changes(
        self,
        *,
        resume_token: str = "",
        from_beginning: bool = False,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        types: Sequence[str | int] = (),
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
            types=_enum_list(change_type, types, "types"),
            states=_enum_list(state, states, "states"),
            resume_token=resume_token,
        )
        if not resume_token:
            request.start = inventory_pb.WATCH_START_BEGINNING if from_beginning else inventory_pb.WATCH_START_NOW
        call = self.inventory.WatchInventoryChanges(request, timeout=timeout)
        _established(call)
        return _follow(
            call,
            lambda m: WatchedChange(
                change=Change.from_proto(m.change), sequence=m.sequence, resume_token=m.resume_token
            ),
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
            states=_enum_list(state, states, "states"),
            resume_token=resume_token,
        )
        if not resume_token:
            request.start = inventory_pb.WATCH_START_BEGINNING if from_beginning else inventory_pb.WATCH_START_NOW
        call = self.inventory.WatchInventoryCounts(request, timeout=timeout)
        _established(call)

        return _follow(call, CountUpdate.from_proto)

    @_translated
    def watch_inventory_alerts(
        self,
        *,
        resume_token: str = "",
        from_beginning: bool = False,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Iterator[Alert]:
        """The live feed of low-stock alerts (docs/alerts.md); same start and resume rules
        as ``watch_inventory_changes``."""
        request = inventory_pb.WatchInventoryAlertsRequest(
            catalog_object_ids=list(catalog_object_ids),
            location_ids=list(location_ids),
            resume_token=resume_token,
        )
        if not resume_token:
            request.start = inventory_pb.WATCH_START_BEGINNING if from_beginning else inventory_pb.WATCH_START_NOW
        call = self.inventory.WatchInventoryAlerts(request, timeout=timeout)
        _established(call)

        return _follow(call, Alert.from_proto)

    # --- reorder points ---

    @_translated
    def set_inventory_reorder_point(
        self, catalog_object_id: str, location_id: str, reorder_point: DecimalLike
    ) -> ReorderPointSet:
        """Sets (creates or replaces) the reorder point of an item at a location; the answer
        tells whether its IN_STOCK count there is low now."""
        request = inventory_pb.SetInventoryReorderPointRequest(
            catalog_object_id=catalog_object_id,
            location_id=location_id,
            reorder_point=to_wire_decimal(reorder_point, "reorder_point"),
        )
        return ReorderPointSet.from_proto(self.inventory.SetInventoryReorderPoint(request))

    @_translated
    def delete_inventory_reorder_point(self, catalog_object_id: str, location_id: str) -> None:
        """Deletes the reorder point of an item at a location (NOT_FOUND when none is set)."""
        request = inventory_pb.DeleteInventoryReorderPointRequest(
            catalog_object_id=catalog_object_id, location_id=location_id
        )
        self.inventory.DeleteInventoryReorderPoint(request)

    def list_inventory_reorder_points(
        self,
        *,
        catalog_object_ids: Sequence[str] = (),
        location_ids: Sequence[str] = (),
        page_size: int = 0,
    ) -> Iterator[ReorderPoint]:
        """Every reorder point, by item then location (pages are fetched as the generator
        advances), optionally only those of these items and at these locations."""
        request = inventory_pb.ListInventoryReorderPointsRequest(
            catalog_object_ids=list(catalog_object_ids), location_ids=list(location_ids), limit=page_size
        )
        pages = self._pages(self.inventory.ListInventoryReorderPoints, request, "reorder_points")
        return (ReorderPoint.from_proto(point) for point in pages)

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
                name=name, direction=reason_direction(direction, "adjustment_reason.direction")
            ),
        )
        return AdjustmentReason.from_proto(self.inventory.CreateInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def retrieve_inventory_adjustment_reason(self, reason: ReasonLike) -> AdjustmentReason:
        """One reason, standard or custom (a deleted custom one too)."""
        request = inventory_pb.RetrieveInventoryAdjustmentReasonRequest(reason_id=_reason_id(reason, "reason_id"))
        return AdjustmentReason.from_proto(self.inventory.RetrieveInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def update_inventory_adjustment_reason(self, reason: ReasonLike, *, name: str) -> AdjustmentReason:
        """Renames a custom reason that is not deleted (a deleted one: ``FAILED_PRECONDITION``)."""
        request = inventory_pb.UpdateInventoryAdjustmentReasonRequest(
            reason_id=_reason_id(reason, "reason_id"),
            adjustment_reason=_message(inventory_pb.InventoryAdjustmentReason, "adjustment_reason", name=name),
        )
        return AdjustmentReason.from_proto(self.inventory.UpdateInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def delete_inventory_adjustment_reason(self, reason: ReasonLike) -> AdjustmentReason:
        """Soft-deletes a custom reason: still retrievable and named by the changes that
        carry it, but a new change naming it raises ``INVALID_ARGUMENT``
        (``ADJUSTMENT_REASON_DELETED``)."""
        request = inventory_pb.DeleteInventoryAdjustmentReasonRequest(reason_id=_reason_id(reason, "reason_id"))
        return AdjustmentReason.from_proto(self.inventory.DeleteInventoryAdjustmentReason(request).adjustment_reason)

    @_translated
    def restore_inventory_adjustment_reason(self, reason: ReasonLike) -> AdjustmentReason:
        """Restores a soft-deleted custom reason (``ALREADY_EXISTS`` when a live reason
        has taken its name meanwhile)."""
        request = inventory_pb.RestoreInventoryAdjustmentReasonRequest(reason_id=_reason_id(reason, "reason_id"))
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
            lines=[_reservation_line(line, f"lines[{i}]") for i, line in enumerate(lines)],
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
                _message(
                    reservations_pb.CommitLine,
                    f"lines[{position}]",
                    line=index,
                    quantity=to_wire_decimal(quantity, f"lines[{position}].quantity"),
                )
                for position, (index, quantity) in enumerate((lines or {}).items())
            ],
        )
        if total_price is not None:
            request.total_price_money.CopyFrom(_money(total_price, "total_price_money"))
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
            limit=page_size,
            state=0 if state is None else reservation_state(state, "state"),
            reference_id=reference_id,
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
