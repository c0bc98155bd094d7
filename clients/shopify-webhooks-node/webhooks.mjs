// Stockledger's Shopify-form webhooks checked by Shopify's own code: every notification the
// receiver gets must pass `shopify.webhooks.validate` of `@shopify/shopify-api` (package.json),
// configured with the subscription's signature key as the app's secret. Exits non-zero on the
// first failed check.
//
// Starts its own servers from STOCKLEDGER_BIN (each on a throw-away SQLite database in a temp
// dir, migrated first, one token per scenario with every scope) and an HTTP receiver in this
// process, and runs five scenarios (README.md):
//   a. round trip: counts, adjustments (2.5 units) and a transfer: one inventory_levels/update
//      per IN_STOCK count moved, `available` in order, validated; a tampered body, a wrong key
//      and a missing header are refused by validate;
//   b. receiver down: the subscription turns RETRYING with a last error; back up, everything
//      arrives in order, none missing;
//   c. server SIGKILLed mid-delivery: after a restart on the same database every notification
//      arrives at least once, first arrivals in order, at most the one in flight again;
//   d. a reservation of 1.5 held, then left to expire: available 3.5, then 5 again;
//   e. the id CreateWebhookSubscription answers names the subscription for Get and Delete.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createConnection, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import "@shopify/shopify-api/adapters/node";
import { ApiVersion, LogSeverity, shopifyApi } from "@shopify/shopify-api";

const SCOPES =
  "INVENTORY_READ,INVENTORY_WRITE,INVENTORY_IMPORT,ITEMS_READ,ITEMS_WRITE,LOCATIONS_READ," +
  "LOCATIONS_WRITE,RESERVATIONS_READ,RESERVATIONS_WRITE,WEBHOOKS_READ,WEBHOOKS_WRITE";

let onFailure = () => {};

function check(condition, what) {
  if (!condition) {
    console.error(`FAILED: ${what}`);
    onFailure();
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls `condition` (maybe async) until it returns something truthy; fails naming `what`.
async function waitFor(condition, what, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) check(false, `${what} (waited ${seconds} s)`);
    await sleep(50);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

// This process's environment without the variables `stockledger` reads as settings
// (STOCKLEDGER_*, DATABASE_URL: scripts/clients-test.sh sets STOCKLEDGER_TLS_CERT and
// STOCKLEDGER_TLS_KEY for clients, which serve would take as its own certificate), with the
// server's database.
function serverEnv(databaseUrl) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("STOCKLEDGER_") && name !== "DATABASE_URL"),
  );
  return { ...env, DATABASE_URL: databaseUrl };
}

// A `stockledger serve` of STOCKLEDGER_BIN on its own SQLite database.
class Server {
  constructor(workdir, name) {
    this.bin = process.env.STOCKLEDGER_BIN;
    this.dir = join(workdir, name);
    mkdirSync(this.dir);
    this.databaseUrl = `sqlite://${this.dir}/s.db?mode=rwc`;
    this.port = 0;
    this.child = null;
    this.run("migrate", "--database-url", this.databaseUrl);
  }

  run(...args) {
    const done = spawnSync(this.bin, args, {
      cwd: this.dir,
      env: serverEnv(this.databaseUrl),
      encoding: "utf8",
    });
    check(done.status === 0, `stockledger ${args[0]} exits 0 (${done.status}: ${(done.stderr || "").trim()})`);
    return done.stdout.trim();
  }

  token(merchant) {
    return this.run("token", "create", "--merchant", merchant, "--scopes", SCOPES, "--app-name", "shopify webhooks");
  }

  get addr() {
    return `127.0.0.1:${this.port}`;
  }

  async start() {
    this.port = this.port || (await freePort());
    const log = openSync(join(this.dir, "server.log"), "a");
    this.child = spawn(
      this.bin,
      [
        "serve",
        "--listen", this.addr,
        "--no-dev-token",
        "--database-url", this.databaseUrl,
        "--webhook-max-retry-interval-seconds", "1",
        "--shutdown-grace-seconds", "1",
      ],
      { cwd: this.dir, env: serverEnv(this.databaseUrl), stdio: ["ignore", log, log] },
    );
    closeSync(log);
    const child = this.child;
    let exited = false;
    child.once("exit", () => (exited = true));
    const deadline = Date.now() + 30_000;
    while (!(await listening(this.port))) {
      if (exited || Date.now() > deadline) {
        this.showLog();
        check(false, `the server listens on ${this.addr}`);
      }
      await sleep(50);
    }
  }

  async stop(signal = "SIGTERM") {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  showLog() {
    console.error(`----- server log (${this.dir}) -----\n${readFileSync(join(this.dir, "server.log"), "utf8")}`);
  }
}

// Stockledger's own gRPC API, through @grpc/grpc-js and the repository's protos.
function stockledgerGrpc(addr, token) {
  const protoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "proto");
  const definition = protoLoader.loadSync(
    [
      "stockledger/v1/location.proto",
      "stockledger/v1/inventory_item.proto",
      "stockledger/v1/inventory.proto",
      "stockledger/v1/webhook.proto",
      "stockledger/v1/reservation.proto",
    ],
    { includeDirs: [protoRoot], keepCase: true, enums: String, longs: String, defaults: true },
  );
  const v1 = grpc.loadPackageDefinition(definition).stockledger.v1;
  const credentials = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const services = {
    locations: new v1.LocationService(addr, credentials),
    items: new v1.InventoryItemService(addr, credentials),
    inventory: new v1.InventoryService(addr, credentials),
    webhooks: new v1.WebhookService(addr, credentials),
    reservations: new v1.ReservationService(addr, credentials),
  };
  const call = (service, method, request) =>
    new Promise((resolve, reject) => {
      services[service][method](request, metadata, (error, response) => (error ? reject(error) : resolve(response)));
    });
  return { call, close: () => Object.values(services).forEach((client) => client.close()) };
}

// One IN_STOCK move or count as a BatchChangeInventory change.
const physicalCount = (item, location, quantity) => ({
  type: "INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT",
  physical_count: { catalog_object_id: item, location_id: location, state: "INVENTORY_STATE_IN_STOCK", quantity },
});
const adjustment = (item, location, from, to, quantity) => ({
  type: "INVENTORY_CHANGE_TYPE_ADJUSTMENT",
  adjustment: {
    catalog_object_id: item,
    location_id: location,
    from_state: `INVENTORY_STATE_${from}`,
    to_state: `INVENTORY_STATE_${to}`,
    quantity,
  },
});
const transfer = (item, from, to, quantity) => ({
  type: "INVENTORY_CHANGE_TYPE_TRANSFER",
  transfer: {
    catalog_object_id: item,
    from_location_id: from,
    to_location_id: to,
    state: "INVENTORY_STATE_IN_STOCK",
    quantity,
  },
});

let keys = 0;
async function change(stockledger, ...changes) {
  keys += 1;
  return stockledger.call("inventory", "BatchChangeInventory", { idempotency_key: `webhooks-${process.pid}-${keys}`, changes });
}

// Shopify's library configured as the app whose secret is the subscription's signature key.
function shopifyFor(signatureKey) {
  return shopifyApi({
    apiKey: "stockledger-webhooks-test",
    apiSecretKey: signatureKey,
    apiVersion: ApiVersion.January26,
    hostName: "127.0.0.1",
    isEmbeddedApp: false,
    logger: { level: LogSeverity.Error },
  });
}

// An HTTP server on a fixed port of 127.0.0.1 that checks each POST with Shopify's
// webhooks.validate and answers 200 (valid) or 401 (not), keeping every arrival. stop()
// closes the port; start() opens it again.
class Receiver {
  constructor({ delayMs = 0 } = {}) {
    this.delayMs = delayMs;
    this.refuseNext = 0; // answer 503 to this many notifications (valid ones included) before 200
    this.arrivals = [];
    this.server = null;
    this.shopify = null;
  }

  async init() {
    this.port = await freePort();
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.port}/shopify/webhooks`;
  }

  setKey(signatureKey) {
    this.shopify = shopifyFor(signatureKey);
  }

  async start() {
    this.server = createServer(async (req, res) => {
      const startedAt = Date.now(); // before anything is awaited
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const rawBody = Buffer.concat(chunks).toString("utf8");
      // Shopify's own check of the signature and of the headers it requires.
      const result = await this.shopify.webhooks.validate({ rawBody, rawRequest: req, rawResponse: res });
      let json = null;
      try {
        json = JSON.parse(rawBody);
      } catch {
        // a control's body may be anything
      }
      // What an app does next: find its offline session by the webhook's shop.
      let offlineId = null;
      try {
        offlineId = this.shopify.session.getOfflineId(result.domain);
      } catch {
        // not a shop domain: checked by allValid
      }
      this.arrivals.push({ rawBody, json, headers: req.headers, result, offlineId, startedAt });
      const refuse = result.valid && this.refuseNext > 0;
      if (refuse) this.refuseNext -= 1;
      if (this.delayMs) await sleep(this.delayMs);
      res.writeHead(refuse ? 503 : result.valid ? 200 : 401, { "Content-Length": "0" });
      res.end();
    });
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", resolve);
    });
  }

  async stop() {
    if (!this.server) return;
    const server = this.server;
    this.server = null;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }
}

// The shop the subscription names in X-Shopify-Shop-Domain (shopify_shop_domain).
const SHOP = "stockledger-test.myshopify.com";

async function subscribe(stockledger, receiver) {
  const { subscription } = await stockledger.call("webhooks", "CreateWebhookSubscription", {
    subscription: {
      name: "shopify receiver",
      notification_url: receiver.url,
      format: "WEBHOOK_FORMAT_SHOPIFY",
      event_types: ["WEBHOOK_EVENT_TYPE_COUNT_UPDATED"],
      shopify_shop_domain: SHOP,
    },
  });
  check(subscription.signature_key !== "", "CreateWebhookSubscription answers a signature key");
  receiver.setKey(subscription.signature_key);
  return subscription;
}

// The subscription's delivery state (GetWebhookSubscription).
async function subscriptionState(stockledger, id) {
  return (await stockledger.call("webhooks", "GetWebhookSubscription", { id })).subscription;
}

function allValid(arrivals, what) {
  const bad = arrivals.filter((a) => !a.result.valid).map((a) => [a.headers["x-shopify-webhook-id"], a.result]);
  check(bad.length === 0, `${what}: Shopify's webhooks.validate accepts all ${arrivals.length} notifications (refused: ${JSON.stringify(bad)})`);
  const sessions = arrivals.filter((a) => a.result.domain !== SHOP || a.offlineId !== `offline_${SHOP}`);
  check(
    sessions.length === 0,
    `${what}: every notification names the subscription's shop ${SHOP}, whose offline session Shopify's library finds (session.getOfflineId)`,
  );
}

const availableAt = (arrivals, location) =>
  arrivals.filter((a) => a.json.location_id === location).map((a) => a.json.available);

async function scenarioRoundTrip(server) {
  console.log("== a. round trip");
  const stockledger = stockledgerGrpc(server.addr, server.token("shopify-webhooks-a"));
  const receiver = await (await new Receiver().init());
  await receiver.start();
  const shop = (await stockledger.call("locations", "CreateLocation", { location: { name: "Shop" } })).location.id;
  const depot = (await stockledger.call("locations", "CreateLocation", { location: { name: "Depot" } })).location.id;
  const item = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: "MUG-RED" } })).inventory_item.id;
  const subscription = await subscribe(stockledger, receiver);

  await change(stockledger, physicalCount(item, shop, "10"));
  await change(stockledger, adjustment(item, shop, "IN_STOCK", "WASTE", "2.5")); // WASTE is no `available`
  await change(stockledger, transfer(item, shop, depot, "3"));
  await change(stockledger, adjustment(item, depot, "NONE", "IN_STOCK", "1.25"));
  const expected = 5; // 10 | 7.5 | 4.5 and 3 | 4.25
  await waitFor(() => receiver.arrivals.length >= expected, `${expected} notifications arrive`, 30);
  await sleep(500); // nothing more should come
  const arrivals = [...receiver.arrivals];
  check(arrivals.length === expected, `exactly ${expected} notifications, one per IN_STOCK count moved (${arrivals.length})`);
  allValid(arrivals, "round trip");
  const shopLevels = availableAt(arrivals, shop);
  const depotLevels = availableAt(arrivals, depot);
  check(JSON.stringify(shopLevels) === JSON.stringify([10, 7.5, 4.5]), `the shop's available in order: 10, 7.5, 4.5 (${shopLevels})`);
  check(JSON.stringify(depotLevels) === JSON.stringify([3, 4.25]), `the depot's available in order: 3, 4.25 (${depotLevels})`);
  check(arrivals[1].rawBody.includes('"available":7.5'), `available is the exact JSON number 7.5 (${arrivals[1].rawBody})`);
  check(
    arrivals.every(
      (a) =>
        a.json.inventory_item_id === item &&
        a.json.admin_graphql_api_id === `gid://shopify/InventoryLevel/${a.json.location_id}?inventory_item_id=${item}` &&
        a.json.updated_at,
    ),
    "every body is an InventoryLevel of the item (inventory_item_id, admin_graphql_api_id, updated_at)",
  );
  check(
    arrivals.every(
      (a) =>
        a.result.topic === "INVENTORY_LEVELS_UPDATE" &&
        a.result.apiVersion === "2026-01" &&
        a.result.domain === arrivals[0].result.domain &&
        a.result.domain !== "" &&
        a.result.webhookId === a.headers["x-shopify-webhook-id"],
    ),
    `validate reads topic inventory_levels/update, API version 2026-01, one shop domain (${arrivals[0].result.domain})`,
  );
  check(new Set(arrivals.map((a) => a.result.webhookId)).size === arrivals.length, "every notification has its own X-Shopify-Webhook-Id");

  // Negative controls: the same receiver, so Shopify's validate decides, must be able to say no.
  const sample = arrivals[1];
  const replay = async (body, headers) => {
    const before = receiver.arrivals.length;
    const answer = await fetch(receiver.url, { method: "POST", body, headers });
    return { status: answer.status, result: receiver.arrivals[before].result };
  };
  const headersOf = (a, leave = "") =>
    Object.fromEntries(
      Object.entries(a.headers).filter(([name]) => name.startsWith("x-shopify-") && name !== leave).concat([["content-type", "application/json"]]),
    );
  let answer = await replay(sample.rawBody, headersOf(sample));
  check(answer.status === 200 && answer.result.valid, "validate accepts a delivered notification sent again as is");
  answer = await replay(sample.rawBody.replace('"available":7.5', '"available":75'), headersOf(sample));
  check(
    answer.status === 401 && !answer.result.valid && answer.result.reason === "invalid_hmac",
    `validate refuses a tampered body (7.5 → 75): ${JSON.stringify(answer.result)}`,
  );
  receiver.setKey(`${subscription.signature_key}x`);
  answer = await replay(sample.rawBody, headersOf(sample));
  check(
    answer.status === 401 && answer.result.reason === "invalid_hmac",
    `validate refuses the right body under a wrong key: ${JSON.stringify(answer.result)}`,
  );
  receiver.setKey(subscription.signature_key);
  answer = await replay(sample.rawBody, headersOf(sample, "x-shopify-webhook-id"));
  check(
    answer.status === 401 && answer.result.reason === "missing_headers",
    `validate refuses a notification without X-Shopify-Webhook-Id: ${JSON.stringify(answer.result)}`,
  );

  const state = await subscriptionState(stockledger, subscription.id);
  check(
    state.delivery_state === "WEBHOOK_DELIVERY_STATE_ACTIVE" && state.delivered_sequence === state.feed_sequence && state.failed_attempts === 0,
    `the subscription is ACTIVE and caught up (delivered ${state.delivered_sequence} of ${state.feed_sequence})`,
  );
  await receiver.stop();
  stockledger.close();
}

async function scenarioReceiverDown(server) {
  console.log("== b. receiver down for a while");
  const stockledger = stockledgerGrpc(server.addr, server.token("shopify-webhooks-b"));
  const receiver = await new Receiver().init();
  await receiver.start();
  const shop = (await stockledger.call("locations", "CreateLocation", { location: { name: "Shop" } })).location.id;
  const item = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: "MUG-BLUE" } })).inventory_item.id;
  const subscription = await subscribe(stockledger, receiver);
  await change(stockledger, physicalCount(item, shop, "5"));
  await waitFor(() => receiver.arrivals.length >= 1, "the first notification arrives while the receiver is up", 30);

  await receiver.stop();
  check(!(await listening(receiver.port)), `the receiver's port ${receiver.port} is closed`);
  const quantities = ["6", "7.5", "9", "10.25", "12"];
  for (const q of quantities) await change(stockledger, physicalCount(item, shop, q));
  const state = await waitFor(async () => {
    const s = await subscriptionState(stockledger, subscription.id);
    return s.delivery_state === "WEBHOOK_DELIVERY_STATE_RETRYING" && s.failed_attempts >= 1 && s.last_error && s;
  }, "the subscription turns RETRYING with failed_attempts ≥ 1 and a last_error", 30);
  check(true, `RETRYING after ${state.failed_attempts} failed attempt(s): ${state.last_error}`);
  check(Number(state.delivered_sequence) < Number(state.feed_sequence), "the backlog shows: delivered_sequence < feed_sequence");
  await sleep(2000); // a few more failed attempts
  check(receiver.arrivals.length === 1, "nothing arrived while the port was closed");

  await receiver.start();
  await waitFor(() => receiver.arrivals.length >= 1 + quantities.length, "the backlog arrives once the receiver is back", 30);
  await sleep(500);
  const arrivals = [...receiver.arrivals];
  allValid(arrivals, "receiver down");
  const seen = availableAt(arrivals, shop);
  check(
    JSON.stringify(seen) === JSON.stringify(["5", ...quantities].map(Number)),
    `every count arrives once, in order, none missing (${seen})`,
  );
  const after = await waitFor(async () => {
    const s = await subscriptionState(stockledger, subscription.id);
    return s.delivery_state === "WEBHOOK_DELIVERY_STATE_ACTIVE" && s.delivered_sequence === s.feed_sequence && s;
  }, "the subscription is ACTIVE and caught up again", 10);
  check(after.failed_attempts === 0 && after.last_error === "", "failed_attempts and last_error are cleared");

  // A receiver that answers 503 twice: the same notification (webhook id, body, signature)
  // comes a third time, and is the only thing that comes.
  receiver.refuseNext = 2;
  await change(stockledger, physicalCount(item, shop, "13"));
  await waitFor(() => receiver.arrivals.length >= arrivals.length + 3, "a refused notification is sent again", 30);
  await sleep(500);
  const attempts = receiver.arrivals.slice(arrivals.length);
  allValid(attempts, "503 twice");
  const distinct = new Set(attempts.map((a) => `${a.result.webhookId} ${a.headers["x-shopify-hmac-sha256"]} ${a.rawBody}`));
  check(
    attempts.length === 3 && distinct.size === 1 && attempts[0].json.available === 13,
    `three attempts of one notification (available 13), the same webhook id, body and signature each time (${attempts.length})`,
  );
  const caughtUp = await waitFor(async () => {
    const s = await subscriptionState(stockledger, subscription.id);
    return s.delivered_sequence === s.feed_sequence && s;
  }, "the subscription is caught up after the third attempt", 10);
  check(caughtUp.delivery_state === "WEBHOOK_DELIVERY_STATE_ACTIVE" && caughtUp.failed_attempts === 0, "ACTIVE again, no failure counted");
  await receiver.stop();
  stockledger.close();
}

async function scenarioServerKilled(workdir) {
  console.log("== c. server SIGKILLed mid-delivery");
  const server = new Server(workdir, "killed");
  const token = server.token("shopify-webhooks-c");
  await server.start();
  const previousFailure = onFailure;
  onFailure = () => {
    server.showLog();
    server.child?.kill("SIGKILL");
    previousFailure();
  };
  const receiver = await new Receiver({ delayMs: 100 }).init();
  await receiver.start();
  const total = 40;
  const stockledger = stockledgerGrpc(server.addr, token);
  const shop = (await stockledger.call("locations", "CreateLocation", { location: { name: "Shop" } })).location.id;
  const item = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: "MUG-GREEN" } })).inventory_item.id;
  await subscribe(stockledger, receiver);
  for (let i = 0; i < total; i++) await change(stockledger, adjustment(item, shop, "NONE", "IN_STOCK", "1"));
  stockledger.close();
  await waitFor(() => receiver.arrivals.length >= 10, "10 notifications arrive before the kill", 30);
  await server.stop("SIGKILL");
  const killedAt = Date.now();
  // What arrives until the restart was sent by the killed process (a request it sent just
  // before the kill may be taken a moment later).
  await sleep(300);
  const before = [...receiver.arrivals];
  check(before.length < total, `the server was killed mid-delivery (${before.length} of ${total} arrived)`);

  await server.start();
  const ids = () => new Set(receiver.arrivals.map((a) => a.headers["x-shopify-webhook-id"]));
  await waitFor(() => ids().size >= total, `all ${total} notifications arrive after the restart`, 100);
  await sleep(500);
  const arrivals = [...receiver.arrivals];
  console.log(`   delivery resumed ${((arrivals[before.length].startedAt - killedAt) / 1000).toFixed(1)} s after the kill`);
  allValid(arrivals, "server killed");
  const first = new Map();
  for (const a of arrivals) if (!first.has(a.result.webhookId)) first.set(a.result.webhookId, a);
  const firsts = [...first.values()];
  check(firsts.length === total, `every one of the ${total} notifications arrived at least once (${firsts.length})`);
  const seen = firsts.map((a) => a.json.available);
  check(
    JSON.stringify(seen) === JSON.stringify(Array.from({ length: total }, (_, i) => i + 1)),
    `first arrivals in order: available 1…${total} (${seen})`,
  );
  const beforeIds = new Set(before.map((a) => a.result.webhookId));
  const again = arrivals.slice(before.length).filter((a) => beforeIds.has(a.result.webhookId));
  check(
    again.length <= 1 && again.every((a) => a.result.webhookId === before[before.length - 1].result.webhookId),
    `duplicates only of the notification in flight at the kill (${again.length} duplicate(s))`,
  );
  const afterRestart = arrivals.slice(before.length).map((a) => a.json.available);
  check(
    afterRestart.every((v, i) => i === 0 || v >= afterRestart[i - 1]),
    `arrivals after the restart in order (${afterRestart})`,
  );
  await receiver.stop();
  await server.stop();
  onFailure = previousFailure;
}

async function scenarioReservationExpired(server) {
  console.log("== d. a reservation expires");
  const stockledger = stockledgerGrpc(server.addr, server.token("shopify-webhooks-d"));
  const receiver = await new Receiver().init();
  await receiver.start();
  const shop = (await stockledger.call("locations", "CreateLocation", { location: { name: "Shop" } })).location.id;
  const item = (await stockledger.call("items", "CreateInventoryItem", { inventory_item: { sku: "MUG-WHITE" } })).inventory_item.id;
  await change(stockledger, physicalCount(item, shop, "5"));
  await subscribe(stockledger, receiver);
  await stockledger.call("reservations", "CreateReservation", {
    idempotency_key: `hold-${process.pid}`,
    lines: [{ catalog_object_id: item, location_id: shop, quantity: "1.5" }],
    ttl: { seconds: 1 },
  });
  await waitFor(() => receiver.arrivals.length >= 2, "the hold and its expiry are announced", 30);
  await sleep(500);
  const arrivals = [...receiver.arrivals];
  allValid(arrivals, "reservation expired");
  const seen = availableAt(arrivals, shop);
  check(JSON.stringify(seen) === JSON.stringify([3.5, 5]), `available 3.5 while held, 5 once expired (${seen})`);
  await receiver.stop();
  stockledger.close();
}

async function scenarioIds(server) {
  console.log("== e. the subscription's id for Get and Delete");
  const stockledger = stockledgerGrpc(server.addr, server.token("shopify-webhooks-e"));
  const receiver = await new Receiver().init();
  const subscription = await subscribe(stockledger, receiver);
  let got;
  try {
    got = (await stockledger.call("webhooks", "GetWebhookSubscription", { id: subscription.id })).subscription;
  } catch (error) {
    check(false, `GetWebhookSubscription finds ${subscription.id}, the id Create answered (${error.details})`);
  }
  check(
    got.id === subscription.id && got.signature_key === subscription.signature_key,
    "GetWebhookSubscription answers the subscription with its signature key",
  );
  try {
    await stockledger.call("webhooks", "DeleteWebhookSubscription", { id: subscription.id });
  } catch (error) {
    check(false, `DeleteWebhookSubscription deletes ${subscription.id} (${error.details})`);
  }
  const { subscriptions } = await stockledger.call("webhooks", "ListWebhookSubscriptions", {});
  check(subscriptions.every((s) => s.id !== subscription.id), "a deleted subscription is no longer listed");
  stockledger.close();
}

async function main() {
  if (!process.env.STOCKLEDGER_BIN) {
    console.error("set STOCKLEDGER_BIN to a stockledger server binary (scripts/clients-test.sh does)");
    process.exit(2);
  }
  const workdir = mkdtempSync(join(tmpdir(), "shopify-webhooks."));
  const server = new Server(workdir, "main");
  await server.start();
  onFailure = () => {
    server.showLog();
    server.child?.kill("SIGKILL");
  };
  await scenarioRoundTrip(server);
  await scenarioReceiverDown(server);
  await scenarioServerKilled(workdir);
  await scenarioReservationExpired(server);
  await scenarioIds(server);
  await server.stop();
  rmSync(workdir, { recursive: true, force: true });
  console.log("shopify-webhooks-node: all scenarios passed");
  process.exit(0);
}

main().catch((error) => {
  console.error(`FAILED: ${error?.stack ?? error}`);
  onFailure();
  process.exit(1);
});
