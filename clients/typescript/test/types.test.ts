// The typed layer against the protos, without a server: every field of every message an
// RPC answers (built by reflection over the generated schemas, so a field added to a proto
// is checked too) comes out of its converter under its camelCase name, converted: decimal
// strings as normalised Decimals, enums as short names ("IN_STOCK"), Timestamps as Dates,
// nested messages as plain objects converted the same way; no generated message leaks out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type DescEnum, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { gen } from "../src/index.js";
import {
  adjustmentOut,
  changeOut,
  countOut,
  countUpdateOut,
  itemOut,
  locationOut,
  physicalCountOut,
  reasonOut,
  reservationOut,
  transferOut,
} from "../src/types.js";

/** Every string field is sent as "7.50": a decimal comes back normalised ("7.5"), text as sent. */
const SENT_TEXT = "7.50";
const SENT_TIME = new Date("2026-11-27T09:30:00.123Z");
/** The proto fields that hold decimal strings: quantities, money amounts and costs. */
const isDecimalField = (field: DescField) => /quantity$|^amount$|^cost$/i.test(field.localName);

/** The first value after UNSPECIFIED, so that enum conversion is visible. */
const sampleEnumValue = (descEnum: DescEnum) => descEnum.values.find((v) => v.number !== 0) ?? descEnum.values[0]!;

function sampleValue(field: DescField): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return sampleScalar(field.scalar);
    case "enum":
      return sampleEnumValue(field.enum).number;
    case "message":
      return sampleMessage(field.message);
    case "list":
      if (field.listKind === "message") return [sampleMessage(field.message)];
      if (field.listKind === "enum") return [sampleEnumValue(field.enum).number];
      return [sampleScalar(field.scalar)];
    case "map":
      throw new Error(`no map fields expected in responses (${field.name})`);
  }
}

function sampleScalar(scalar: number): unknown {
  // ScalarType: 9 string, 8 bool, 12 bytes, 3/4/6/16/18 64-bit integers.
  if (scalar === 9) return SENT_TEXT;
  if (scalar === 8) return true;
  if (scalar === 12) return new Uint8Array([7]);
  if ([3, 4, 6, 16, 18].includes(scalar)) return 7n;
  return 7;
}

/** A message of `schema` with every field set (a oneof: its first member). */
function sampleMessage(schema: DescMessage): Message {
  if (schema.typeName === "google.protobuf.Timestamp") return timestampFromDate(SENT_TIME);
  const init: Record<string, unknown> = {};
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      const first = member.fields[0]!;
      init[member.localName] = { case: first.localName, value: sampleValue(first) };
    } else {
      init[member.localName] = sampleValue(member);
    }
  }
  return create(schema, init as never);
}

/** Asserts that `out` holds every field of `schema`, each converted as the layer promises. */
function assertTyped(schema: DescMessage, out: unknown, path: string, skip: string[] = []): void {
  assert.ok(out !== null && typeof out === "object", `${path} is an object`);
  assert.ok(!("$typeName" in out), `${path} is a plain object, not the generated ${schema.typeName}`);
  const record = out as Record<string, unknown>;
  for (const field of schema.fields) {
    if (field.oneof || skip.includes(field.localName)) continue;
    const at = `${path}.${field.localName}`;
    assert.ok(field.localName in record, `${at} (${schema.typeName}.${field.name}) is answered`);
    assertValue(field, record[field.localName], at);
  }
}

function assertValue(field: DescField, value: unknown, at: string): void {
  switch (field.fieldKind) {
    case "scalar":
      if (field.scalar === 9) assert.equal(value, isDecimalField(field) ? "7.5" : SENT_TEXT, `${at}`);
      else assert.ok(value === true || value === 7 || value === 7n, `${at} is ${String(value)}`);
      return;
    case "enum":
      assert.equal(value, sampleEnumValue(field.enum).localName, `${at} is the enum's short name`);
      return;
    case "message":
      if (field.message.typeName === "google.protobuf.Timestamp") {
        assert.deepEqual(value, SENT_TIME, `${at} is a Date`);
      } else {
        assertTyped(field.message, value, at);
      }
      return;
    case "list": {
      assert.ok(Array.isArray(value) && value.length === 1, `${at} is an array of one`);
      const [element] = value as unknown[];
      if (field.listKind === "message") assertTyped(field.message, element, `${at}[0]`);
      else if (field.listKind === "enum") assert.equal(element, sampleEnumValue(field.enum).localName, `${at}[0]`);
      else assert.equal(element, SENT_TEXT, `${at}[0]`);
      return;
    }
    case "map":
      assert.fail(`${at}: map fields are not expected`);
  }
}

describe("typed layer: every answered field, converted", () => {
  const cases: [string, DescMessage, (message: never) => unknown][] = [
    ["InventoryAdjustment", gen.InventoryAdjustmentSchema, adjustmentOut],
    ["InventoryPhysicalCount", gen.InventoryPhysicalCountSchema, physicalCountOut],
    ["InventoryTransfer", gen.InventoryTransferSchema, transferOut],
    ["InventoryCount", gen.InventoryCountSchema, countOut],
    ["InventoryCountUpdate", gen.InventoryCountUpdateSchema, countUpdateOut],
    ["InventoryAdjustmentReason", gen.InventoryAdjustmentReasonSchema, reasonOut],
    ["InventoryItem", gen.InventoryItemSchema, itemOut],
    ["Location", gen.LocationSchema, locationOut],
    ["Reservation", gen.ReservationSchema, reservationOut],
  ];
  for (const [name, schema, convert] of cases) {
    it(name, () => {
      assertTyped(schema, convert(sampleMessage(schema) as never), name);
    });
  }

  it("InventoryChange: a union on type, each member typed, id from the member", () => {
    const members: [string, "adjustment" | "physicalCount" | "transfer", DescMessage][] = [
      ["ADJUSTMENT", "adjustment", gen.InventoryAdjustmentSchema],
      ["PHYSICAL_COUNT", "physicalCount", gen.InventoryPhysicalCountSchema],
      ["TRANSFER", "transfer", gen.InventoryTransferSchema],
    ];
    for (const [type, member, schema] of members) {
      const message = create(gen.InventoryChangeSchema, {
        type: gen.InventoryChangeType[type as "ADJUSTMENT"],
        change: { case: member, value: sampleMessage(schema) } as never,
      });
      const out = changeOut(message) as unknown as Record<string, unknown>;
      assert.equal(out["type"], type);
      assert.equal(out["id"], SENT_TEXT);
      // type is checked above; expected_quantity is a request-only guard, never answered.
      assertTyped(gen.InventoryChangeSchema, out, `changes(${type})`, ["type", "expectedQuantity"]);
      assertTyped(schema, out[member], `changes(${type}).${member}`);
    }
  });

  it("absent optional values stay absent: no count before, no cost, no reason", () => {
    const update = countUpdateOut(create(gen.InventoryCountUpdateSchema, { quantity: "1.0", previousQuantity: "" }));
    assert.equal(update.previousQuantity, undefined);
    assert.equal(update.quantity, "1");
    const item = itemOut(create(gen.InventoryItemSchema, { id: "i" }));
    assert.equal(item.cost, undefined);
    assert.equal(item.createdAt, undefined);
    const adjustment = adjustmentOut(create(gen.InventoryAdjustmentSchema, { quantity: "2" }));
    assert.equal(adjustment.reasonId, undefined);
    assert.equal(adjustment.totalPriceMoney, undefined);
  });
});
