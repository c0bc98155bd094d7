"""Inventory items and levels with Shopify's own Python library (ShopifyAPI), unchanged,
against Stockledger's Shopify front door (src/gateway/shopify). Exits non-zero on the first
failed check.

Environment: STOCKLEDGER_HTTP_ADDR (serve --http-listen), STOCKLEDGER_ADDR (gRPC, only to
create the items and the location: Shopify's products and locations APIs are not served) and
STOCKLEDGER_TOKEN (a token with every scope).
"""

import os
import sys
import uuid

import shopify
from pyactiveresource.connection import ResourceInvalid, ResourceNotFound, UnauthorizedAccess

import stockledger

API_VERSION = "2025-10"


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def activate(http: str, token: str) -> None:
    """Points ShopifyAPI at Stockledger: a session as for any shop (Session insists on https
    and a *.myshopify.com host), then the resources' site replaced by Stockledger's address.
    Setting `site` keeps the session's token header and API version; only the URL changes."""
    session = shopify.Session("stockledger.myshopify.com", API_VERSION, token)
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = f"http://{http}/admin/api/{API_VERSION}"


def main() -> None:
    http = os.environ["STOCKLEDGER_HTTP_ADDR"]
    token = os.environ["STOCKLEDGER_TOKEN"]
    unique = uuid.uuid4().hex[:12]

    # The items and the location come from Stockledger's own API (Shopify's products and
    # locations APIs would hold them).
    with stockledger.Client(os.environ["STOCKLEDGER_ADDR"], token) as grpc_client:
        location = grpc_client.create_location(f"Back Room {unique}").id
        mug = grpc_client.create_inventory_item(
            f"MUG-RED-{unique}",
            cost="12.5",
            harmonized_system_code="691200",
            country_harmonized_system_codes=[{"country_code": "US", "harmonized_system_code": "6912004400"}],
        ).id
        plate = grpc_client.create_inventory_item(f"PLATE-{unique}").id
        bowl = grpc_client.create_inventory_item(f"BOWL-{unique}").id

    activate(http, token)
    check(
        shopify.InventoryItem.site == f"http://{http}/admin/api/{API_VERSION}"
        and shopify.ShopifyResource.headers.get("X-Shopify-Access-Token") == token,
        "ShopifyAPI points at Stockledger over http with the session's token",
    )

    # One item: GET inventory_items/{id}.json.
    item = shopify.InventoryItem.find(mug)
    check(item.id == mug, f"InventoryItem.find(id) reads the item ({item.id})")
    check(item.sku == f"MUG-RED-{unique}", f"sku ({item.sku})")
    check(item.cost == "12.50", f"cost is Shopify's money string 12.50 ({item.cost!r})")
    check(item.tracked is True and item.requires_shipping is True, "tracked and requires_shipping default to True")
    check(item.harmonized_system_code == "691200", f"harmonized_system_code ({item.harmonized_system_code})")
    codes = [(c.country_code, c.harmonized_system_code) for c in item.country_harmonized_system_codes]
    check(codes == [("US", "6912004400")], f"country_harmonized_system_codes ({codes})")
    check(item.country_code_of_origin is None, "an absent value is None (null)")
    check(bool(item.created_at) and bool(item.updated_at), "created_at and updated_at are set")

    # Change it and save the whole item back (PUT, read-only fields included).
    item.cost = "19.99"
    item.sku = f"MUG-BLUE-{unique}"
    item.country_code_of_origin = "PT"
    check(item.save() is True, "save() of a changed cost, sku and country answers True")
    check(item.cost == "19.99" and item.sku == f"MUG-BLUE-{unique}", "the saved answer updates the object")
    again = shopify.InventoryItem.find(mug)
    check(
        again.cost == "19.99" and again.sku == f"MUG-BLUE-{unique}" and again.country_code_of_origin == "PT",
        f"re-read shows the new values ({again.sku}, {again.cost}, {again.country_code_of_origin})",
    )
    codes = [(c.country_code, c.harmonized_system_code) for c in again.country_harmonized_system_codes]
    check(codes == [("US", "6912004400")], "HS codes sent back unchanged are kept")

    # null clears a value.
    again.country_code_of_origin = None
    check(again.save() is True, "save() with country_code_of_origin None answers True")
    check(shopify.InventoryItem.find(mug).country_code_of_origin is None, "null cleared country_code_of_origin")

    # Invalid values: save() answers False and errors name the fields, as the SDK user sees them.
    bad = shopify.InventoryItem.find(mug)
    bad.cost = "-1"
    check(bad.save() is False, "save() with cost -1 answers False")
    messages = bad.errors.full_messages()
    check(
        any(m.startswith("cost ") and "at least 0" in m for m in messages),
        f"errors.full_messages() names the cost ({messages})",
    )
    check(bool(bad.errors.on("cost")), f"errors.on('cost') ({bad.errors.on('cost')!r})")
    bad = shopify.InventoryItem.find(mug)
    bad.country_code_of_origin = "ZZ"
    check(bad.save() is False, "save() with country_code_of_origin ZZ answers False")
    messages = bad.errors.full_messages()
    check(
        any(m.startswith("country_code_of_origin ") and "ZZ" in m for m in messages),
        f"errors.full_messages() names country_code_of_origin ({messages})",
    )
    check(shopify.InventoryItem.find(mug).cost == "19.99", "a refused save changed nothing")

    # A list by ids, two a page: the next page is in the Link header.
    ids = [mug, plate, bowl]
    page = shopify.InventoryItem.find(ids=",".join(ids), limit=2)
    check(len(page) == 2, f"find(ids=…, limit=2) answers 2 items ({len(page)})")
    check(page.has_next_page(), "has_next_page() is True")
    check(not page.has_previous_page(), "has_previous_page() is False (Stockledger links only forward)")
    second = page.next_page()
    check(len(second) == 1, f"next_page() answers the third item ({len(second)})")
    got = [i.id for i in page] + [i.id for i in second]
    check(sorted(got) == sorted(ids), "the two pages hold the three items, each once")
    check(not second.has_next_page(), "no further page")
    try:
        second.next_page()
        check(False, "next_page() past the last page raises")
    except IndexError:
        check(True, "next_page() past the last page raises IndexError")

    # Levels: set 42, adjust by -2, read 40.
    level = shopify.InventoryLevel.set(location, mug, 42)
    check(
        level.available == 42 and level.inventory_item_id == mug and level.location_id == location,
        f"InventoryLevel.set(location, item, 42) answers available 42 ({level.available!r})",
    )
    level = shopify.InventoryLevel.adjust(location, mug, -2)
    check(level.available == 40, f"InventoryLevel.adjust(location, item, -2) answers available 40 ({level.available!r})")
    level = shopify.InventoryLevel.adjust(location, mug, 5)
    check(level.available == 45, f"a positive adjust adds (available {level.available!r})")
    level = shopify.InventoryLevel.set(location, mug, 40)
    check(level.available == 40, f"set back to 40 ({level.available!r})")
    levels = shopify.InventoryLevel.find(inventory_item_ids=mug)
    found = [(lv.inventory_item_id, lv.location_id, lv.available) for lv in levels]
    check(found == [(mug, location, 40)], f"InventoryLevel.find(inventory_item_ids=…) lists 40 at the location ({found})")
    levels = shopify.InventoryLevel.find(location_ids=location, inventory_item_ids=",".join(ids))
    check(len(levels) == 1 and levels[0].available == 40, "find by location_ids lists only the item that has a level")
    try:
        shopify.InventoryLevel.set(location, mug, "many")
        check(False, "a non-numeric available is refused")
    except ResourceInvalid as error:  # a class method: no object to hold errors, the body names the field
        check(b'"available"' in error.response.body, f"a non-numeric available: ResourceInvalid naming available ({error.response.body!r})")

    # Refusals as pyactiveresource raises them.
    try:
        shopify.InventoryItem.find("01a20c5a-8f67-7031-9d39-e3d5cae5d630")
        check(False, "a missing item is not found")
    except ResourceNotFound:
        check(True, "a missing item raises ResourceNotFound")

    activate(http, "not-a-token")
    try:
        shopify.InventoryItem.find(mug)
        check(False, "a wrong token is refused")
    except UnauthorizedAccess:
        check(True, "a wrong token raises UnauthorizedAccess")
    activate(http, token)
    check(shopify.InventoryItem.find(mug).id == mug, "the right token works again")
    shopify.ShopifyResource.clear_session()
    print("shopify-python: inventory items and levels passed")


if __name__ == "__main__":
    main()
