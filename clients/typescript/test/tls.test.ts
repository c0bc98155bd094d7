// Live tests over mutual TLS against the second server scripts/clients-test.sh starts:
//   STOCKLEDGER_TLS_ADDR, _TOKEN, _CA (the CA of the server's and the client's
//   certificates), _CERT, _KEY (the client's) and _DIR (every file scripts/test-ca.sh made).
// Nothing is skipped: without the variables the file fails.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { StockledgerError, createStockledgerClient, type StockledgerClientOptions } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: the TLS tests need the server over mutual TLS that ` +
        "scripts/clients-test.sh starts (STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT, _KEY, _DIR)",
    );
  }
  return value;
}

const address = env("STOCKLEDGER_TLS_ADDR");
const token = env("STOCKLEDGER_TLS_TOKEN");
const ca = readFileSync(env("STOCKLEDGER_TLS_CA"));
const cert = readFileSync(env("STOCKLEDGER_TLS_CERT"));
const key = readFileSync(env("STOCKLEDGER_TLS_KEY"), "utf8");
const dir = env("STOCKLEDGER_TLS_DIR");
const TIMEOUT = { timeout: 30_000 };

/** Creates a location and reads it back with a client made with `options`. */
async function roundTrip(options: StockledgerClientOptions, addr = address): Promise<void> {
  const client = createStockledgerClient(addr, token, { defaultTimeoutMs: 10_000, ...options });
  try {
    const shop = await client.locations.create({ name: `TLS Shop ${randomUUID().slice(0, 8)}` });
    assert.deepEqual(await client.locations.get(shop.id), shop);
  } finally {
    client.close();
  }
}

/** The StockledgerError of a call made with `options`. */
async function refusal(options: StockledgerClientOptions, addr = address): Promise<StockledgerError> {
  try {
    await roundTrip(options, addr);
  } catch (error) {
    assert.ok(error instanceof StockledgerError, `expected a StockledgerError, got ${String(error)}`);
    return error;
  }
  assert.fail("the server must refuse this connection");
}

describe("the client over mutual TLS", () => {
  it("is served with a client certificate the CA signed", TIMEOUT, async () => {
    await roundTrip({ tls: { ca, cert, key } });
    await roundTrip({ tls: { ca: ca.toString("utf8"), cert, key } }, `https://${address}`);
  });

  it("verifies the name given in serverName, not the address's", TIMEOUT, async () => {
    await roundTrip({ tls: { ca, cert, key, serverName: "localhost" } });
    const err = await refusal({ tls: { ca, cert, key, serverName: "ledger.invalid" } });
    assert.equal(err.code, "UNAVAILABLE", err.message);
  });

  it("is refused without a client certificate", TIMEOUT, async () => {
    const err = await refusal({ tls: { ca } });
    assert.equal(err.code, "UNAVAILABLE", err.message);
  });

  it("is refused with a client certificate of another CA", TIMEOUT, async () => {
    const other = {
      ca,
      cert: readFileSync(join(dir, "other-client.pem")),
      key: readFileSync(join(dir, "other-client.key")),
    };
    const err = await refusal({ tls: other });
    assert.equal(err.code, "UNAVAILABLE", err.message);
  });

  it("does not trust a server certificate another CA issued", TIMEOUT, async () => {
    const err = await refusal({ tls: { ca: readFileSync(join(dir, "other-ca.pem")), cert, key } });
    assert.equal(err.code, "UNAVAILABLE", err.message);
    // tls: true trusts Node's default roots, which do not hold the test CA either.
    const system = await refusal({ tls: true });
    assert.equal(system.code, "UNAVAILABLE", system.message);
  });

  it("refuses TLS settings that are not PEM before connecting, naming the option", () => {
    const field = (options: StockledgerClientOptions, addr = address) => {
      try {
        createStockledgerClient(addr, token, options).close();
      } catch (error) {
        assert.ok(error instanceof StockledgerError && error.code === "INVALID_ARGUMENT", String(error));
        return error.metadata.field;
      }
      assert.fail("the options were accepted");
    };
    assert.equal(field({ tls: { ca: env("STOCKLEDGER_TLS_CA") } }), "tls.ca"); // a path, not PEM
    assert.equal(field({ tls: { ca, cert } }), "tls.key");
    assert.equal(field({ tls: { ca, cert, key: cert } }), "tls.key");
    assert.equal(field({ tls: { ca: key } }), "tls.ca");
    assert.equal(field({ tls: { ca } }, `http://${address}`), "address");
  });
});
