// Unit tests of the Decimal helpers: no server needed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DECIMAL_PLACES,
  decimalFromUnits,
  decimalToUnits,
  formatDecimal,
  isDecimal,
  parseDecimal,
} from "../src/index.js";

describe("parseDecimal", () => {
  it("accepts -?digits(.digits{1,5}) and normalises it", () => {
    const cases: [string, string][] = [
      ["0", "0"],
      ["94", "94"],
      ["-2", "-2"],
      ["2.5", "2.5"],
      ["25.00", "25"],
      ["0.00001", "0.00001"],
      ["-0.00001", "-0.00001"],
      ["007.10", "7.1"],
      ["-0", "0"],
      ["-0.000", "0"],
      ["1.12345", "1.12345"],
      ["12345678901234.56789", "12345678901234.56789"],
      ["99999999999999999999999999", "99999999999999999999999999"],
    ];
    for (const [input, expected] of cases) {
      assert.equal(parseDecimal(input), expected, `parseDecimal(${JSON.stringify(input)})`);
      assert.ok(isDecimal(input), `isDecimal(${JSON.stringify(input)})`);
    }
  });

  it("refuses more than five decimal places", () => {
    assert.equal(DECIMAL_PLACES, 5);
    for (const input of ["1.123456", "0.000001", "-3.1000000"]) {
      assert.throws(() => parseDecimal(input), RangeError, input);
      assert.equal(isDecimal(input), false, input);
    }
    assert.throws(() => parseDecimal("1.123456"), /6 decimal places; Stockledger keeps at most 5/);
  });

  it("refuses every other spelling", () => {
    for (const input of ["", "1e2", "1E-2", "+1", " 1", "1 ", "1.", ".5", "--1", "0x10", "1,5", "١", "NaN", "Infinity", "1.2.3", "-"]) {
      assert.throws(() => parseDecimal(input), RangeError, JSON.stringify(input));
      assert.equal(isDecimal(input), false, JSON.stringify(input));
    }
  });

  it("refuses JS numbers and other non-strings", () => {
    for (const input of [1, 0.1, 94, Number.NaN, 10n, null, undefined, {}, ["1"]]) {
      assert.throws(() => parseDecimal(input as unknown as string), TypeError, String(input));
      assert.equal(isDecimal(input), false);
    }
    assert.throws(() => parseDecimal(2.5 as unknown as string), /JS numbers are refused/);
  });
});

describe("formatDecimal", () => {
  it("returns the normalised form by default", () => {
    assert.equal(formatDecimal("25.00"), "25");
    assert.equal(formatDecimal(parseDecimal("-0.50")), "-0.5");
  });

  it("pads to a fixed number of places without ever rounding", () => {
    assert.equal(formatDecimal("25", { places: 2 }), "25.00");
    assert.equal(formatDecimal("-2.5", { places: 5 }), "-2.50000");
    assert.equal(formatDecimal("7", { places: 0 }), "7");
    assert.equal(formatDecimal("0.12345", { places: 5 }), "0.12345");
    assert.throws(() => formatDecimal("2.345", { places: 2 }), RangeError);
    assert.throws(() => formatDecimal("2", { places: 6 }), RangeError);
    assert.throws(() => formatDecimal("2", { places: 1.5 }), RangeError);
  });

  it("refuses what parseDecimal refuses", () => {
    assert.throws(() => formatDecimal("1.123456"), RangeError);
    assert.throws(() => formatDecimal(3 as unknown as string), TypeError);
  });
});

describe("decimal units", () => {
  it("converts exactly to and from 0.00001 units as bigint", () => {
    assert.equal(decimalToUnits("2.5"), 250000n);
    assert.equal(decimalToUnits("-0.00001"), -1n);
    assert.equal(decimalToUnits("92233720368547.75807"), 9223372036854775807n);
    assert.equal(decimalFromUnits(250000n), "2.5");
    assert.equal(decimalFromUnits(-1n), "-0.00001");
    assert.equal(decimalFromUnits(0n), "0");
    assert.equal(decimalFromUnits(9400000n), "94");
    assert.throws(() => decimalFromUnits(1 as unknown as bigint), TypeError);
  });

  it("adds 0.1 and 0.2 to exactly 0.3", () => {
    const sum = decimalFromUnits(decimalToUnits("0.1") + decimalToUnits("0.2"));
    assert.equal(sum, "0.3");
    for (const text of ["0", "1", "-1", "3.14159", "-12345678901234.56789", "100.1"]) {
      assert.equal(decimalFromUnits(decimalToUnits(text)), parseDecimal(text));
    }
  });
});
