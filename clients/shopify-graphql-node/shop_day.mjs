// A shop's day with Shopify's own GraphQL Admin API client (`@shopify/admin-api-client`,
// package.json), unchanged, against Stockledger's Shopify GraphQL door (docs/shopify.md,
// "GraphQL"). Exits non-zero on the first failed check.
//
// Environment: STOCKLEDGER_HTTP_ADDR (serve --http-listen), STOCKLEDGER_ADDR (gRPC: only to
// create the item and the location, which Shopify's product and location APIs would hold, and
// a reservation) and STOCKLEDGER_TOKEN (a token with every scope).

import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createAdminApiClient } from "@shopify/admin-api-client";

function check(condition, what) {
  if (!condition) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

// Stockledger's own gRPC API, through @grpc/grpc-js and the repository's protos.
function stockledgerGrpc(addr, token) {
  const protoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "proto");
  const definition = protoLoader.loadSync(
    ["stockledger/v1/location.proto", "stockledger/v1/inventory_item.proto", "stockledger/v1/reservation.proto"],
    { includeDirs: [protoRoot], keepCase: true, enums: String, longs: String, defaults: false },
  );
  const v1 = grpc.loadPackageDefinition(definition).stockledger.v1;
  const credentials = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const services = {
    locations: new v1.LocationService(addr, credentials),
    items: new v1.InventoryItemService(addr, credentials),
    reservations: new v1.ReservationService(addr, credentials),
  };
  const call = (service, method, request) =>
    new Promise((resolve, reject) => {
      services[service][method](request, metadata, (error, response) => (error ? reject(error) : resolve(response)));
    });
  return { call, close: () => Object.values(services).forEach((client) => client.close()) };
}

// Shopify's client, pointed here: the store domain is Stockledger's HTTP listener, and — as
// the client always builds an https:// address and Stockledger serves plain HTTP here — a
// fetch that keeps the address but speaks http.
function shopifyClient(http, token, apiVersion) {
  return createAdminApiClient({
    storeDomain: http,
    apiVersion,
    accessToken: token,
    customFetchApi: (url, init) => fetch(String(url).replace(/^https:/, "http:"), init),
    logger: () => {}, // 2026-07 and unstable are newer than the versions the client lists
  });
}

// The answer's data; fails on any error.
async function data(client, operation, variables) {
  const answer = await client.request(operation, { variables });
  if (answer.errors) {
    console.error(`FAILED: ${operation.trim().split("\n")[0]}: ${inspect(answer.errors, { depth: 6 })}`);
    process.exit(1);
  }
  return answer;
}

const LEVEL = `query Level($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    sku
    inventoryLevel(locationId: $location) { quantities(names: ["available", "reserved", "on_hand"]) { name quantity } }
  }
}`;

async function quantities(client, item, location) {
  const { data: found } = await data(client, LEVEL, { item, location });
  const named = Object.fromEntries(found.inventoryItem.inventoryLevel.quantities.map((q) => [q.name, q.quantity]));
  return [named.available, named.reserved, named.on_hand];
}

// Every name Stockledger keeps, and their sum on_hand: { available: 18, reserved: 2, … }.
const NAMED = `query Named($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    inventoryLevel(locationId: $location) {
      quantities(names: ["available", "reserved", "damaged", "quality_control", "safety_stock", "on_hand"]) { name quantity }
    }
  }
}`;

async function named(client, item, location) {
  const { data: found } = await data(client, NAMED, { item, location });
  return Object.fromEntries(found.inventoryItem.inventoryLevel.quantities.map((q) => [q.name, q.quantity]));
}

const MOVE = `mutation Move($input: InventoryMoveQuantitiesInput!, $key: String!) {
  inventoryMoveQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange locationId } }
    userErrors { field message code }
  }
}`;

function move(item, quantity, from, to) {
  return {
    reason: "damaged",
    referenceDocumentUri: "gid://stockledger/Test/shop-day-move",
    changes: [{ inventoryItemId: item, quantity, from, to }],
  };
}

const ADJUST = `mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}`;

function adjustment(item, location, delta, changeFromQuantity) {
  return {
    name: "available",
    reason: "correction",
    referenceDocumentUri: "gid://stockledger/Test/shop-day",
    changes: [{ delta, inventoryItemId: item, locationId: location, changeFromQuantity }],
  };
}

async function theDay(client, stockledger, unique) {
  const locationId = (await stockledger.call("locations", "CreateLocation", { location: { name: `GraphQL Shop ${unique}` } }))
    .location.id;
  const itemId = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: `GQL-${unique}` } }))
    .inventory_item.id;
  const item = `gid://shopify/InventoryItem/${itemId}`;
  const location = `gid://shopify/Location/${locationId}`;

  // Stock the item: inventoryActivate with 10 available.
  const activated = await data(
    client,
    `mutation Activate($item: ID!, $location: ID!) {
      inventoryActivate(inventoryItemId: $item, locationId: $location, available: 10) {
        inventoryLevel { id } userErrors { code message }
      }
    }`,
    { item, location },
  );
  const level = activated.data.inventoryActivate.inventoryLevel;
  check(level.id === `gid://shopify/InventoryLevel/${locationId}?inventory_item_id=${itemId}`, "inventoryActivate answers the level's Global ID");
  check((await quantities(client, item, location)).join() === "10,0,10", "the new level has 10 available and on hand");

  // Cost, as Shopify's clients read it.
  const { extensions } = await data(client, LEVEL, { item, location });
  check(extensions?.cost?.actualQueryCost >= 1 && extensions.cost.throttleStatus.maximumAvailable > 0, `extensions.cost: ${JSON.stringify(extensions?.cost)}`);

  // Sell 3 with a compare-and-swap on the 10 there are, then retry with the same key.
  const sale = { input: adjustment(item, location, -3, 10), key: `sale-${unique}` };
  const sold = (await data(client, ADJUST, sale)).data.inventoryAdjustQuantities;
  check(sold.userErrors.length === 0, "the guarded sale is applied");
  check(sold.inventoryAdjustmentGroup.changes[0].quantityAfterChange === 7, "quantityAfterChange is 7");
  const retried = (await data(client, ADJUST, sale)).data.inventoryAdjustQuantities;
  check(retried.inventoryAdjustmentGroup.id === sold.inventoryAdjustmentGroup.id, "an @idempotent retry answers the same group");
  check((await quantities(client, item, location))[0] === 7, "and sold only once");
  const reused = (await data(client, ADJUST, { input: adjustment(item, location, -1, 7), key: sale.key })).data
    .inventoryAdjustQuantities;
  check(reused.userErrors[0]?.code === "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "the key with another input is refused");

  // userErrors for a stale compare-and-swap and for an unknown item, nothing applied.
  const stale = (await data(client, ADJUST, { input: adjustment(item, location, -1, 10), key: `stale-${unique}` })).data
    .inventoryAdjustQuantities;
  check(
    stale.userErrors[0]?.code === "CHANGE_FROM_QUANTITY_STALE" &&
      stale.userErrors[0].field.join(".") === "input.changes.0.changeFromQuantity",
    `a stale changeFromQuantity is a userError on its field: ${JSON.stringify(stale.userErrors)}`,
  );
  const unknown = `gid://shopify/InventoryItem/${randomUUID()}`;
  const missing = (await data(client, ADJUST, { input: adjustment(unknown, location, 1, null), key: `unknown-${unique}` })).data
    .inventoryAdjustQuantities;
  check(
    missing.userErrors[0]?.code === "INVALID_INVENTORY_ITEM" &&
      missing.userErrors[0].field.join(".") === "input.changes.0.inventoryItemId",
    `an unknown item is INVALID_INVENTORY_ITEM on its field: ${JSON.stringify(missing.userErrors)}`,
  );
  check((await quantities(client, item, location))[0] === 7, "refused mutations change nothing");

  // 16 writers take one unit at a time, each with a compare-and-swap on what it read.
  let taken = 0;
  let staleCount = 0;
  await Promise.all(
    Array.from({ length: 16 }, async (_, writer) => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const [available] = await quantities(client, item, location);
        const key = `take-${unique}-${writer}-${attempt}`;
        const answer = (await data(client, ADJUST, { input: adjustment(item, location, -1, available), key })).data
          .inventoryAdjustQuantities;
        if (answer.userErrors.length === 0) {
          taken += 1;
        } else if (answer.userErrors[0].code === "CHANGE_FROM_QUANTITY_STALE") {
          staleCount += 1;
        } else {
          check(false, `unexpected userErrors ${JSON.stringify(answer.userErrors)}`);
        }
      }
    }),
  );
  const [afterRace] = await quantities(client, item, location);
  check(taken > 0 && afterRace === 7 - taken, `16 compare-and-swap writers: ${taken} taken, ${staleCount} stale, ${afterRace} left — no lost update`);

  // Set the count back to 20, guarded.
  const counted = (
    await data(
      client,
      `mutation Count($input: InventorySetQuantitiesInput!, $key: String!) {
        inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { code field } }
      }`,
      {
        input: {
          name: "available",
          reason: "cycle_count_available",
          quantities: [{ inventoryItemId: item, locationId: location, quantity: 20, changeFromQuantity: afterRace }],
        },
        key: `count-${unique}`,
      },
    )
  ).data.inventorySetQuantities;
  check(counted.userErrors.length === 0, "inventorySetQuantities with changeFromQuantity sets 20");

  // Named quantities after a reservation of 2.
  await stockledger.call("reservations", "CreateReservation", {
    idempotency_key: `cart-${unique}`,
    lines: [{ catalog_object_id: itemId, location_id: locationId, quantity: "2" }],
    ttl: { seconds: "600", nanos: 0 },
  });
  check((await quantities(client, item, location)).join() === "18,2,20", "after reserving 2: available 18, reserved 2, on_hand 20");

  // 3 found damaged: inventoryMoveQuantities from available to damaged, both ends compared
  // (damaged was never written: 0). A retry with the key answers the same group.
  const damage = {
    input: move(
      item,
      3,
      { locationId: location, name: "available", changeFromQuantity: 18 },
      { locationId: location, name: "damaged", changeFromQuantity: 0, ledgerDocumentUri: "gid://stockledger/Damage/1" },
    ),
    key: `damage-${unique}`,
  };
  const damaged = (await data(client, MOVE, damage)).data.inventoryMoveQuantities;
  check(damaged.userErrors.length === 0, `the move is applied: ${JSON.stringify(damaged.userErrors)}`);
  const moved = damaged.inventoryAdjustmentGroup.changes.map((c) => `${c.name} ${c.delta} → ${c.quantityAfterChange}`);
  check(moved.join(", ") === "available -3 → 15, damaged 3 → 3", `the group has -3 on available and +3 on damaged: ${moved.join(", ")}`);
  const again = (await data(client, MOVE, damage)).data.inventoryMoveQuantities;
  check(again.inventoryAdjustmentGroup?.id === damaged.inventoryAdjustmentGroup.id, "an @idempotent retry of the move answers the same group");

  // Every kept name after the reservation and the move: reserved > 0, and on_hand is the
  // sum of the kept names (nothing moved off the premises, so it is still 20).
  const kept = await named(client, item, location);
  check(kept.reserved === 2 && kept.damaged === 3 && kept.available === 15, `named quantities: ${JSON.stringify(kept)}`);
  const sum = kept.available + kept.reserved + kept.damaged + kept.quality_control + kept.safety_stock;
  check(kept.on_hand === sum && sum === 20, `on_hand ${kept.on_hand} = available + reserved + damaged + quality_control + safety_stock = ${sum}`);

  // A name Stockledger does not keep is a userError on its field, with Shopify's code, and
  // nothing moves.
  const bad = (
    await data(client, MOVE, {
      input: move(
        item,
        1,
        { locationId: location, name: "available", changeFromQuantity: null },
        { locationId: location, name: "committed", changeFromQuantity: null },
      ),
      key: `bad-name-${unique}`,
    })
  ).data.inventoryMoveQuantities;
  check(
    bad.inventoryAdjustmentGroup === null &&
      bad.userErrors.length === 1 &&
      bad.userErrors[0].code === "INVALID_QUANTITY_NAME" &&
      bad.userErrors[0].field.join(".") === "input.changes.0.to.name",
    `an unknown quantity name is INVALID_QUANTITY_NAME on input.changes.0.to.name: ${JSON.stringify(bad.userErrors)}`,
  );
  check(JSON.stringify(await named(client, item, location)) === JSON.stringify(kept), "and changes nothing");
}

async function main() {
  const http = process.env.STOCKLEDGER_HTTP_ADDR;
  const token = process.env.STOCKLEDGER_TOKEN;
  const unique = randomUUID().replaceAll("-", "").slice(0, 12);
  const stockledger = stockledgerGrpc(process.env.STOCKLEDGER_ADDR, token);
  try {
    await theDay(shopifyClient(http, token, "2026-07"), stockledger, unique);
  } finally {
    stockledger.close();
  }
  console.log("shopify-graphql-node: a shop's day passed");
}

await main();
