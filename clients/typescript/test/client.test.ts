// Offline checks of the client layer: argument validation before anything is sent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, StockledgerError, createStockledgerClient, gen } from "../src/index.js";
import { ConnectError } from "@connectrpc/connect";

describe("createStockledgerClient", () => {
  it("refuses an empty token or address", () => {
    assert.throws(() => createStockledgerClient("127.0.0.1:1", ""), TypeError);
    assert.throws(() => createStockledgerClient("127.0.0.1:1", "   "), TypeError);
    assert.throws(() => createStockledgerClient("", "token"), TypeError);
  });

  it("exposes the typed services and the raw generated clients", () => {
    const client = createStockledgerClient("127.0.0.1:1", "token");
    try {
      assert.equal(typeof client.inventory.batchChange, "function");
      assert.equal(typeof client.items.create, "function");
      assert.equal(typeof client.locations.list, "function");
      assert.equal(typeof client.raw.inventory.watchInventoryChanges, "function");
      assert.equal(typeof client.raw.items.createInventoryItem, "function");
      assert.equal(typeof client.raw.locations.createLocation, "function");
      assert.equal(gen.InventoryService.typeName, "stockledger.v1.InventoryService");
      assert.equal(gen.InventoryState.IN_STOCK, 2);
    } finally {
      client.close();
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
