"""Unit tests of the wire conversions (no server needed)."""

import datetime as dt
from decimal import Decimal

import pytest

from stockledger import (
    adjustment,
    from_timestamp,
    from_wire_decimal,
    state,
    state_name,
    to_timestamp,
    to_wire_decimal,
)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("94"), "94"),
        (Decimal("25.00"), "25"),
        (Decimal("2.5"), "2.5"),
        (Decimal("0.00001"), "0.00001"),
        (Decimal("-3.14159"), "-3.14159"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.100000"), "1.1"),
        (Decimal("-0"), "0"),
        (Decimal("0.00000"), "0"),
        (Decimal("12345678901234.56789"), "12345678901234.56789"),
        (100, "100"),
        (-7, "-7"),
        ("93", "93"),
        ("0.10", "0.1"),
    ],
)
def test_to_wire_decimal(value, wire):
    assert to_wire_decimal(value) == wire


@pytest.mark.parametrize("value", [Decimal("1.123456"), "0.000001", Decimal("1E-6")])
def test_more_than_five_places_is_refused(value):
    with pytest.raises(ValueError, match="5 digits"):
        to_wire_decimal(value)


@pytest.mark.parametrize("value", [1.5, 0.0, True])
def test_floats_and_bools_are_refused(value):
    with pytest.raises(TypeError):
        to_wire_decimal(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "abc", ""])
def test_non_numbers_are_refused(value):
    with pytest.raises(ValueError):
        to_wire_decimal(value)


def test_from_wire_decimal():
    assert from_wire_decimal("94") == Decimal("94")
    assert from_wire_decimal("-0.00001") == Decimal("-0.00001")
    assert from_wire_decimal("12345678901234.56789") == Decimal("12345678901234.56789")
    assert from_wire_decimal("") is None
    with pytest.raises(ValueError):
        from_wire_decimal("x")


def test_round_trip_is_exact():
    for text in ["0.1", "0.2", "0.3", "92233720368547.75807", "-1.00001"]:
        assert to_wire_decimal(from_wire_decimal(text)) == text


def test_timestamps():
    moment = dt.datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    ts = to_timestamp(moment)
    assert (ts.seconds, ts.nanos) == (1793691015, 123456000)
    back = from_timestamp(ts)
    assert back == moment and back.tzinfo is not None
    with pytest.raises(ValueError):
        to_timestamp(dt.datetime(2026, 11, 3))  # naive


def test_states():
    assert state("IN_STOCK") == state("INVENTORY_STATE_IN_STOCK") == 2
    assert state_name(11) == "WASTE"
    # Shopify's named quantities, after Square's states.
    assert [state(s) for s in ("DAMAGED", "QUALITY_CONTROL", "SAFETY_STOCK")] == [18, 19, 20]
    assert state_name(20) == "SAFETY_STOCK"
    with pytest.raises(ValueError):
        state("BROKEN")


def test_change_builders_format_decimals():
    change = adjustment("item", "loc", "IN_STOCK", "SOLD", Decimal("3.50"), total_price=(Decimal("10.5"), "EUR"))
    assert change.adjustment.quantity == "3.5"
    assert change.adjustment.total_price_money.amount == "10.5"
    with pytest.raises(TypeError):
        adjustment("item", "loc", "IN_STOCK", "SOLD", 3.5)
