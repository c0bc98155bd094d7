"""The typed answers of every ``Client`` method: small frozen dataclasses.

Quantities and money are exact ``decimal.Decimal``, enum values short names
(``"IN_STOCK"``, ``"ADJUSTMENT"``, ``"HELD"``), times aware UTC ``datetime`` (``None`` when
unset), nested messages typed too. Each record built from a response (not the small pieces
such as ``Money``, ``ReasonId`` or ``ReservationLine``) keeps the generated message it came
from in ``proto`` (left out of ``==`` and ``repr``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional, Union

import grpc

from .errors import StockledgerError
from .v1 import inventory_item_pb2 as items_pb
from .v1 import inventory_pb2 as inventory_pb
from .v1 import location_pb2 as locations_pb
from .v1 import reservation_pb2 as reservations_pb
from .values import (
    change_type_name,
    from_timestamp,
    from_wire_decimal,
    location_status_name,
    product_name,
    reason_direction_name,
    reason_type,
    reason_type_name,
    reservation_state_name,
    state_name,
)


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


def _proto_field() -> Any:
    return field(default=None, compare=False, repr=False)


def _when(message: Any, name: str) -> Optional[_dt.datetime]:
    """The timestamp field ``name`` of ``message`` as a datetime, ``None`` when unset."""
    return from_timestamp(getattr(message, name)) if message.HasField(name) else None


def _quantity(text: str) -> Decimal:
    """A wire quantity from the server; an empty one is 0."""
    return _server_decimal(text) or Decimal(0)


def _server_decimal(text: str) -> Optional[Decimal]:
    try:
        return from_wire_decimal(text)
    except StockledgerError:
        # Not the caller's input: the server sent something that is not a decimal.
        raise StockledgerError(
            grpc.StatusCode.INTERNAL, f"the server sent a quantity that is not a decimal: {text!r}"
        ) from None


# --- shared pieces ----------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount of money: ``amount`` exact, ``currency`` ISO 4217 ("EUR")."""

    amount: Decimal
    currency: str

    @classmethod
    def from_proto(cls, money: inventory_pb.Money) -> "Money":
        return cls(amount=_quantity(money.amount), currency=money.currency)


def _money(message: Any, name: str) -> Optional[Money]:
    return Money.from_proto(getattr(message, name)) if message.HasField(name) else None


@dataclass(frozen=True)
class SourceApplication:
    """Which product made a change: ``product`` a short name ("EXTERNAL_API")."""

    product: str
    application_id: str
    name: str

    @classmethod
    def from_proto(cls, source: inventory_pb.SourceApplication) -> "SourceApplication":
        return cls(product=product_name(source.product), application_id=source.application_id, name=source.name)


def _source(message: Any) -> Optional[SourceApplication]:
    return SourceApplication.from_proto(message.source) if message.HasField("source") else None


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
    def from_proto(cls, reason_id: "inventory_pb.InventoryAdjustmentReasonId | ReasonId") -> "ReasonId":
        """From the generated message (a ``ReasonId`` is returned as it is)."""
        if isinstance(reason_id, ReasonId):
            return reason_id
        return cls(reason_type_name(reason_id.type), reason_id.custom_reason_id)

    def to_proto(self, field: str = "") -> inventory_pb.InventoryAdjustmentReasonId:
        return inventory_pb.InventoryAdjustmentReasonId(
            type=reason_type(self.type, f"{field}.type" if field else "type"),
            custom_reason_id=self.custom_reason_id,
        )


def _reason_of(message: Any) -> Optional[ReasonId]:
    return ReasonId.from_proto(message.reason_id) if message.HasField("reason_id") else None


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
    proto: Optional[inventory_pb.InventoryAdjustmentReason] = _proto_field()

    @classmethod
    def from_proto(cls, reason: inventory_pb.InventoryAdjustmentReason) -> "AdjustmentReason":
        return cls(
            id=ReasonId.from_proto(reason.id),
            name=reason.name,
            direction=reason_direction_name(reason.direction),
            created_at=_when(reason, "created_at"),
            updated_at=_when(reason, "updated_at"),
            is_deleted=reason.is_deleted,
            proto=reason,
        )


# --- locations and items ------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A place that holds stock: ``status`` is "ACTIVE" or "INACTIVE"."""

    id: str
    name: str
    status: str
    description: str
    forbid_negative_counts: bool
    created_at: Optional[_dt.datetime]
    updated_at: Optional[_dt.datetime]
    proto: Optional[locations_pb.Location] = _proto_field()

    @classmethod
    def from_proto(cls, location: locations_pb.Location) -> "Location":
        return cls(
            id=location.id,
            name=location.name,
            status=location_status_name(location.status),
            description=location.description,
            forbid_negative_counts=location.forbid_negative_counts,
            created_at=_when(location, "created_at"),
            updated_at=_when(location, "updated_at"),
            proto=location,
        )


@dataclass(frozen=True)
class CountryHarmonizedSystemCode:
    """An item's customs code for one country."""

    country_code: str
    harmonized_system_code: str


@dataclass(frozen=True)
class InventoryItem:
    """A physical good whose stock is tracked: ``cost`` a ``Decimal`` or ``None`` when
    unknown; ``tracked`` and ``requires_shipping`` are ``None`` only if the server did not
    say."""

    id: str
    sku: str
    cost: Optional[Decimal]
    tracked: Optional[bool]
    requires_shipping: Optional[bool]
    country_code_of_origin: str
    province_code_of_origin: str
    harmonized_system_code: str
    country_harmonized_system_codes: list[CountryHarmonizedSystemCode]
    created_at: Optional[_dt.datetime]
    updated_at: Optional[_dt.datetime]
    proto: Optional[items_pb.InventoryItem] = _proto_field()

    @classmethod
    def from_proto(cls, item: items_pb.InventoryItem) -> "InventoryItem":
        return cls(
            id=item.id,
            sku=item.sku,
            cost=_server_decimal(item.cost),
            tracked=item.tracked if item.HasField("tracked") else None,
            requires_shipping=item.requires_shipping if item.HasField("requires_shipping") else None,
            country_code_of_origin=item.country_code_of_origin,
            province_code_of_origin=item.province_code_of_origin,
            harmonized_system_code=item.harmonized_system_code,
            country_harmonized_system_codes=[
                CountryHarmonizedSystemCode(c.country_code, c.harmonized_system_code)
                for c in item.country_harmonized_system_codes
            ],
            created_at=_when(item, "created_at"),
            updated_at=_when(item, "updated_at"),
            proto=item,
        )


# --- the ledger ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryCount:
    """The current quantity of one item in one state at one location."""

    catalog_object_id: str
    location_id: str
    state: str  # short name: "IN_STOCK", "WASTE", "DAMAGED", …
    quantity: Decimal
    calculated_at: Optional[_dt.datetime]
    catalog_object_type: str = ""
    is_estimated: bool = False
    proto: Optional[inventory_pb.InventoryCount] = _proto_field()

    @classmethod
    def from_proto(cls, count: inventory_pb.InventoryCount) -> "InventoryCount":
        return cls(
            catalog_object_id=count.catalog_object_id,
            location_id=count.location_id,
            state=state_name(count.state),
            quantity=_quantity(count.quantity),
            calculated_at=_when(count, "calculated_at"),
            catalog_object_type=count.catalog_object_type,
            is_estimated=count.is_estimated,
            proto=count,
        )


@dataclass(frozen=True)
class Adjustment:
    """Units moved from one state to another at one location: ``from_state`` and
    ``to_state`` short names ("NONE", "IN_STOCK", "SOLD", …)."""

    id: str
    catalog_object_id: str
    location_id: str
    from_state: str
    to_state: str
    quantity: Decimal
    occurred_at: Optional[_dt.datetime]
    created_at: Optional[_dt.datetime]
    reason_id: Optional[ReasonId]
    total_price_money: Optional[Money]
    cost_money: Optional[Money]
    vendor_id: str
    reference_id: str
    catalog_object_type: str
    source: Optional[SourceApplication]
    employee_id: str
    team_member_id: str
    transaction_id: str
    refund_id: str
    purchase_order_id: str
    goods_receipt_id: str
    reservation_id: str
    proto: Optional[inventory_pb.InventoryAdjustment] = _proto_field()

    @classmethod
    def from_proto(cls, adjustment: inventory_pb.InventoryAdjustment) -> "Adjustment":
        a = adjustment
        return cls(
            id=a.id,
            catalog_object_id=a.catalog_object_id,
            location_id=a.location_id,
            from_state=state_name(a.from_state),
            to_state=state_name(a.to_state),
            quantity=_quantity(a.quantity),
            occurred_at=_when(a, "occurred_at"),
            created_at=_when(a, "created_at"),
            reason_id=_reason_of(a),
            total_price_money=_money(a, "total_price_money"),
            cost_money=_money(a, "cost_money"),
            vendor_id=a.vendor_id,
            reference_id=a.reference_id,
            catalog_object_type=a.catalog_object_type,
            source=_source(a),
            employee_id=a.employee_id,
            team_member_id=a.team_member_id,
            transaction_id=a.transaction_id,
            refund_id=a.refund_id,
            purchase_order_id=a.purchase_order_id,
            goods_receipt_id=a.goods_receipt_id,
            reservation_id=a.reservation_id,
            proto=a,
        )


@dataclass(frozen=True)
class PhysicalCount:
    """A count of the units in one state at one location (``state`` a short name)."""

    id: str
    catalog_object_id: str
    location_id: str
    state: str
    quantity: Decimal
    occurred_at: Optional[_dt.datetime]
    created_at: Optional[_dt.datetime]
    reason_id: Optional[ReasonId]
    reference_id: str
    catalog_object_type: str
    source: Optional[SourceApplication]
    employee_id: str
    team_member_id: str
    proto: Optional[inventory_pb.InventoryPhysicalCount] = _proto_field()

    @classmethod
    def from_proto(cls, count: inventory_pb.InventoryPhysicalCount) -> "PhysicalCount":
        return cls(
            id=count.id,
            catalog_object_id=count.catalog_object_id,
            location_id=count.location_id,
            state=state_name(count.state),
            quantity=_quantity(count.quantity),
            occurred_at=_when(count, "occurred_at"),
            created_at=_when(count, "created_at"),
            reason_id=_reason_of(count),
            reference_id=count.reference_id,
            catalog_object_type=count.catalog_object_type,
            source=_source(count),
            employee_id=count.employee_id,
            team_member_id=count.team_member_id,
            proto=count,
        )


@dataclass(frozen=True)
class Transfer:
    """Units in one state moved between two locations (``state`` a short name)."""

    id: str
    catalog_object_id: str
    from_location_id: str
    to_location_id: str
    state: str
    quantity: Decimal
    occurred_at: Optional[_dt.datetime]
    created_at: Optional[_dt.datetime]
    reason_id: Optional[ReasonId]
    reference_id: str
    catalog_object_type: str
    source: Optional[SourceApplication]
    employee_id: str
    team_member_id: str
    proto: Optional[inventory_pb.InventoryTransfer] = _proto_field()

    @classmethod
    def from_proto(cls, moved: inventory_pb.InventoryTransfer) -> "Transfer":
        return cls(
            id=moved.id,
            catalog_object_id=moved.catalog_object_id,
            from_location_id=moved.from_location_id,
            to_location_id=moved.to_location_id,
            state=state_name(moved.state),
            quantity=_quantity(moved.quantity),
            occurred_at=_when(moved, "occurred_at"),
            created_at=_when(moved, "created_at"),
            reason_id=_reason_of(moved),
            reference_id=moved.reference_id,
            catalog_object_type=moved.catalog_object_type,
            source=_source(moved),
            employee_id=moved.employee_id,
            team_member_id=moved.team_member_id,
            proto=moved,
        )


#: What a change is made of.
ChangeMember = Union[Adjustment, PhysicalCount, Transfer]


@dataclass(frozen=True)
class Change:
    """One recorded change: ``type`` is "ADJUSTMENT", "PHYSICAL_COUNT" or "TRANSFER" and
    the matching one of ``adjustment``, ``physical_count``, ``transfer`` is set (``member``
    is whichever it is). (A change's guard, ``expected_quantity``, is never in responses.)"""

    type: str
    adjustment: Optional[Adjustment]
    physical_count: Optional[PhysicalCount]
    transfer: Optional[Transfer]
    proto: Optional[inventory_pb.InventoryChange] = _proto_field()

    @classmethod
    def from_proto(cls, change: inventory_pb.InventoryChange) -> "Change":
        return cls(
            type=change_type_name(change.type),
            adjustment=Adjustment.from_proto(change.adjustment) if change.HasField("adjustment") else None,
            physical_count=(
                PhysicalCount.from_proto(change.physical_count) if change.HasField("physical_count") else None
            ),
            transfer=Transfer.from_proto(change.transfer) if change.HasField("transfer") else None,
            proto=change,
        )

    @property
    def member(self) -> Optional[ChangeMember]:
        """The adjustment, physical count or transfer that is set."""
        return self.adjustment or self.physical_count or self.transfer

    @property
    def id(self) -> str:
        """The member's id ("" when none is set)."""
        member = self.member
        return member.id if member else ""

    @property
    def quantity(self) -> Optional[Decimal]:
        """The member's quantity."""
        member = self.member
        return member.quantity if member else None


@dataclass(frozen=True)
class BatchChangeResult:
    """What BatchChangeInventory returned: the touched counts and the recorded changes."""

    counts: list[InventoryCount]
    changes: list[Change]

    def quantity(self, state_: str, location_id: str | None = None) -> Decimal | None:
        """The quantity in ``state_`` ("IN_STOCK") among the returned counts, if present."""
        for count in self.counts:
            if count.state == state_ and (location_id is None or count.location_id == location_id):
                return count.quantity
        return None


@dataclass(frozen=True)
class ChangesPage:
    """One page of BatchRetrieveInventoryChanges; ``cursor`` is ``""`` on the last page."""

    changes: list[Change]
    cursor: str


@dataclass(frozen=True)
class StreamedChange:
    """One message of StreamInventoryChanges; pass ``cursor`` to resume after it."""

    change: Change
    cursor: str


@dataclass(frozen=True)
class WatchedChange:
    """One message of WatchInventoryChanges; pass ``resume_token`` to resume after it."""

    change: Change
    sequence: int
    resume_token: str


@dataclass(frozen=True)
class CountUpdate:
    """One message of WatchInventoryCounts: the count after ``change_id`` (of
    ``change_type``, "ADJUSTMENT", …) was applied."""

    catalog_object_id: str
    location_id: str
    state: str
    previous_quantity: Optional[Decimal]  # None when the count did not exist before
    quantity: Decimal
    calculated_at: Optional[_dt.datetime]
    change_id: str
    sequence: int
    resume_token: str
    change_type: str = ""
    catalog_object_type: str = ""
    proto: Optional[inventory_pb.WatchInventoryCountsResponse] = _proto_field()

    @classmethod
    def from_proto(cls, message: inventory_pb.WatchInventoryCountsResponse) -> "CountUpdate":
        update = message.update
        return cls(
            catalog_object_id=update.catalog_object_id,
            location_id=update.location_id,
            state=state_name(update.state),
            previous_quantity=_server_decimal(update.previous_quantity),
            quantity=_quantity(update.quantity),
            calculated_at=_when(update, "calculated_at"),
            change_id=update.change_id,
            sequence=message.sequence,
            resume_token=message.resume_token,
            change_type=change_type_name(update.change_type),
            catalog_object_type=update.catalog_object_type,
            proto=message,
        )


@dataclass(frozen=True)
class ReorderPoint:
    """The reorder point of an item at a location: its IN_STOCK count there is low at or
    below ``reorder_point``."""

    catalog_object_id: str
    location_id: str
    reorder_point: Decimal
    updated_at: Optional[_dt.datetime]
    proto: Optional[inventory_pb.InventoryReorderPoint] = _proto_field()

    @classmethod
    def from_proto(cls, message: inventory_pb.InventoryReorderPoint) -> "ReorderPoint":
        return cls(
            catalog_object_id=message.catalog_object_id,
            location_id=message.location_id,
            reorder_point=_quantity(message.reorder_point),
            updated_at=_when(message, "updated_at"),
            proto=message,
        )


@dataclass(frozen=True)
class ReorderPointSet:
    """What SetInventoryReorderPoint answered: the point, the IN_STOCK quantity now (None
    when the count does not exist, read as 0) and whether it is low now."""

    reorder_point: ReorderPoint
    quantity: Optional[Decimal]
    low: bool
    proto: Optional[inventory_pb.SetInventoryReorderPointResponse] = _proto_field()

    @classmethod
    def from_proto(cls, message: inventory_pb.SetInventoryReorderPointResponse) -> "ReorderPointSet":
        return cls(
            reorder_point=ReorderPoint.from_proto(message.reorder_point),
            quantity=_server_decimal(message.quantity),
            low=message.low,
            proto=message,
        )


@dataclass(frozen=True)
class Alert:
    """One message of WatchInventoryAlerts: ``kind`` "LOW" (the IN_STOCK count went to or
    below its reorder point) or "RECOVERED" (back above it), made by change ``change_id``."""

    catalog_object_id: str
    location_id: str
    kind: str
    quantity: Decimal
    reorder_point: Decimal
    change_id: str
    occurred_at: Optional[_dt.datetime]
    calculated_at: Optional[_dt.datetime]
    sequence: int
    resume_token: str
    proto: Optional[inventory_pb.WatchInventoryAlertsResponse] = _proto_field()

    @classmethod
    def from_proto(cls, message: inventory_pb.WatchInventoryAlertsResponse) -> "Alert":
        alert = message.alert
        kind = inventory_pb.InventoryAlertKind.Name(alert.kind).removeprefix("INVENTORY_ALERT_KIND_")
        return cls(
            catalog_object_id=alert.catalog_object_id,
            location_id=alert.location_id,
            kind=kind,
            quantity=_quantity(alert.quantity),
            reorder_point=_quantity(alert.reorder_point),
            change_id=alert.change_id,
            occurred_at=_when(alert, "occurred_at"),
            calculated_at=_when(alert, "calculated_at"),
            sequence=message.sequence,
            resume_token=message.resume_token,
            proto=message,
        )


@dataclass(frozen=True)
class RefusedChange:
    """A change ImportInventoryChanges refused (with its whole batch): ``index`` counts
    from 0 over the stream, ``field`` is the path inside the change
    (``"adjustment.quantity"``; ``""`` for the change as a whole), ``reason`` as in
    ErrorInfo."""

    index: int
    field: str
    reason: str
    description: str


@dataclass(frozen=True)
class ImportResult:
    """What ImportInventoryChanges did: changes ``applied`` now, ``already_present``
    (their id was known), ``refused``, and ``held_back`` (good, but in a refused batch)."""

    applied: int
    already_present: int
    refused: int
    held_back: int
    refused_changes: list[RefusedChange]
    proto: Optional[inventory_pb.ImportInventoryChangesResponse] = _proto_field()

    @classmethod
    def from_proto(cls, response: inventory_pb.ImportInventoryChangesResponse) -> "ImportResult":
        return cls(
            applied=response.applied,
            already_present=response.already_present,
            refused=response.refused,
            held_back=response.held_back,
            refused_changes=[
                RefusedChange(r.index, r.field, r.reason, r.description) for r in response.refused_changes
            ],
            proto=response,
        )


# --- reservations -------------------------------------------------------------------------


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
            quantity=_quantity(line.quantity),
            committed_quantity=_quantity(line.committed_quantity),
            released_quantity=_quantity(line.released_quantity),
            held_quantity=_quantity(line.held_quantity),
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
    proto: Optional[reservations_pb.Reservation] = _proto_field()

    @classmethod
    def from_proto(cls, reservation: reservations_pb.Reservation) -> "Reservation":
        return cls(
            id=reservation.id,
            state=reservation_state_name(reservation.state),
            lines=[ReservationLine.from_proto(line) for line in reservation.lines],
            reference_id=reservation.reference_id,
            expires_at=_when(reservation, "expires_at"),
            created_at=_when(reservation, "created_at"),
            updated_at=_when(reservation, "updated_at"),
            proto=reservation,
        )
