/**
 * Idiomatic shapes of Stockledger's messages and their conversion to and from the
 * generated protobuf messages: decimals as Decimal strings, timestamps as Date, enums as
 * their short names ("IN_STOCK"), oneofs as discriminated unions. Text fields keep the
 * proto3 convention: "" means unset.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { parseDecimal, type Decimal, type DecimalInput } from "./decimal.js";
import { StockledgerError } from "./errors.js";
import * as pb from "./gen/stockledger/v1/inventory_pb.js";
import * as itemPb from "./gen/stockledger/v1/inventory_item_pb.js";
import * as locationPb from "./gen/stockledger/v1/location_pb.js";
import * as reservationPb from "./gen/stockledger/v1/reservation_pb.js";

/**
 * State of a quantity: "NONE", "IN_STOCK", "SOLD", "WASTE", "UNLINKED_RETURN", "DAMAGED",
 * "QUALITY_CONTROL", "SAFETY_STOCK", … (the generated enum's names, less the prefix).
 */
export type InventoryState = keyof typeof pb.InventoryState;
/** Kind of change: "ADJUSTMENT", "PHYSICAL_COUNT" or "TRANSFER" ("UNSPECIFIED" in filters only). */
export type InventoryChangeType = keyof typeof pb.InventoryChangeType;
/** Kind of product that made a change. */
export type Product = keyof typeof pb.Product;
/** "ACTIVE" or "INACTIVE" ("UNSPECIFIED" is never sent by the server). */
export type LocationStatus = keyof typeof locationPb.LocationStatus;
/**
 * Type of an adjustment reason: Square's standard ones ("RECEIVED", "DAMAGED", "THEFT", …),
 * Square's system codes ("SALE", "RECOUNT", "TRANSFER", "IN_TRANSIT", "CANCELED_SALE":
 * answered, never written), "CUSTOM" (a merchant's own) and Shopify's ("CORRECTION",
 * "CYCLE_COUNT_AVAILABLE", …).
 */
export type AdjustmentReasonType = keyof typeof pb.InventoryAdjustmentReasonType;
/** Whether a reason adds stock ("INCREASE") or removes it ("DECREASE"); "UNSPECIFIED": either. */
export type AdjustmentReasonDirection = keyof typeof pb.InventoryAdjustmentReasonDirection;
/** Order of a history read: "OLDEST_FIRST" (the default) or "NEWEST_FIRST", by occurredAt. */
export type SortOrder = Exclude<keyof typeof pb.SortOrder, "UNSPECIFIED">;
/** Where a watch without resume token starts: "NOW" (the default) or "BEGINNING". */
export type WatchStart = Exclude<keyof typeof pb.WatchStart, "UNSPECIFIED">;

type EnumObject = Record<string, string | number>;

function enumName<E extends EnumObject>(enumObject: E, value: number): keyof E & string {
  const name = enumObject[value];
  // A value newer than this client's protos reads as UNSPECIFIED rather than failing.
  return (typeof name === "string" ? name : "UNSPECIFIED") as keyof E & string;
}

/**
 * The number of an enum value named by its short name; any other name (or a number) is
 * refused as the server refuses an unknown value: INVALID_ENUM_VALUE at `field`.
 */
function enumValue<E extends EnumObject>(enumObject: E, what: string, name: string, field: string): number {
  const value = typeof name === "string" ? enumObject[name] : undefined;
  if (typeof value !== "number") {
    const known = Object.keys(enumObject).filter((k) => Number.isNaN(Number(k)));
    throw StockledgerError.invalidArgument(
      field,
      "INVALID_ENUM_VALUE",
      `${JSON.stringify(name)} is not a ${what}; expected one of ${known.join(", ")}`,
    );
  }
  return value;
}

/** Protobuf state value of a state name ("IN_STOCK" → 2). */
export const stateValue = (name: InventoryState, field: string): pb.InventoryState =>
  enumValue(pb.InventoryState, "inventory state", name, field);
/** State name of a protobuf state value (2 → "IN_STOCK"). */
export const stateName = (value: pb.InventoryState): InventoryState => enumName(pb.InventoryState, value);
const changeTypeValue = (name: InventoryChangeType, field: string): pb.InventoryChangeType =>
  enumValue(pb.InventoryChangeType, "change type", name, field);
const changeTypeName = (value: pb.InventoryChangeType): InventoryChangeType =>
  enumName(pb.InventoryChangeType, value);
const locationStatusValue = (name: LocationStatus, field: string): locationPb.LocationStatus =>
  enumValue(locationPb.LocationStatus, "location status", name, field);

/** Each name of `names` as its enum number, refused at `field[i]` when unknown. */
export function enumValuesIn<T>(names: readonly string[] | undefined, field: string, value: (name: never, field: string) => T): T[] {
  return (names ?? []).map((name, index) => value(name as never, `${field}[${index}]`));
}

export function toDate(timestamp: Timestamp | undefined): Date | undefined {
  return timestamp ? timestampDate(timestamp) : undefined;
}

/** A Date as a Timestamp (undefined stays unset); anything else is refused at `field`. */
export function fromDate(date: Date | undefined, field: string): Timestamp | undefined {
  if (date === undefined) return undefined;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw StockledgerError.invalidArgument(field, "INVALID_VALUE", "must be a valid Date");
  }
  return timestampFromDate(date);
}

/**
 * A decimal input, normalised; a malformed one (a JS number, "1e3", six places) is refused
 * as the server refuses it: INVALID_VALUE at `field`.
 */
export function decimalIn(value: DecimalInput, field: string): string {
  try {
    return parseDecimal(value);
  } catch (error) {
    const description = error instanceof Error ? error.message : String(error);
    throw StockledgerError.invalidArgument(field, "INVALID_VALUE", description);
  }
}

/** A decimal from the server; "" (absent) becomes undefined. */
function decimalOut(value: string): Decimal | undefined {
  return value === "" ? undefined : parseDecimal(value);
}

// ---------------------------------------------------------------------------------------
// Ledger

/** Names an adjustment reason; `customReasonId` is "" unless `type` is "CUSTOM". */
export interface AdjustmentReasonId {
  type: AdjustmentReasonType;
  customReasonId: string;
}

/**
 * A reason to name on a change or in a filter: `{ type: "DAMAGED" }`, `{ type: "CUSTOM",
 * customReasonId }`, or an AdjustmentReason's `id`.
 */
export interface AdjustmentReasonIdInput {
  type: AdjustmentReasonType;
  customReasonId?: string;
}

/** An adjustment reason, standard or custom. */
export interface AdjustmentReason {
  id: AdjustmentReasonId;
  /** A custom reason's name; "" for standard reasons. */
  name: string;
  direction: AdjustmentReasonDirection;
  /** Undefined for standard reasons. */
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
  isDeleted: boolean;
}

/** An amount of money. */
export interface Money {
  amount: Decimal;
  /** ISO 4217 code, e.g. "EUR". */
  currency: string;
}

/** Which application made a change (set by the server from the caller's token). */
export interface SourceApplication {
  product: Product;
  applicationId: string;
  name: string;
}

/** A quantity moved from one state to another at one location. */
export interface InventoryAdjustment {
  id: string;
  referenceId: string;
  fromState: InventoryState;
  toState: InventoryState;
  locationId: string;
  catalogObjectId: string;
  catalogObjectType: string;
  quantity: Decimal;
  totalPriceMoney: Money | undefined;
  occurredAt: Date | undefined;
  createdAt: Date | undefined;
  source: SourceApplication | undefined;
  employeeId: string;
  teamMemberId: string;
  transactionId: string;
  refundId: string;
  purchaseOrderId: string;
  goodsReceiptId: string;
  /**
   * The reservation whose step moved these units (its creation, a commit, a release or
   * its expiry); "" for every other adjustment.
   */
  reservationId: string;
  /** Why the stock moved; undefined when the change names no reason. */
  reasonId: AdjustmentReasonId | undefined;
  /** What the units cost (receipts only). */
  costMoney: Money | undefined;
  /** Whom the units were bought from (receipts only). */
  vendorId: string;
}

/** A verified quantity in one state at one location. */
export interface InventoryPhysicalCount {
  id: string;
  referenceId: string;
  catalogObjectId: string;
  catalogObjectType: string;
  state: InventoryState;
  locationId: string;
  quantity: Decimal;
  source: SourceApplication | undefined;
  employeeId: string;
  teamMemberId: string;
  occurredAt: Date | undefined;
  createdAt: Date | undefined;
  reasonId: AdjustmentReasonId | undefined;
}

/** A quantity in one state moved between two locations. */
export interface InventoryTransfer {
  id: string;
  referenceId: string;
  state: InventoryState;
  fromLocationId: string;
  toLocationId: string;
  catalogObjectId: string;
  catalogObjectType: string;
  quantity: Decimal;
  occurredAt: Date | undefined;
  createdAt: Date | undefined;
  source: SourceApplication | undefined;
  employeeId: string;
  teamMemberId: string;
  reasonId: AdjustmentReasonId | undefined;
}

/** A recorded change: exactly one of adjustment, physicalCount or transfer, by `type`. */
export type InventoryChange =
  | { type: "ADJUSTMENT"; id: string; adjustment: InventoryAdjustment }
  | { type: "PHYSICAL_COUNT"; id: string; physicalCount: InventoryPhysicalCount }
  | { type: "TRANSFER"; id: string; transfer: InventoryTransfer };

/** The current quantity of one item in one state at one location. */
export interface InventoryCount {
  catalogObjectId: string;
  catalogObjectType: string;
  state: InventoryState;
  locationId: string;
  /** May be negative: it records reality. */
  quantity: Decimal;
  calculatedAt: Date | undefined;
  isEstimated: boolean;
}

/** A count that a committed change moved (WatchInventoryCounts). */
export interface InventoryCountUpdate {
  catalogObjectId: string;
  catalogObjectType: string;
  state: InventoryState;
  locationId: string;
  /** Undefined when the count did not exist before. */
  previousQuantity: Decimal | undefined;
  quantity: Decimal;
  calculatedAt: Date | undefined;
  changeId: string;
  changeType: InventoryChangeType;
}

/** Which way a count crossed its reorder point. */
export type InventoryAlertKind = Exclude<keyof typeof pb.InventoryAlertKind, "UNSPECIFIED">;

/** The reorder point of an item at a location: its IN_STOCK count there is low at or below it. */
export interface ReorderPoint {
  catalogObjectId: string;
  locationId: string;
  reorderPoint: Decimal;
  updatedAt: Date | undefined;
}

/** What setting a reorder point answered: the IN_STOCK quantity now and whether it is low. */
export interface ReorderPointSet {
  reorderPoint: ReorderPoint;
  /** Undefined when the count does not exist (read as 0). */
  quantity: Decimal | undefined;
  low: boolean;
}

/** A low-stock alert: a committed change took an IN_STOCK count across its reorder point. */
export interface InventoryAlert {
  catalogObjectId: string;
  locationId: string;
  kind: InventoryAlertKind;
  quantity: Decimal;
  reorderPoint: Decimal;
  changeId: string;
  occurredAt: Date | undefined;
  calculatedAt: Date | undefined;
}

export function reorderPointOut(p: pb.InventoryReorderPoint | undefined): ReorderPoint {
  if (!p) throw StockledgerError.malformedResponse("the server sent no reorder point");
  return {
    catalogObjectId: p.catalogObjectId,
    locationId: p.locationId,
    reorderPoint: parseDecimal(p.reorderPoint),
    updatedAt: toDate(p.updatedAt),
  };
}

export function reorderPointSetOut(response: pb.SetInventoryReorderPointResponse): ReorderPointSet {
  return {
    reorderPoint: reorderPointOut(response.reorderPoint),
    quantity: decimalOut(response.quantity),
    low: response.low,
  };
}

export function alertOut(a: pb.InventoryAlert | undefined): InventoryAlert {
  if (!a) throw StockledgerError.malformedResponse("the server sent an alert message without alert");
  return {
    catalogObjectId: a.catalogObjectId,
    locationId: a.locationId,
    kind: enumName(pb.InventoryAlertKind, a.kind) as InventoryAlertKind,
    quantity: parseDecimal(a.quantity),
    reorderPoint: parseDecimal(a.reorderPoint),
    changeId: a.changeId,
    occurredAt: toDate(a.occurredAt),
    calculatedAt: toDate(a.calculatedAt),
  };
}

/** Fields shared by every change input. */
interface ChangeInputBase {
  catalogObjectId: string;
  quantity: DecimalInput;
  /** When it happened; absent means the server's receipt time. */
  occurredAt?: Date;
  referenceId?: string;
  employeeId?: string;
  teamMemberId?: string;
  /** Why: a standard reason (not a system code) or a custom one that is not deleted. */
  reasonId?: AdjustmentReasonIdInput;
}

/** An adjustment to record. */
export interface AdjustmentInput extends ChangeInputBase {
  locationId: string;
  fromState: InventoryState;
  toState: InventoryState;
  /** Only when toState is SOLD. */
  totalPriceMoney?: { amount: DecimalInput; currency: string };
  transactionId?: string;
  refundId?: string;
  purchaseOrderId?: string;
  goodsReceiptId?: string;
  /** Only on receipts (fromState NONE or UNLINKED_RETURN): what the units cost. */
  costMoney?: { amount: DecimalInput; currency: string };
  /** Only on receipts: whom the units were bought from. */
  vendorId?: string;
}

/** A physical count to record. */
export interface PhysicalCountInput extends ChangeInputBase {
  locationId: string;
  state: InventoryState;
}

/** A transfer to record. */
export interface TransferInput extends ChangeInputBase {
  fromLocationId: string;
  toLocationId: string;
  state: InventoryState;
}

/**
 * Pass as a change's `expectedQuantity` to require that the count it takes from does not
 * exist yet (absent is not "0"): the server's "ABSENT".
 */
export const EXPECT_ABSENT: unique symbol = Symbol("stockledger.EXPECT_ABSENT");

/** A change's guard: the quantity its count must hold, or EXPECT_ABSENT. */
export type ExpectedQuantity = DecimalInput | typeof EXPECT_ABSENT;

/** Fields of every change of a batch beside its member. */
export interface ChangeGuard {
  /**
   * Compare-and-swap: the count this change takes from (an adjustment's fromState count,
   * its toState count for a receipt from NONE; the count a physical count replaces; a
   * transfer's source count) must hold exactly this quantity just before the change, or
   * not exist (EXPECT_ABSENT); otherwise the batch is refused (`isQuantityMismatch()`).
   * Absent: no guard.
   */
  expectedQuantity?: ExpectedQuantity;
}

/** One change of a BatchChangeInventory call. */
export type InventoryChangeInput = (
  | { adjustment: AdjustmentInput }
  | { physicalCount: PhysicalCountInput }
  | { transfer: TransferInput }
) &
  ChangeGuard;

function sourceOut(source: pb.SourceApplication | undefined): SourceApplication | undefined {
  if (!source) return undefined;
  return { product: enumName(pb.Product, source.product), applicationId: source.applicationId, name: source.name };
}

export function reasonIdOut(id: pb.InventoryAdjustmentReasonId | undefined): AdjustmentReasonId | undefined {
  if (!id) return undefined;
  return { type: enumName(pb.InventoryAdjustmentReasonType, id.type), customReasonId: id.customReasonId };
}

export function reasonIdIn(
  id: AdjustmentReasonIdInput,
  field: string,
): MessageInitShape<typeof pb.InventoryAdjustmentReasonIdSchema> {
  if (!id || typeof id !== "object") {
    throw StockledgerError.invalidArgument(field, "INVALID_VALUE", "must be { type, customReasonId? }");
  }
  return {
    type: enumValue(pb.InventoryAdjustmentReasonType, "reason type", id.type, `${field}.type`),
    customReasonId: id.customReasonId ?? "",
  };
}

export function reasonDirectionIn(direction: AdjustmentReasonDirection): pb.InventoryAdjustmentReasonDirection {
  return enumValue(
    pb.InventoryAdjustmentReasonDirection,
    "adjustment reason direction",
    direction,
    "adjustment_reason.direction",
  );
}

export function reasonOut(reason: pb.InventoryAdjustmentReason | undefined): AdjustmentReason {
  if (!reason?.id) throw StockledgerError.malformedResponse("the server sent a response without its adjustment reason");
  return {
    id: reasonIdOut(reason.id)!,
    name: reason.name,
    direction: enumName(pb.InventoryAdjustmentReasonDirection, reason.direction),
    createdAt: toDate(reason.createdAt),
    updatedAt: toDate(reason.updatedAt),
    isDeleted: reason.isDeleted,
  };
}

function moneyOut(money: pb.Money | undefined): Money | undefined {
  if (!money) return undefined;
  return { amount: parseDecimal(money.amount), currency: money.currency };
}

export function adjustmentOut(a: pb.InventoryAdjustment): InventoryAdjustment {
  return {
    id: a.id,
    referenceId: a.referenceId,
    fromState: stateName(a.fromState),
    toState: stateName(a.toState),
    locationId: a.locationId,
    catalogObjectId: a.catalogObjectId,
    catalogObjectType: a.catalogObjectType,
    quantity: parseDecimal(a.quantity),
    totalPriceMoney: moneyOut(a.totalPriceMoney),
    occurredAt: toDate(a.occurredAt),
    createdAt: toDate(a.createdAt),
    source: sourceOut(a.source),
    employeeId: a.employeeId,
    teamMemberId: a.teamMemberId,
    transactionId: a.transactionId,
    refundId: a.refundId,
    purchaseOrderId: a.purchaseOrderId,
    goodsReceiptId: a.goodsReceiptId,
    reservationId: a.reservationId,
    reasonId: reasonIdOut(a.reasonId),
    costMoney: moneyOut(a.costMoney),
    vendorId: a.vendorId,
  };
}

export function physicalCountOut(c: pb.InventoryPhysicalCount): InventoryPhysicalCount {
  return {
    id: c.id,
    referenceId: c.referenceId,
    catalogObjectId: c.catalogObjectId,
    catalogObjectType: c.catalogObjectType,
    state: stateName(c.state),
    locationId: c.locationId,
    quantity: parseDecimal(c.quantity),
    source: sourceOut(c.source),
    employeeId: c.employeeId,
    teamMemberId: c.teamMemberId,
    occurredAt: toDate(c.occurredAt),
    createdAt: toDate(c.createdAt),
    reasonId: reasonIdOut(c.reasonId),
  };
}

export function transferOut(t: pb.InventoryTransfer): InventoryTransfer {
  return {
    id: t.id,
    referenceId: t.referenceId,
    state: stateName(t.state),
    fromLocationId: t.fromLocationId,
    toLocationId: t.toLocationId,
    catalogObjectId: t.catalogObjectId,
    catalogObjectType: t.catalogObjectType,
    quantity: parseDecimal(t.quantity),
    occurredAt: toDate(t.occurredAt),
    createdAt: toDate(t.createdAt),
    source: sourceOut(t.source),
    employeeId: t.employeeId,
    teamMemberId: t.teamMemberId,
    reasonId: reasonIdOut(t.reasonId),
  };
}

export function changeOut(change: pb.InventoryChange | undefined): InventoryChange {
  switch (change?.change.case) {
    case "adjustment": {
      const adjustment = adjustmentOut(change.change.value);
      return { type: "ADJUSTMENT", id: adjustment.id, adjustment };
    }
    case "physicalCount": {
      const physicalCount = physicalCountOut(change.change.value);
      return { type: "PHYSICAL_COUNT", id: physicalCount.id, physicalCount };
    }
    case "transfer": {
      const transfer = transferOut(change.change.value);
      return { type: "TRANSFER", id: transfer.id, transfer };
    }
    default:
      throw StockledgerError.malformedResponse(
        "the server sent an inventory change without adjustment, physical count or transfer",
      );
  }
}

export function countOut(c: pb.InventoryCount): InventoryCount {
  return {
    catalogObjectId: c.catalogObjectId,
    catalogObjectType: c.catalogObjectType,
    state: stateName(c.state),
    locationId: c.locationId,
    quantity: parseDecimal(c.quantity),
    calculatedAt: toDate(c.calculatedAt),
    isEstimated: c.isEstimated,
  };
}

export function countUpdateOut(u: pb.InventoryCountUpdate | undefined): InventoryCountUpdate {
  if (!u) throw StockledgerError.malformedResponse("the server sent a count update message without update");
  return {
    catalogObjectId: u.catalogObjectId,
    catalogObjectType: u.catalogObjectType,
    state: stateName(u.state),
    locationId: u.locationId,
    previousQuantity: decimalOut(u.previousQuantity),
    quantity: parseDecimal(u.quantity),
    calculatedAt: toDate(u.calculatedAt),
    changeId: u.changeId,
    changeType: changeTypeName(u.changeType),
  };
}

function baseIn(input: ChangeInputBase, path: string) {
  return {
    catalogObjectId: input.catalogObjectId,
    quantity: decimalIn(input.quantity, `${path}.quantity`),
    occurredAt: fromDate(input.occurredAt, `${path}.occurred_at`),
    referenceId: input.referenceId ?? "",
    employeeId: input.employeeId ?? "",
    teamMemberId: input.teamMemberId ?? "",
    reasonId: input.reasonId === undefined ? undefined : reasonIdIn(input.reasonId, `${path}.reason_id`),
  };
}

export function changeIn(input: InventoryChangeInput, index: number): MessageInitShape<typeof pb.InventoryChangeSchema> {
  return changeAt(input, `changes[${index}]`);
}

/** A change of a batch as a message; a refusal names fields under `path` (`changes[0]`). */
function changeAt(input: InventoryChangeInput, path: string): MessageInitShape<typeof pb.InventoryChangeSchema> {
  const expected = input.expectedQuantity;
  if (expected === undefined) return memberIn(input, path);
  return {
    ...memberIn(input, path),
    expectedQuantity: expected === EXPECT_ABSENT ? "ABSENT" : decimalIn(expected, `${path}.expected_quantity`),
  };
}

function memberIn(input: InventoryChangeInput, path: string): MessageInitShape<typeof pb.InventoryChangeSchema> {
  if ("adjustment" in input) {
    const a = input.adjustment;
    const p = `${path}.adjustment`;
    return {
      type: pb.InventoryChangeType.ADJUSTMENT,
      change: {
        case: "adjustment",
        value: {
          ...baseIn(a, p),
          locationId: a.locationId,
          fromState: stateValue(a.fromState, `${p}.from_state`),
          toState: stateValue(a.toState, `${p}.to_state`),
          totalPriceMoney: a.totalPriceMoney && {
            amount: decimalIn(a.totalPriceMoney.amount, `${p}.total_price_money.amount`),
            currency: a.totalPriceMoney.currency,
          },
          transactionId: a.transactionId ?? "",
          refundId: a.refundId ?? "",
          purchaseOrderId: a.purchaseOrderId ?? "",
          goodsReceiptId: a.goodsReceiptId ?? "",
          costMoney: a.costMoney && {
            amount: decimalIn(a.costMoney.amount, `${p}.cost_money.amount`),
            currency: a.costMoney.currency,
          },
          vendorId: a.vendorId ?? "",
        },
      },
    };
  }
  if ("physicalCount" in input) {
    const c = input.physicalCount;
    const p = `${path}.physical_count`;
    return {
      type: pb.InventoryChangeType.PHYSICAL_COUNT,
      change: {
        case: "physicalCount",
        value: { ...baseIn(c, p), locationId: c.locationId, state: stateValue(c.state, `${p}.state`) },
      },
    };
  }
  if ("transfer" in input) {
    const t = input.transfer;
    return {
      type: pb.InventoryChangeType.TRANSFER,
      change: {
        case: "transfer",
        value: {
          ...baseIn(t, `${path}.transfer`),
          fromLocationId: t.fromLocationId,
          toLocationId: t.toLocationId,
          state: stateValue(t.state, `${path}.transfer.state`),
        },
      },
    };
  }
  throw StockledgerError.invalidArgument(path, "INVALID_VALUE", "must have one of adjustment, physicalCount or transfer");
}

// ---------------------------------------------------------------------------------------
// Import

/** A source to record on imported changes: absent fields take the server's defaults. */
export interface SourceApplicationInput {
  /** Kind of product; absent: "EXTERNAL_API". */
  product?: Product;
  /** Id of the application that made the change (a change's own source only). */
  applicationId?: string;
  /** Display name; absent: the token's application name. */
  name?: string;
}

/** What an imported change may keep from the system it comes from. */
export interface ImportedChangeFields {
  /**
   * The change's original id (a UUID in any spelling): kept when free; a change whose id
   * the merchant already has is skipped and counted as already present. Absent: a new id.
   */
  id?: string;
  /** When the change was first recorded; absent: the import's time. */
  createdAt?: Date;
  /** Which application recorded it; absent: the call's `source`. */
  source?: SourceApplicationInput;
}

/**
 * One change of an import: a change of batchChange (occurredAt may be any past time) plus
 * the fields of ImportedChangeFields. An import records history as it was, so a guard
 * (expectedQuantity) is refused.
 */
export type ImportChangeInput = InventoryChangeInput & ImportedChangeFields;

/** A change of ImportInventoryChanges that was refused (with its whole batch). */
export interface RefusedChange {
  /** Position of the change in the import, counting from 0 over every batch. */
  index: number;
  /** Field path inside the change, e.g. "adjustment.quantity" ("": the change as a whole). */
  field: string;
  /** The reason code, as in ErrorInfo (e.g. "INVALID_VALUE", "NOT_FOUND"). */
  reason: string;
  /** What is wrong, in English. */
  description: string;
}

/** What an import did. */
export interface ImportResult {
  /** Changes recorded now. */
  applied: number;
  /** Changes skipped because the merchant already has their id (or their batch was sent before). */
  alreadyPresent: number;
  /** Changes refused: bad on their own or refused by the ledger. */
  refused: number;
  /** Good changes not applied because another change of their batch was refused. */
  heldBack: number;
  /** Every refusal in import order (the server lists at most 1000; `refused` counts all). */
  refusedChanges: RefusedChange[];
}

const productValue = (name: Product, field: string): pb.Product => enumValue(pb.Product, "product", name, field);

/** A source as a message; a refusal names fields under `path` (`source`). */
export function sourceIn(
  source: SourceApplicationInput | undefined,
  path: string,
): MessageInitShape<typeof pb.SourceApplicationSchema> | undefined {
  if (source === undefined) return undefined;
  return {
    product: source.product === undefined ? pb.Product.UNSPECIFIED : productValue(source.product, `${path}.product`),
    applicationId: source.applicationId ?? "",
    name: source.name ?? "",
  };
}

/**
 * Change `index` of batch `batch` of an import as a message; a refusal names its field as
 * `batches[1].changes[0].adjustment.quantity`.
 */
export function importChangeIn(
  input: ImportChangeInput,
  batch: number,
  index: number,
): MessageInitShape<typeof pb.InventoryChangeSchema> {
  const path = `batches[${batch}].changes[${index}]`;
  if (input.expectedQuantity !== undefined) {
    throw StockledgerError.invalidArgument(
      `${path}.expected_quantity`,
      "INVALID_VALUE",
      "only batchChange takes guards; an import records history as it was",
    );
  }
  const message = changeAt(input, path);
  const member = message.change as { case: "adjustment" | "physicalCount" | "transfer"; value: object };
  const memberPath = `${path}.${member.case === "physicalCount" ? "physical_count" : member.case}`;
  member.value = {
    ...member.value,
    id: input.id ?? "",
    createdAt: fromDate(input.createdAt, `${memberPath}.created_at`),
    source: sourceIn(input.source, `${memberPath}.source`),
  };
  return message;
}

/** The server's answer of an import, typed (counts as numbers: at most 2^53 changes). */
export function importResultOut(response: pb.ImportInventoryChangesResponse): ImportResult {
  return {
    applied: Number(response.applied),
    alreadyPresent: Number(response.alreadyPresent),
    refused: Number(response.refused),
    heldBack: Number(response.heldBack),
    refusedChanges: response.refusedChanges.map((r) => ({
      index: Number(r.index),
      field: r.field,
      reason: r.reason,
      description: r.description,
    })),
  };
}

/** Filters shared by the history reads and the change feed. */
export interface ChangeFilter {
  catalogObjectIds?: string[];
  locationIds?: string[];
  types?: InventoryChangeType[];
  states?: InventoryState[];
}

/** Filters of the history reads: ChangeFilter plus server-time bounds and reasons. */
export interface HistoryFilter extends ChangeFilter {
  /** Only changes carrying one of these reasons (at most 100). */
  reasonIds?: AdjustmentReasonIdInput[];
  /** Only changes created strictly after this server time. */
  updatedAfter?: Date;
  /** Only changes created strictly before this server time. */
  updatedBefore?: Date;
  /** "OLDEST_FIRST" (the default) or "NEWEST_FIRST"; a cursor resumes in its own order. */
  sortOrder?: SortOrder;
}

export function changeFilterIn(filter: ChangeFilter) {
  return {
    catalogObjectIds: filter.catalogObjectIds ?? [],
    locationIds: filter.locationIds ?? [],
    types: enumValuesIn(filter.types, "types", changeTypeValue),
    states: enumValuesIn(filter.states, "states", stateValue),
  };
}

export function historyFilterIn(filter: HistoryFilter) {
  return {
    ...changeFilterIn(filter),
    updatedAfter: fromDate(filter.updatedAfter, "updated_after"),
    updatedBefore: fromDate(filter.updatedBefore, "updated_before"),
    reasonIds: (filter.reasonIds ?? []).map((id, index) => reasonIdIn(id, `reason_ids[${index}]`)),
    sortOrder:
      filter.sortOrder === undefined
        ? pb.SortOrder.UNSPECIFIED
        : enumValue(pb.SortOrder, "sort order", filter.sortOrder, "sort_order"),
  };
}

export function watchStartIn(start: WatchStart | undefined): pb.WatchStart {
  return start === undefined ? pb.WatchStart.UNSPECIFIED : enumValue(pb.WatchStart, "watch start", start, "start");
}

// ---------------------------------------------------------------------------------------
// Inventory items

/** An HS code that applies when the item is shipped into one country. */
export interface CountryHarmonizedSystemCode {
  harmonizedSystemCode: string;
  countryCode: string;
}

/** A physical good whose stock the ledger tracks. */
export interface InventoryItem {
  id: string;
  sku: string;
  /** Unit cost; undefined when the item has none. */
  cost: Decimal | undefined;
  countryCodeOfOrigin: string;
  provinceCodeOfOrigin: string;
  harmonizedSystemCode: string;
  countryHarmonizedSystemCodes: CountryHarmonizedSystemCode[];
  tracked: boolean;
  requiresShipping: boolean;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
}

/** The writable fields of an item (create: sku required; update: the fields to change). */
export interface InventoryItemInput {
  sku?: string;
  /** Decimal string; "" clears the cost in an update that names `cost` in its mask. */
  cost?: DecimalInput | "";
  countryCodeOfOrigin?: string;
  provinceCodeOfOrigin?: string;
  harmonizedSystemCode?: string;
  countryHarmonizedSystemCodes?: CountryHarmonizedSystemCode[];
  tracked?: boolean;
  requiresShipping?: boolean;
}

export function itemOut(item: itemPb.InventoryItem | undefined): InventoryItem {
  if (!item) throw StockledgerError.malformedResponse("the server sent a response without inventory_item");
  return {
    id: item.id,
    sku: item.sku,
    cost: decimalOut(item.cost),
    countryCodeOfOrigin: item.countryCodeOfOrigin,
    provinceCodeOfOrigin: item.provinceCodeOfOrigin,
    harmonizedSystemCode: item.harmonizedSystemCode,
    countryHarmonizedSystemCodes: item.countryHarmonizedSystemCodes.map((c) => ({
      harmonizedSystemCode: c.harmonizedSystemCode,
      countryCode: c.countryCode,
    })),
    tracked: item.tracked ?? true,
    requiresShipping: item.requiresShipping ?? true,
    createdAt: toDate(item.createdAt),
    updatedAt: toDate(item.updatedAt),
  };
}

export function itemIn(input: InventoryItemInput, id = ""): itemPb.InventoryItem {
  return create(itemPb.InventoryItemSchema, {
    id,
    sku: input.sku ?? "",
    cost: input.cost === undefined || input.cost === "" ? "" : decimalIn(input.cost, "inventory_item.cost"),
    countryCodeOfOrigin: input.countryCodeOfOrigin ?? "",
    provinceCodeOfOrigin: input.provinceCodeOfOrigin ?? "",
    harmonizedSystemCode: input.harmonizedSystemCode ?? "",
    countryHarmonizedSystemCodes: input.countryHarmonizedSystemCodes ?? [],
    ...(input.tracked === undefined ? {} : { tracked: input.tracked }),
    ...(input.requiresShipping === undefined ? {} : { requiresShipping: input.requiresShipping }),
  });
}

// ---------------------------------------------------------------------------------------
// Locations

/** A place that holds stock. */
export interface Location {
  id: string;
  name: string;
  status: LocationStatus;
  description: string;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
  /** A batch that does not say otherwise may not take a count here below zero. */
  forbidNegativeCounts: boolean;
}

/** The writable fields of a location (create: name required; update: the fields to change). */
export interface LocationInput {
  name?: string;
  status?: LocationStatus;
  description?: string;
  /** The default of a batch's forbidNegativeCounts here (false when absent). */
  forbidNegativeCounts?: boolean;
}

export function locationOut(location: locationPb.Location | undefined): Location {
  if (!location) throw StockledgerError.malformedResponse("the server sent a response without location");
  return {
    id: location.id,
    name: location.name,
    status: enumName(locationPb.LocationStatus, location.status),
    description: location.description,
    createdAt: toDate(location.createdAt),
    updatedAt: toDate(location.updatedAt),
    forbidNegativeCounts: location.forbidNegativeCounts,
  };
}

export function locationIn(input: LocationInput, id = ""): locationPb.Location {
  return create(locationPb.LocationSchema, {
    id,
    name: input.name ?? "",
    status:
      input.status === undefined
        ? locationPb.LocationStatus.UNSPECIFIED
        : locationStatusValue(input.status, "location.status"),
    description: input.description ?? "",
    forbidNegativeCounts: input.forbidNegativeCounts ?? false,
  });
}

export function locationStatusIn(status: LocationStatus | undefined): locationPb.LocationStatus {
  return status === undefined ? locationPb.LocationStatus.UNSPECIFIED : locationStatusValue(status, "status");
}

// ---------------------------------------------------------------------------------------
// Reservations

/** Where a reservation is in its life: "HELD", "COMMITTED", "RELEASED" or "EXPIRED". */
export type ReservationState = keyof typeof reservationPb.ReservationState;

/** Units of one item held at one location. */
export interface ReservationLine {
  catalogObjectId: string;
  locationId: string;
  /** Units reserved. */
  quantity: Decimal;
  /** Units committed (sold) so far. */
  committedQuantity: Decimal;
  /** Units released (by a caller or at expiry) so far. */
  releasedQuantity: Decimal;
  /** Units still held: quantity − committed − released. */
  heldQuantity: Decimal;
}

/** A line to reserve. */
export interface ReservationLineInput {
  catalogObjectId: string;
  locationId: string;
  /** Greater than 0. */
  quantity: DecimalInput;
}

/** A reservation. */
export interface Reservation {
  id: string;
  state: ReservationState;
  /** In the order they were sent. */
  lines: ReservationLine[];
  referenceId: string;
  /** When the server releases what is still held. */
  expiresAt: Date | undefined;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
}

/** Filters of the reservation lists; each one absent means all. */
export interface ReservationFilter {
  /** Only reservations in this state. */
  state?: ReservationState;
  /** Only reservations with this referenceId. */
  referenceId?: string;
}

export function reservationFilterIn(filter: ReservationFilter): {
  state: reservationPb.ReservationState;
  referenceId: string;
} {
  return {
    state:
      filter.state === undefined
        ? reservationPb.ReservationState.UNSPECIFIED
        : enumValue(reservationPb.ReservationState, "reservation state", filter.state, "state"),
    referenceId: filter.referenceId ?? "",
  };
}

/** How long to hold: `ttlMs` milliseconds from now, or until `expiresAt` (exactly one). */
export type ReservationHold = { ttlMs: number; expiresAt?: never } | { ttlMs?: never; expiresAt: Date };

/** Units of one line to commit: `line` is the line's position (from 0). */
export interface CommitLineInput {
  line: number;
  quantity: DecimalInput;
}

const zeroIfAbsent = (value: string): Decimal => decimalOut(value) ?? parseDecimal("0");

export function reservationOut(r: reservationPb.Reservation | undefined): Reservation {
  if (!r) throw StockledgerError.malformedResponse("the server sent a response without its reservation");
  return {
    id: r.id,
    state: enumName(reservationPb.ReservationState, r.state),
    lines: r.lines.map((line) => ({
      catalogObjectId: line.catalogObjectId,
      locationId: line.locationId,
      quantity: zeroIfAbsent(line.quantity),
      committedQuantity: zeroIfAbsent(line.committedQuantity),
      releasedQuantity: zeroIfAbsent(line.releasedQuantity),
      heldQuantity: zeroIfAbsent(line.heldQuantity),
    })),
    referenceId: r.referenceId,
    expiresAt: toDate(r.expiresAt),
    createdAt: toDate(r.createdAt),
    updatedAt: toDate(r.updatedAt),
  };
}

export function reservationLineIn(
  line: ReservationLineInput,
  index: number,
): MessageInitShape<typeof reservationPb.ReservationLineSchema> {
  return {
    catalogObjectId: line.catalogObjectId,
    locationId: line.locationId,
    quantity: decimalIn(line.quantity, `lines[${index}].quantity`),
  };
}

export function commitLineIn(line: CommitLineInput, index: number): MessageInitShape<typeof reservationPb.CommitLineSchema> {
  if (!Number.isInteger(line.line) || line.line < 0) {
    throw StockledgerError.invalidArgument(
      `lines[${index}].line`,
      "INVALID_VALUE",
      "must be a line's position (an integer from 0)",
    );
  }
  return { line: line.line, quantity: decimalIn(line.quantity, `lines[${index}].quantity`) };
}

/** The request's `ttl` or `expiresAt`, checked: exactly one. */
export function holdIn(hold: ReservationHold): {
  ttl?: { seconds: bigint; nanos: number };
  expiresAt?: Timestamp;
} {
  const { ttlMs, expiresAt } = hold as { ttlMs?: number; expiresAt?: Date };
  if (ttlMs === undefined && expiresAt === undefined) {
    throw StockledgerError.invalidArgument(
      "ttl",
      "MISSING_REQUIRED_PARAMETER",
      "pass one of ttlMs (milliseconds) or expiresAt (a Date)",
    );
  }
  if (ttlMs !== undefined && expiresAt !== undefined) {
    throw StockledgerError.invalidArgument("ttl", "INVALID_VALUE", "pass only one of ttlMs or expiresAt");
  }
  if (ttlMs !== undefined) {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
      throw StockledgerError.invalidArgument("ttl", "INVALID_VALUE", "ttlMs must be a positive integer (milliseconds)");
    }
    return { ttl: { seconds: BigInt(Math.floor(ttlMs / 1000)), nanos: (ttlMs % 1000) * 1_000_000 } };
  }
  return { expiresAt: fromDate(expiresAt, "expires_at") };
}
