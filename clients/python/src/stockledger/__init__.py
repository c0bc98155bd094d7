"""Python client for the Stockledger gRPC inventory ledger.

    import uuid, stockledger
    from decimal import Decimal

    with stockledger.Client("127.0.0.1:50051", token) as client:
        location = client.create_location(f"Corner Shop {uuid.uuid4().hex[:8]}")
        item = client.create_inventory_item(f"MUG-RED-{uuid.uuid4().hex[:8]}", cost=Decimal("4.50"))
        client.batch_change_inventory([
            stockledger.adjustment(item.id, location.id, "NONE", "IN_STOCK", 100),
        ])
        print(client.retrieve_inventory_count(item.id))

Every answer is a frozen dataclass of :mod:`stockledger.models` (its generated message in
``.proto``): quantities and money ``decimal.Decimal`` (never float), enum values short names
("IN_STOCK", "ADJUSTMENT"), timestamps aware ``datetime``. Every refusal raises
``StockledgerError``: the server's (a guard's: its subclasses ``QuantityMismatch`` and
``InsufficientQuantity``; a reservation's: ``ReservationNotHeld`` and
``ReservationExpired``) and the client's own before sending (``InvalidInput``: code
``INVALID_ARGUMENT``, a reason and the field path). The generated stubs are in ``stockledger.v1`` and reachable as
``client.inventory``, ``client.items``, ``client.locations`` and ``client.reservations``.
"""

from .client import Client, adjustment, change_id, physical_count, transfer
from .errors import (
    InsufficientQuantity,
    InvalidInput,
    QuantityMismatch,
    ReservationExpired,
    ReservationNotHeld,
    ReservationRefusal,
    StockledgerError,
)
from .models import (
    EXPECT_ABSENT,
    Adjustment,
    AdjustmentReason,
    Alert,
    BatchChangeResult,
    Change,
    ChangesPage,
    CountryHarmonizedSystemCode,
    CountUpdate,
    ImportResult,
    InventoryCount,
    InventoryItem,
    Location,
    Money,
    PhysicalCount,
    ReasonId,
    RefusedChange,
    ReorderPoint,
    ReorderPointSet,
    Reservation,
    ReservationLine,
    SourceApplication,
    StreamedChange,
    Transfer,
    WatchedChange,
)
from .values import (
    MAX_PLACES,
    change_type,
    change_type_name,
    enum_number,
    from_timestamp,
    from_wire_decimal,
    reason_type,
    reason_type_name,
    state,
    state_name,
    to_timestamp,
    to_wire_decimal,
)

__all__ = [
    "Adjustment",
    "AdjustmentReason",
    "Alert",
    "BatchChangeResult",
    "Change",
    "ChangesPage",
    "Client",
    "CountUpdate",
    "CountryHarmonizedSystemCode",
    "EXPECT_ABSENT",
    "ImportResult",
    "InsufficientQuantity",
    "InvalidInput",
    "InventoryCount",
    "InventoryItem",
    "Location",
    "MAX_PLACES",
    "Money",
    "PhysicalCount",
    "QuantityMismatch",
    "ReasonId",
    "RefusedChange",
    "ReorderPoint",
    "ReorderPointSet",
    "Reservation",
    "ReservationExpired",
    "ReservationLine",
    "ReservationNotHeld",
    "ReservationRefusal",
    "SourceApplication",
    "StockledgerError",
    "StreamedChange",
    "Transfer",
    "WatchedChange",
    "adjustment",
    "change_id",
    "change_type",
    "change_type_name",
    "enum_number",
    "from_timestamp",
    "from_wire_decimal",
    "physical_count",
    "reason_type",
    "reason_type_name",
    "state",
    "state_name",
    "to_timestamp",
    "to_wire_decimal",
    "transfer",
]
