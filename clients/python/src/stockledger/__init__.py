"""Python client for the Stockledger gRPC inventory ledger.

    import stockledger
    from decimal import Decimal

    with stockledger.Client("127.0.0.1:50051", token) as client:
        location = client.create_location("Corner Shop")
        item = client.create_inventory_item("MUG-RED", cost=Decimal("4.50"))
        client.batch_change_inventory([
            stockledger.adjustment(item.id, location.id, "NONE", "IN_STOCK", 100),
        ])
        print(client.retrieve_inventory_count(item.id))

Quantities and money are ``decimal.Decimal`` (never float), timestamps aware ``datetime``,
and every refused call raises ``StockledgerError`` (a guard's refusal: its subclasses
``QuantityMismatch`` and ``InsufficientQuantity``; a reservation's: ``ReservationNotHeld``
and ``ReservationExpired``). The generated stubs are in ``stockledger.v1`` and reachable as
``client.inventory``, ``client.items``, ``client.locations`` and ``client.reservations``.
"""

from .client import (
    EXPECT_ABSENT,
    AdjustmentReason,
    BatchChangeResult,
    ChangesPage,
    Client,
    CountUpdate,
    InventoryCount,
    ReasonId,
    Reservation,
    ReservationLine,
    StreamedChange,
    WatchedChange,
    adjustment,
    change_id,
    physical_count,
    reason_type,
    reason_type_name,
    transfer,
)
from .errors import (
    InsufficientQuantity,
    QuantityMismatch,
    ReservationExpired,
    ReservationNotHeld,
    ReservationRefusal,
    StockledgerError,
)
from .values import (
    MAX_PLACES,
    from_timestamp,
    from_wire_decimal,
    state,
    state_name,
    to_timestamp,
    to_wire_decimal,
)

__all__ = [
    "AdjustmentReason",
    "BatchChangeResult",
    "ChangesPage",
    "Client",
    "CountUpdate",
    "EXPECT_ABSENT",
    "InsufficientQuantity",
    "InventoryCount",
    "MAX_PLACES",
    "QuantityMismatch",
    "ReasonId",
    "Reservation",
    "ReservationExpired",
    "ReservationLine",
    "ReservationNotHeld",
    "ReservationRefusal",
    "StockledgerError",
    "StreamedChange",
    "WatchedChange",
    "adjustment",
    "change_id",
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
