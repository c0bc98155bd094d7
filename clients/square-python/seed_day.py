"""The seed's day with Square's own Python SDK, unchanged, against Stockledger's Square front
door (docs/square.md). Exits non-zero on the first failed check.

Environment: STOCKLEDGER_HTTP_ADDR (serve --http-listen), STOCKLEDGER_ADDR (gRPC, only to
create the item and the location: Square's catalog and locations APIs are not served) and
STOCKLEDGER_TOKEN (a token with every scope).
"""

import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

from square import Square
from square.core.api_error import ApiError

import stockledger


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def at(minutes_ago: int) -> str:
    moment = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def adjustment(item: str, location: str, from_state: str, to_state: str, quantity: str, when: str, **more) -> dict:
    return {
        "type": "ADJUSTMENT",
        "adjustment": {
            "from_state": from_state,
            "to_state": to_state,
            "location_id": location,
            "catalog_object_id": item,
            "quantity": quantity,
            "occurred_at": when,
            **more,
        },
    }


def main() -> None:
    http = os.environ["STOCKLEDGER_HTTP_ADDR"]
    token = os.environ["STOCKLEDGER_TOKEN"]
    unique = uuid.uuid4().hex[:12]

    # The item and the location come from Stockledger's own API (Square's catalog would hold them).
    with stockledger.Client(os.environ["STOCKLEDGER_ADDR"], token) as grpc_client:
        location = grpc_client.create_location(f"Corner Shop {unique}").id
        item = grpc_client.create_inventory_item(f"MUG-RED-{unique}").id

    # Point your Square SDK here: base_url instead of an environment, a Stockledger token.
    client = Square(base_url=f"http://{http}", token=token)

    # The seed's day in one batch: receive 100, sell 3, sell 1, waste 2.
    the_day = [
        adjustment(item, location, "NONE", "IN_STOCK", "100", at(50), reference_id="delivery-1"),
        adjustment(
            item,
            location,
            "IN_STOCK",
            "SOLD",
            "3",
            at(40),
            total_price_money={"amount": 2997, "currency": "USD"},
        ),
        adjustment(item, location, "IN_STOCK", "SOLD", "1", at(30)),
        adjustment(item, location, "IN_STOCK", "WASTE", "2", at(20)),
    ]
    day = client.inventory.batch_create_changes(idempotency_key=f"day-{unique}", changes=the_day)
    check(day.errors is None or day.errors == [], "batch-create answers without errors")
    counts = {c.state: c.quantity for c in day.counts or []}
    check(counts.get("IN_STOCK") == "94", f"after the day 94 are in stock (counts {counts})")
    check(len(day.changes or []) == 4, "batch-create returns the 4 created changes")
    receipt = day.changes[0].adjustment
    check(receipt.id != "" and receipt.created_at is not None, "the server gave the receipt an id and created_at")
    check(receipt.catalog_object_type == "INVENTORY_ITEM", "catalog_object_type is Stockledger's INVENTORY_ITEM")
    check(receipt.source is not None and receipt.source.product == "EXTERNAL_API", "source.product is EXTERNAL_API")
    sale = day.changes[1].adjustment
    check(
        sale.total_price_money is not None
        and sale.total_price_money.amount == 2997
        and sale.total_price_money.currency == "USD",
        "Money comes back as 2997 minor units of USD",
    )

    # The same key and request again (a retry): the original answer, nothing applied twice.
    again = client.inventory.batch_create_changes(idempotency_key=f"day-{unique}", changes=the_day)
    check([c.adjustment.id for c in again.changes] == [c.adjustment.id for c in day.changes], "a retry answers the same ids")
    # The same key with another request: Square's IDEMPOTENCY_KEY_REUSED.
    try:
        client.inventory.batch_create_changes(idempotency_key=f"day-{unique}", changes=the_day[:1])
        check(False, "a reused idempotency key is refused")
    except ApiError as error:
        first = error.errors[0]
        check(
            error.status_code == 400 and first.code == "IDEMPOTENCY_KEY_REUSED" and first.field == "idempotency_key",
            f"a reused key: 400 IDEMPOTENCY_KEY_REUSED on idempotency_key ({error.status_code} {first.code})",
        )

    # The day's end: a physical count of 93, through the deprecated alias.
    counted = client.inventory.deprecated_batch_change(
        idempotency_key=f"count-{unique}",
        changes=[
            {
                "type": "PHYSICAL_COUNT",
                "physical_count": {
                    "catalog_object_id": item,
                    "location_id": location,
                    "state": "IN_STOCK",
                    "quantity": "93",
                    "occurred_at": at(10),
                },
            }
        ],
    )
    in_stock = [c for c in counted.counts or [] if c.state == "IN_STOCK"]
    check(len(in_stock) == 1 and in_stock[0].quantity == "93", "the physical count of 93 sets the count")
    count_id = counted.changes[0].physical_count.id

    # Counts: batch-retrieve (with paging), GET one item's counts, the deprecated alias.
    pager = client.inventory.batch_get_counts(catalog_object_ids=[item], limit=1)
    pages = list(pager.iter_pages())
    got = {c.state: c.quantity for page in pages for c in page.items or []}
    check(got == {"IN_STOCK": "93", "WASTE": "2"}, f"batch-retrieve counts pages through IN_STOCK 93 and WASTE 2 ({got})")
    check(len(pages) >= 2, f"one count a page takes at least 2 pages ({len(pages)})")
    single = {c.state: c.quantity for c in client.inventory.get(item, location_ids=location)}
    check(single == got, "GET /v2/inventory/{id} answers the same counts")
    old = client.inventory.deprecated_batch_get_counts(catalog_object_ids=[item], location_ids=[location])
    check({c.state: c.quantity for c in old.counts or []} == got, "the deprecated batch-retrieve-counts too")

    # Changes: batch-retrieve two a page, oldest first; GET one item's changes, newest first.
    pager = client.inventory.batch_get_changes(catalog_object_ids=[item], limit=2)
    pages = list(pager.iter_pages())
    history = [c for page in pages for c in page.items or []]
    check(len(history) == 5 and len(pages) == 3, f"5 changes in 3 pages of 2 ({len(history)} in {len(pages)})")
    check([c.type for c in history] == ["ADJUSTMENT"] * 4 + ["PHYSICAL_COUNT"], "oldest first, the count last")
    quantities = [c.adjustment.quantity for c in history[:4]]
    check(quantities == ["100", "3", "1", "2"], f"the day's quantities in order ({quantities})")
    newest = list(client.inventory.changes(item))
    check([c.type for c in newest][0] == "PHYSICAL_COUNT" and len(newest) == 5, "GET …/changes: newest first")
    typed = client.inventory.deprecated_batch_get_changes(catalog_object_ids=[item], types=["PHYSICAL_COUNT"])
    check(len(typed.changes or []) == 1, "the deprecated batch-retrieve-changes filters by type")

    # One change by id: current and deprecated paths.
    fetched = client.inventory.get_adjustment(receipt.id).adjustment
    check(fetched.id == receipt.id and fetched.quantity == "100", "GET /v2/inventory/adjustments/{id}")
    check(fetched.reference_id == "delivery-1", "reference_id kept")
    check(client.inventory.deprecated_get_adjustment(receipt.id).adjustment.id == receipt.id, "GET …/adjustment/{id}")
    check(client.inventory.get_physical_count(count_id).count.quantity == "93", "GET …/physical-counts/{id}")
    check(client.inventory.deprecated_get_physical_count(count_id).count.id == count_id, "GET …/physical-count/{id}")

    # A refused request: the SDK raises ApiError with Square's envelope.
    try:
        client.inventory.batch_create_changes(
            idempotency_key=f"bad-{unique}",
            changes=[adjustment(item, location, "IN_STOCK", "SOLD", "-1", at(5))],
        )
        check(False, "a negative quantity is refused")
    except ApiError as error:
        check(error.status_code == 400, f"refused with HTTP 400 ({error.status_code})")
        first = error.errors[0]
        check(first.category == "INVALID_REQUEST_ERROR", f"category INVALID_REQUEST_ERROR ({first.category})")
        check(first.code == "VALUE_TOO_LOW", f"code VALUE_TOO_LOW ({first.code})")
        check(first.field == "changes[0].adjustment.quantity", f"field names the quantity ({first.field})")

    # What differs from Square: ids are Stockledger's (a UUID; anything else is INVALID_VALUE),
    # and catalog_object_type is always INVENTORY_ITEM, set by the server.
    try:
        client.inventory.get_adjustment("not-an-id")
        check(False, "an id Stockledger never made is refused")
    except ApiError as error:
        check(error.status_code == 400 and error.errors[0].code == "INVALID_VALUE", "a malformed id: 400 INVALID_VALUE")
        check(error.errors[0].field == "adjustment_id", "… naming adjustment_id")
    try:
        client.inventory.get_adjustment("01a20c5a-8f67-7031-9d39-e3d5cae5d630")
        check(False, "an unknown id is not found")
    except ApiError as error:
        check(error.status_code == 404 and error.errors[0].code == "NOT_FOUND", "an unknown id: 404 NOT_FOUND")
    variation = client.inventory.batch_create_changes(
        idempotency_key=f"variation-{unique}",
        changes=[adjustment(item, location, "IN_STOCK", "SOLD", "1", at(5), catalog_object_type="ITEM_VARIATION")],
    )
    check(
        variation.changes[0].adjustment.catalog_object_type == "INVENTORY_ITEM",
        "catalog_object_type ITEM_VARIATION in a request is ignored; the answer says INVENTORY_ITEM",
    )

    # A bad token is Square's AUTHENTICATION_ERROR.
    try:
        Square(base_url=f"http://{http}", token="not-a-token").inventory.get_adjustment(receipt.id)
        check(False, "a bad token is refused")
    except ApiError as error:
        check(
            error.status_code == 401 and error.errors[0].category == "AUTHENTICATION_ERROR",
            f"a bad token: 401 AUTHENTICATION_ERROR ({error.status_code})",
        )
    print("square-python: the seed's day passed")


if __name__ == "__main__":
    main()
