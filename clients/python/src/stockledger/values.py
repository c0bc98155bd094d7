"""Wire conversions: exact decimals, timestamps and state names.

Quantities and money travel as decimal strings with at most five digits after the point
and no exponent ("94", "2.5", "0.00001"). Here they are ``decimal.Decimal``, never
``float``: a float is refused with ``TypeError`` because it cannot hold most decimals
exactly. Timestamps are timezone-aware ``datetime`` values.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any, Union

from google.protobuf.timestamp_pb2 import Timestamp

from .v1 import inventory_pb2 as _inventory_pb2

#: Digits allowed after the decimal point on the wire.
MAX_PLACES = 5

#: What :func:`to_wire_decimal` accepts.
DecimalLike = Union[Decimal, int, str]


def to_wire_decimal(value: DecimalLike) -> str:
    """Formats ``value`` as a wire decimal string ("25", "2.5", "-0.00001").

    Accepts a ``Decimal``, an ``int`` or a decimal string. Trailing zeros are dropped
    (``Decimal("25.00")`` → ``"25"``), so a value is refused only when it really needs
    more than five places (``ValueError``). ``float`` and ``bool`` raise ``TypeError``.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(
            f"{type(value).__name__} is not exact: pass a decimal.Decimal, an int or a decimal string"
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    else:
        raise TypeError(f"expected decimal.Decimal, int or str, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if number == 0:
        return "0"
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -MAX_PLACES:
        raise ValueError(f"{value!r} has more than {MAX_PLACES} digits after the decimal point")
    # Enough precision for any finite Decimal written out in full, whatever the context.
    return format(normal, "f")


def from_wire_decimal(text: str) -> Decimal | None:
    """Parses a wire decimal string; ``""`` (an unset field such as a missing cost) is
    ``None``. Raises ``ValueError`` on anything else that is not a plain decimal."""
    if text == "":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal string: {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a decimal string: {text!r}")
    return number


def to_timestamp(value: _dt.datetime) -> Timestamp:
    """A timezone-aware ``datetime`` as a protobuf Timestamp (naive ones are refused:
    ``ValueError``, since their instant is ambiguous)."""
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"expected datetime.datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (e.g. datetime.now(timezone.utc))")
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


def enum_number(enum: Any, prefix: str, value: str | int, kind: str, full_kind: str) -> int:
    """A value of the generated ``enum`` whose names start with ``prefix``, by short name
    ("IN_STOCK"), full name or number; a bool is a ``TypeError`` ("expected a ``kind`` name
    or number"), an unknown name a ``ValueError`` ("unknown ``full_kind``")."""
    if isinstance(value, bool):
        raise TypeError(f"expected a {kind} name or number")
    if isinstance(value, int):
        return value
    name = value.upper()
    if not name.startswith(prefix):
        name = prefix + name
    try:
        return enum.Value(name)
    except ValueError:
        raise ValueError(f"unknown {full_kind} {value!r}") from None


def state(value: str | int) -> int:
    """An InventoryState by short name ("IN_STOCK"), full name
    ("INVENTORY_STATE_IN_STOCK") or number."""
    return enum_number(
        _inventory_pb2.InventoryState, "INVENTORY_STATE_", value, "state", "inventory state"
    )


def state_name(value: int) -> str:
    """The short name of an InventoryState number ("IN_STOCK")."""
    return _inventory_pb2.InventoryState.Name(value).removeprefix("INVENTORY_STATE_")
