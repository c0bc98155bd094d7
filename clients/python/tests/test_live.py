"""The client against a live server (STOCKLEDGER_ADDR, STOCKLEDGER_TOKEN)."""

import datetime as dt
import time
import uuid
from decimal import Decimal

import grpc
import pytest

import stockledger
from stockledger import StockledgerError, adjustment, change_id, physical_count
from stockledger.v1 import inventory_pb2 as pb


def seed_day(client: stockledger.Client, item_id: str, location_id: str) -> None:
    """Receive 100, sell 3 and 1, waste 2 (one batch), then count 93."""
    day = client.batch_change_inventory(
        [
            adjustment(item_id, location_id, "NONE", "IN_STOCK", Decimal(100)),
            adjustment(item_id, location_id, "IN_STOCK", "SOLD", Decimal(3)),
            adjustment(item_id, location_id, "IN_STOCK", "SOLD", Decimal(1)),
            adjustment(item_id, location_id, "IN_STOCK", "WASTE", Decimal(2)),
        ],
        idempotency_key=f"day-1-{item_id}",
    )
    assert {(c.state, c.quantity) for c in day.counts} == {("IN_STOCK", Decimal(94)), ("WASTE", Decimal(2))}
    assert len(day.changes) == 4 and all(change_id(c) for c in day.changes)

    close = client.batch_change_inventory(
        [physical_count(item_id, location_id, "IN_STOCK", Decimal(93))],
        idempotency_key=f"close-1-{item_id}",
    )
    assert close.quantity("IN_STOCK") == Decimal(93)


def test_locations_and_items_round_trip(client, unique):
    location = client.create_location(f"Warehouse {unique}", description="north")
    assert isinstance(location, stockledger.Location)
    assert (location.status, location.description, location.forbid_negative_counts) == ("ACTIVE", "north", False)
    assert location.created_at.tzinfo is not None
    assert client.get_location(location.id) == location
    assert location.id in {loc.id for loc in client.list_locations(page_size=2)}
    assert location.id in {loc.id for loc in client.list_locations(status="ACTIVE", page_size=2)}
    assert location.id not in {loc.id for loc in client.list_locations(status="INACTIVE")}

    item = client.create_inventory_item(f"SKU-{unique}", cost=Decimal("25.00"), country_code_of_origin="CA")
    assert isinstance(item, stockledger.InventoryItem)
    assert item.cost == Decimal(25) and isinstance(item.cost, Decimal)
    assert item.proto.cost == "25"  # the generated message it was read from
    assert (item.tracked, item.country_code_of_origin) == (True, "CA")
    assert item.created_at.tzinfo is not None
    assert abs(dt.datetime.now(dt.timezone.utc) - item.created_at) < dt.timedelta(minutes=5)
    assert client.get_inventory_item(item.id) == item
    assert list(client.list_inventory_items(sku=f"SKU-{unique}")) == [item]
    assert client.create_inventory_item(f"SKU-NO-COST-{unique}").cost is None


def test_the_seed_day(client, shop):
    location, item = shop
    seed_day(client, item.id, location.id)

    counts = client.retrieve_inventory_count(item.id)
    assert {(c.state, c.quantity) for c in counts} == {("IN_STOCK", Decimal(93)), ("WASTE", Decimal(2))}
    assert all(c.location_id == location.id and c.calculated_at.tzinfo is not None for c in counts)

    # The history, two changes a page, until the cursor is empty.
    seen, cursor, pages = [], "", 0
    while True:
        page = client.batch_retrieve_inventory_changes(catalog_object_ids=[item.id], cursor=cursor, limit=2)
        seen.extend(page.changes)
        pages += 1
        cursor = page.cursor
        if not cursor:
            break
    assert len(seen) == 5 and pages == 3
    assert len({change_id(c) for c in seen}) == 5

    # The same history as a stream, read to its end.
    streamed = list(client.stream_inventory_changes(catalog_object_ids=[item.id], timeout=30))
    assert [change_id(s.change) for s in streamed] == [change_id(c) for c in seen]
    assert [s.change.type for s in streamed] == ["ADJUSTMENT"] * 4 + ["PHYSICAL_COUNT"]
    assert [s.change.proto.type for s in streamed] == [pb.INVENTORY_CHANGE_TYPE_ADJUSTMENT] * 4 + [
        pb.INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT
    ]
    assert all(s.cursor for s in streamed)
    # Resuming from the third change's cursor gives the last two.
    rest = list(client.stream_inventory_changes(catalog_object_ids=[item.id], cursor=streamed[2].cursor, timeout=30))
    assert [change_id(s.change) for s in rest] == [change_id(s.change) for s in streamed[3:]]


def test_watch_delivers_live_changes_and_resumes(client, shop):
    location, item = shop

    def sell(n: int) -> str:
        result = client.batch_change_inventory([adjustment(item.id, location.id, "IN_STOCK", "SOLD", n)])
        return change_id(result.changes[0])

    client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", 10)])
    watch = client.watch_inventory_changes(catalog_object_ids=[item.id], timeout=30)
    try:
        first_id = sell(1)
        first = next(watch)
    finally:
        watch.close()
    assert change_id(first.change) == first_id == first.change.id
    assert first.change.adjustment.quantity == Decimal(1) and first.resume_token
    assert (first.change.adjustment.from_state, first.change.adjustment.to_state) == ("IN_STOCK", "SOLD")

    second_id, third_id = sell(2), sell(3)
    resumed = client.watch_inventory_changes(resume_token=first.resume_token, timeout=30)
    try:
        got = [next(resumed), next(resumed)]
    finally:
        resumed.close()
    assert [change_id(w.change) for w in got] == [second_id, third_id]
    assert [w.sequence for w in got] == [first.sequence + 1, first.sequence + 2]


def test_watch_counts_from_the_beginning(client, shop):
    location, item = shop
    seed_day(client, item.id, location.id)
    updates = client.watch_inventory_counts(catalog_object_ids=[item.id], from_beginning=True, timeout=30)
    try:
        got = [next(updates) for _ in range(6)]
    finally:
        updates.close()
    in_stock = [(u.previous_quantity, u.quantity) for u in got if u.state == "IN_STOCK"]
    assert in_stock == [
        (None, Decimal(100)),
        (Decimal(100), Decimal(97)),
        (Decimal(97), Decimal(96)),
        (Decimal(96), Decimal(94)),
        (Decimal(94), Decimal(93)),
    ]
    assert ("WASTE", None, Decimal(2)) in {(u.state, u.previous_quantity, u.quantity) for u in got}
    assert [u.change_type for u in got] == ["ADJUSTMENT"] * 5 + ["PHYSICAL_COUNT"]


def test_reorder_points_and_alerts(client, shop):
    location, item = shop
    client.batch_change_inventory([physical_count(item.id, location.id, "IN_STOCK", 3)])
    answer = client.set_inventory_reorder_point(item.id, location.id, Decimal("2.5"))
    assert (answer.reorder_point.reorder_point, answer.quantity, answer.low) == (Decimal("2.5"), Decimal(3), False)
    assert [p.location_id for p in client.list_inventory_reorder_points(catalog_object_ids=[item.id])] == [location.id]
    alerts = client.watch_inventory_alerts(catalog_object_ids=[item.id], timeout=30)
    try:
        client.batch_change_inventory([adjustment(item.id, location.id, "IN_STOCK", "SOLD", 1)])
        client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", 4)])
        low, recovered = next(alerts), next(alerts)
    finally:
        alerts.close()
    assert (low.kind, low.quantity, low.reorder_point) == ("LOW", Decimal(2), Decimal("2.5"))
    assert (recovered.kind, recovered.quantity) == ("RECOVERED", Decimal(6))
    assert recovered.sequence == low.sequence + 1 and low.change_id and recovered.resume_token
    client.delete_inventory_reorder_point(item.id, location.id)
    with pytest.raises(StockledgerError) as refused:
        client.delete_inventory_reorder_point(item.id, location.id)
    assert refused.value.code == grpc.StatusCode.NOT_FOUND


def test_a_refused_request_raises_stockledger_error(client, shop):
    location, item = shop
    # Built by hand: the client's own helpers refuse 6 decimals before sending.
    too_precise = pb.InventoryChange(
        adjustment=pb.InventoryAdjustment(
            catalog_object_id=item.id,
            location_id=location.id,
            from_state=pb.INVENTORY_STATE_NONE,
            to_state=pb.INVENTORY_STATE_IN_STOCK,
            quantity="1.123456",
        )
    )
    with pytest.raises(StockledgerError) as refused:
        client.batch_change_inventory([too_precise])
    error = refused.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason and error.reason == error.reason.upper()
    assert error.domain == "stockledger"
    assert "changes[0].adjustment.quantity" in error.fields
    assert all(description for _, description in error.field_violations)
    assert error.correlation_id is None
    # Nothing was applied.
    assert client.retrieve_inventory_count(item.id) == []


def test_raw_stubs_raise_rpc_errors_that_decode(client):
    missing = str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as raw:
        client.items.GetInventoryItem(stockledger.v1.inventory_item_pb2.GetInventoryItemRequest(id=missing))
    error = StockledgerError.from_rpc_error(raw.value)
    assert error.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(StockledgerError) as not_found:
        client.get_inventory_item(missing)
    assert not_found.value.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(StockledgerError) as malformed:
        client.get_inventory_item("not an id")
    assert malformed.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert malformed.value.reason == "INVALID_ID" and malformed.value.fields == ["id"]


def test_a_bad_token_is_unauthenticated(address):
    with stockledger.Client(address, "not-a-token") as stranger:
        with pytest.raises(StockledgerError) as refused:
            stranger.create_location("nowhere")
        assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(StockledgerError) as refused_watch:
            stranger.watch_inventory_changes(timeout=10)
        assert refused_watch.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_an_empty_stream_ends_at_once(client, shop):
    _, item = shop
    assert list(client.stream_inventory_changes(catalog_object_ids=[item.id], timeout=30)) == []


def test_guarded_changes_refuse_with_typed_errors(client, unique):
    # A web shop: by default no batch may take one of its counts below zero.
    location = client.create_location(f"Web Shop {unique}", forbid_negative_counts=True)
    assert location.forbid_negative_counts is True
    item = client.create_inventory_item(f"MUG-GUARD-{unique}")

    # EXPECT_ABSENT: the first receipt, only if the count does not exist yet.
    first = client.batch_change_inventory(
        [adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(10), expected_quantity=stockledger.EXPECT_ABSENT)]
    )
    assert first.quantity("IN_STOCK") == Decimal(10)
    with pytest.raises(stockledger.QuantityMismatch) as again:
        client.batch_change_inventory(
            [adjustment(item.id, location.id, "NONE", "IN_STOCK", 10, expected_quantity=stockledger.EXPECT_ABSENT)]
        )
    assert again.value.actual_quantity == Decimal(10)

    # Two guarded sales: the second expects 10 but finds what the first left.
    with pytest.raises(stockledger.QuantityMismatch) as refused:
        client.batch_change_inventory(
            [
                adjustment(item.id, location.id, "IN_STOCK", "SOLD", Decimal("1.5"), expected_quantity=Decimal(10)),
                adjustment(item.id, location.id, "IN_STOCK", "SOLD", Decimal(1), expected_quantity="10"),
            ]
        )
    mismatch = refused.value
    assert isinstance(mismatch, StockledgerError)
    assert mismatch.code == grpc.StatusCode.FAILED_PRECONDITION and mismatch.reason == "QUANTITY_MISMATCH"
    assert mismatch.field == "changes[1].expected_quantity" and mismatch.fields == [mismatch.field]
    assert mismatch.actual_quantity == Decimal("8.5")
    assert (mismatch.catalog_object_id, mismatch.location_id, mismatch.state) == (item.id, location.id, "IN_STOCK")

    # Absent is not 0: a count of WASTE that does not exist.
    with pytest.raises(stockledger.QuantityMismatch) as absent:
        client.batch_change_inventory([physical_count(item.id, location.id, "WASTE", 1, expected_quantity=Decimal(0))])
    assert absent.value.actual_quantity is None and absent.value.state == "WASTE"

    # Selling 11 of 10 at the web shop: refused with what was available.
    with pytest.raises(stockledger.InsufficientQuantity) as short:
        client.batch_change_inventory([adjustment(item.id, location.id, "IN_STOCK", "SOLD", Decimal(11))])
    insufficient = short.value
    assert insufficient.code == grpc.StatusCode.FAILED_PRECONDITION and insufficient.reason == "INSUFFICIENT_QUANTITY"
    assert insufficient.field == "changes[0].adjustment.quantity" and insufficient.fields == [insufficient.field]
    assert insufficient.available_quantity == Decimal(10)
    assert (insufficient.catalog_object_id, insufficient.location_id, insufficient.state) == (
        item.id,
        location.id,
        "IN_STOCK",
    )

    # The batch overrides the location's default; the guarded sale that matches goes through.
    oversold = client.batch_change_inventory(
        [adjustment(item.id, location.id, "IN_STOCK", "SOLD", Decimal(11), expected_quantity=Decimal(10))],
        forbid_negative_counts=False,
    )
    assert oversold.quantity("IN_STOCK") == Decimal(-1)


def test_forbid_negative_counts_per_batch(client, shop):
    location, item = shop
    assert location.forbid_negative_counts is False
    client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal("2.25"))])
    with pytest.raises(stockledger.InsufficientQuantity) as short:
        client.batch_change_inventory(
            [adjustment(item.id, location.id, "IN_STOCK", "WASTE", Decimal(3))],
            forbid_negative_counts=True,
        )
    assert short.value.available_quantity == Decimal("2.25")
    assert not isinstance(short.value, stockledger.QuantityMismatch)


def test_reservations_hold_commit_release_and_expire(client, shop, unique):
    location, item = shop
    client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(3))])

    # Reserve 2 of 3.
    held = client.create_reservation(
        [(item.id, location.id, Decimal(2))], ttl=dt.timedelta(minutes=5), reference_id=f"cart-{unique}"
    )
    assert isinstance(held, stockledger.Reservation)
    assert held.state == "HELD" and held.reference_id == f"cart-{unique}"
    assert held.lines == [stockledger.ReservationLine(item.id, location.id, Decimal(2), held_quantity=Decimal(2))]
    assert held.expires_at.tzinfo is not None and held.expires_at > dt.datetime.now(dt.timezone.utc)
    assert client.get_reservation(held.id) == held

    # A second reservation of 2 is refused: 1 is available.
    with pytest.raises(stockledger.InsufficientQuantity) as short:
        client.create_reservation(
            [stockledger.ReservationLine(item.id, location.id, Decimal(2))], ttl=dt.timedelta(minutes=5)
        )
    refused = short.value
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "INSUFFICIENT_QUANTITY"
    assert refused.field == "lines[0].quantity" and refused.available_quantity == Decimal(1)
    assert (refused.catalog_object_id, refused.location_id) == (item.id, location.id)

    # Extend it, commit 1 (a retry with the same key commits nothing more), release the rest.
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)
    extended = client.extend_reservation(held.id, expires_at=later)
    assert abs(extended.expires_at - later) < dt.timedelta(seconds=1)
    key = f"commit-{unique}"
    committed = client.commit_reservation(
        held.id, lines={0: Decimal(1)}, total_price=(Decimal("9.50"), "EUR"), idempotency_key=key
    )
    assert committed.state == "HELD"
    assert (committed.lines[0].committed_quantity, committed.lines[0].held_quantity) == (Decimal(1), Decimal(1))
    assert client.commit_reservation(held.id, lines={0: 1}, total_price=("9.50", "EUR"), idempotency_key=key).lines[
        0
    ].held_quantity == Decimal(1)
    released = client.release_reservation(held.id)
    assert released.state == "RELEASED"
    line = released.lines[0]
    assert (line.quantity, line.committed_quantity, line.released_quantity, line.held_quantity) == (
        Decimal(2),
        Decimal(1),
        Decimal(1),
        Decimal(0),
    )
    counts = {c.state: c.quantity for c in client.retrieve_inventory_count(item.id)}
    assert counts["IN_STOCK"] == Decimal(2)  # 1 sold, 1 given back
    assert counts.get("RESERVED_FOR_SALE", Decimal(0)) == Decimal(0)

    # Nothing is held any more.
    with pytest.raises(stockledger.ReservationNotHeld) as not_held:
        client.commit_reservation(held.id)
    assert isinstance(not_held.value, stockledger.ReservationRefusal)
    assert not_held.value.reason == "RESERVATION_NOT_HELD" and not_held.value.state == "RELEASED"
    with pytest.raises(stockledger.ReservationNotHeld):
        client.extend_reservation(held.id, ttl=dt.timedelta(minutes=1))

    # A 1-second hold expires by itself.
    brief = client.create_reservation([(item.id, location.id, "0.5")], ttl=dt.timedelta(seconds=1))
    time.sleep(2.5)
    expired = client.get_reservation(brief.id)
    assert expired.state == "EXPIRED" and expired.lines[0].released_quantity == Decimal("0.5")
    with pytest.raises(stockledger.ReservationNotHeld) as late:
        client.commit_reservation(brief.id)
    assert late.value.state == "EXPIRED"


def test_list_reservations_pages_and_filters(client, shop, unique):
    location, item = shop
    client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(10))])

    # Three held reservations, each with its own reference id; the second is released.
    refs = [f"order-{unique}-{n}" for n in range(3)]
    created = [
        client.create_reservation([(item.id, location.id, Decimal(1))], ttl=dt.timedelta(minutes=5), reference_id=ref)
        for ref in refs
    ]
    ids = [r.id for r in created]
    released = client.release_reservation(ids[1])
    assert released.state == "RELEASED"

    # Every reservation, two a page (other tests' reservations are the merchant's too).
    listed = list(client.list_reservations(page_size=2))
    assert len({r.id for r in listed}) == len(listed), "no reservation is listed twice"
    assert [r.id for r in listed if r.id in ids] == ids
    assert all(isinstance(r, stockledger.Reservation) for r in listed)

    # By state, and by reference id.
    held = [r.id for r in client.list_reservations(state="HELD", page_size=2) if r.id in ids]
    assert held == [ids[0], ids[2]]
    gone = [r.id for r in client.list_reservations(state="RESERVATION_STATE_RELEASED", page_size=2) if r.id in ids]
    assert gone == [ids[1]]
    assert list(client.list_reservations(reference_id=refs[1])) == [released]
    assert [r.id for r in client.list_reservations(reference_id=refs[2], state="HELD")] == [ids[2]]
    assert list(client.list_reservations(reference_id=refs[2], state="RELEASED")) == []

    # A refused page raises StockledgerError; an unknown state name raises at once.
    with pytest.raises(StockledgerError) as refused:
        list(client.list_reservations(page_size=251))
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(StockledgerError) as unknown:
        client.list_reservations(state="PENDING")
    assert (unknown.value.code, unknown.value.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ENUM_VALUE")
    assert unknown.value.field == "state"


def test_reservation_hold_needs_exactly_one_of_ttl_or_expires_at(client):
    with pytest.raises(StockledgerError) as neither:
        client.create_reservation([("item", "location", 1)])
    assert (neither.value.code, neither.value.field) == (grpc.StatusCode.INVALID_ARGUMENT, "ttl")
    with pytest.raises(StockledgerError) as both:
        client.extend_reservation("r", ttl=dt.timedelta(seconds=1), expires_at=dt.datetime.now(dt.timezone.utc))
    assert (both.value.code, both.value.field) == (grpc.StatusCode.INVALID_ARGUMENT, "ttl")


def test_shopify_named_quantities_are_counted(client, shop):
    location, item = shop
    moved = client.batch_change_inventory(
        [
            adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(10)),
            adjustment(item.id, location.id, "IN_STOCK", "DAMAGED", Decimal(3)),
            adjustment(item.id, location.id, "NONE", "QUALITY_CONTROL", Decimal(2)),
            physical_count(item.id, location.id, "SAFETY_STOCK", Decimal(4)),
        ]
    )
    assert moved.quantity("IN_STOCK") == Decimal(7)
    assert moved.quantity("DAMAGED") == Decimal(3)
    assert moved.quantity("QUALITY_CONTROL") == Decimal(2)
    assert moved.quantity("SAFETY_STOCK") == Decimal(4)
    damaged = client.batch_retrieve_inventory_counts(catalog_object_ids=[item.id], states=["DAMAGED"])
    assert [(c.state, c.quantity) for c in damaged] == [("DAMAGED", Decimal(3))]


def test_adjustment_reasons(client, shop, unique):
    location, item = shop
    name = f"Found in the back room {unique}"
    reason = client.create_inventory_adjustment_reason(name, "INCREASE")
    assert reason.id.type == "CUSTOM" and reason.id.custom_reason_id
    assert (reason.name, reason.direction, reason.is_deleted) == (name, "INCREASE", False)
    assert reason.created_at is not None and reason.created_at.tzinfo is not None

    listed = client.list_inventory_adjustment_reasons()
    assert [r for r in listed if r.id == reason.id] == [reason]
    assert "DAMAGED" in {r.id.type for r in listed}
    assert client.retrieve_inventory_adjustment_reason(reason.id) == reason

    # A receipt carrying the reason, a cost and a vendor is answered with them.
    received = client.batch_change_inventory(
        [
            adjustment(
                item.id,
                location.id,
                "NONE",
                "IN_STOCK",
                7,
                reason=reason,
                cost=(Decimal("12.50"), "EUR"),
                vendor_id=f"vendor-{unique}",
            ),
            adjustment(item.id, location.id, "IN_STOCK", "WASTE", 1, reason="DAMAGED"),
        ]
    )
    adj = received.changes[0].adjustment
    assert adj.reason_id == reason.id
    assert adj.cost_money == stockledger.Money(Decimal("12.5"), "EUR")
    assert adj.vendor_id == f"vendor-{unique}"
    assert received.changes[1].adjustment.reason_id == stockledger.ReasonId("DAMAGED")

    # The history filtered by the reason: exactly that change, on both reads.
    page = client.batch_retrieve_inventory_changes(catalog_object_ids=[item.id], reason_ids=[reason.id])
    assert [change_id(c) for c in page.changes] == [adj.id] and page.cursor == ""
    assert page.changes[0].adjustment.vendor_id == f"vendor-{unique}"
    streamed = list(client.stream_inventory_changes(catalog_object_ids=[item.id], reason_ids=[reason], timeout=30))
    assert [change_id(s.change) for s in streamed] == [adj.id]
    damaged = client.batch_retrieve_inventory_changes(catalog_object_ids=[item.id], reason_ids=["DAMAGED"])
    assert [change_id(c) for c in damaged.changes] == [change_id(received.changes[1])]

    renamed = client.update_inventory_adjustment_reason(reason, name=f"{name} (renamed)")
    assert renamed.name == f"{name} (renamed)" and renamed.direction == "INCREASE"

    # Deleted: no longer listed, and a new change naming it is refused.
    deleted = client.delete_inventory_adjustment_reason(reason)
    assert deleted.is_deleted is True
    assert reason.id not in {r.id for r in client.list_inventory_adjustment_reasons()}
    assert reason.id in {r.id for r in client.list_inventory_adjustment_reasons(include_deleted=True)}
    with pytest.raises(StockledgerError) as refused:
        client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", 1, reason=reason)])
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.reason == "ADJUSTMENT_REASON_DELETED"
    with pytest.raises(StockledgerError) as stale:
        client.update_inventory_adjustment_reason(reason, name=f"{name} again")
    assert stale.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert [c.quantity for c in client.retrieve_inventory_count(item.id) if c.state == "IN_STOCK"] == [Decimal(6)]

    # Restored: accepted again.
    restored = client.restore_inventory_adjustment_reason(reason)
    assert restored.is_deleted is False and restored.name == f"{name} (renamed)"
    again = client.batch_change_inventory([adjustment(item.id, location.id, "NONE", "IN_STOCK", 1, reason=reason)])
    assert again.changes[0].adjustment.reason_id == reason.id
    assert again.quantity("IN_STOCK") == Decimal(7)


def test_every_answer_is_typed(client, shop):
    location, item = shop
    sold = client.batch_change_inventory(
        [
            adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal("10.5"), cost=(Decimal("21"), "EUR")),
            adjustment(
                item.id,
                location.id,
                "IN_STOCK",
                "SOLD",
                Decimal("0.25"),
                expected_quantity=Decimal("10.5"),
                total_price=(Decimal("1.5"), "EUR"),
            ),
        ]
    )
    receipt, sale = sold.changes
    assert isinstance(receipt, stockledger.Change) and receipt.type == "ADJUSTMENT"
    assert receipt.adjustment.to_state == "IN_STOCK" and sale.adjustment.to_state == "SOLD"
    assert receipt.adjustment.cost_money == stockledger.Money(Decimal(21), "EUR")
    assert sale.adjustment.total_price_money == stockledger.Money(Decimal("1.5"), "EUR")
    assert receipt.adjustment.total_price_money is None
    assert receipt.adjustment.created_at.tzinfo is not None
    assert receipt.physical_count is None and receipt.member is receipt.adjustment

    # A history page: typed changes, Decimal quantities, filtered by type and state names.
    page = client.batch_retrieve_inventory_changes(catalog_object_ids=[item.id], types=["ADJUSTMENT"])
    assert [c.quantity for c in page.changes] == [Decimal("10.5"), Decimal("0.25")]
    assert all(isinstance(c.adjustment.quantity, Decimal) for c in page.changes)
    assert [c.id for c in page.changes] == [receipt.id, sale.id]
    client.batch_change_inventory([physical_count(item.id, location.id, "IN_STOCK", Decimal(10))])
    counted = client.batch_retrieve_inventory_changes(
        catalog_object_ids=[item.id], types=["PHYSICAL_COUNT", "INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT"]
    )
    assert [(c.type, c.physical_count.state, c.physical_count.quantity) for c in counted.changes] == [
        ("PHYSICAL_COUNT", "IN_STOCK", Decimal(10))
    ]
    by_number = client.batch_retrieve_inventory_changes(catalog_object_ids=[item.id], types=[2])
    assert by_number == counted
    sold_only = list(client.stream_inventory_changes(catalog_object_ids=[item.id], states=["SOLD"], timeout=30))
    assert [s.change.id for s in sold_only] == [sale.id]


def test_refused_inputs_raise_the_servers_error_shape(client, shop):
    location, item = shop
    # The server's refusal of a quantity with six decimals, built by hand to reach it.
    raw = pb.InventoryChange(
        adjustment=pb.InventoryAdjustment(
            catalog_object_id=item.id,
            location_id=location.id,
            from_state=pb.INVENTORY_STATE_NONE,
            to_state=pb.INVENTORY_STATE_IN_STOCK,
            quantity="1.123456",
        )
    )
    with pytest.raises(StockledgerError) as by_server:
        client.batch_change_inventory([raw])
    server = by_server.value

    # The client refuses the same before sending, in the same shape: the field within the change.
    with pytest.raises(StockledgerError) as too_precise:
        adjustment(item.id, location.id, "NONE", "IN_STOCK", "1.123456")
    local = too_precise.value
    assert (local.code, local.reason, local.domain) == (server.code, server.reason, server.domain)
    assert local.field == "adjustment.quantity" and server.field == "changes[0].adjustment.quantity"
    assert local.fields == [local.field] and local.field_violations[0][1]
    assert isinstance(local, ValueError)  # what it raised before: except ValueError still works

    with pytest.raises(StockledgerError) as not_a_number:
        adjustment(item.id, location.id, "NONE", "IN_STOCK", "a dozen")
    assert (not_a_number.value.code, not_a_number.value.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_VALUE")
    assert not_a_number.value.field == "adjustment.quantity"
    with pytest.raises(StockledgerError) as a_float:
        physical_count(item.id, location.id, "IN_STOCK", 2.5)
    assert a_float.value.field == "physical_count.quantity"
    with pytest.raises(StockledgerError) as unknown_state:
        adjustment(item.id, location.id, "NONE", "ON_THE_SHELF", 1)
    assert (unknown_state.value.reason, unknown_state.value.field) == ("INVALID_ENUM_VALUE", "adjustment.to_state")
    with pytest.raises(StockledgerError) as guard:
        adjustment(item.id, location.id, "IN_STOCK", "SOLD", 1, expected_quantity="many")
    assert guard.value.field == "expected_quantity"
    with pytest.raises(StockledgerError) as cost:
        client.create_inventory_item(f"SKU-{item.id}", cost="0.000001")
    assert cost.value.field == "inventory_item.cost"
    with pytest.raises(StockledgerError) as line:
        client.create_reservation([(item.id, location.id, 1), (item.id, location.id, "-")], ttl=dt.timedelta(minutes=1))
    assert line.value.field == "lines[1].quantity"
    with pytest.raises(StockledgerError) as filtered:
        client.batch_retrieve_inventory_changes(states=["IN_STOCK", "ON_THE_SHELF"])
    assert (filtered.value.reason, filtered.value.field) == ("INVALID_ENUM_VALUE", "states[1]")
    with pytest.raises(StockledgerError) as typed:
        client.stream_inventory_changes(types=["SALE"])
    assert typed.value.field == "types[0]"
    with pytest.raises(StockledgerError) as counts:
        client.batch_retrieve_inventory_counts(states=["NOWHERE"])
    assert counts.value.field == "states[0]"
    with pytest.raises(StockledgerError) as naive:
        client.batch_retrieve_inventory_changes(updated_after=dt.datetime(2026, 1, 1))
    assert naive.value.field == "updated_after"
    with pytest.raises(StockledgerError) as extra:
        adjustment(item.id, location.id, "NONE", "IN_STOCK", 1, colour="red")
    assert extra.value.field == "adjustment.colour"
    # Nothing was sent: the item holds nothing.
    assert client.retrieve_inventory_count(item.id) == []


def test_reads_and_updates_by_id_are_typed(client, shop, unique):
    location, item = shop
    other = client.create_location(f"Annex {unique}")
    done = client.batch_change_inventory(
        [
            adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(5)),
            stockledger.transfer(item.id, location.id, other.id, "IN_STOCK", Decimal("1.5")),
            physical_count(item.id, other.id, "IN_STOCK", Decimal(2)),
        ]
    )
    received, moved, counted = done.changes
    assert client.retrieve_inventory_adjustment(received.id) == received.adjustment
    assert client.retrieve_inventory_transfer(moved.id) == moved.transfer
    assert moved.transfer.from_location_id == location.id and moved.transfer.quantity == Decimal("1.5")
    assert client.retrieve_inventory_physical_count(counted.id) == counted.physical_count
    assert counted.physical_count.state == "IN_STOCK"

    assert client.batch_get_inventory_items([item.id]) == [item]
    repriced = client.update_inventory_item(item.id, cost=Decimal("3.25"))
    assert (repriced.cost, repriced.sku) == (Decimal("3.25"), item.sku)
    closed = client.update_location(other.id, status="INACTIVE", description="closed for winter")
    assert (closed.status, closed.description, closed.name) == ("INACTIVE", "closed for winter", other.name)
    with pytest.raises(StockledgerError) as unknown:
        client.update_location(other.id, status="CLOSED")
    assert (unknown.value.reason, unknown.value.field) == ("INVALID_ENUM_VALUE", "location.status")


def test_import_skips_known_ids_and_reports_refusals(client, shop):
    location, item = shop
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    batches = [
        [adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(4), id=ids[0])],
        [adjustment(item.id, location.id, "IN_STOCK", "SOLD", Decimal(1), id=ids[1])],
    ]
    source = stockledger.SourceApplication("OTHER", "", "old system")
    # scripts/clients-test.sh's token has every scope, INVENTORY_IMPORT included.
    first = client.import_inventory_changes(batches, source=source, timeout=30)
    assert isinstance(first, stockledger.ImportResult)
    assert (first.applied, first.already_present, first.refused, first.held_back) == (2, 0, 0, 0)
    again = client.import_inventory_changes(batches, timeout=30)
    assert (again.applied, again.already_present) == (0, 2)
    imported = client.retrieve_inventory_adjustment(ids[0])
    assert (imported.source.product, imported.source.name) == ("OTHER", "old system")
    assert imported.quantity == Decimal(4)

    # A change the ledger refuses (an unknown location) holds back the good one of its batch.
    bad = adjustment(item.id, str(uuid.uuid4()), "NONE", "IN_STOCK", Decimal(1))
    refused = client.import_inventory_changes(
        [[adjustment(item.id, location.id, "NONE", "IN_STOCK", Decimal(1)), bad]], timeout=30
    )
    assert (refused.applied, refused.refused, refused.held_back) == (0, 1, 1)
    assert [r.index for r in refused.refused_changes] == [1] and refused.refused_changes[0].reason
    assert [c.quantity for c in client.retrieve_inventory_count(item.id) if c.state == "IN_STOCK"] == [Decimal(3)]
