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
        # A second item for the adjustment reasons, so that its history holds only theirs.
        reasons_item = grpc_client.create_inventory_item(f"MUG-BLUE-{unique}").id

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

    adjustment_reasons(client, reasons_item, location, unique)
    print("square-python: the adjustment reasons passed")


# Square's standard seller reasons (written on adjustments), its system codes (answered only
# with include_system_codes) and a reason Shopify has but Square does not.
STANDARD = {
    "RECEIVED": "INCREASE",
    "DAMAGED": "DECREASE",
    "THEFT": "DECREASE",
    "LOST": "DECREASE",
    "RETURNED": "INCREASE",
    "SPOILAGE_WASTE": "DECREASE",
    "SAMPLES_PROMOTIONAL": "DECREASE",
    "INTERNAL_USE": "DECREASE",
    "VENDOR_RETURN": "DECREASE",
    "PRODUCTION_WASTE": "DECREASE",
}
SYSTEM_CODES = {"SALE", "RECOUNT", "TRANSFER", "IN_TRANSIT", "CANCELED_SALE"}


def where_2026(adjustment, location: str) -> bool:
    """Square's 2026 model: from_location_id / to_location_id, and no location_id at all."""
    sent = adjustment.model_dump(exclude_unset=True)
    return (
        adjustment.from_location_id == location
        and adjustment.to_location_id == location
        and "location_id" not in sent
    )


def refused(call, what: str) -> ApiError:
    try:
        call()
    except ApiError as error:
        return error
    check(False, what)


def adjustment_reasons(client: Square, item: str, location: str, unique: str) -> None:
    """Square's 2026 adjustment reasons (Square-Version 2026-07-15) through the SDK's own methods."""
    inventory = client.inventory

    # The list: Square's standard reasons with their directions; system codes only when asked
    # for; never a reason Square does not know (Shopify's CORRECTION).
    listed = inventory.list_inventory_adjustment_reasons().adjustment_reasons or []
    types = [r.id.type for r in listed]
    directions = {r.id.type: r.direction for r in listed if r.id.type != "CUSTOM"}
    check(directions == STANDARD, f"the list holds Square's 10 standard reasons with their directions ({directions})")
    check(not SYSTEM_CODES & set(types), f"no system code (SALE, …) without include_system_codes ({types})")
    check("CORRECTION" not in types, "no CORRECTION, which Square does not have")
    check(all(r.is_deleted is False and not r.name for r in listed if r.id.type != "CUSTOM"), "standard reasons: no name, not deleted")
    with_codes = inventory.list_inventory_adjustment_reasons(include_system_codes=True).adjustment_reasons or []
    coded = {r.id.type for r in with_codes}
    check(SYSTEM_CODES <= coded and set(STANDARD) <= coded, f"include_system_codes adds SALE, RECOUNT, … ({sorted(coded)})")
    check(coded <= set(STANDARD) | SYSTEM_CODES | {"CUSTOM"}, "… and nothing Square does not know")

    # A custom reason: created (the SDK requires its id, {"type": "CUSTOM"}), then created again
    # with the same key (a retry: the same reason).
    name = f"Donated to charity {unique}"
    create = dict(
        idempotency_key=f"reason-{unique}",
        adjustment_reason={"id": {"type": "CUSTOM"}, "name": name, "direction": "DECREASE"},
    )
    created = inventory.create_inventory_adjustment_reason(**create).adjustment_reason
    reason_id = created.id.custom_reason_id
    check(created.id.type == "CUSTOM" and bool(reason_id), f"create answers a CUSTOM reason with its id ({created.id})")
    check(
        created.name == name and created.direction == "DECREASE" and created.is_deleted is False,
        f"… named as sent, DECREASE, not deleted ({created.name!r} {created.direction} {created.is_deleted})",
    )
    check(bool(created.created_at) and bool(created.updated_at), "… with created_at and updated_at")
    again = inventory.create_inventory_adjustment_reason(**create).adjustment_reason
    check(again.id.custom_reason_id == reason_id, f"a retry with the same idempotency key answers the same id ({again.id.custom_reason_id})")
    custom = {"type": "CUSTOM", "custom_reason_id": reason_id}
    fetched = inventory.retrieve_inventory_adjustment_reason(reason_id=custom).adjustment_reason
    check(fetched.id.custom_reason_id == reason_id and fetched.name == name, "retrieve reads it back by id")
    listed = inventory.list_inventory_adjustment_reasons().adjustment_reasons or []
    check([r.name for r in listed if r.id.custom_reason_id == reason_id] == [name], "the list holds it")

    # Renamed: only the name can change.
    renamed = f"Charitable donation {unique}"
    updated = inventory.update_inventory_adjustment_reason(
        reason_id=custom, adjustment_reason={"id": custom, "name": renamed}
    ).adjustment_reason
    check(
        updated.name == renamed and updated.id.custom_reason_id == reason_id and updated.direction == "DECREASE",
        f"update renames it, same id and direction ({updated.name!r})",
    )
    check(updated.created_at == created.created_at and updated.updated_at >= created.updated_at, "… created_at kept, updated_at moved on")
    check(inventory.retrieve_inventory_adjustment_reason(reason_id=custom).adjustment_reason.name == renamed, "retrieve reads the new name")

    # A receipt with a standard reason, its cost and its vendor; then waste with the custom reason.
    vendor = f"vendor-{unique}"
    receipt_change = {
        "type": "ADJUSTMENT",
        "adjustment": {
            "from_state": "NONE",
            "to_state": "IN_STOCK",
            "to_location_id": location,
            "catalog_object_id": item,
            "quantity": "10",
            "occurred_at": at(45),
            "reason_id": {"type": "RECEIVED"},
            "cost_money": {"amount": 1250, "currency": "USD"},
            "vendor_id": vendor,
        },
    }
    received = inventory.batch_create_changes(idempotency_key=f"receipt-{unique}", changes=[receipt_change])
    receipt = received.changes[0].adjustment
    check(receipt.reason_id is not None and receipt.reason_id.type == "RECEIVED", f"the receipt is answered with reason_id RECEIVED ({receipt.reason_id})")
    check(
        receipt.cost_money is not None and receipt.cost_money.amount == 1250 and receipt.cost_money.currency == "USD",
        f"… cost_money 1250 USD ({receipt.cost_money})",
    )
    check(receipt.vendor_id == vendor, f"… and vendor_id ({receipt.vendor_id})")
    check(where_2026(receipt, location), f"… from_location_id / to_location_id, no location_id ({receipt.model_dump(exclude_unset=True)})")
    waste_change = {
        "type": "ADJUSTMENT",
        "adjustment": {
            "from_state": "IN_STOCK",
            "to_state": "WASTE",
            "from_location_id": location,
            "catalog_object_id": item,
            "quantity": "2",
            "occurred_at": at(40),
            "reason_id": custom,
        },
    }
    wasted = inventory.batch_create_changes(idempotency_key=f"waste-{unique}", changes=[waste_change])
    waste = wasted.changes[0].adjustment
    check(
        waste.reason_id is not None and waste.reason_id.type == "CUSTOM" and waste.reason_id.custom_reason_id == reason_id,
        f"waste with the custom reason is answered with it ({waste.reason_id})",
    )
    check(where_2026(waste, location), "… in the 2026 model")
    check({c.state: c.quantity for c in wasted.counts or []} == {"IN_STOCK": "8", "WASTE": "2"}, "counts: IN_STOCK 8, WASTE 2")
    error = refused(
        lambda: inventory.batch_create_changes(
            idempotency_key=f"cost-{unique}",
            changes=[{**waste_change, "adjustment": {**waste_change["adjustment"], "cost_money": {"amount": 1, "currency": "USD"}}}],
        ),
        "cost_money on an adjustment that is not a receipt is refused",
    )
    first = error.errors[0]
    check(
        error.status_code == 400 and first.code == "INVALID_VALUE" and first.field == "changes[0].adjustment.cost_money",
        f"cost_money off a receipt: 400 INVALID_VALUE on changes[0].adjustment.cost_money ({error.status_code} {first.code} {first.field})",
    )

    # History by reason: exactly the change with that reason, read back with its fields.
    by_custom = list(inventory.batch_get_changes(catalog_object_ids=[item], reason_ids=[custom]))
    check([c.adjustment.id for c in by_custom] == [waste.id], f"reason_ids [the custom reason] finds exactly the waste ({len(by_custom)})")
    by_received = list(inventory.batch_get_changes(catalog_object_ids=[item], reason_ids=[{"type": "RECEIVED"}]))
    check([c.adjustment.id for c in by_received] == [receipt.id], "reason_ids [RECEIVED] finds exactly the receipt")
    read = by_received[0].adjustment
    check(
        read.cost_money.amount == 1250 and read.vendor_id == vendor and read.reason_id.type == "RECEIVED" and where_2026(read, location),
        "the receipt reads back with reason_id, cost_money, vendor_id, in the 2026 model",
    )
    fetched = inventory.get_adjustment(waste.id).adjustment
    check(fetched.reason_id.custom_reason_id == reason_id and where_2026(fetched, location), "get_adjustment reads the reason back, in the 2026 model")
    error = refused(
        lambda: list(inventory.batch_get_changes(catalog_object_ids=[item], reason_ids=[custom], states=["WASTE"])),
        "reason_ids with states is refused",
    )
    first = error.errors[0]
    check(error.status_code == 400, f"reason_ids with states: HTTP 400 ({error.status_code})")
    check(
        first.category == "INVALID_REQUEST_ERROR" and first.code == "INVALID_VALUE" and first.field == "reason_ids",
        f"… INVALID_REQUEST_ERROR INVALID_VALUE on reason_ids ({first.category} {first.code} {first.field})",
    )

    # Deleted: kept (retrieve, include_deleted) but no longer usable, nor renamed.
    deleted = inventory.delete_inventory_adjustment_reason(reason_id=custom).adjustment_reason
    check(deleted.id.custom_reason_id == reason_id and deleted.is_deleted is True, "delete answers the reason with is_deleted")
    more_waste = {**waste_change, "adjustment": {**waste_change["adjustment"], "quantity": "1", "occurred_at": at(30)}}
    error = refused(
        lambda: inventory.batch_create_changes(idempotency_key=f"deleted-{unique}", changes=[more_waste]),
        "an adjustment naming a deleted reason is refused",
    )
    first = error.errors[0]
    check(
        error.status_code == 400
        and first.category == "INVALID_REQUEST_ERROR"
        and first.code == "INVALID_VALUE"
        and first.field == "changes[0].adjustment.reason_id.custom_reason_id",
        f"a deleted reason: 400 INVALID_VALUE on changes[0].adjustment.reason_id.custom_reason_id "
        f"({error.status_code} {first.code} {first.field}: {first.detail})",
    )
    counts = {c.state: c.quantity for c in inventory.batch_get_counts(catalog_object_ids=[item])}
    check(counts == {"IN_STOCK": "8", "WASTE": "2"}, f"… and nothing was applied ({counts})")
    error = refused(
        lambda: inventory.update_inventory_adjustment_reason(reason_id=custom, adjustment_reason={"id": custom, "name": name}),
        "a deleted reason cannot be renamed",
    )
    check(error.status_code == 400 and error.errors[0].code == "INVALID_VALUE", f"renaming a deleted reason: 400 INVALID_VALUE ({error.status_code} {error.errors[0].code})")
    listed = inventory.list_inventory_adjustment_reasons().adjustment_reasons or []
    check(reason_id not in [r.id.custom_reason_id for r in listed], "the list leaves the deleted reason out")
    listed = inventory.list_inventory_adjustment_reasons(include_deleted=True).adjustment_reasons or []
    shown = [r for r in listed if r.id.custom_reason_id == reason_id]
    check(len(shown) == 1 and shown[0].is_deleted is True, "include_deleted lists it with is_deleted true")
    check(inventory.retrieve_inventory_adjustment_reason(reason_id=custom).adjustment_reason.is_deleted is True, "retrieve still reads it, deleted")

    # Restored: usable again.
    restored = inventory.restore_inventory_adjustment_reason(reason_id=custom).adjustment_reason
    check(restored.is_deleted is False and restored.name == renamed, "restore answers it not deleted, its name kept")
    again = inventory.batch_create_changes(idempotency_key=f"restored-{unique}", changes=[more_waste])
    check(again.changes[0].adjustment.reason_id.custom_reason_id == reason_id, "an adjustment naming the restored reason is written")
    check({c.state: c.quantity for c in again.counts or []} == {"IN_STOCK": "7", "WASTE": "3"}, "counts: IN_STOCK 7, WASTE 3")
    listed = inventory.list_inventory_adjustment_reasons().adjustment_reasons or []
    check(reason_id in [r.id.custom_reason_id for r in listed], "the list holds it again")
    by_custom = list(inventory.batch_get_changes(catalog_object_ids=[item], reason_ids=[custom]))
    check(len(by_custom) == 2, f"reason_ids now finds both wastes ({len(by_custom)})")


if __name__ == "__main__":
    main()
