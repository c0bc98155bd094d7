"""The web console in headless Chromium, as a person uses it (scripts/console-check.sh).

Opens /console on a running server: a refused token and one without RESERVATIONS_READ
are told so. Then signs in with a token by keyboard, checks each view
(stock with its search, an item's history, the live feed, reservations), then writes a
change over gRPC (grpcurl) and requires it on the open page within one second: a new line
at the top of the live feed and the count cell updated. Fails on any message the page logs
as an error (CSP violations and failed requests included). Saves a screenshot.

Environment: CONSOLE_URL, TOKEN, TOKEN_WITHOUT_RESERVATIONS, GRPC (host:port), ITEM, SKU, LOCATION, SCREENSHOT (path),
CHROMIUM (the browser binary; default /usr/bin/chromium).
"""

import json
import os
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

URL = os.environ["CONSOLE_URL"]
TOKEN = os.environ["TOKEN"]
TOKEN_WITHOUT_RESERVATIONS = os.environ["TOKEN_WITHOUT_RESERVATIONS"]
GRPC = os.environ["GRPC"]
ITEM = os.environ["ITEM"]
SKU = os.environ["SKU"]
LOCATION = os.environ["LOCATION"]
SCREENSHOT = os.environ["SCREENSHOT"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WITHIN_SECONDS = 1.0


def fail(message):
    print(f"console-check: {message}", file=sys.stderr)
    sys.exit(1)


def grpc(method, body):
    """Calls `method` with `body` through grpcurl and returns the answer's JSON."""
    answer = subprocess.run(
        ["grpcurl", "-plaintext", "-H", f"authorization: Bearer {TOKEN}", "-d", json.dumps(body), GRPC, method],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(answer.stdout)


def main():
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text} at {m.location}"))
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))

        # A refused token signs the page out at once, saying why, and is not kept. (The
        # browser logs the 401 answers as errors: this page's messages are not counted.)
        refused = browser.new_page()
        refused.goto(URL)
        refused.keyboard.type("not-a-token")
        refused.keyboard.press("Enter")
        refused.wait_for_selector("#sign-in-error:has-text('The token was refused')", timeout=5000)
        if refused.is_visible("#views") or refused.evaluate("sessionStorage.length") != 0:
            fail("a refused token left the page signed in")
        refused.close()

        # A token without RESERVATIONS_READ: the other views work, that one names the scope.
        partial = browser.new_page()
        partial.goto(URL)
        partial.keyboard.type(TOKEN_WITHOUT_RESERVATIONS)
        partial.keyboard.press("Enter")
        partial.wait_for_selector(
            "#reservations-status:has-text('lacks the RESERVATIONS_READ scope')", timeout=5000
        )
        partial.wait_for_selector("#feed[data-state=live]", timeout=5000)
        partial.close()

        page.goto(URL)
        # Every input and select has a label.
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select')].filter(e => e.labels.length === 0).map(e => e.id)"
        )
        if unlabelled:
            fail(f"inputs without a label: {unlabelled}")
        # Sign in by keyboard: the token field has focus.
        page.keyboard.type(TOKEN)
        page.keyboard.press("Enter")
        if page.evaluate("sessionStorage.length") != 1 or TOKEN in page.url:
            fail("the token is not kept in sessionStorage alone")

        # The feed is live before anything is written (it delivers what commits from now on).
        page.wait_for_selector("#feed[data-state=live]", timeout=5000)
        cell = f'td[data-key="{ITEM}|{LOCATION}|IN_STOCK"]'
        page.wait_for_selector(f"{cell}:text-is('10')", timeout=5000)

        # Search by SKU, then the item's history (newest first).
        page.fill("#stock-q", SKU)
        page.press("#stock-q", "Enter")
        page.wait_for_selector("#stock-status:has-text('1 item shown')", timeout=5000)
        page.click(f"#stock-table th button")
        page.wait_for_selector("#history-table tbody tr", timeout=5000)
        first = page.inner_text("#history-table tbody tr:first-child")
        if "in stock" not in first:
            fail(f"the history's newest row is not the receipt: {first!r}")

        # Reservations: the one the script made, held.
        page.wait_for_selector("#reservations-table tbody tr", timeout=5000)
        if "held" not in page.inner_text("#reservations-table tbody tr:first-child"):
            fail("the reservation is not listed as held")

        # Low-stock alerts: the reorder point the script set.
        page.wait_for_selector(f"#alerts-table tbody tr[data-item='{ITEM}']:has-text('15')", timeout=5000)

        # A change written over gRPC appears on the open page within a second, and so does the
        # alert of the reorder point it crosses.
        started = time.monotonic()
        grpc(
            "stockledger.v1.InventoryService/BatchChangeInventory",
            {
                "idempotency_key": f"console-check-{ITEM}",
                "changes": [
                    {
                        "adjustment": {
                            "catalog_object_id": ITEM,
                            "location_id": LOCATION,
                            "from_state": "INVENTORY_STATE_NONE",
                            "to_state": "INVENTORY_STATE_IN_STOCK",
                            "quantity": "7",
                        }
                    }
                ],
            },
        )
        left_ms = max(0.0, WITHIN_SECONDS - (time.monotonic() - started)) * 1000
        try:
            page.wait_for_function(
                """([cell, item]) => {
                    const li = document.querySelector('#feed-list li:first-child');
                    const td = document.querySelector(cell);
                    const alert = document.querySelector('#alerts-list li:first-child');
                    return li && li.dataset.item === item && li.textContent.includes('7')
                        && td && td.textContent === '17'
                        && alert && alert.dataset.item === item && alert.dataset.kind === 'RECOVERED';
                }""",
                arg=[cell, ITEM],
                timeout=max(left_ms, 1),
                polling="raf",
            )
        except Exception:
            page.screenshot(path=SCREENSHOT, full_page=True)
            fail(
                f"the change did not appear within {WITHIN_SECONDS:.0f} s: feed "
                f"{page.inner_text('#feed-list')!r}, cell {page.inner_text(cell)!r}, "
                f"alerts {page.inner_text('#alerts-list')!r}"
            )
        elapsed_ms = (time.monotonic() - started) * 1000
        # The item's open history shows it too, on top.
        page.wait_for_selector("#history-table tbody tr:first-child:has-text('7')", timeout=2000)

        page.screenshot(path=SCREENSHOT, full_page=True)
        browser.close()
    if errors:
        fail("the page logged errors:\n  " + "\n  ".join(errors))
    print(f"console-check: the change was on the page {elapsed_ms:.0f} ms after the write began (limit 1000 ms)")


if __name__ == "__main__":
    main()
