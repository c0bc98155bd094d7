"""Wire conversions: exact decimals, timestamps and enum names.

Quantities and money travel as decimal strings with at most five digits after the point
and no exponent ("94", "2.5", "0.00001"). Here they are ``decimal.Decimal``, never
``float``: a float is refused because it cannot hold most decimals exactly. Timestamps are
timezone-aware ``datetime`` values; enum values are short names ("IN_STOCK").

Every refused input raises :class:`~stockledger.InvalidInput`, a ``StockledgerError`` with
code ``INVALID_ARGUMENT``, a reason and the field path, as the server would refuse it.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any, Union

from google.protobuf.timestamp_pb2 import Timestamp

from .errors import InvalidInput
from .v1 import inventory_pb2 as _inventory_pb2
from .v1 import location_pb2 as _location_pb2
from .v1 import reservation_pb2 as _reservation_pb2

#: Digits allowed after the decimal point on the wire.
MAX_PLACES = 5

#: What :func:`to_wire_decimal` accepts.
DecimalLike = Union[Decimal, int, str]


def to_wire_decimal(value: DecimalLike, field: str = "") -> str:
    """Formats ``value`` as a wire decimal string ("25", "2.5", "-0.00001").

    Accepts a ``Decimal``, an ``int`` or a decimal string. Trailing zeros are dropped
    (``Decimal("25.00")`` → ``"25"``), so a value is refused only when it really needs
    more than five places. A refused value (not a number, more than five places, a
    ``float`` or a ``bool``) raises :class:`InvalidInput` naming ``field``.
    """
    if isinstance(value, (bool, float)):
        raise InvalidInput(
            field,
            f"must be a decimal.Decimal, an int or a decimal string, not {type(value).__name__} "
            "(which is not exact)",
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(field, f"is not a decimal number: {value!r}") from None
    else:
        raise InvalidInput(field, f"must be a decimal.Decimal, an int or a decimal string, not {type(value).__name__}")
    if not number.is_finite():
        raise InvalidInput(field, f"is not a finite number: {value!r}")
    if number == 0:
        return "0"
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -MAX_PLACES:
        raise InvalidInput(field, f"must have at most {MAX_PLACES} digits after the decimal point: {value!r}")
    # Enough precision for any finite Decimal written out in full, whatever the context.
    return format(normal, "f")


def from_wire_decimal(text: str, field: str = "") -> Decimal | None:
    """Parses a wire decimal string; ``""`` (an unset field such as a missing cost) is
    ``None``. Anything else that is not a plain decimal raises :class:`InvalidInput`."""
    if text == "":
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError):
        raise InvalidInput(field, f"is not a decimal string: {text!r}") from None
    if not number.is_finite():
        raise InvalidInput(field, f"is not a decimal string: {text!r}")
    return number


def to_timestamp(value: _dt.datetime, field: str = "") -> Timestamp:
    """A timezone-aware ``datetime`` as a protobuf Timestamp. Anything else, a naive
    ``datetime`` too (its instant is ambiguous), raises :class:`InvalidInput`."""
    if not isinstance(value, _dt.datetime):
        raise InvalidInput(field, f"must be a datetime.datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, "must be timezone-aware (e.g. datetime.now(timezone.utc))")
    delta = value - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    seconds = delta.days * 86400 + delta.seconds
    return Timestamp(seconds=seconds, nanos=delta.microseconds * 1000)


def from_timestamp(value: Timestamp | None) -> _dt.datetime | None:
    """A protobuf Timestamp as an aware UTC ``datetime`` (microsecond precision);
    ``None`` for ``None``."""
    if value is None:
        return None
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(
        seconds=value.seconds, microseconds=value.nanos // 1000
    )


def enum_number(enum: Any, prefix: str, value: str | int, kind: str, full_kind: str, field: str = "") -> int:
    """A value of the generated ``enum`` whose names start with ``prefix``, by short name
    ("IN_STOCK", any case), full name or number. Anything else (an unknown name, a bool,
    ``None``) raises :class:`InvalidInput` naming ``field`` (reason
    ``INVALID_ENUM_VALUE``)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput(
            field, f"must be a {kind} name or number, not {type(value).__name__}", reason="INVALID_ENUM_VALUE"
        )
    if isinstance(value, int):
        return value
    name = value.strip().upper()
    if not name.startswith(prefix):
        name = prefix + name
    try:
        return enum.Value(name)
    except ValueError:
        known = ", ".join(n.removeprefix(prefix) for n in enum.keys() if not n.endswith("_UNSPECIFIED"))
        raise InvalidInput(
            field, f"unknown {full_kind} {value!r} (one of {known})", reason="INVALID_ENUM_VALUE"
        ) from None


def enum_name(enum: Any, prefix: str, number: int) -> str:
    """The short name of ``number`` in the generated ``enum`` ("IN_STOCK"); a number this
    client does not know (a newer server's) is its decimal text ("42")."""
    try:
        return enum.Name(number).removeprefix(prefix)
    except ValueError:
        return str(number)


_STATE = (_inventory_pb2.InventoryState, "INVENTORY_STATE_")
_CHANGE_TYPE = (_inventory_pb2.InventoryChangeType, "INVENTORY_CHANGE_TYPE_")
_REASON_TYPE = (_inventory_pb2.InventoryAdjustmentReasonType, "INVENTORY_ADJUSTMENT_REASON_TYPE_")
_REASON_DIRECTION = (_inventory_pb2.InventoryAdjustmentReasonDirection, "INVENTORY_ADJUSTMENT_REASON_DIRECTION_")
_PRODUCT = (_inventory_pb2.Product, "PRODUCT_")
_LOCATION_STATUS = (_location_pb2.LocationStatus, "LOCATION_STATUS_")
_RESERVATION_STATE = (_reservation_pb2.ReservationState, "RESERVATION_STATE_")


def state(value: str | int, field: str = "") -> int:
    """An InventoryState by short name ("IN_STOCK"), full name
    ("INVENTORY_STATE_IN_STOCK") or number."""
    return enum_number(*_STATE, value, "state", "inventory state", field)


def state_name(value: int) -> str:
    """The short name of an InventoryState number ("IN_STOCK")."""
    return enum_name(*_STATE, value)


def change_type(value: str | int, field: str = "") -> int:
    """An InventoryChangeType by short name ("ADJUSTMENT", "PHYSICAL_COUNT",
    "TRANSFER"), full name or number."""
    return enum_number(*_CHANGE_TYPE, value, "change type", "inventory change type", field)


def change_type_name(value: int) -> str:
    """The short name of an InventoryChangeType number ("ADJUSTMENT")."""
    return enum_name(*_CHANGE_TYPE, value)


def reason_type(value: str | int, field: str = "") -> int:
    """An InventoryAdjustmentReasonType by short name ("DAMAGED"), full name
    ("INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED") or number."""
    return enum_number(*_REASON_TYPE, value, "reason type", "adjustment reason type", field)


def reason_type_name(value: int) -> str:
    """The short name of an InventoryAdjustmentReasonType number ("DAMAGED")."""
    return enum_name(*_REASON_TYPE, value)


def reason_direction(value: str | int, field: str = "") -> int:
    """An InventoryAdjustmentReasonDirection by short name ("INCREASE", "DECREASE"),
    full name or number."""
    return enum_number(*_REASON_DIRECTION, value, "reason direction", "adjustment reason direction", field)


def reason_direction_name(value: int) -> str:
    """The short name of an InventoryAdjustmentReasonDirection number ("INCREASE")."""
    return enum_name(*_REASON_DIRECTION, value)


def product(value: str | int, field: str = "") -> int:
    """A Product by short name ("EXTERNAL_API"), full name or number."""
    return enum_number(*_PRODUCT, value, "product", "product", field)


def product_name(value: int) -> str:
    """The short name of a Product number ("EXTERNAL_API")."""
    return enum_name(*_PRODUCT, value)


def location_status(value: str | int, field: str = "") -> int:
    """A LocationStatus by short name ("ACTIVE", "INACTIVE"), full name or number."""
    return enum_number(*_LOCATION_STATUS, value, "location status", "location status", field)


def location_status_name(value: int) -> str:
    """The short name of a LocationStatus number ("ACTIVE")."""
    return enum_name(*_LOCATION_STATUS, value)


def reservation_state(value: str | int, field: str = "") -> int:
    """A ReservationState by short name ("HELD"), full name or number."""
    return enum_number(*_RESERVATION_STATE, value, "reservation state", "reservation state", field)


def reservation_state_name(value: int) -> str:
    """The short name of a ReservationState number ("HELD")."""
    return enum_name(*_RESERVATION_STATE, value)
