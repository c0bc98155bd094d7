// End-to-end tests against a running Stockledger server:
//   STOCKLEDGER_ADDR=127.0.0.1:50051 STOCKLEDGER_TOKEN=... node --test build-test/test/
// The token needs every scope. Nothing is skipped: without the variables the file fails.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createContextValues } from "@connectrpc/connect";
import { after, before, describe, it } from "node:test";
import {
  Code,
  EXPECT_ABSENT,
  StockledgerError,
  createStockledgerClient,
  type CallStream,
  type InventoryChange,
  type ImportChangeInput,
  type InventoryChangeInput,
  type InventoryCount,
  type Reservation,
  type StockledgerClient,
} from "../src/index.js";

const address = process.env.STOCKLEDGER_ADDR;
const token = process.env.STOCKLEDGER_TOKEN;
if (!address || !token) {
  throw new Error(
    "live tests need a server: set STOCKLEDGER_ADDR (host:port) and STOCKLEDGER_TOKEN " +
      "(a token with every INVENTORY_*, ITEMS_* and LOCATIONS_* scope)",
  );
}

const TIMEOUT = { timeout: 30_000 };
const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;

/** Reads exactly `n` messages, failing after `ms` without one. */
async function take<T>(iterator: AsyncIterator<T>, n: number, ms = 10_000): Promise<T[]> {
  const got: T[] = [];
  while (got.length < n) {
    const next = await withTimeout(iterator.next(), ms, `message ${got.length + 1} of ${n}`);
    if (next.done) throw new Error(`stream ended after ${got.length} of ${n} messages`);
    got.push(next.value);
  }
  return got;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves to "quiet" when no message arrives within `ms`. */
async function quietFor<T>(iterator: AsyncIterator<T>, ms: number): Promise<"quiet" | IteratorResult<T>> {
  const pending = iterator.next();
  pending.catch(() => {}); // rejected with Canceled once the stream is cancelled
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<"quiet">((resolve) => {
    timer = setTimeout(() => resolve("quiet"), ms);
  });
  return Promise.race([pending, quiet]).finally(() => clearTimeout(timer));
}

function quantities(counts: InventoryCount[]): Record<string, string> {
  return Object.fromEntries(counts.map((c) => [c.state, c.quantity]));
}

function adjustment(item: string, location: string, from: string, to: string, quantity: string): InventoryChangeInput {
  return {
    adjustment: {
      catalogObjectId: item,
      locationId: location,
      fromState: from as "NONE",
      toState: to as "IN_STOCK",
      quantity,
    },
  };
}

async function rejection(call: Promise<unknown>): Promise<StockledgerError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof StockledgerError, `expected a StockledgerError, got ${String(error)}`);
    return error;
  }
  assert.fail("the call succeeded but should have been refused");
}

describe("Stockledger TypeScript client against a live server", () => {
  let client: StockledgerClient;
  let locationId = "";
  let itemId = "";
  let dayChanges: InventoryChange[] = [];

  before(() => {
    client = createStockledgerClient(address, token);
  });
  after(() => client.close());

  it("creates a location and an item", TIMEOUT, async () => {
    const location = await client.locations.create({ name: `Corner Shop ${run}` });
    assert.match(location.id, /\S/);
    assert.equal(location.name, `Corner Shop ${run}`);
    assert.equal(location.status, "ACTIVE");
    assert.ok(location.createdAt instanceof Date);
    locationId = location.id;

    const item = await client.items.create({ sku: `MUG-RED-${run}`, cost: "25.00" });
    assert.match(item.id, /\S/);
    assert.equal(item.sku, `MUG-RED-${run}`);
    assert.equal(item.cost, "25", "costs come back normalised");
    assert.equal(item.tracked, true);
    assert.ok(item.createdAt instanceof Date && item.updatedAt instanceof Date);
    assert.ok(Math.abs(item.createdAt.getTime() - Date.now()) < 5 * 60_000, "createdAt is around now");
    itemId = item.id;

    assert.equal((await client.items.get(itemId)).sku, item.sku);
    assert.equal((await client.locations.get(locationId)).name, location.name);
  });

  it("records the seed's day: 100 in, 3 and 1 sold, 2 wasted, then a count of 93", TIMEOUT, async () => {
    const day = await client.inventory.batchChange({
      idempotencyKey: `day-1-${itemId}`,
      changes: [
        adjustment(itemId, locationId, "NONE", "IN_STOCK", "100"),
        adjustment(itemId, locationId, "IN_STOCK", "SOLD", "3"),
        adjustment(itemId, locationId, "IN_STOCK", "SOLD", "1"),
        adjustment(itemId, locationId, "IN_STOCK", "WASTE", "2"),
      ],
    });
    assert.deepEqual(quantities(day.counts), { IN_STOCK: "94", WASTE: "2" });
    assert.equal(day.changes.length, 4);
    for (const change of day.changes) {
      assert.equal(change.type, "ADJUSTMENT");
      assert.match(change.id, /\S/);
      if (change.type !== "ADJUSTMENT") continue;
      assert.equal(change.adjustment.catalogObjectId, itemId);
      assert.ok(change.adjustment.createdAt instanceof Date);
      assert.ok(change.adjustment.source, "the server records the source application");
    }

    const close = await client.inventory.batchChange({
      idempotencyKey: `close-1-${itemId}`,
      changes: [{ physicalCount: { catalogObjectId: itemId, locationId, state: "IN_STOCK", quantity: "93" } }],
    });
    assert.deepEqual(quantities(close.counts), { IN_STOCK: "93" });
    assert.equal(close.changes[0]?.type, "PHYSICAL_COUNT");
    dayChanges = [...day.changes, ...close.changes];

    const again = await client.inventory.batchChange({
      idempotencyKey: `day-1-${itemId}`,
      changes: [
        adjustment(itemId, locationId, "NONE", "IN_STOCK", "100"),
        adjustment(itemId, locationId, "IN_STOCK", "SOLD", "3"),
        adjustment(itemId, locationId, "IN_STOCK", "SOLD", "1"),
        adjustment(itemId, locationId, "IN_STOCK", "WASTE", "2"),
      ],
    });
    assert.deepEqual(
      again.changes.map((c) => c.id),
      day.changes.map((c) => c.id),
      "a retry with the same idempotency key returns the original response",
    );
  });

  it("reads the counts back", TIMEOUT, async () => {
    const page = await client.inventory.retrieveCount(itemId);
    assert.equal(page.cursor, "");
    assert.deepEqual(quantities(page.items), { IN_STOCK: "93", WASTE: "2" });
    for (const count of page.items) {
      assert.equal(count.locationId, locationId);
      assert.ok(count.calculatedAt instanceof Date);
      assert.equal(count.isEstimated, false);
    }
    const filtered = await client.inventory.retrieveCounts({ catalogObjectIds: [itemId], states: ["WASTE"] });
    assert.deepEqual(quantities(filtered.items), { WASTE: "2" });

    // As of an instant: before the first change nothing existed; now is what is current.
    const before = new Date(Date.now() - 24 * 3600_000);
    assert.deepEqual((await client.inventory.retrieveCount(itemId, { asOf: before })).items, []);
    const now = new Date();
    const asOfNow = await client.inventory.retrieveCounts({ catalogObjectIds: [itemId], asOf: now });
    assert.deepEqual(quantities(asOfNow.items), { IN_STOCK: "93", WASTE: "2" });
    assert.ok(asOfNow.items.every((c) => c.calculatedAt?.getTime() === now.getTime()), "calculatedAt is asOf");
  });

  it("pages through the history with a small limit until the cursor is empty", TIMEOUT, async () => {
    const pages: InventoryChange[][] = [];
    let cursor = "";
    do {
      const page = await client.inventory.retrieveChanges({ catalogObjectIds: [itemId], limit: 2, cursor });
      pages.push(page.items);
      cursor = page.cursor;
      assert.ok(pages.length <= 10, "paging ends");
    } while (cursor !== "");
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
    );
    const ids = pages.flat().map((c) => c.id);
    assert.deepEqual(ids, dayChanges.map((c) => c.id), "oldest first, nothing skipped or repeated");
    assert.deepEqual(
      pages.flat().map((c) => c.type),
      ["ADJUSTMENT", "ADJUSTMENT", "ADJUSTMENT", "ADJUSTMENT", "PHYSICAL_COUNT"],
    );

    const all: string[] = [];
    for await (const change of client.inventory.allChanges({ catalogObjectIds: [itemId], limit: 3 })) all.push(change.id);
    assert.deepEqual(all, ids);

    const newestFirst: string[] = [];
    for await (const change of client.inventory.allChanges({ catalogObjectIds: [itemId], limit: 2, sortOrder: "NEWEST_FIRST" })) {
      newestFirst.push(change.id);
    }
    assert.deepEqual(newestFirst, [...ids].reverse(), "NEWEST_FIRST: the same changes, newest first");
  });

  it("streams the whole history to the end, and resumes from a cursor", TIMEOUT, async () => {
    const streamed: { id: string; cursor: string }[] = [];
    for await (const message of client.inventory.streamChanges({ catalogObjectIds: [itemId] })) {
      streamed.push({ id: message.change.id, cursor: message.cursor });
      assert.match(message.cursor, /\S/);
    }
    assert.deepEqual(
      streamed.map((m) => m.id),
      dayChanges.map((c) => c.id),
    );

    const rest: string[] = [];
    const cursor = streamed[1]?.cursor ?? "";
    const callerValues = createContextValues();
    const resumed = client.inventory.streamChanges({ catalogObjectIds: [itemId], cursor }, { contextValues: callerValues });
    await withTimeout(resumed.established, 10_000, "the stream to be accepted");
    for await (const message of resumed) rest.push(message.change.id);
    assert.deepEqual(rest, dayChanges.slice(2).map((c) => c.id));
  });

  it("sets reorder points and watches the alerts they raise", TIMEOUT, async () => {
    const location = await client.locations.create({ name: `Alert Shop ${run}` });
    const item = await client.items.create({ sku: `ALERT-${run}` });
    const set = await client.inventory.setReorderPoint(item.id, location.id, "2.5");
    assert.equal(set.reorderPoint.reorderPoint, "2.5");
    assert.equal(set.quantity, undefined, "no count yet");
    assert.equal(set.low, true, "an absent count reads as 0");
    const listed = await client.inventory.listReorderPoints({ catalogObjectIds: [item.id] });
    assert.deepEqual(
      listed.items.map((p) => p.locationId),
      [location.id],
    );
    const alerts = client.inventory.watchAlerts({ start: "NOW", catalogObjectIds: [item.id] });
    try {
      await withTimeout(alerts.established, 10_000, "the watch to be established");
      const change = (from: string, to: string, q: string) =>
        client.inventory.batchChange({
          idempotencyKey: randomUUID(),
          changes: [adjustment(item.id, location.id, from, to, q)],
        });
      await change("NONE", "IN_STOCK", "3");
      await change("IN_STOCK", "SOLD", "1");
      const [recovered, low] = await take(alerts[Symbol.asyncIterator](), 2);
      assert.equal(recovered?.alert.kind, "RECOVERED");
      assert.equal(recovered?.alert.quantity, "3");
      assert.equal(low?.alert.kind, "LOW");
      assert.equal(low?.alert.reorderPoint, "2.5");
      assert.ok(recovered!.sequence < low!.sequence);
    } finally {
      alerts.cancel();
    }
    await client.inventory.deleteReorderPoint(item.id, location.id);
    const refused = await rejection(client.inventory.deleteReorderPoint(item.id, location.id));
    assert.equal(refused.code, "NOT_FOUND");
  });

  it("watches live changes from NOW and resumes from a resume token", TIMEOUT, async () => {
    const sell = (key: string, quantity: string) =>
      client.inventory.batchChange({
        idempotencyKey: `${key}-${itemId}`,
        changes: [adjustment(itemId, locationId, "IN_STOCK", "SOLD", quantity)],
      });

    const live = client.inventory.watchChanges({ start: "NOW", catalogObjectIds: [itemId] });
    let resumed: CallStream<{ change: InventoryChange; sequence: bigint; resumeToken: string }> | undefined;
    try {
      await withTimeout(live.established, 10_000, "the watch to be established");
      const first = await sell("live-1", "1.5");
      const [event] = await take(live[Symbol.asyncIterator](), 1);
      assert.ok(event);
      assert.equal(event.change.id, first.changes[0]?.id, "the live event is the change just written");
      assert.equal(event.change.type, "ADJUSTMENT");
      if (event.change.type === "ADJUSTMENT") assert.equal(event.change.adjustment.quantity, "1.5");
      assert.equal(typeof event.sequence, "bigint");
      assert.match(event.resumeToken, /\S/);
      live.cancel();

      const second = await sell("live-2", "0.25");
      const third = await sell("live-3", "2");
      resumed = client.inventory.watchChanges({ resumeToken: event.resumeToken, catalogObjectIds: [itemId] });
      const iterator = resumed[Symbol.asyncIterator]();
      const next = await take(iterator, 2);
      assert.deepEqual(
        next.map((m) => m.change.id),
        [second.changes[0]?.id, third.changes[0]?.id],
        "resuming delivers exactly the changes after the token",
      );
      assert.ok(event.sequence < next[0]!.sequence && next[0]!.sequence < next[1]!.sequence, "sequences increase");
      assert.equal(await quietFor(iterator, 500), "quiet", "nothing else follows");
    } finally {
      live.cancel();
      resumed?.cancel();
    }
    const counts = await client.inventory.retrieveCount(itemId);
    assert.deepEqual(quantities(counts.items), { IN_STOCK: "89.25", WASTE: "2" });
  });

  it("surfaces a refused quantity as StockledgerError with code, reason and field", TIMEOUT, async () => {
    // The typed layer refuses six places before sending anything, as the server would…
    const local = await rejection(
      client.inventory.batchChange({
        idempotencyKey: `bad-${run}`,
        changes: [adjustment(itemId, locationId, "NONE", "IN_STOCK", "1.123456")],
      }),
    );
    const number = await rejection(
      client.inventory.batchChange({
        idempotencyKey: `bad-${run}`,
        changes: [adjustment(itemId, locationId, "NONE", "IN_STOCK", 1 as unknown as string)],
      }),
    );
    for (const refused of [local, number]) {
      assert.equal(refused.code, "INVALID_ARGUMENT");
      assert.equal(refused.reason, "INVALID_VALUE");
      assert.deepEqual(refused.fields, ["changes[0].adjustment.quantity"]);
      assert.equal(refused.metadata["field"], "changes[0].adjustment.quantity");
    }

    // …so send it through the raw generated client to see the server's answer.
    let caught: unknown;
    try {
      await client.raw.inventory.batchChangeInventory({
        idempotencyKey: `bad-${run}`,
        changes: [
          {
            change: {
              case: "adjustment",
              value: { catalogObjectId: itemId, locationId, fromState: 1, toState: 2, quantity: "1.123456" },
            },
          },
        ],
      });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught, "the server refused the request");
    const error = StockledgerError.from(caught);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "StockledgerError");
    assert.equal(error.code, "INVALID_ARGUMENT");
    assert.equal(error.grpcCode, Code.InvalidArgument);
    assert.equal(error.grpcCode, 3, "gRPC INVALID_ARGUMENT");
    assert.equal(error.reason, "INVALID_VALUE", "ErrorInfo reason");
    assert.equal(error.domain, "stockledger");
    assert.deepEqual(error.fields, ["changes[0].adjustment.quantity"]);
    // …and the client's own refusal has the same code, reason, domain, field and metadata.
    assert.deepEqual(
      [local.code, local.grpcCode, local.reason, local.domain, local.metadata, local.fields],
      [error.code, error.grpcCode, error.reason, error.domain, error.metadata, error.fields],
    );
    assert.match(error.fieldViolations[0]?.description ?? "", /at most 5 digits/);
    const counts = await client.inventory.retrieveCount(itemId);
    assert.deepEqual(quantities(counts.items), { IN_STOCK: "89.25", WASTE: "2" }, "nothing was applied");
  });

  it("turns every other refusal into StockledgerError too", TIMEOUT, async () => {
    // A SKU is optional, but never holds a control character.
    const invalid = await rejection(client.items.create({ sku: "A\nB", countryCodeOfOrigin: "XX" }));
    assert.equal(invalid.code, "INVALID_ARGUMENT");
    assert.equal(invalid.reason, "INVALID_VALUE");
    assert.deepEqual(invalid.fields, ["inventory_item.sku", "inventory_item.country_code_of_origin"]);

    const notFound = await rejection(client.items.get("01a20c5a-8f67-7031-9d39-e3d5cae5d630"));
    assert.equal(notFound.code, "NOT_FOUND");
    assert.equal(notFound.domain, "stockledger");

    // A location name is unique per merchant (a SKU is not: items may share one).
    const taken = await rejection(client.locations.create({ name: `Corner Shop ${run}` }));
    assert.equal(taken.code, "ALREADY_EXISTS");
    assert.deepEqual(taken.fields, ["location.name"]);

    const junk = client.inventory.watchChanges({ resumeToken: "junk" });
    const refused = await rejection(junk.established);
    assert.equal(refused.code, "INVALID_ARGUMENT");
    assert.deepEqual(refused.fields, ["resume_token"]);
    await assert.rejects(take(junk[Symbol.asyncIterator](), 1), StockledgerError);

    const anonymous = createStockledgerClient(address, "not-a-real-token");
    try {
      const denied = await rejection(anonymous.locations.list());
      assert.equal(denied.code, "UNAUTHENTICATED");
    } finally {
      anonymous.close();
    }
  });

  it("refuses guarded changes with typed QUANTITY_MISMATCH and INSUFFICIENT_QUANTITY", TIMEOUT, async () => {
    // A web shop: by default no batch may take one of its counts below zero.
    const shop = await client.locations.create({ name: `Web Shop ${run}`, forbidNegativeCounts: true });
    assert.equal(shop.forbidNegativeCounts, true);
    const item = (await client.items.create({ sku: `MUG-GUARD-${run}` })).id;
    const key = (what: string) => `${what}-${run}`;

    // EXPECT_ABSENT: the first receipt, only if the count does not exist yet.
    const first = await client.inventory.batchChange({
      idempotencyKey: key("absent"),
      changes: [{ ...adjustment(item, shop.id, "NONE", "IN_STOCK", "10"), expectedQuantity: EXPECT_ABSENT }],
    });
    assert.deepEqual(quantities(first.counts), { IN_STOCK: "10" });
    const again = await rejection(
      client.inventory.batchChange({
        idempotencyKey: key("absent-again"),
        changes: [{ ...adjustment(item, shop.id, "NONE", "IN_STOCK", "10"), expectedQuantity: EXPECT_ABSENT }],
      }),
    );
    assert.ok(again.isQuantityMismatch());
    assert.equal(again.actualQuantity, "10");

    // Two guarded sales: the second expects 10 but finds what the first left.
    const mismatch = await rejection(
      client.inventory.batchChange({
        idempotencyKey: key("mismatch"),
        changes: [
          { ...adjustment(item, shop.id, "IN_STOCK", "SOLD", "1.5"), expectedQuantity: "10" },
          { ...adjustment(item, shop.id, "IN_STOCK", "SOLD", "1"), expectedQuantity: "10.00" },
        ],
      }),
    );
    assert.equal(mismatch.code, "FAILED_PRECONDITION");
    assert.ok(mismatch.isQuantityMismatch() && !mismatch.isInsufficientQuantity());
    assert.equal(mismatch.reason, "QUANTITY_MISMATCH");
    assert.equal(mismatch.actualQuantity, "8.5");
    assert.equal(mismatch.availableQuantity, undefined);
    assert.equal(mismatch.metadata["field"], "changes[1].expected_quantity");
    assert.deepEqual(mismatch.fields, ["changes[1].expected_quantity"]);
    assert.deepEqual(mismatch.guardedCount, { catalogObjectId: item, locationId: shop.id, state: "IN_STOCK" });

    // Absent is not "0": a WASTE count that does not exist.
    const absent = await rejection(
      client.inventory.batchChange({
        idempotencyKey: key("absent-waste"),
        changes: [
          {
            physicalCount: { catalogObjectId: item, locationId: shop.id, state: "WASTE", quantity: "1" },
            expectedQuantity: "0",
          },
        ],
      }),
    );
    assert.ok(absent.isQuantityMismatch());
    assert.equal(absent.actualQuantity, null);
    assert.equal(absent.guardedCount?.state, "WASTE");

    // Selling 11 of 10 at the web shop: refused with what was available.
    const short = await rejection(
      client.inventory.batchChange({
        idempotencyKey: key("short"),
        changes: [adjustment(item, shop.id, "IN_STOCK", "SOLD", "11")],
      }),
    );
    assert.equal(short.code, "FAILED_PRECONDITION");
    assert.ok(short.isInsufficientQuantity() && !short.isQuantityMismatch());
    assert.equal(short.reason, "INSUFFICIENT_QUANTITY");
    assert.equal(short.availableQuantity, "10");
    assert.equal(short.actualQuantity, undefined);
    assert.deepEqual(short.fields, ["changes[0].adjustment.quantity"]);
    assert.deepEqual(short.guardedCount, { catalogObjectId: item, locationId: shop.id, state: "IN_STOCK" });

    // The batch overrides the location's default; the matching guarded sale goes through.
    const oversold = await client.inventory.batchChange({
      idempotencyKey: key("oversold"),
      changes: [{ ...adjustment(item, shop.id, "IN_STOCK", "SOLD", "11"), expectedQuantity: "10" }],
      forbidNegativeCounts: false,
    });
    assert.deepEqual(quantities(oversold.counts), { IN_STOCK: "-1" });

    // And a batch can forbid on a location that allows it; the location's default updates.
    const allowing = await client.locations.update(shop.id, { forbidNegativeCounts: false }, {
      updateMask: ["forbid_negative_counts"],
    });
    assert.equal(allowing.forbidNegativeCounts, false);
    const forbidden = await rejection(
      client.inventory.batchChange({
        idempotencyKey: key("forbidden"),
        changes: [adjustment(item, shop.id, "IN_STOCK", "WASTE", "0.5")],
        forbidNegativeCounts: true,
      }),
    );
    assert.equal(forbidden.availableQuantity, "-1");
  });

  it("holds, commits, releases and expires reservations", TIMEOUT, async () => {
    const shop = await client.locations.create({ name: `Reserving Shop ${run}` });
    const item = (await client.items.create({ sku: `MUG-HOLD-${run}` })).id;
    await client.inventory.batchChange({
      idempotencyKey: `stock-${run}`,
      changes: [adjustment(item, shop.id, "NONE", "IN_STOCK", "3")],
    });

    // Reserve 2 of 3 (no idempotency key: the client makes one).
    const held = await client.reservations.create({
      lines: [{ catalogObjectId: item, locationId: shop.id, quantity: "2" }],
      ttlMs: 5 * 60_000,
      referenceId: `cart-${run}`,
    });
    assert.equal(held.state, "HELD");
    assert.equal(held.referenceId, `cart-${run}`);
    assert.deepEqual(held.lines, [
      {
        catalogObjectId: item,
        locationId: shop.id,
        quantity: "2",
        committedQuantity: "0",
        releasedQuantity: "0",
        heldQuantity: "2",
      },
    ]);
    assert.ok(held.expiresAt instanceof Date && held.expiresAt.getTime() > Date.now());
    assert.deepEqual(await client.reservations.get(held.id), held);

    // A second reservation of 2 is refused: 1 is available.
    const short = await rejection(
      client.reservations.create({
        lines: [{ catalogObjectId: item, locationId: shop.id, quantity: "2.00" }],
        expiresAt: new Date(Date.now() + 60_000),
      }),
    );
    assert.equal(short.code, "FAILED_PRECONDITION");
    assert.ok(short.isInsufficientQuantity() && !short.isReservationNotHeld());
    assert.equal(short.availableQuantity, "1");
    assert.equal(short.metadata["field"], "lines[0].quantity");
    assert.equal(short.guardedCount?.catalogObjectId, item);
    assert.equal(short.guardedCount?.locationId, shop.id);

    // Extend it, commit 1 (retried with the same key: nothing more), release the rest.
    const later = new Date(Date.now() + 10 * 60_000);
    const extended = await client.reservations.extend(held.id, { expiresAt: later });
    assert.ok(Math.abs((extended.expiresAt?.getTime() ?? 0) - later.getTime()) < 1000);
    const commit = {
      lines: [{ line: 0, quantity: "1" }],
      totalPriceMoney: { amount: "9.50", currency: "EUR" },
      idempotencyKey: `commit-${run}`,
    };
    const committed = await client.reservations.commit(held.id, commit);
    assert.equal(committed.state, "HELD");
    assert.equal(committed.lines[0]?.committedQuantity, "1");
    assert.equal(committed.lines[0]?.heldQuantity, "1");
    assert.equal((await client.reservations.commit(held.id, commit)).lines[0]?.heldQuantity, "1");
    const released = await client.reservations.release(held.id);
    assert.equal(released.state, "RELEASED");
    assert.deepEqual(
      [released.lines[0]?.committedQuantity, released.lines[0]?.releasedQuantity, released.lines[0]?.heldQuantity],
      ["1", "1", "0"],
    );
    const counts = quantities((await client.inventory.retrieveCount(item)).items);
    assert.equal(counts["IN_STOCK"], "2");
    assert.ok(counts["RESERVED_FOR_SALE"] === undefined || counts["RESERVED_FOR_SALE"] === "0");

    // Nothing is held any more.
    const notHeld = await rejection(client.reservations.commit(held.id));
    assert.ok(notHeld.isReservationNotHeld() && !notHeld.isReservationExpired());
    assert.equal(notHeld.metadata["state"], "RELEASED");
    assert.ok((await rejection(client.reservations.extend(held.id, { ttlMs: 60_000 }))).isReservationNotHeld());

    // A 1-second hold expires by itself.
    const brief = await client.reservations.create({
      lines: [{ catalogObjectId: item, locationId: shop.id, quantity: "0.5" }],
      ttlMs: 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const expired = await client.reservations.get(brief.id);
    assert.equal(expired.state, "EXPIRED");
    assert.equal(expired.lines[0]?.releasedQuantity, "0.5");
    const late = await rejection(client.reservations.commit(brief.id));
    assert.ok(late.isReservationNotHeld());
    assert.equal(late.metadata["state"], "EXPIRED");

    // Exactly one of ttlMs and expiresAt.
    const noHold = await rejection(client.reservations.extend(held.id, {} as { ttlMs: number }));
    assert.equal(noHold.code, "INVALID_ARGUMENT");
    assert.equal(noHold.reason, "MISSING_REQUIRED_PARAMETER");
    assert.deepEqual(noHold.fields, ["ttl"]);
  });

  it("lists reservations page by page, by state and by reference id", TIMEOUT, async () => {
    const shop = await client.locations.create({ name: `Listing Shop ${run}` });
    const item = (await client.items.create({ sku: `MUG-LIST-${run}` })).id;
    await client.inventory.batchChange({
      idempotencyKey: `list-stock-${run}`,
      changes: [adjustment(item, shop.id, "NONE", "IN_STOCK", "10")],
    });

    // Three held reservations, each with its own reference id; the second is released.
    const refs = [0, 1, 2].map((n) => `order-${run}-${n}`);
    const ids: string[] = [];
    for (const referenceId of refs) {
      const created = await client.reservations.create({
        lines: [{ catalogObjectId: item, locationId: shop.id, quantity: "1" }],
        ttlMs: 5 * 60_000,
        referenceId,
      });
      ids.push(created.id);
    }
    const released = await client.reservations.release(ids[1]!);
    assert.equal(released.state, "RELEASED");

    const listed = async (filter: Parameters<typeof client.reservations.all>[0]) => {
      const got: string[] = [];
      for await (const reservation of client.reservations.all(filter)) got.push(reservation.id);
      return got;
    };
    const ours = (got: string[]) => got.filter((id) => ids.includes(id));

    // Every reservation, two a page (the file's other reservations are the merchant's too).
    const first = await client.reservations.list({ limit: 2 });
    assert.equal(first.items.length, 2);
    assert.notEqual(first.cursor, "", "more than one page");
    const all = await listed({ limit: 2 });
    assert.equal(new Set(all).size, all.length, "no reservation is listed twice");
    assert.deepEqual(all.slice(0, 2), first.items.map((r) => r.id));
    assert.deepEqual(ours(all), ids);

    // By state, and by reference id.
    assert.deepEqual(ours(await listed({ state: "HELD", limit: 2 })), [ids[0], ids[2]]);
    assert.deepEqual(ours(await listed({ state: "RELEASED", limit: 2 })), [ids[1]]);
    const byReference: Reservation[] = [];
    for await (const reservation of client.reservations.all({ referenceId: refs[1] })) byReference.push(reservation);
    assert.deepEqual(byReference, [released]);
    assert.deepEqual(await listed({ referenceId: refs[2], state: "HELD" }), [ids[2]]);
    assert.deepEqual(await listed({ referenceId: refs[2], state: "RELEASED" }), []);

    // A refused page and an unknown state name: both StockledgerError INVALID_ARGUMENT.
    const refused = await rejection(listed({ limit: 251 }));
    assert.equal(refused.code, "INVALID_ARGUMENT");
    assert.deepEqual(refused.fields, ["limit"]);
    const unknownState = await rejection(listed({ state: "PENDING" as "HELD" }));
    assert.equal(unknownState.code, "INVALID_ARGUMENT");
    assert.equal(unknownState.reason, "INVALID_ENUM_VALUE");
    assert.deepEqual(unknownState.fields, ["state"]);
  });

  it("keeps Shopify's named quantities: DAMAGED, QUALITY_CONTROL, SAFETY_STOCK", TIMEOUT, async () => {
    const item = await client.items.create({ sku: `MUG-NAMED-${run}` });
    const moved = await client.inventory.batchChange({
      idempotencyKey: `named-${item.id}`,
      changes: [
        adjustment(item.id, locationId, "NONE", "IN_STOCK", "10"),
        adjustment(item.id, locationId, "IN_STOCK", "DAMAGED", "3"),
        adjustment(item.id, locationId, "NONE", "QUALITY_CONTROL", "2"),
        { physicalCount: { catalogObjectId: item.id, locationId, state: "SAFETY_STOCK", quantity: "4" } },
      ],
    });
    assert.deepEqual(quantities(moved.counts), {
      IN_STOCK: "7",
      DAMAGED: "3",
      QUALITY_CONTROL: "2",
      SAFETY_STOCK: "4",
    });
    const damaged = await client.inventory.retrieveCounts({ catalogObjectIds: [item.id], states: ["DAMAGED"] });
    assert.deepEqual(quantities(damaged.items), { DAMAGED: "3" });
  });

  it("keeps adjustment reasons: custom ones, cost and vendor on receipts, the reason filter, delete and restore", TIMEOUT, async () => {
    const item = await client.items.create({ sku: `MUG-REASON-${run}` });
    const name = `Found in the back room ${run}`;
    const reason = await client.inventory.createAdjustmentReason({ name, direction: "INCREASE" });
    assert.equal(reason.id.type, "CUSTOM");
    assert.match(reason.id.customReasonId, /\S/);
    assert.equal(reason.name, name);
    assert.equal(reason.direction, "INCREASE");
    assert.equal(reason.isDeleted, false);
    assert.ok(reason.createdAt instanceof Date);

    const listed = await client.inventory.listAdjustmentReasons();
    assert.deepEqual(
      listed.filter((r) => r.id.customReasonId === reason.id.customReasonId),
      [reason],
    );
    assert.ok(listed.some((r) => r.id.type === "DAMAGED"), "the standard reasons are listed too");
    assert.deepEqual(await client.inventory.retrieveAdjustmentReason(reason.id), reason);

    // A receipt carrying the reason, a cost and a vendor is answered with them.
    const received = await client.inventory.batchChange({
      idempotencyKey: `reason-in-${item.id}`,
      changes: [
        {
          adjustment: {
            catalogObjectId: item.id,
            locationId,
            fromState: "NONE",
            toState: "IN_STOCK",
            quantity: "7",
            reasonId: reason.id,
            costMoney: { amount: "12.50", currency: "EUR" },
            vendorId: `vendor-${run}`,
          },
        },
        {
          adjustment: {
            catalogObjectId: item.id,
            locationId,
            fromState: "IN_STOCK",
            toState: "WASTE",
            quantity: "1",
            reasonId: { type: "DAMAGED" },
          },
        },
      ],
    });
    const [receipt, waste] = received.changes;
    assert.ok(receipt?.type === "ADJUSTMENT" && waste?.type === "ADJUSTMENT");
    assert.deepEqual(receipt.adjustment.reasonId, reason.id);
    assert.deepEqual(receipt.adjustment.costMoney, { amount: "12.5", currency: "EUR" });
    assert.equal(receipt.adjustment.vendorId, `vendor-${run}`);
    assert.deepEqual(waste.adjustment.reasonId, { type: "DAMAGED", customReasonId: "" });

    // The history filtered by the reason: exactly that change, on both reads.
    const page = await client.inventory.retrieveChanges({ catalogObjectIds: [item.id], reasonIds: [reason.id] });
    assert.deepEqual(page.items.map((c) => c.id), [receipt.id]);
    assert.equal(page.cursor, "");
    const streamed: string[] = [];
    for await (const { change } of client.inventory.streamChanges({ catalogObjectIds: [item.id], reasonIds: [reason.id] })) {
      streamed.push(change.id);
    }
    assert.deepEqual(streamed, [receipt.id]);
    const damaged = await client.inventory.retrieveChanges({ catalogObjectIds: [item.id], reasonIds: [{ type: "DAMAGED" }] });
    assert.deepEqual(damaged.items.map((c) => c.id), [waste.id]);

    const renamed = await client.inventory.updateAdjustmentReason(reason.id, { name: `${name} (renamed)` });
    assert.equal(renamed.name, `${name} (renamed)`);
    assert.equal(renamed.direction, "INCREASE");

    // Deleted: no longer listed, and a new change naming it is refused.
    const deleted = await client.inventory.deleteAdjustmentReason(reason.id);
    assert.equal(deleted.isDeleted, true);
    const ids = (reasons: { id: { customReasonId: string } }[]) => reasons.map((r) => r.id.customReasonId);
    assert.ok(!ids(await client.inventory.listAdjustmentReasons()).includes(reason.id.customReasonId));
    assert.ok(ids(await client.inventory.listAdjustmentReasons({ includeDeleted: true })).includes(reason.id.customReasonId));
    const receiveOne = (key: string) =>
      client.inventory.batchChange({
        idempotencyKey: key,
        changes: [
          {
            adjustment: {
              catalogObjectId: item.id,
              locationId,
              fromState: "NONE",
              toState: "IN_STOCK",
              quantity: "1",
              reasonId: reason.id,
            },
          },
        ],
      });
    const refused = await rejection(receiveOne(`reason-deleted-${item.id}`));
    assert.equal(refused.code, "INVALID_ARGUMENT");
    assert.equal(refused.reason, "ADJUSTMENT_REASON_DELETED", "ErrorInfo reason");
    const stale = await rejection(client.inventory.updateAdjustmentReason(reason.id, { name: `${name} again` }));
    assert.equal(stale.code, "FAILED_PRECONDITION");
    assert.deepEqual(quantities((await client.inventory.retrieveCount(item.id)).items), { IN_STOCK: "6", WASTE: "1" });

    // Restored: accepted again.
    const restored = await client.inventory.restoreAdjustmentReason(reason.id);
    assert.equal(restored.isDeleted, false);
    assert.equal(restored.name, `${name} (renamed)`);
    const again = await receiveOne(`reason-restored-${item.id}`);
    assert.ok(again.changes[0]?.type === "ADJUSTMENT");
    assert.deepEqual(again.changes[0].adjustment.reasonId, reason.id);
    assert.deepEqual(quantities(again.counts), { IN_STOCK: "7" });
  });

  it("imports history in batches: applied, then already present; a refused change holds back its batch", TIMEOUT, async () => {
    // scripts/clients-test.sh's token carries INVENTORY_IMPORT.
    const item = await client.items.create({ sku: `IMPORTED-${run}` });
    const ids = [randomUUID(), randomUUID()];
    const lastYear = new Date(Date.now() - 365 * 24 * 3600_000);
    const recordedAt = new Date(lastYear.getTime() + 60_000);
    const received: ImportChangeInput = {
      adjustment: {
        catalogObjectId: item.id,
        locationId,
        fromState: "NONE",
        toState: "IN_STOCK",
        quantity: "4.5",
        occurredAt: lastYear,
      },
      id: ids[0],
    };
    const sold = { ...adjustment(item.id, locationId, "IN_STOCK", "SOLD", "1"), id: ids[1], createdAt: recordedAt };
    const batches = [[received], [sold]];

    const first = await client.inventory.importChanges(batches, {
      source: { product: "OTHER", name: `old system ${run}` },
    });
    assert.deepEqual(first, { applied: 2, alreadyPresent: 0, refused: 0, heldBack: 0, refusedChanges: [] });
    const again = await client.inventory.importChanges(batches);
    assert.deepEqual(again, { applied: 0, alreadyPresent: 2, refused: 0, heldBack: 0, refusedChanges: [] });
    assert.deepEqual(quantities((await client.inventory.retrieveCount(item.id)).items), { IN_STOCK: "3.5" });

    // Ids, times and the call's source are kept on the recorded changes.
    const kept = await client.inventory.retrieveAdjustment(ids[0]!);
    assert.equal(kept.quantity, "4.5");
    assert.equal(kept.occurredAt?.getTime(), lastYear.getTime());
    assert.deepEqual([kept.source?.product, kept.source?.name], ["OTHER", `old system ${run}`]);
    assert.equal((await client.inventory.retrieveAdjustment(ids[1]!)).createdAt?.getTime(), recordedAt.getTime());

    // A change the server refuses (an unknown location) refuses its whole batch, named by its
    // index over the whole import and its field; the other batch is applied.
    const good = adjustment(item.id, locationId, "NONE", "IN_STOCK", "1");
    const unknownLocation = adjustment(item.id, randomUUID(), "NONE", "IN_STOCK", "1");
    const partly = await client.inventory.importChanges([[good], [good, unknownLocation]]);
    assert.deepEqual([partly.applied, partly.alreadyPresent, partly.refused, partly.heldBack], [1, 0, 1, 1]);
    assert.equal(partly.refusedChanges.length, 1);
    const refusal = partly.refusedChanges[0]!;
    assert.deepEqual([refusal.index, refusal.field, refusal.reason], [2, "adjustment.location_id", "NOT_FOUND"]);
    assert.match(refusal.description, /\S/);
    assert.deepEqual(quantities((await client.inventory.retrieveCount(item.id)).items), { IN_STOCK: "4.5" });

    // A malformed quantity is refused before anything is sent: no batch is imported.
    const local = await rejection(
      client.inventory.importChanges([[good], [adjustment(item.id, locationId, "NONE", "IN_STOCK", "1.123456")]]),
    );
    assert.equal(local.code, "INVALID_ARGUMENT");
    assert.equal(local.reason, "INVALID_VALUE");
    assert.deepEqual(local.fields, ["batches[1].changes[0].adjustment.quantity"]);
    assert.equal(local.metadata["field"], "batches[1].changes[0].adjustment.quantity");
    assert.deepEqual(quantities((await client.inventory.retrieveCount(item.id)).items), { IN_STOCK: "4.5" });
  });
});
