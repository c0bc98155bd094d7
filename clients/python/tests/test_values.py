"""Unit tests of the wire conversions (no server needed)."""

import datetime as dt
from decimal import Decimal

import grpc
import pytest

from stockledger import (
    Change,
    ImportResult,
    Money,
    ReasonId,
    StockledgerError,
    adjustment,
    change_type,
    change_type_name,
    from_timestamp,
    from_wire_decimal,
    reason_type,
    reason_type_name,
    state,
    state_name,
    to_timestamp,
    to_wire_decimal,
)
from stockledger.v1 import inventory_pb2 as pb


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


def test_a_refused_input_has_the_servers_error_shape():
    with pytest.raises(StockledgerError) as refused:
        to_wire_decimal("1.123456", "adjustment.quantity")
    error = refused.value
    assert (error.code, error.reason, error.domain) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_VALUE",
        "stockledger",
    )
    assert error.field == "adjustment.quantity" and error.fields == ["adjustment.quantity"]
    assert str(error).startswith("INVALID_ARGUMENT: adjustment.quantity: must have at most 5 digits")
    with pytest.raises(StockledgerError) as naive:
        to_timestamp(dt.datetime(2026, 1, 1), "updated_after")
    assert naive.value.field == "updated_after"


def test_every_enum_by_short_name_full_name_or_number():
    assert change_type("PHYSICAL_COUNT") == change_type("inventory_change_type_physical_count") == change_type(2) == 2
    assert change_type_name(3) == "TRANSFER" and reason_type_name(reason_type("damaged")) == "DAMAGED"
    assert state_name(999) == "999"  # a newer server's state: its number, not an exception
    with pytest.raises(StockledgerError) as unknown:
        change_type("SALE", "types[0]")
    assert (unknown.value.reason, unknown.value.field) == ("INVALID_ENUM_VALUE", "types[0]")
    assert "ADJUSTMENT" in unknown.value.message  # the names it knows
    for wrong in (True, None, 2.0):
        with pytest.raises(StockledgerError):
            state(wrong)


def test_a_change_reads_typed_and_keeps_its_message():
    message = pb.InventoryChange(
        type=pb.INVENTORY_CHANGE_TYPE_ADJUSTMENT,
        adjustment=pb.InventoryAdjustment(
            id="a1",
            from_state=pb.INVENTORY_STATE_IN_STOCK,
            to_state=pb.INVENTORY_STATE_SOLD,
            quantity="2.5",
            total_price_money=pb.Money(amount="10.00001", currency="EUR"),
            created_at=to_timestamp(dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.timezone.utc)),
            reason_id=pb.InventoryAdjustmentReasonId(type=pb.INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED),
        ),
    )
    change = Change.from_proto(message)
    assert (change.type, change.id, change.quantity) == ("ADJUSTMENT", "a1", Decimal("2.5"))
    adj = change.adjustment
    assert (adj.from_state, adj.to_state) == ("IN_STOCK", "SOLD")
    assert adj.total_price_money == Money(Decimal("10.00001"), "EUR") and adj.cost_money is None
    assert adj.created_at == dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.timezone.utc) and adj.occurred_at is None
    assert adj.reason_id == ReasonId("DAMAGED") and adj.source is None
    assert change.physical_count is None and change.transfer is None and change.member is adj
    assert change.proto is message and "proto" not in repr(change)
    assert Change.from_proto(pb.InventoryChange().FromString(message.SerializeToString())) == change


def test_an_import_result_reads_typed():
    response = pb.ImportInventoryChangesResponse(
        applied=3,
        already_present=1,
        refused=1,
        held_back=2,
        refused_changes=[
            pb.RefusedInventoryChange(index=4, field="adjustment.quantity", reason="INVALID_VALUE", description="bad")
        ],
    )
    result = ImportResult.from_proto(response)
    assert (result.applied, result.already_present, result.refused, result.held_back) == (3, 1, 1, 2)
    assert [(r.index, r.field, r.reason) for r in result.refused_changes] == [
        (4, "adjustment.quantity", "INVALID_VALUE")
    ]
