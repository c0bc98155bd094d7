// The seed's day with Square's own Node SDK (`square`, package.json), unchanged, against
// Stockledger's Square front door (docs/square.md). Exits non-zero on the first failed check.
//
// Environment: STOCKLEDGER_HTTP_ADDR (serve --http-listen), STOCKLEDGER_ADDR (gRPC: only to
// create the item and the two locations, which Square's catalog and locations APIs would hold)
// and STOCKLEDGER_TOKEN (a token with every scope).

import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { SquareClient, SquareError } from "square";

function check(condition, what) {
  if (!condition) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

function at(minutesAgo) {
  return new Date(Date.now() - minutesAgo * 60_000).toISOString(); // milliseconds, "Z"
}

// Runs `call`, which must be refused: returns the SquareError the SDK raised.
async function refused(call, what) {
  try {
    await call();
  } catch (error) {
    if (error instanceof SquareError) {
      return error;
    }
    console.error(`FAILED: ${what}: not a SquareError: ${inspect(error)}`);
    process.exit(1);
  }
  check(false, what);
}

// Every page of a pager the SDK returned: [items of page 1, items of page 2, …].
async function allPages(first) {
  const pages = [];
  let page = await first;
  pages.push(page.data);
  while (page.hasNextPage()) {
    page = await page.getNextPage();
    pages.push(page.data);
  }
  return pages;
}

const byState = (counts) => Object.fromEntries((counts ?? []).map((c) => [c.state, c.quantity]));
const sameCounts = (a, b) => inspect(a, { sorted: true }) === inspect(b, { sorted: true });

// Stockledger's own gRPC API, through @grpc/grpc-js and the repository's protos: the item and
// the locations (Square's catalog and locations APIs would hold them). Every inventory change
// goes through Square's SDK.
function stockledgerGrpc(addr, token) {
  const protoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "proto");
  const definition = protoLoader.loadSync(
    ["stockledger/v1/location.proto", "stockledger/v1/inventory_item.proto"],
    { includeDirs: [protoRoot], keepCase: true, enums: String, longs: String, defaults: false },
  );
  const v1 = grpc.loadPackageDefinition(definition).stockledger.v1;
  const credentials = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const services = {
    locations: new v1.LocationService(addr, credentials),
    items: new v1.InventoryItemService(addr, credentials),
  };
  const call = (service, method, request) =>
    new Promise((resolve, reject) => {
      services[service][method](request, metadata, (error, response) => (error ? reject(error) : resolve(response)));
    });
  return {
    call,
    close: () => Object.values(services).forEach((client) => client.close()),
  };
}

async function main() {
  const http = process.env.STOCKLEDGER_HTTP_ADDR;
  const token = process.env.STOCKLEDGER_TOKEN;
  const unique = randomUUID().replaceAll("-", "").slice(0, 12);
  const stockledger = stockledgerGrpc(process.env.STOCKLEDGER_ADDR, token);
  let reasonsAt;
  try {
    reasonsAt = await theDay(http, token, unique, stockledger);
  } finally {
    stockledger.close();
  }
  console.log("square-node: the seed's day passed");
  await adjustmentReasons(new SquareClient({ baseUrl: `http://${http}`, token }), reasonsAt, unique);
  console.log("square-node: the adjustment reasons passed");
}

async function theDay(http, token, unique, stockledger) {
  const location = (await stockledger.call("locations", "CreateLocation", { location: { name: `Corner Shop ${unique}` } }))
    .location.id;
  const backroom = (await stockledger.call("locations", "CreateLocation", { location: { name: `Back Room ${unique}` } }))
    .location.id;
  const item = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: `MUG-RED-${unique}` } }))
    .inventory_item.id;
  check(Boolean(location && backroom && item), "gRPC created the two locations and the item");
  // A second item for the adjustment reasons, so that its history holds only theirs.
  const reasonsItem = (
    await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: `MUG-BLUE-${unique}` } })
  ).inventory_item.id;

  // Point your Square SDK here: baseUrl instead of an environment, a Stockledger token.
  const client = new SquareClient({ baseUrl: `http://${http}`, token });

  // The seed's day (receive 100, sell 3, sell 1, waste 2) through the SDK, in Square's 2026
  // model: an adjustment names its location as fromLocationId / toLocationId (there is no
  // locationId). A receive NONE → IN_STOCK gives toLocationId, a sale fromLocationId, or both
  // naming the same location.
  const adjustment = (fromState, toState, quantity, when, where, more = {}) => ({
    type: "ADJUSTMENT",
    adjustment: { fromState, toState, catalogObjectId: item, quantity, occurredAt: at(when), ...where, ...more },
  });
  const day = await client.inventory.batchCreateChanges({
    idempotencyKey: `day-${unique}`,
    changes: [
      adjustment("NONE", "IN_STOCK", "100", 50, { toLocationId: location }, { referenceId: "delivery-1" }),
      adjustment("IN_STOCK", "SOLD", "3", 40, { fromLocationId: location }, {
        totalPriceMoney: { amount: 2997n, currency: "USD" },
      }),
      adjustment("IN_STOCK", "SOLD", "1", 30, { fromLocationId: location, toLocationId: location }),
      adjustment("IN_STOCK", "WASTE", "2", 20, { fromLocationId: location }),
    ],
  });
  check(day.errors === undefined || day.errors.length === 0, "the day's batch-create answers without errors");
  const dayIds = (day.changes ?? []).map((c) => c.adjustment?.id);
  check(dayIds.length === 4 && dayIds.every(Boolean), "the SDK wrote the day's 4 adjustments, each with an id");
  check(
    (day.changes ?? []).every(
      (c) => c.type === "ADJUSTMENT" && c.adjustment.fromLocationId === location && c.adjustment.toLocationId === location,
    ),
    "each answered adjustment has fromLocationId and toLocationId equal to the location",
  );
  check(
    sameCounts(byState(day.counts), { IN_STOCK: "94", WASTE: "2" }),
    `the day's answer carries the counts IN_STOCK 94, WASTE 2 (${inspect(byState(day.counts))})`,
  );
  const afterDay = await client.inventory.batchGetCounts({ catalogObjectIds: [item], locationIds: [location] });
  check(
    sameCounts(byState(afterDay.data), { IN_STOCK: "94", WASTE: "2" }),
    `the SDK reads the day's end: IN_STOCK 94, WASTE 2 (${inspect(byState(afterDay.data))})`,
  );

  // The day's end: a physical count of 93 (physical counts still carry locationId in the SDK).
  const countRequest = {
    idempotencyKey: `count-${unique}`,
    changes: [
      {
        type: "PHYSICAL_COUNT",
        physicalCount: { catalogObjectId: item, locationId: location, state: "IN_STOCK", quantity: "93", occurredAt: at(10) },
      },
    ],
  };
  const counted = await client.inventory.batchCreateChanges(countRequest);
  check(counted.errors === undefined || counted.errors.length === 0, "batch-create answers without errors");
  check(byState(counted.counts).IN_STOCK === "93", `the physical count of 93 sets the count (${inspect(byState(counted.counts))})`);
  const physical = counted.changes?.[0]?.physicalCount ?? {};
  const countId = physical.id;
  check(Boolean(countId) && Boolean(physical.createdAt), "the server gave the count an id and createdAt");
  check(physical.catalogObjectType === "INVENTORY_ITEM", "catalogObjectType is Stockledger's INVENTORY_ITEM");
  check(physical.source?.product === "EXTERNAL_API", "source.product is EXTERNAL_API");

  // The same key and request again (a retry), through the deprecated alias: the original answer.
  const again = await client.inventory.deprecatedBatchChange(countRequest);
  check(again.changes?.[0]?.physicalCount?.id === countId, "a retry (deprecated batch-change) answers the same id");
  check(byState(again.counts).IN_STOCK === "93", "… and the same count: nothing applied twice");
  // The same key with another request: Square's IDEMPOTENCY_KEY_REUSED.
  const reused = await refused(
    () =>
      client.inventory.batchCreateChanges({
        ...countRequest,
        changes: [{ ...countRequest.changes[0], physicalCount: { ...countRequest.changes[0].physicalCount, quantity: "92" } }],
      }),
    "a reused idempotency key is refused",
  );
  check(
    reused.statusCode === 400 &&
      reused.errors[0]?.code === "IDEMPOTENCY_KEY_REUSED" &&
      reused.errors[0]?.field === "idempotency_key",
    `a reused key: 400 IDEMPOTENCY_KEY_REUSED on idempotency_key (${reused.statusCode} ${reused.errors[0]?.code})`,
  );

  // Counts: batch-retrieve (with paging), GET one item's counts, the deprecated alias.
  let pages = await allPages(client.inventory.batchGetCounts({ catalogObjectIds: [item], limit: 1 }));
  const got = byState(pages.flat());
  check(
    sameCounts(got, { IN_STOCK: "93", WASTE: "2" }),
    `batch-retrieve counts pages through IN_STOCK 93 and WASTE 2 (${inspect(got)})`,
  );
  check(pages.length >= 2, `one count a page takes at least 2 pages (${pages.length})`);
  const single = [];
  for await (const count of await client.inventory.get({ catalogObjectId: item, locationIds: location })) {
    single.push(count);
  }
  check(sameCounts(byState(single), got), "GET /v2/inventory/{id} answers the same counts");
  const old = await client.inventory.deprecatedBatchGetCounts({ catalogObjectIds: [item], locationIds: [location] });
  check(sameCounts(byState(old.counts), got), "the deprecated batch-retrieve-counts too");

  // Changes: batch-retrieve two a page, oldest first; GET one item's changes, newest first.
  pages = await allPages(client.inventory.batchGetChanges({ catalogObjectIds: [item], limit: 2 }));
  const history = pages.flat();
  check(
    history.length === 5 && pages.length === 3,
    `5 changes in 3 pages of 2 (${history.length} in ${pages.length})`,
  );
  check(
    history.map((c) => c.type).join() === "ADJUSTMENT,ADJUSTMENT,ADJUSTMENT,ADJUSTMENT,PHYSICAL_COUNT",
    "oldest first, the count last",
  );
  const quantities = history.slice(0, 4).map((c) => c.adjustment.quantity);
  check(quantities.join() === "100,3,1,2", `the day's quantities in order (${quantities})`);
  check(
    history.slice(0, 4).map((c) => c.adjustment.id).join() === dayIds.join(),
    "the SDK reads back the ids batchCreateChanges answered",
  );
  const sale = history[1].adjustment;
  check(
    sale.totalPriceMoney?.amount === 2997n && sale.totalPriceMoney?.currency === "USD",
    `Money comes back as 2997n minor units of USD (${inspect(sale.totalPriceMoney)})`,
  );
  check(sale.catalogObjectType === "INVENTORY_ITEM", "an adjustment's catalogObjectType is INVENTORY_ITEM");
  check(
    history.slice(0, 4).every((c) => c.adjustment.fromLocationId === location && c.adjustment.toLocationId === location),
    "the day's adjustments read back with typed fromLocationId / toLocationId equal to the location",
  );
  const newest = [];
  for await (const change of await client.inventory.changes({ catalogObjectId: item })) {
    newest.push(change);
  }
  check(newest.length === 5 && newest[0].type === "PHYSICAL_COUNT", "GET …/changes: newest first");
  const typed = await client.inventory.deprecatedBatchGetChanges({ catalogObjectIds: [item], types: ["PHYSICAL_COUNT"] });
  check((typed.changes ?? []).length === 1, "the deprecated batch-retrieve-changes filters by type");

  // One change by id: current and deprecated paths.
  const fetched = (await client.inventory.getAdjustment({ adjustmentId: dayIds[0] })).adjustment;
  check(fetched.id === dayIds[0] && fetched.quantity === "100", "GET /v2/inventory/adjustments/{id}");
  check(fetched.referenceId === "delivery-1", "referenceId kept");
  check(
    fetched.fromLocationId === location && fetched.toLocationId === location,
    `the adjustment read by id has typed fromLocationId / toLocationId equal to the location (${fetched.fromLocationId} / ${fetched.toLocationId})`,
  );
  check(fetched.source?.product === "EXTERNAL_API", `source.product of an SDK change (${fetched.source?.product})`);
  check(
    (await client.inventory.deprecatedGetAdjustment({ adjustmentId: dayIds[0] })).adjustment.id === dayIds[0],
    "GET …/adjustment/{id}",
  );
  check(
    (await client.inventory.getPhysicalCount({ physicalCountId: countId })).count.quantity === "93",
    "GET …/physical-counts/{id}",
  );
  check(
    (await client.inventory.deprecatedGetPhysicalCount({ physicalCountId: countId })).count.id === countId,
    "GET …/physical-count/{id}",
  );

  // A refused request: the SDK throws SquareError with Square's envelope.
  const badCount = (more) => ({
    type: "PHYSICAL_COUNT",
    physicalCount: { catalogObjectId: item, locationId: location, state: "IN_STOCK", quantity: "1", occurredAt: at(5), ...more },
  });
  let error = await refused(
    () => client.inventory.batchCreateChanges({ idempotencyKey: `bad-${unique}`, changes: [badCount({ quantity: "-1" })] }),
    "a negative quantity is refused",
  );
  check(error instanceof SquareError && error.statusCode === 400, `refused with HTTP 400 (${error.statusCode})`);
  let first = error.errors[0] ?? {};
  check(first.category === "INVALID_REQUEST_ERROR", `category INVALID_REQUEST_ERROR (${first.category})`);
  check(first.code === "VALUE_TOO_LOW", `code VALUE_TOO_LOW (${first.code})`);
  check(first.field === "changes[0].physical_count.quantity", `field names the quantity (${first.field})`);

  // An unknown state never leaves the SDK: its serializer checks enums and throws first.
  let thrown;
  try {
    await client.inventory.batchCreateChanges({ idempotencyKey: `state-${unique}`, changes: [badCount({ state: "ON_THE_MOON" })] });
  } catch (e) {
    thrown = e;
  }
  check(
    thrown !== undefined && !(thrown instanceof SquareError) && /Expected enum\. Received "ON_THE_MOON"/.test(thrown.message),
    `an unknown state is refused by the SDK itself, before any request (${thrown?.constructor?.name}: ${thrown?.message})`,
  );
  // A state Square knows but a physical count here cannot have (IN_STOCK or WASTE only): the
  // service refuses it at its field.
  error = await refused(
    () => client.inventory.batchCreateChanges({ idempotencyKey: `state-${unique}`, changes: [badCount({ state: "RESERVED_FOR_SALE" })] }),
    "a physical count of RESERVED_FOR_SALE is refused",
  );
  first = error.errors[0] ?? {};
  check(
    error.statusCode === 400 && first.code === "INVALID_VALUE" && first.field === "changes[0].physical_count.state",
    `a Square-only state: 400 INVALID_VALUE on changes[0].physical_count.state (${error.statusCode} ${first.code} ${first.field})`,
  );

  // What differs from Square: ids are Stockledger's (a UUID; anything else is INVALID_VALUE),
  // and catalogObjectType is always INVENTORY_ITEM, set by the server.
  error = await refused(
    () => client.inventory.getAdjustment({ adjustmentId: "not-an-id" }),
    "an id Stockledger never made is refused",
  );
  check(error.statusCode === 400 && error.errors[0]?.code === "INVALID_VALUE", "a malformed id: 400 INVALID_VALUE");
  check(error.errors[0]?.field === "adjustment_id", "… naming adjustment_id");
  error = await refused(
    () => client.inventory.getAdjustment({ adjustmentId: "01a20c5a-8f67-7031-9d39-e3d5cae5d630" }),
    "an unknown id is not found",
  );
  check(error.statusCode === 404 && error.errors[0]?.code === "NOT_FOUND", "an unknown id: 404 NOT_FOUND");
  const variation = await client.inventory.batchCreateChanges({
    idempotencyKey: `variation-${unique}`,
    changes: [badCount({ quantity: "93", catalogObjectType: "ITEM_VARIATION" })],
    ignoreUnchangedCounts: false, // the count is 93 already; record the change anyway
  });
  check(
    variation.changes?.[0]?.physicalCount?.catalogObjectType === "INVENTORY_ITEM",
    "catalogObjectType ITEM_VARIATION in a request is ignored; the answer says INVENTORY_ITEM",
  );

  // A bad token is Square's AUTHENTICATION_ERROR.
  error = await refused(
    () =>
      new SquareClient({ baseUrl: `http://${http}`, token: "not-a-token" }).inventory.getAdjustment({
        adjustmentId: dayIds[0],
      }),
    "a bad token is refused",
  );
  check(
    error.statusCode === 401 && error.errors[0]?.category === "AUTHENTICATION_ERROR",
    `a bad token: 401 AUTHENTICATION_ERROR (${error.statusCode})`,
  );

  // A move between two locations, as Square's 2026 model writes it: an adjustment IN_STOCK →
  // IN_STOCK from one location to another (4 mugs from the shop floor to the back room).
  const moved = await client.inventory.batchCreateChanges({
    idempotencyKey: `move-${unique}`,
    changes: [adjustment("IN_STOCK", "IN_STOCK", "4", 2, { fromLocationId: location, toLocationId: backroom })],
  });
  check(moved.errors === undefined || moved.errors.length === 0, "the move's batch-create answers without errors");
  const move = moved.changes?.[0] ?? {};
  const moveId = move.adjustment?.id;
  check(
    move.type === "ADJUSTMENT" &&
      Boolean(moveId) &&
      move.adjustment.fromLocationId === location &&
      move.adjustment.toLocationId === backroom &&
      move.adjustment.fromState === "IN_STOCK" &&
      move.adjustment.toState === "IN_STOCK" &&
      move.adjustment.quantity === "4",
    `the move is answered as an ADJUSTMENT IN_STOCK → IN_STOCK from A to B (${inspect(move.adjustment)})`,
  );
  const bothCounts = await client.inventory.batchGetCounts({ catalogObjectIds: [item], locationIds: [location, backroom] });
  const at_ = (where) => byState(bothCounts.data.filter((c) => c.locationId === where));
  check(
    sameCounts(at_(location), { IN_STOCK: "89", WASTE: "2" }) && sameCounts(at_(backroom), { IN_STOCK: "4" }),
    `batch-retrieve counts after the move: A IN_STOCK 89, WASTE 2; B IN_STOCK 4 (${inspect(at_(location))} / ${inspect(at_(backroom))})`,
  );
  for (const [where, expected, name] of [
    [location, { IN_STOCK: "89", WASTE: "2" }, "A"],
    [backroom, { IN_STOCK: "4" }, "B"],
  ]) {
    const counts = [];
    for await (const count of await client.inventory.get({ catalogObjectId: item, locationIds: where })) {
      counts.push(count);
    }
    check(
      counts.every((c) => c.locationId === where) && sameCounts(byState(counts), expected),
      `GET /v2/inventory/{id} at ${name} after the move (${inspect(byState(counts))})`,
    );
  }
  const adjustments = (await allPages(client.inventory.batchGetChanges({ catalogObjectIds: [item], types: ["ADJUSTMENT"] }))).flat();
  check(
    adjustments.length === 5 && adjustments.every((c) => c.type === "ADJUSTMENT"),
    `an ADJUSTMENT types filter includes the move: the day's 4 and the move (${adjustments.length})`,
  );
  const readMove = adjustments.find((c) => c.adjustment?.id === moveId)?.adjustment ?? {};
  check(
    readMove.fromLocationId === location && readMove.toLocationId === backroom && readMove.fromLocationId !== readMove.toLocationId,
    `the move reads back in changes as an ADJUSTMENT with different from/to locations (${readMove.fromLocationId} → ${readMove.toLocationId})`,
  );
  const fetchedMove = (await client.inventory.getAdjustment({ adjustmentId: moveId })).adjustment ?? {};
  check(
    fetchedMove.id === moveId && fetchedMove.fromLocationId === location && fetchedMove.toLocationId === backroom && fetchedMove.quantity === "4",
    `getAdjustment reads the move by id (${fetchedMove.fromLocationId} → ${fetchedMove.toLocationId}, ${fetchedMove.quantity})`,
  );
  const latest = [];
  for await (const change of await client.inventory.changes({ catalogObjectId: item })) {
    latest.push(change);
  }
  check(
    latest[0]?.type === "ADJUSTMENT" && latest[0]?.adjustment?.id === moveId,
    "GET …/changes: the move is the newest change, an ADJUSTMENT",
  );
  return { item: reasonsItem, location };
}

// Square's standard seller reasons with their directions (written on adjustments), its system
// codes (answered only with includeSystemCodes); Shopify's CORRECTION is not Square's.
const STANDARD = {
  RECEIVED: "INCREASE",
  DAMAGED: "DECREASE",
  THEFT: "DECREASE",
  LOST: "DECREASE",
  RETURNED: "INCREASE",
  SPOILAGE_WASTE: "DECREASE",
  SAMPLES_PROMOTIONAL: "DECREASE",
  INTERNAL_USE: "DECREASE",
  VENDOR_RETURN: "DECREASE",
  PRODUCTION_WASTE: "DECREASE",
};
const SYSTEM_CODES = ["SALE", "RECOUNT", "TRANSFER", "IN_TRANSIT", "CANCELED_SALE"];

// Square's 2026 model: fromLocationId / toLocationId, and no locationId at all (the SDK passes
// an unknown key through as sent, so a `location_id` in the answer would show).
const where2026 = (adjustment, location) =>
  adjustment?.fromLocationId === location &&
  adjustment?.toLocationId === location &&
  !("locationId" in adjustment) &&
  !("location_id" in adjustment);

// Square's 2026 adjustment reasons (Square-Version 2026-07-15) through the SDK's own methods.
async function adjustmentReasons(client, { item, location }, unique) {
  const inventory = client.inventory;
  const reasonsOf = async (request) => (await inventory.listInventoryAdjustmentReasons(request)).adjustmentReasons ?? [];

  // The list: Square's standard reasons with their directions; system codes only when asked
  // for; never a reason Square does not know (Shopify's CORRECTION).
  let listed = await reasonsOf();
  const types = listed.map((r) => r.id.type);
  const directions = Object.fromEntries(listed.filter((r) => r.id.type !== "CUSTOM").map((r) => [r.id.type, r.direction]));
  check(sameCounts(directions, STANDARD), `the list holds Square's 10 standard reasons with their directions (${inspect(directions)})`);
  check(!SYSTEM_CODES.some((t) => types.includes(t)), `no system code (SALE, …) without includeSystemCodes (${types})`);
  check(!types.includes("CORRECTION"), "no CORRECTION, which Square does not have");
  check(
    listed.filter((r) => r.id.type !== "CUSTOM").every((r) => r.isDeleted === false && !r.name),
    "standard reasons: no name, not deleted",
  );
  const coded = (await reasonsOf({ includeSystemCodes: true })).map((r) => r.id.type);
  check(
    [...SYSTEM_CODES, ...Object.keys(STANDARD)].every((t) => coded.includes(t)),
    `includeSystemCodes adds SALE, RECOUNT, … (${coded})`,
  );
  check(
    coded.every((t) => t === "CUSTOM" || t in STANDARD || SYSTEM_CODES.includes(t)),
    "… and nothing Square does not know",
  );

  // A custom reason: created (the SDK requires its id, { type: "CUSTOM" }), then created again
  // with the same key (a retry: the same reason).
  const name = `Donated to charity ${unique}`;
  const create = {
    idempotencyKey: `reason-${unique}`,
    adjustmentReason: { id: { type: "CUSTOM" }, name, direction: "DECREASE" },
  };
  const created = (await inventory.createInventoryAdjustmentReason(create)).adjustmentReason;
  const reasonId = created?.id?.customReasonId;
  check(created?.id?.type === "CUSTOM" && Boolean(reasonId), `create answers a CUSTOM reason with its id (${inspect(created?.id)})`);
  check(
    created.name === name && created.direction === "DECREASE" && created.isDeleted === false,
    `… named as sent, DECREASE, not deleted (${created.name} ${created.direction} ${created.isDeleted})`,
  );
  check(Boolean(created.createdAt && created.updatedAt), "… with createdAt and updatedAt");
  const again = (await inventory.createInventoryAdjustmentReason(create)).adjustmentReason;
  check(again?.id?.customReasonId === reasonId, `a retry with the same idempotency key answers the same id (${again?.id?.customReasonId})`);
  const custom = { type: "CUSTOM", customReasonId: reasonId };
  let fetched = (await inventory.retrieveInventoryAdjustmentReason({ reasonId: custom })).adjustmentReason;
  check(fetched?.id?.customReasonId === reasonId && fetched.name === name, "retrieve reads it back by id");
  listed = await reasonsOf();
  check(
    listed.filter((r) => r.id.customReasonId === reasonId).map((r) => r.name).join() === name,
    "the list holds it",
  );

  // Renamed: only the name can change.
  const renamed = `Charitable donation ${unique}`;
  const updated = (await inventory.updateInventoryAdjustmentReason({ reasonId: custom, adjustmentReason: { id: custom, name: renamed } }))
    .adjustmentReason;
  check(
    updated?.name === renamed && updated.id.customReasonId === reasonId && updated.direction === "DECREASE",
    `update renames it, same id and direction (${updated?.name})`,
  );
  check(
    updated.createdAt === created.createdAt && Date.parse(updated.updatedAt) >= Date.parse(created.updatedAt),
    "… createdAt kept, updatedAt moved on",
  );
  fetched = (await inventory.retrieveInventoryAdjustmentReason({ reasonId: custom })).adjustmentReason;
  check(fetched?.name === renamed, "retrieve reads the new name");

  // A receipt with a standard reason, its cost and its vendor; then waste with the custom reason.
  const vendor = `vendor-${unique}`;
  const receiptChange = {
    type: "ADJUSTMENT",
    adjustment: {
      fromState: "NONE",
      toState: "IN_STOCK",
      toLocationId: location,
      catalogObjectId: item,
      quantity: "10",
      occurredAt: at(45),
      reasonId: { type: "RECEIVED" },
      costMoney: { amount: 1250n, currency: "USD" },
      vendorId: vendor,
    },
  };
  const received = await inventory.batchCreateChanges({ idempotencyKey: `receipt-${unique}`, changes: [receiptChange] });
  const receipt = received.changes?.[0]?.adjustment ?? {};
  check(receipt.reasonId?.type === "RECEIVED", `the receipt is answered with reasonId RECEIVED (${inspect(receipt.reasonId)})`);
  check(
    receipt.costMoney?.amount === 1250n && receipt.costMoney?.currency === "USD",
    `… costMoney 1250n USD (${inspect(receipt.costMoney)})`,
  );
  check(receipt.vendorId === vendor, `… and vendorId (${receipt.vendorId})`);
  check(where2026(receipt, location), `… fromLocationId / toLocationId, no locationId (${inspect(receipt)})`);
  const wasteChange = (quantity, when) => ({
    type: "ADJUSTMENT",
    adjustment: {
      fromState: "IN_STOCK",
      toState: "WASTE",
      fromLocationId: location,
      catalogObjectId: item,
      quantity,
      occurredAt: at(when),
      reasonId: custom,
    },
  });
  const wasted = await inventory.batchCreateChanges({ idempotencyKey: `waste-${unique}`, changes: [wasteChange("2", 40)] });
  const waste = wasted.changes?.[0]?.adjustment ?? {};
  check(
    waste.reasonId?.type === "CUSTOM" && waste.reasonId?.customReasonId === reasonId,
    `waste with the custom reason is answered with it (${inspect(waste.reasonId)})`,
  );
  check(where2026(waste, location), "… in the 2026 model");
  check(sameCounts(byState(wasted.counts), { IN_STOCK: "8", WASTE: "2" }), `counts: IN_STOCK 8, WASTE 2 (${inspect(byState(wasted.counts))})`);
  let error = await refused(
    () =>
      inventory.batchCreateChanges({
        idempotencyKey: `cost-${unique}`,
        changes: [{ ...wasteChange("2", 40), adjustment: { ...wasteChange("2", 40).adjustment, costMoney: { amount: 1n, currency: "USD" } } }],
      }),
    "costMoney on an adjustment that is not a receipt is refused",
  );
  let first = error.errors[0] ?? {};
  check(
    error.statusCode === 400 && first.code === "INVALID_VALUE" && first.field === "changes[0].adjustment.cost_money",
    `cost_money off a receipt: 400 INVALID_VALUE on changes[0].adjustment.cost_money (${error.statusCode} ${first.code} ${first.field})`,
  );

  // History by reason: exactly the change with that reason, read back with its fields.
  const byCustom = (await allPages(inventory.batchGetChanges({ catalogObjectIds: [item], reasonIds: [custom] }))).flat();
  check(
    byCustom.map((c) => c.adjustment?.id).join() === waste.id,
    `reasonIds [the custom reason] finds exactly the waste (${byCustom.length})`,
  );
  const byReceived = (await allPages(inventory.batchGetChanges({ catalogObjectIds: [item], reasonIds: [{ type: "RECEIVED" }] }))).flat();
  check(byReceived.map((c) => c.adjustment?.id).join() === receipt.id, "reasonIds [RECEIVED] finds exactly the receipt");
  const read = byReceived[0]?.adjustment ?? {};
  check(
    read.costMoney?.amount === 1250n && read.vendorId === vendor && read.reasonId?.type === "RECEIVED" && where2026(read, location),
    "the receipt reads back with reasonId, costMoney, vendorId, in the 2026 model",
  );
  const byId = (await inventory.getAdjustment({ adjustmentId: waste.id })).adjustment ?? {};
  check(byId.reasonId?.customReasonId === reasonId && where2026(byId, location), "getAdjustment reads the reason back, in the 2026 model");
  error = await refused(
    () => inventory.batchGetChanges({ catalogObjectIds: [item], reasonIds: [custom], states: ["WASTE"] }),
    "reasonIds with states is refused",
  );
  first = error.errors[0] ?? {};
  check(error.statusCode === 400, `reasonIds with states: HTTP 400 (${error.statusCode})`);
  check(
    first.category === "INVALID_REQUEST_ERROR" && first.code === "INVALID_VALUE" && first.field === "reason_ids",
    `… INVALID_REQUEST_ERROR INVALID_VALUE on reason_ids (${first.category} ${first.code} ${first.field})`,
  );

  // Deleted: kept (retrieve, includeDeleted) but no longer usable, nor renamed.
  const deleted = (await inventory.deleteInventoryAdjustmentReason({ reasonId: custom })).adjustmentReason;
  check(deleted?.id?.customReasonId === reasonId && deleted.isDeleted === true, "delete answers the reason with isDeleted");
  error = await refused(
    () => inventory.batchCreateChanges({ idempotencyKey: `deleted-${unique}`, changes: [wasteChange("1", 30)] }),
    "an adjustment naming a deleted reason is refused",
  );
  first = error.errors[0] ?? {};
  check(
    error.statusCode === 400 &&
      first.category === "INVALID_REQUEST_ERROR" &&
      first.code === "INVALID_VALUE" &&
      first.field === "changes[0].adjustment.reason_id.custom_reason_id",
    `a deleted reason: 400 INVALID_VALUE on changes[0].adjustment.reason_id.custom_reason_id (${error.statusCode} ${first.code} ${first.field}: ${first.detail})`,
  );
  const unchanged = await inventory.batchGetCounts({ catalogObjectIds: [item] });
  check(sameCounts(byState(unchanged.data), { IN_STOCK: "8", WASTE: "2" }), `… and nothing was applied (${inspect(byState(unchanged.data))})`);
  error = await refused(
    () => inventory.updateInventoryAdjustmentReason({ reasonId: custom, adjustmentReason: { id: custom, name } }),
    "a deleted reason cannot be renamed",
  );
  check(
    error.statusCode === 400 && error.errors[0]?.code === "INVALID_VALUE",
    `renaming a deleted reason: 400 INVALID_VALUE (${error.statusCode} ${error.errors[0]?.code})`,
  );
  listed = await reasonsOf();
  check(!listed.some((r) => r.id.customReasonId === reasonId), "the list leaves the deleted reason out");
  listed = await reasonsOf({ includeDeleted: true });
  const shown = listed.filter((r) => r.id.customReasonId === reasonId);
  check(shown.length === 1 && shown[0].isDeleted === true, "includeDeleted lists it with isDeleted true");
  fetched = (await inventory.retrieveInventoryAdjustmentReason({ reasonId: custom })).adjustmentReason;
  check(fetched?.isDeleted === true, "retrieve still reads it, deleted");

  // Restored: usable again.
  const restored = (await inventory.restoreInventoryAdjustmentReason({ reasonId: custom })).adjustmentReason;
  check(restored?.isDeleted === false && restored.name === renamed, "restore answers it not deleted, its name kept");
  const after = await inventory.batchCreateChanges({ idempotencyKey: `restored-${unique}`, changes: [wasteChange("1", 30)] });
  check(after.changes?.[0]?.adjustment?.reasonId?.customReasonId === reasonId, "an adjustment naming the restored reason is written");
  check(sameCounts(byState(after.counts), { IN_STOCK: "7", WASTE: "3" }), `counts: IN_STOCK 7, WASTE 3 (${inspect(byState(after.counts))})`);
  listed = await reasonsOf();
  check(listed.some((r) => r.id.customReasonId === reasonId), "the list holds it again");
  const both = (await allPages(inventory.batchGetChanges({ catalogObjectIds: [item], reasonIds: [custom] }))).flat();
  check(both.length === 2, `reasonIds now finds both wastes (${both.length})`);
}

for (const name of ["STOCKLEDGER_HTTP_ADDR", "STOCKLEDGER_ADDR", "STOCKLEDGER_TOKEN"]) {
  if (!process.env[name]) {
    console.error(`seed_day.mjs: set ${name} (scripts/clients-test.sh does)`);
    process.exit(2);
  }
}
main().catch((error) => {
  console.error(`FAILED: ${inspect(error, { depth: 6 })}`);
  process.exit(1);
});
