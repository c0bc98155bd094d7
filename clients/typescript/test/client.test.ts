// Checks of the client layer without a Stockledger server: argument validation before
// anything is sent, and what it sends and returns through a stand-in gRPC server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, StockledgerError, createStockledgerClient, gen } from "../src/index.js";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ConnectError, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

describe("createStockledgerClient", () => {
  it("refuses an empty token or address", () => {
    assert.throws(() => createStockledgerClient("127.0.0.1:1", ""), TypeError);
    assert.throws(() => createStockledgerClient("127.0.0.1:1", "   "), TypeError);
    assert.throws(() => createStockledgerClient("", "token"), TypeError);
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

  it("refuses unknown state names and non-decimal quantities before sending", async () => {
    const client = createStockledgerClient("127.0.0.1:1", "token");
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
      await assert.rejects(client.inventory.batchChange({ idempotencyKey: "k", changes: [change("BOGUS", "1")] }), RangeError);
      await assert.rejects(client.inventory.batchChange({ idempotencyKey: "k", changes: [change("NONE", 2.5)] }), TypeError);
      await assert.rejects(
        client.inventory.batchChange({ idempotencyKey: "k", changes: [change("NONE", "1e3")] }),
        /changes\[0\]\.adjustment\.quantity/,
      );
      await assert.rejects(client.items.create({ sku: "x", cost: "1.000001" }), RangeError);
    } finally {
      client.close();
    }
  });

  it("maps a failed connection to StockledgerError with code Unavailable", async () => {
    const client = createStockledgerClient("127.0.0.1:1", "token");
    try {
      await assert.rejects(client.locations.list(), (error: unknown) => {
        assert.ok(error instanceof StockledgerError);
        assert.equal(error.code, Code.Unavailable);
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
    assert.equal(error.code, Code.PermissionDenied);
    assert.equal(error.codeName, "PermissionDenied");
    assert.equal(error.rawMessage, "nope");
    assert.equal(StockledgerError.from(error), error);
  });
});
