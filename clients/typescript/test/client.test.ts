// Checks of the client layer without a Stockledger server: argument validation before
// anything is sent, and what it sends and returns through a stand-in gRPC server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Code,
  InventoryApi,
  InventoryItemApi,
  LocationApi,
  ReservationApi,
  StockledgerError,
  createStockledgerClient,
  gen,
} from "../src/index.js";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ConnectError, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

describe("createStockledgerClient", () => {
  it("refuses an empty token or address", () => {
    const refusedAt = (field: string) => (error: unknown) =>
      error instanceof StockledgerError && error.code === "INVALID_ARGUMENT" && error.metadata["field"] === field;
    assert.throws(() => createStockledgerClient("127.0.0.1:1", ""), refusedAt("token"));
    assert.throws(() => createStockledgerClient("127.0.0.1:1", "   "), refusedAt("token"));
    assert.throws(() => createStockledgerClient("", "token"), refusedAt("address"));
  });

  it("speaks gRPC: the token on every call, requests and answers converted both ways", async () => {
    // A stand-in server on a free port (Connect's gRPC handler over Node's HTTP/2): it
    // records what arrives and answers with known values, so that what the client sends
    // and returns is checked by value through its real transport.
    const seen: { method: string; authorization: string | null; request: unknown }[] = [];
    const record = (method: string, context: HandlerContext, request: unknown) =>
      seen.push({ method, authorization: context.requestHeader.get("authorization"), request });
    const createdAt = timestampFromDate(new Date("2026-11-27T09:30:00Z"));
    const server = http2.createServer(
      connectNodeAdapter({
        routes: (router) => {
          router.service(gen.LocationService, {
            listLocations(request, context) {
              record("ListLocations", context, { limit: request.limit, cursor: request.cursor, status: request.status });
              return {
                locations: [{ id: "loc-1", name: "Corner Shop", status: gen.LocationStatus.ACTIVE, createdAt }],
                cursor: "next-page",
              };
            },
          });
          router.service(gen.InventoryItemService, {
            createInventoryItem(request, context) {
              record("CreateInventoryItem", context, { sku: request.inventoryItem?.sku, cost: request.inventoryItem?.cost });
              const sent = request.inventoryItem;
              return { inventoryItem: { id: "item-1", sku: sent?.sku ?? "", cost: sent?.cost ?? "", tracked: true, createdAt } };
            },
          });
          router.service(gen.InventoryService, {
            async importInventoryChanges(requests, context) {
              const batches: unknown[] = [];
              for await (const message of requests) {
                batches.push({
                  source: message.source && { product: message.source.product, name: message.source.name },
                  changes: message.changes.map(({ change }) => ({
                    member: change.case,
                    id: change.value?.id,
                    quantity: change.value?.quantity,
                    createdAt: change.value?.createdAt?.seconds,
                    source: change.value?.source && {
                      product: change.value.source.product,
                      applicationId: change.value.source.applicationId,
                    },
                  })),
                });
              }
              record("ImportInventoryChanges", context, batches);
              return {
                applied: 2n,
                alreadyPresent: 1n,
                refused: 1n,
                heldBack: 3n,
                refusedChanges: [
                  { index: 7n, field: "transfer.to_location_id", reason: "NOT_FOUND", description: "no location" },
                ],
              };
            },
            retrieveInventoryCount(request, context) {
              record("RetrieveInventoryCount", context, { catalogObjectId: request.catalogObjectId });
              return {
                counts: [
                  {
                    catalogObjectId: request.catalogObjectId,
                    locationId: "loc-1",
                    state: gen.InventoryState.IN_STOCK,
                    quantity: "97.50000",
                  },
                ],
              };
            },
          });
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = createStockledgerClient(`127.0.0.1:${port}`, "  secret-token ");
    try {
      const page = await client.locations.list({ limit: 2, status: "ACTIVE" });
      assert.deepEqual(page, {
        cursor: "next-page",
        items: [
          {
            id: "loc-1",
            name: "Corner Shop",
            status: "ACTIVE",
            description: "",
            createdAt: new Date("2026-11-27T09:30:00Z"),
            updatedAt: undefined,
            forbidNegativeCounts: false,
          },
        ],
      });

      const item = await client.items.create({ sku: "MUG-RED", cost: "25.50" });
      assert.equal(item.id, "item-1");
      assert.equal(item.sku, "MUG-RED");
      assert.equal(item.cost, "25.5");
      assert.equal(item.tracked, true);
      assert.deepEqual(item.createdAt, new Date("2026-11-27T09:30:00Z"));

      const counts = await client.raw.inventory.retrieveInventoryCount({ catalogObjectId: "item-1" });
      assert.equal(counts.counts.length, 1);
      assert.equal(counts.counts[0]?.state, gen.InventoryState.IN_STOCK);
      assert.equal(counts.counts[0]?.quantity, "97.50000");
      const typed = await client.inventory.retrieveCount("item-1");
      assert.equal(typed.items.length, 1);
      assert.equal(typed.items[0]?.state, "IN_STOCK");
      assert.equal(typed.items[0]?.quantity, "97.5");

      // importChanges: one message per batch, each with the call's source; a change's id,
      // createdAt and source on its member; the answer's int64 counts as numbers.
      function* batches() {
        yield [
          {
            adjustment: {
              catalogObjectId: "i",
              locationId: "l",
              fromState: "NONE",
              toState: "IN_STOCK",
              quantity: "2.50",
            },
            id: "0b9c3a52-5d3e-4c41-9a55-1f6f3c1e2d10",
            createdAt: new Date("2020-01-02T03:04:05Z"),
          } as const,
        ];
        yield new Set([
          {
            transfer: {
              catalogObjectId: "i",
              fromLocationId: "l",
              toLocationId: "m",
              state: "IN_STOCK",
              quantity: "1",
            },
            source: { product: "SQUARE_POS", applicationId: "pos-7" },
          } as const,
        ]);
      }
      const imported = await client.inventory.importChanges(batches(), { source: { product: "OTHER", name: "old" } });
      assert.deepEqual(imported, {
        applied: 2,
        alreadyPresent: 1,
        refused: 1,
        heldBack: 3,
        refusedChanges: [
          { index: 7, field: "transfer.to_location_id", reason: "NOT_FOUND", description: "no location" },
        ],
      });
      const importSource = { product: gen.Product.OTHER, name: "old" };
      assert.deepEqual(seen.pop(), {
        method: "ImportInventoryChanges",
        authorization: "Bearer secret-token",
        request: [
          {
            source: importSource,
            changes: [
              {
                member: "adjustment",
                id: "0b9c3a52-5d3e-4c41-9a55-1f6f3c1e2d10",
                quantity: "2.5",
                createdAt: BigInt(Date.parse("2020-01-02T03:04:05Z") / 1000),
                source: undefined,
              },
            ],
          },
          {
            source: importSource,
            changes: [
              {
                member: "transfer",
                id: "",
                quantity: "1",
                createdAt: undefined,
                source: { product: gen.Product.SQUARE_POS, applicationId: "pos-7" },
              },
            ],
          },
        ],
      });

      assert.deepEqual(seen, [
        {
          method: "ListLocations",
          authorization: "Bearer secret-token",
          request: { limit: 2, cursor: "", status: gen.LocationStatus.ACTIVE },
        },
        {
          method: "CreateInventoryItem",
          authorization: "Bearer secret-token",
          request: { sku: "MUG-RED", cost: "25.5" },
        },
        { method: "RetrieveInventoryCount", authorization: "Bearer secret-token", request: { catalogObjectId: "item-1" } },
        { method: "RetrieveInventoryCount", authorization: "Bearer secret-token", request: { catalogObjectId: "item-1" } },
      ]);
      assert.equal(gen.InventoryService.typeName, "stockledger.v1.InventoryService");
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses bad input before sending as StockledgerError INVALID_ARGUMENT, with the server's reason and field path", async () => {
    const client = createStockledgerClient("127.0.0.1:1", "token");
    /** The refusal of `call`, which must be the client's own (nothing listens on port 1). */
    const refusal = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        assert.ok(error instanceof StockledgerError, `a StockledgerError, not ${String(error)}`);
        return error;
      }
      return assert.fail("the call was not refused");
    };
    /** Asserts the refusal is INVALID_ARGUMENT with `reason` at `field`, shaped as the server's. */
    const assertRefused = (error: StockledgerError, reason: string, field: string) => {
      assert.equal(error.code, "INVALID_ARGUMENT");
      assert.equal(error.grpcCode, Code.InvalidArgument);
      assert.equal(error.grpcCode, 3);
      assert.equal(error.reason, reason);
      assert.equal(error.domain, "stockledger");
      assert.deepEqual(error.metadata, { field });
      assert.deepEqual(error.fields, [field]);
      assert.equal(error.fieldViolations[0]?.reason, reason);
      assert.ok(error.rawMessage.startsWith(`${field}: `), error.rawMessage);
      assert.ok(error.message.startsWith(`[invalid_argument] ${field}: `), error.message);
    };
    try {
      const change = (fromState: string, quantity: unknown) => ({
        adjustment: {
          catalogObjectId: "i",
          locationId: "l",
          fromState: fromState as "NONE",
          toState: "IN_STOCK" as const,
          quantity: quantity as string,
        },
      });
      const batch = (...changes: ReturnType<typeof change>[]) => () =>
        client.inventory.batchChange({ idempotencyKey: "k", changes });

      const unknownState = await refusal(batch(change("NONE", "1"), change("BOGUS", "1")));
      assertRefused(unknownState, "INVALID_ENUM_VALUE", "changes[1].adjustment.from_state");
      assert.match(unknownState.fieldViolations[0]?.description ?? "", /"BOGUS" is not a inventory state; expected one of .*IN_STOCK/);
      assertRefused(await refusal(batch(change("NONE", 2.5))), "INVALID_VALUE", "changes[0].adjustment.quantity");
      const exponent = await refusal(batch(change("NONE", "1e3")));
      assertRefused(exponent, "INVALID_VALUE", "changes[0].adjustment.quantity");
      assert.match(exponent.rawMessage, /"1e3" is not a decimal/);
      assertRefused(
        await refusal(() =>
          client.inventory.batchChange({
            idempotencyKey: "k",
            changes: [{ ...change("NONE", "1"), expectedQuantity: "1.000001" }],
          }),
        ),
        "INVALID_VALUE",
        "changes[0].expected_quantity",
      );
      assertRefused(await refusal(() => client.items.create({ sku: "x", cost: "1.000001" })), "INVALID_VALUE", "inventory_item.cost");
      assertRefused(
        await refusal(() => client.locations.list({ status: "OPEN" as "ACTIVE" })),
        "INVALID_ENUM_VALUE",
        "status",
      );
      assertRefused(
        await refusal(() => client.inventory.retrieveCounts({ states: ["IN_STOCK", "SOLD", "LOST" as "SOLD"] })),
        "INVALID_ENUM_VALUE",
        "states[2]",
      );
      assertRefused(
        await refusal(() => client.inventory.createAdjustmentReason({ name: "n", direction: "UP" as "INCREASE" })),
        "INVALID_ENUM_VALUE",
        "adjustment_reason.direction",
      );
      assertRefused(
        await refusal(() => client.inventory.retrieveChanges({ reasonIds: [{ type: "NOPE" as "DAMAGED" }] })),
        "INVALID_ENUM_VALUE",
        "reason_ids[0].type",
      );
      assertRefused(
        await refusal(() =>
          client.reservations.create({ lines: [{ catalogObjectId: "i", locationId: "l", quantity: "-" }], ttlMs: 1000 }),
        ),
        "INVALID_VALUE",
        "lines[0].quantity",
      );
      assertRefused(
        await refusal(() => client.reservations.commit("r", { totalPriceMoney: { amount: "9.999999", currency: "EUR" } })),
        "INVALID_VALUE",
        "total_price_money.amount",
      );
      assertRefused(
        await refusal(() => client.reservations.extend("r", {} as { ttlMs: number })),
        "MISSING_REQUIRED_PARAMETER",
        "ttl",
      );
      const receipt = change("NONE", "1");
      const importing = (...batches: unknown[][]) => () =>
        client.inventory.importChanges(batches as Parameters<typeof client.inventory.importChanges>[0]);
      assertRefused(
        await refusal(importing([receipt], [receipt, change("NONE", "0.000001")])),
        "INVALID_VALUE",
        "batches[1].changes[1].adjustment.quantity",
      );
      assertRefused(await refusal(importing([receipt], [])), "ARRAY_LENGTH_TOO_SHORT", "batches[1].changes");
      // A flat array of changes (one level of brackets missing) is refused at batches[0].
      assertRefused(
        await refusal(() => client.inventory.importChanges([receipt] as unknown as [[typeof receipt]])),
        "INVALID_VALUE",
        "batches[0]",
      );
      assertRefused(
        await refusal(importing(Array.from({ length: 1001 }, () => receipt))),
        "ARRAY_LENGTH_TOO_LONG",
        "batches[0].changes",
      );
      assertRefused(
        await refusal(importing([{ ...receipt, expectedQuantity: "1" }])),
        "INVALID_VALUE",
        "batches[0].changes[0].expected_quantity",
      );
      assertRefused(
        await refusal(importing([{ ...receipt, createdAt: new Date("not a date") }])),
        "INVALID_VALUE",
        "batches[0].changes[0].adjustment.created_at",
      );
      assertRefused(
        await refusal(importing([{ ...receipt, source: { product: "FAX" } }])),
        "INVALID_ENUM_VALUE",
        "batches[0].changes[0].adjustment.source.product",
      );
      assertRefused(
        await refusal(() => client.inventory.importChanges([[receipt]], { source: { product: "FAX" as "OTHER" } })),
        "INVALID_ENUM_VALUE",
        "source.product",
      );
      assert.throws(
        () => client.inventory.watchChanges({ start: "LATER" as "NOW" }),
        (error: unknown) => error instanceof StockledgerError && error.code === "INVALID_ARGUMENT" && error.fields[0] === "start",
      );
    } finally {
      client.close();
    }
  });

  it("maps a failed connection to StockledgerError with code UNAVAILABLE", async () => {
    const client = createStockledgerClient("127.0.0.1:1", "token");
    try {
      await assert.rejects(client.locations.list(), (error: unknown) => {
        assert.ok(error instanceof StockledgerError);
        assert.equal(error.code, "UNAVAILABLE");
        assert.equal(error.grpcCode, Code.Unavailable);
        assert.deepEqual(error.fieldViolations, []);
        assert.equal(error.reason, undefined);
        return true;
      });
    } finally {
      client.close();
    }
  });

  it("StockledgerError.from keeps codes of ConnectErrors without details", () => {
    const error = StockledgerError.from(new ConnectError("nope", Code.PermissionDenied));
    assert.equal(error.code, "PERMISSION_DENIED");
    assert.equal(error.grpcCode, 7);
    assert.equal(error.rawMessage, "nope");
    assert.equal(StockledgerError.from(error), error);
  });

  it("offers every RPC of the protos through the typed layer", () => {
    // Each service's methods, read from the generated descriptors, must each be called by
    // its typed class (a new RPC in proto/ fails here until it is given a typed method).
    const typedClasses = [
      [gen.InventoryService, InventoryApi],
      [gen.InventoryItemService, InventoryItemApi],
      [gen.LocationService, LocationApi],
      [gen.ReservationService, ReservationApi],
    ] as const;
    const untyped = typedClasses.flatMap(([service, typed]) =>
      service.methods
        .filter((method) => !typed.toString().includes(`this.raw.${method.localName}(`))
        .map((method) => `${service.typeName}.${method.name}`),
    );
    assert.deepEqual(untyped, []);
    assert.ok(gen.InventoryService.methods.some((method) => method.name === "ImportInventoryChanges"));
  });
});
