"""Stockledger's Square-form webhooks checked by Square's own code: every notification the
receiver gets must pass `square.utils.webhooks_helper.verify_signature` of Square's Python SDK
(`squareup`, requirements.txt). Exits non-zero on the first failed check.

Starts its own servers from STOCKLEDGER_BIN (each on a throw-away SQLite database in a temp
dir, migrated first, one token per scenario with every scope) and an HTTP receiver in this
process, and runs five scenarios (README.md):
  a. round trip: counts, adjustments (2.5 units) and a transfer, in feed order, verified; a
     tampered body, a wrong key and a wrong URL are rejected by verify_signature;
  b. receiver down: the subscription turns RETRYING with a last error; back up, everything
     arrives in order, none missing;
  c. server SIGKILLed mid-delivery: after a restart on the same database every notification
     arrives at least once, first arrivals in feed order, at most the one in flight again;
  d. a reservation left to expire is announced as inventory.reservation.expired;
  e. the id CreateWebhookSubscription answers names the subscription for Get and Delete;
  f. Square's own SDK subscribes, reads, lists and deletes through the Square door
     (webhooks.subscriptions), and the key it is answered verifies the notifications.
"""

import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from square import Square
from square.core.api_error import ApiError
from square.utils.webhooks_helper import verify_signature

import stockledger
from stockledger.v1 import webhook_pb2 as wh
from stockledger.v1 import webhook_pb2_grpc as wh_grpc

SCOPES = (
    "INVENTORY_READ,INVENTORY_WRITE,INVENTORY_IMPORT,ITEMS_READ,ITEMS_WRITE,LOCATIONS_READ,"
    "LOCATIONS_WRITE,RESERVATIONS_READ,RESERVATIONS_WRITE,WEBHOOKS_READ,WEBHOOKS_WRITE"
)
SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def server_env(database_url: str) -> dict[str, str]:
    """This process's environment without the variables `stockledger` reads as settings
    (STOCKLEDGER_*, DATABASE_URL: scripts/clients-test.sh sets STOCKLEDGER_TLS_CERT and
    STOCKLEDGER_TLS_KEY for clients, which serve would take as its own certificate), with
    the server's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLEDGER_") and k != "DATABASE_URL"}
    env["DATABASE_URL"] = database_url
    return env


def wait_for(condition, what: str, timeout: float):
    """Polls `condition` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            check(False, f"{what} (waited {timeout:.0f} s)")
        time.sleep(0.05)


class Server:
    """A `stockledger serve` of STOCKLEDGER_BIN on its own SQLite database."""

    def __init__(self, workdir: str, name: str) -> None:
        self.bin = os.environ["STOCKLEDGER_BIN"]
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.database_url = f"sqlite://{self.dir}/s.db?mode=rwc"
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.http_port = 0
        self._run("migrate", "--database-url", self.database_url)

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [self.bin, *args],
            env=server_env(self.database_url),
            capture_output=True,
            text=True,
            cwd=self.dir,
        )
        if done.returncode != 0:
            check(False, f"stockledger {args[0]} exits 0 (stderr: {done.stderr.strip()})")
        return done.stdout.strip()

    def token(self, merchant: str) -> str:
        return self._run("token", "create", "--merchant", merchant, "--scopes", SCOPES, "--app-name", "square webhooks")

    def start(self) -> None:
        self.port = self.port or free_port()
        self.http_port = self.http_port or free_port()
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.process = subprocess.Popen(
            [
                self.bin,
                "serve",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--http-listen",
                f"127.0.0.1:{self.http_port}",
                "--no-dev-token",
                "--database-url",
                self.database_url,
                "--webhook-max-retry-interval-seconds",
                "1",
                "--shutdown-grace-seconds",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            env=server_env(self.database_url),
        )
        log.close()
        deadline = time.monotonic() + 30
        while not listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.show_log()
                check(False, f"the server listens on 127.0.0.1:{self.port}")
            time.sleep(0.05)

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def show_log(self) -> None:
        with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
            sys.stderr.write(f"----- server log ({self.dir}) -----\n{f.read()}\n")


class Arrival:
    def __init__(self, body: str, signature: str, valid: bool, started: float) -> None:
        self.started = started
        self.body = body
        self.signature = signature
        self.valid = valid
        self.json = json.loads(body)


class Receiver:
    """An HTTP server on a fixed port of 127.0.0.1 that checks each POST with Square's
    verify_signature and answers 200 (valid) or 401 (not), keeping every arrival. `stop()`
    closes the port; `start()` opens it again."""

    def __init__(self, signature_key: str = "", delay: float = 0.0) -> None:
        self.port = free_port()
        self.path = "/square/notifications"
        self.signature_key = signature_key
        self.delay = delay
        # Answer 503 to this many notifications (valid ones included) before answering 200.
        self.refuse_next = 0
        self.arrivals: list[Arrival] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                started = time.monotonic()
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                signature = self.headers.get(SIGNATURE_HEADER, "")
                # Square's own check, with the URL the subscription names.
                valid = verify_signature(
                    request_body=body,
                    signature_header=signature,
                    signature_key=receiver.signature_key,
                    notification_url=receiver.url,
                )
                with receiver.lock:
                    receiver.arrivals.append(Arrival(body, signature, valid, started))
                    refuse = valid and receiver.refuse_next > 0
                    if refuse:
                        receiver.refuse_next -= 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(503 if refuse else 200 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)


def subscribe(client: stockledger.Client, receiver: Receiver, *event_types: int) -> wh.WebhookSubscription:
    stub = wh_grpc.WebhookServiceStub(client.channel)
    created = stub.CreateWebhookSubscription(
        wh.CreateWebhookSubscriptionRequest(
            subscription=wh.WebhookSubscription(
                name="square receiver",
                notification_url=receiver.url,
                format=wh.WEBHOOK_FORMAT_SQUARE,
                event_types=list(event_types),
            )
        )
    ).subscription
    check(created.signature_key != "", "CreateWebhookSubscription answers a signature key")
    receiver.signature_key = created.signature_key
    return created


def get_subscription(client: stockledger.Client, subscription_id: str) -> wh.WebhookSubscription:
    """The subscription with its delivery state (GetWebhookSubscription)."""
    stub = wh_grpc.WebhookServiceStub(client.channel)
    return stub.GetWebhookSubscription(wh.GetWebhookSubscriptionRequest(id=subscription_id)).subscription


def counts_of(arrival: Arrival) -> dict[tuple[str, str], Decimal]:
    """(location_id, state) → quantity of an inventory.count.updated notification."""
    return {
        (c["location_id"], c["state"]): Decimal(c["quantity"])
        for c in arrival.json["data"]["object"]["inventory_counts"]
    }


def all_valid(arrivals: list[Arrival], what: str) -> None:
    bad = [a.json.get("event_id") for a in arrivals if not a.valid]
    check(not bad, f"{what}: Square's verify_signature accepts all {len(arrivals)} notifications (rejected: {bad})")


def in_feed_order(arrivals: list[Arrival], what: str) -> None:
    sequences = [a.json["data"]["sequence"] for a in arrivals]
    check(sequences == sorted(sequences), f"{what}: data.sequence never goes back ({sequences})")


def scenario_round_trip(server: Server) -> None:
    print("== a. round trip", flush=True)
    token = server.token("square-webhooks-a")
    receiver = Receiver()
    receiver.start()
    with stockledger.Client(server.addr, token) as client:
        shop = client.create_location("Shop").id
        depot = client.create_location("Depot").id
        item = client.create_inventory_item("MUG-RED").id
        sub = subscribe(client, receiver, wh.WEBHOOK_EVENT_TYPE_COUNT_UPDATED, wh.WEBHOOK_EVENT_TYPE_CHANGE_RECORDED)
        steps = [
            (
                stockledger.physical_count(item, shop, "IN_STOCK", "10"),
                "PHYSICAL_COUNT",
                {(shop, "IN_STOCK"): Decimal("10")},
            ),
            (
                stockledger.adjustment(item, shop, "IN_STOCK", "WASTE", "2.5"),
                "ADJUSTMENT",
                {(shop, "IN_STOCK"): Decimal("7.5"), (shop, "WASTE"): Decimal("2.5")},
            ),
            # Square's 2026 model answers a move as an ADJUSTMENT between two locations.
            (
                stockledger.transfer(item, shop, depot, "IN_STOCK", "3"),
                "ADJUSTMENT",
                {(shop, "IN_STOCK"): Decimal("4.5"), (depot, "IN_STOCK"): Decimal("3")},
            ),
            (
                stockledger.adjustment(item, depot, "NONE", "IN_STOCK", "1.25", reference_id="réception ☕ 1"),
                "ADJUSTMENT",
                {(depot, "IN_STOCK"): Decimal("4.25")},
            ),
        ]
        change_ids = []
        for change, _, _ in steps:
            result = client.batch_change_inventory([change])
            change_ids.append(result.changes[0].id)

        wait_for(
            lambda: len(receiver.snapshot()) >= 2 * len(steps),
            f"{2 * len(steps)} notifications arrive",
            30,
        )
        time.sleep(0.5)  # nothing more should come
        arrivals = receiver.snapshot()
        check(len(arrivals) == 2 * len(steps), f"exactly {2 * len(steps)} notifications ({len(arrivals)})")
        all_valid(arrivals, "round trip")
        in_feed_order(arrivals, "round trip")
        check(
            len({a.json["event_id"] for a in arrivals}) == len(arrivals),
            "every notification has its own event_id",
        )
        for i, (_, kind, expected) in enumerate(steps):
            change_note, count_note = arrivals[2 * i], arrivals[2 * i + 1]
            check(
                change_note.json["type"] == "inventory.change.recorded"
                and count_note.json["type"] == "inventory.count.updated",
                f"change {i + 1}: inventory.change.recorded then inventory.count.updated",
            )
            check(
                count_note.json["data"]["id"] == change_ids[i] == change_note.json["data"]["id"],
                f"change {i + 1}: data.id is the change's id ({change_ids[i]})",
            )
            check(
                counts_of(count_note) == expected,
                f"change {i + 1}: counts after it {expected} ({counts_of(count_note)})",
            )
            recorded = change_note.json["data"]["object"]["inventory_change"]
            check(
                recorded["type"] == kind,
                f"change {i + 1}: inventory.change.recorded carries a {kind} ({recorded['type']})",
            )
        received = arrivals[6].json["data"]["object"]["inventory_change"]["adjustment"]
        check(
            received.get("reference_id") == "réception ☕ 1",
            f"a non-ASCII reference_id comes through, verified ({received.get('reference_id')!r})",
        )
        moved = arrivals[4].json["data"]["object"]["inventory_change"]["adjustment"]
        check(
            (moved["from_location_id"], moved["to_location_id"], Decimal(moved["quantity"])) == (shop, depot, 3),
            "the transfer's inventory.change.recorded moves 3 from the shop to the depot",
        )
        merchants = {a.json["merchant_id"] for a in arrivals}
        check(len(merchants) == 1 and "" not in merchants, f"every notification names the one merchant ({merchants})")
        waste = arrivals[3].json["data"]["object"]["inventory_counts"]
        previous = {c["state"]: c.get("previous_quantity") for c in waste}
        check(
            Decimal(previous["IN_STOCK"]) == Decimal("10"),
            f"the waste's IN_STOCK count carries previous_quantity 10 ({previous})",
        )

        # Negative controls: Square's check must be able to say no.
        sample = arrivals[3]
        good = dict(request_body=sample.body, signature_header=sample.signature, notification_url=receiver.url)
        check(
            verify_signature(signature_key=sub.signature_key, **good), "verify_signature accepts a delivered body as is"
        )
        tampered = sample.body.replace('"7.5"', '"75"')
        check(tampered != sample.body, "the tampered body differs from the delivered one")
        check(
            not verify_signature(
                request_body=tampered,
                signature_header=sample.signature,
                signature_key=sub.signature_key,
                notification_url=receiver.url,
            ),
            "verify_signature rejects a tampered body (7.5 → 75)",
        )
        check(
            not verify_signature(signature_key=sub.signature_key + "x", **good),
            "verify_signature rejects the right body under a wrong key",
        )
        check(
            not verify_signature(
                request_body=sample.body,
                signature_header=sample.signature,
                signature_key=sub.signature_key,
                notification_url=receiver.url + "/other",
            ),
            "verify_signature rejects the right body for another notification URL",
        )
        state = get_subscription(client, sub.id)
        check(
            state.delivery_state == wh.WEBHOOK_DELIVERY_STATE_ACTIVE
            and state.delivered_sequence == state.feed_sequence
            and state.failed_attempts == 0,
            f"the subscription is ACTIVE and caught up (delivered {state.delivered_sequence} of {state.feed_sequence})",
        )
    receiver.stop()


def scenario_receiver_down(server: Server) -> None:
    print("== b. receiver down for a while", flush=True)
    token = server.token("square-webhooks-b")
    receiver = Receiver()
    receiver.start()
    with stockledger.Client(server.addr, token) as client:
        shop = client.create_location("Shop").id
        item = client.create_inventory_item("MUG-BLUE").id
        sub = subscribe(client, receiver, wh.WEBHOOK_EVENT_TYPE_COUNT_UPDATED)
        client.batch_change_inventory([stockledger.physical_count(item, shop, "IN_STOCK", "5")])
        wait_for(lambda: len(receiver.snapshot()) >= 1, "the first notification arrives while the receiver is up", 30)

        receiver.stop()
        check(not listening(receiver.port), f"the receiver's port {receiver.port} is closed")
        quantities = ["6", "7.5", "9", "10.25", "12"]
        for q in quantities:
            client.batch_change_inventory([stockledger.physical_count(item, shop, "IN_STOCK", q)])
        state = wait_for(
            lambda: (s := get_subscription(client, sub.id)).delivery_state == wh.WEBHOOK_DELIVERY_STATE_RETRYING
            and s.failed_attempts >= 1
            and s.last_error
            and s,
            "GetWebhookSubscription turns RETRYING with failed_attempts ≥ 1 and a last_error",
            30,
        )
        check(True, f"RETRYING after {state.failed_attempts} failed attempt(s): {state.last_error!r}")
        check(state.delivered_sequence < state.feed_sequence, "the backlog shows: delivered_sequence < feed_sequence")
        time.sleep(2)  # a few more failed attempts
        check(len(receiver.snapshot()) == 1, "nothing arrived while the port was closed")

        receiver.start()
        wait_for(
            lambda: len(receiver.snapshot()) >= 1 + len(quantities), "the backlog arrives once the receiver is back", 30
        )
        time.sleep(0.5)
        arrivals = receiver.snapshot()
        all_valid(arrivals, "receiver down")
        in_feed_order(arrivals, "receiver down")
        seen = [counts_of(a)[(shop, "IN_STOCK")] for a in arrivals]
        check(
            seen == [Decimal(q) for q in ["5", *quantities]],
            f"every count arrives once, in order, none missing ({[str(s) for s in seen]})",
        )
        state = wait_for(
            lambda: (s := get_subscription(client, sub.id)).delivery_state == wh.WEBHOOK_DELIVERY_STATE_ACTIVE
            and s.delivered_sequence == s.feed_sequence
            and s,
            "the subscription is ACTIVE and caught up again",
            10,
        )
        check(state.failed_attempts == 0 and state.last_error == "", "failed_attempts and last_error are cleared")

        # A receiver that answers 503 twice: the same notification (event_id, body,
        # signature) comes a third time, and is the only thing that comes.
        receiver.refuse_next = 2
        client.batch_change_inventory([stockledger.physical_count(item, shop, "IN_STOCK", "13")])
        wait_for(lambda: len(receiver.snapshot()) >= len(arrivals) + 3, "a refused notification is sent again", 30)
        time.sleep(0.5)
        attempts = receiver.snapshot()[len(arrivals) :]
        all_valid(attempts, "503 twice")
        check(
            len(attempts) == 3 and len({(a.json["event_id"], a.body, a.signature) for a in attempts}) == 1,
            f"three attempts of one notification, the same event_id, body and signature each time ({len(attempts)})",
        )
        state = wait_for(
            lambda: (s := get_subscription(client, sub.id)).delivered_sequence == s.feed_sequence and s,
            "the subscription is caught up after the third attempt",
            10,
        )
        check(
            state.delivery_state == wh.WEBHOOK_DELIVERY_STATE_ACTIVE and state.failed_attempts == 0,
            "ACTIVE again, no failure counted",
        )
    receiver.stop()


def scenario_server_killed(workdir: str) -> None:
    print("== c. server SIGKILLed mid-delivery", flush=True)
    server = Server(workdir, "killed")
    token = server.token("square-webhooks-c")
    server.start()
    receiver = Receiver(delay=0.1)
    receiver.start()
    total = 40
    try:
        with stockledger.Client(server.addr, token) as client:
            shop = client.create_location("Shop").id
            item = client.create_inventory_item("MUG-GREEN").id
            subscribe(client, receiver, wh.WEBHOOK_EVENT_TYPE_COUNT_UPDATED)
            for i in range(1, total + 1):
                client.batch_change_inventory([stockledger.adjustment(item, shop, "NONE", "IN_STOCK", "1")])
        wait_for(lambda: len(receiver.snapshot()) >= 10, "10 notifications arrive before the kill", 30)
        server.kill()
        killed_at = time.monotonic()
        # What arrives until the restart was sent by the killed process (a request it sent
        # just before the kill may be taken a moment later).
        time.sleep(0.3)
        before = receiver.snapshot()
        check(len(before) < total, f"the server was killed mid-delivery ({len(before)} of {total} arrived)")

        server.start()
        wait_for(
            lambda: len({a.json["event_id"] for a in receiver.snapshot()}) >= total,
            f"all {total} notifications arrive after the restart",
            100,
        )
        time.sleep(0.5)
        arrivals = receiver.snapshot()
        print(f"   delivery resumed {arrivals[len(before)].started - killed_at:.1f} s after the kill")
        all_valid(arrivals, "server killed")
        first: dict[str, Arrival] = {}
        for a in arrivals:
            first.setdefault(a.json["event_id"], a)
        firsts = list(first.values())
        check(len(firsts) == total, f"every one of the {total} notifications arrived at least once ({len(firsts)})")
        in_feed_order(firsts, "first arrivals")
        seen = [counts_of(a)[(shop, "IN_STOCK")] for a in firsts]
        check(seen == [Decimal(n) for n in range(1, total + 1)], "the counts 1…40 each arrived, in order")
        again = [a for a in arrivals[len(before) :] if a.json["event_id"] in {b.json["event_id"] for b in before}]
        in_flight = {before[-1].json["event_id"]}
        check(
            {a.json["event_id"] for a in again} <= in_flight and len(again) <= 1,
            f"duplicates only of the notification in flight at the kill ({len(again)} duplicate(s))",
        )
        in_feed_order(arrivals[len(before) :], "arrivals after the restart")
    except SystemExit:
        server.show_log()
        raise
    finally:
        receiver.stop()
        server.stop()


def scenario_reservation_expired(server: Server) -> None:
    """A reservation left to expire: Square's form announces it as inventory.reservation.expired."""
    print("== d. a reservation expires", flush=True)
    token = server.token("square-webhooks-e")
    receiver = Receiver()
    receiver.start()
    with stockledger.Client(server.addr, token) as client:
        shop = client.create_location("Shop").id
        item = client.create_inventory_item("MUG-WHITE").id
        client.batch_change_inventory([stockledger.physical_count(item, shop, "IN_STOCK", "5")])
        subscribe(client, receiver, wh.WEBHOOK_EVENT_TYPE_RESERVATION_EXPIRED)
        held = client.create_reservation([(item, shop, "1.5")], ttl=datetime.timedelta(seconds=1))
        wait_for(lambda: len(receiver.snapshot()) >= 1, "the expiry is announced", 30)
        time.sleep(0.5)
        arrivals = receiver.snapshot()
        all_valid(arrivals, "reservation expired")
        check(len(arrivals) == 1, f"one notification: the expiry (holding made none) ({len(arrivals)})")
        note = arrivals[0].json
        check(
            note["type"] == "inventory.reservation.expired",
            f"its type is inventory.reservation.expired ({note['type']})",
        )
        expired = note["data"]["object"]
        check(expired["reservation_id"] == held.id, f"it names the reservation ({expired['reservation_id']})")
        moved = expired["inventory_change"]["adjustment"]
        check(
            moved["to_state"] == "IN_STOCK" and Decimal(moved["quantity"]) == Decimal("1.5"),
            f"its change gives the 1.5 held units back to IN_STOCK ({moved['from_state']} → {moved['to_state']})",
        )
        counts = client.retrieve_inventory_count(item)
        in_stock = [c.quantity for c in counts if c.state == "IN_STOCK"]
        check(in_stock == [Decimal("5")], f"5 are in stock again ({in_stock})")
    receiver.stop()


def scenario_ids(server: Server) -> None:
    """The id CreateWebhookSubscription answers names the subscription for Get and Delete."""
    print("== e. the subscription's id for Get and Delete", flush=True)
    token = server.token("square-webhooks-d")
    receiver = Receiver()
    with stockledger.Client(server.addr, token) as client:
        stub = wh_grpc.WebhookServiceStub(client.channel)
        sub = subscribe(client, receiver, wh.WEBHOOK_EVENT_TYPE_COUNT_UPDATED)
        try:
            got = stub.GetWebhookSubscription(wh.GetWebhookSubscriptionRequest(id=sub.id)).subscription
        except grpc.RpcError as error:
            check(
                False,
                f"GetWebhookSubscription finds {sub.id}, the id Create answered ({error.code().name}: {error.details()})",
            )
        check(
            got.id == sub.id and got.signature_key == sub.signature_key,
            "GetWebhookSubscription answers the subscription with its signature key",
        )
        try:
            stub.DeleteWebhookSubscription(wh.DeleteWebhookSubscriptionRequest(id=sub.id))
        except grpc.RpcError as error:
            check(False, f"DeleteWebhookSubscription deletes {sub.id} ({error.code().name}: {error.details()})")
        listed = stub.ListWebhookSubscriptions(wh.ListWebhookSubscriptionsRequest()).subscriptions
        check(all(s.id != sub.id for s in listed), "a deleted subscription is no longer listed")


def scenario_square_sdk(server: Server) -> None:
    """Square's own SDK subscribes, lists and deletes through the Square door
    (/v2/webhooks/subscriptions); the key it is answered verifies the notifications."""
    print("== f. subscribed with Square's SDK", flush=True)
    token = server.token("square-webhooks-f")
    receiver = Receiver()
    receiver.start()
    square = Square(base_url=f"http://127.0.0.1:{server.http_port}", token=token)
    created = square.webhooks.subscriptions.create(
        idempotency_key="sdk-subscription-1",
        subscription={
            "name": "subscribed by Square's SDK",
            "event_types": ["inventory.count.updated"],
            "notification_url": receiver.url,
            "api_version": "2026-01-22",
        },
    ).subscription
    check(
        created is not None and bool(created.id) and bool(created.signature_key) and created.enabled,
        "webhooks.subscriptions.create answers the subscription, enabled, with its signature key",
    )
    receiver.signature_key = created.signature_key
    fetched = square.webhooks.subscriptions.get(created.id).subscription
    check(
        fetched.signature_key == created.signature_key and fetched.event_types == ["inventory.count.updated"],
        "webhooks.subscriptions.get answers it again",
    )
    listed = [s.id for s in square.webhooks.subscriptions.list()]
    check(listed == [created.id], f"webhooks.subscriptions.list lists it ({listed})")
    with stockledger.Client(server.addr, token) as client:
        shop = client.create_location("SDK Shop").id
        item = client.create_inventory_item("SDK-MUG").id
        client.batch_change_inventory([stockledger.physical_count(item, shop, "IN_STOCK", "4.25")])
    arrivals = wait_for(lambda: receiver.snapshot(), "the SDK subscription's notification", 30)
    all_valid(arrivals, "SDK subscription")
    check(
        counts_of(arrivals[0]) == {(shop, "IN_STOCK"): Decimal("4.25")},
        "the notification carries the count, signed with the key the SDK was answered",
    )
    try:
        square.webhooks.subscriptions.create(
            subscription={"event_types": ["payment.created"], "notification_url": receiver.url}
        )
        check(False, "a subscription to payment.created is refused")
    except ApiError as error:
        errors = error.body.get("errors", []) if isinstance(error.body, dict) else []
        check(
            error.status_code == 400 and errors and errors[0].get("field") == "subscription.event_types[0]",
            f"an event Stockledger does not send is refused naming it ({error.status_code}: {error.body})",
        )
    square.webhooks.subscriptions.delete(created.id)
    left = [s.id for s in square.webhooks.subscriptions.list()]
    check(left == [], f"webhooks.subscriptions.delete removes it ({left})")
    receiver.stop()


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="square-webhooks.")
    server = Server(workdir, "main")
    server.start()
    try:
        scenario_round_trip(server)
        scenario_receiver_down(server)
        scenario_server_killed(workdir)
        scenario_reservation_expired(server)
        scenario_ids(server)
        scenario_square_sdk(server)
    except SystemExit:
        server.show_log()
        raise
    finally:
        server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    print("square-webhooks-python: all scenarios passed")


if __name__ == "__main__":
    main()
