// The seed's day with Square's own Node SDK (`square`, package.json), unchanged, against
// Stockledger's Square front door (docs/square.md). Exits non-zero on the first failed check.
//
// Environment: STOCKLEDGER_HTTP_ADDR (serve --http-listen), STOCKLEDGER_ADDR (gRPC: to create
// the item and the location, which Square's catalog and locations APIs would hold, and to write
// the day's four adjustments, which this SDK cannot send here: see "KNOWN GAP") and
// STOCKLEDGER_TOKEN (a token with every scope).

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
// the location (Square's catalog and locations APIs would hold them), and the day's
// adjustments, which Square's 2026 Node SDK cannot send here (see "KNOWN GAP" below).
function stockledgerGrpc(addr, token) {
  const protoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "proto");
  const definition = protoLoader.loadSync(
    ["stockledger/v1/location.proto", "stockledger/v1/inventory_item.proto", "stockledger/v1/inventory.proto"],
    { includeDirs: [protoRoot], keepCase: true, enums: String, longs: String, defaults: false },
  );
  const v1 = grpc.loadPackageDefinition(definition).stockledger.v1;
  const credentials = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const services = {
    locations: new v1.LocationService(addr, credentials),
    items: new v1.InventoryItemService(addr, credentials),
    inventory: new v1.InventoryService(addr, credentials),
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

// A proto Timestamp from the ISO string at() makes.
function timestamp(iso) {
  const ms = Date.parse(iso);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function grpcAdjustment(item, location, fromState, toState, quantity, when, more = {}) {
  return {
    type: "INVENTORY_CHANGE_TYPE_ADJUSTMENT",
    adjustment: {
      from_state: `INVENTORY_STATE_${fromState}`,
      to_state: `INVENTORY_STATE_${toState}`,
      location_id: location,
      catalog_object_id: item,
      quantity,
      occurred_at: timestamp(when),
      ...more,
    },
  };
}

async function main() {
  const http = process.env.STOCKLEDGER_HTTP_ADDR;
  const token = process.env.STOCKLEDGER_TOKEN;
  const unique = randomUUID().replaceAll("-", "").slice(0, 12);
  const stockledger = stockledgerGrpc(process.env.STOCKLEDGER_ADDR, token);
  try {
    await theDay(http, token, unique, stockledger);
  } finally {
    stockledger.close();
  }
  console.log("square-node: the seed's day passed");
}

async function theDay(http, token, unique, stockledger) {
  const location = (await stockledger.call("locations", "CreateLocation", { location: { name: `Corner Shop ${unique}` } }))
    .location.id;
  const item = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: `MUG-RED-${unique}` } }))
    .inventory_item.id;
  check(Boolean(location && item), "gRPC created the location and the item");

  // Point your Square SDK here: baseUrl instead of an environment, a Stockledger token.
  const client = new SquareClient({ baseUrl: `http://${http}`, token });

  // KNOWN GAP. In Square API 2026-09-16 (SDK 46.0.0) an InventoryAdjustment has no
  // `locationId`, only `fromLocationId` / `toLocationId`; the SDK's serializer silently drops
  // any key its type does not declare. Stockledger's front door reads an adjustment's
  // location from `location_id` only and refuses `from_location_id` / `to_location_id`
  // (docs/square.md: "does not accept yet"). So no adjustment can be written through this SDK
  // unchanged; these checks pin what its user sees today and will fail once the front door
  // accepts the 2026 fields (then move the day's adjustments below onto the SDK).
  const receive = (more) => ({
    type: "ADJUSTMENT",
    adjustment: { fromState: "NONE", toState: "IN_STOCK", catalogObjectId: item, quantity: "100", occurredAt: at(50), ...more },
  });
  let error = await refused(
    () => client.inventory.batchCreateChanges({ idempotencyKey: `gap-1-${unique}`, changes: [receive({ locationId: location })] }),
    "KNOWN GAP: an adjustment with locationId is refused (the SDK drops the undeclared key)",
  );
  let first = error.errors[0] ?? {};
  check(
    error.statusCode === 400 && first.code === "MISSING_REQUIRED_PARAMETER" && first.field === "changes[0].adjustment.location_id",
    `KNOWN GAP: … 400 MISSING_REQUIRED_PARAMETER on changes[0].adjustment.location_id (${error.statusCode} ${first.code} ${first.field})`,
  );
  error = await refused(
    () => client.inventory.batchCreateChanges({ idempotencyKey: `gap-2-${unique}`, changes: [receive({ toLocationId: location })] }),
    "KNOWN GAP: an adjustment with the 2026 toLocationId is refused",
  );
  first = error.errors[0] ?? {};
  check(
    error.statusCode === 400 && first.code === "BAD_REQUEST" && first.field === "changes[0].adjustment.to_location_id",
    `KNOWN GAP: … 400 BAD_REQUEST on changes[0].adjustment.to_location_id (${error.statusCode} ${first.code} ${first.field})`,
  );
  const before = await client.inventory.batchGetCounts({ catalogObjectIds: [item] });
  check(before.data.length === 0, "… and neither refusal changed a count");

  // So the seed's day (receive 100, sell 3, sell 1, waste 2) goes in by Stockledger's gRPC
  // BatchChangeInventory; everything after it is Square's SDK.
  const day = await stockledger.call("inventory", "BatchChangeInventory", {
    idempotency_key: `day-${unique}`,
    changes: [
      grpcAdjustment(item, location, "NONE", "IN_STOCK", "100", at(50), { reference_id: "delivery-1" }),
      grpcAdjustment(item, location, "IN_STOCK", "SOLD", "3", at(40), {
        total_price_money: { amount: "29.97", currency: "USD" },
      }),
      grpcAdjustment(item, location, "IN_STOCK", "SOLD", "1", at(30)),
      grpcAdjustment(item, location, "IN_STOCK", "WASTE", "2", at(20)),
    ],
  });
  const dayIds = day.changes.map((c) => c.adjustment.id);
  check(dayIds.length === 4, "gRPC wrote the day's 4 adjustments");
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
    "the SDK reads the ids gRPC wrote",
  );
  const sale = history[1].adjustment;
  check(
    sale.totalPriceMoney?.amount === 2997n && sale.totalPriceMoney?.currency === "USD",
    `Money comes back as 2997n minor units of USD (${inspect(sale.totalPriceMoney)})`,
  );
  check(sale.catalogObjectType === "INVENTORY_ITEM", "an adjustment's catalogObjectType is INVENTORY_ITEM");
  // The adjustment's location: the SDK's 2026 type has no field for it; the answer's
  // location_id reaches the SDK user only as an untyped passthrough key.
  check(
    sale.fromLocationId === undefined && sale.toLocationId === undefined && sale.location_id === location,
    "KNOWN GAP: an adjustment's location comes back only as the untyped key location_id",
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
  check(fetched.source?.product === "EXTERNAL_API", `source.product of a gRPC change (${fetched.source?.product})`);
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
  error = await refused(
    () => client.inventory.batchCreateChanges({ idempotencyKey: `bad-${unique}`, changes: [badCount({ quantity: "-1" })] }),
    "a negative quantity is refused",
  );
  check(error instanceof SquareError && error.statusCode === 400, `refused with HTTP 400 (${error.statusCode})`);
  first = error.errors[0] ?? {};
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
