/**
 * Exact decimals for quantities and money. Stockledger sends and accepts decimal strings
 * with at most five places ("94", "2.5", "0.00001"); this module keeps them strings and
 * never goes through a JS number (binary floating point cannot hold 0.1 exactly).
 */

/** Number of decimal places Stockledger stores (quantities and money alike). */
export const DECIMAL_PLACES = 5;

declare const decimalBrand: unique symbol;

/**
 * A validated, normalised decimal string: optional minus sign, digits, and at most five
 * decimal places, with no leading zeros and no trailing fractional zeros ("25.00" is
 * `"25"`, "-0" is `"0"`). Compare two Decimals with `===`.
 */
export type Decimal = string & { readonly [decimalBrand]: true };

/** What the client accepts where a decimal is expected: a Decimal or a decimal string. */
export type DecimalInput = Decimal | string;

const DECIMAL_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses `-?digits(.digits{1,5})?` into a normalised Decimal. Throws a TypeError for
 * anything that is not a string (numbers included) and a RangeError for any other
 * spelling (exponents, "+", spaces, a bare ".", more than five places).
 */
export function parseDecimal(input: DecimalInput): Decimal {
  if (typeof input !== "string") {
    throw new TypeError(
      `decimal must be a string such as "2.5", not ${typeof input}: JS numbers are refused because they are inexact`,
    );
  }
  const match = DECIMAL_PATTERN.exec(input);
  if (!match) {
    throw new RangeError(`${JSON.stringify(input)} is not a decimal: expected -?digits(.digits), e.g. "94" or "-2.5"`);
  }
  const [, sign = "", whole = "", fraction] = match;
  if (fraction !== undefined && fraction.length > DECIMAL_PLACES) {
    throw new RangeError(
      `${JSON.stringify(input)} has ${fraction.length} decimal places; Stockledger keeps at most ${DECIMAL_PLACES}`,
    );
  }
  const intPart = whole.replace(/^0+(?=\d)/, "");
  const fracPart = (fraction ?? "").replace(/0+$/, "");
  const isZero = /^0+$/.test(intPart) && fracPart === "";
  const text = `${isZero ? "" : sign}${intPart}${fracPart ? `.${fracPart}` : ""}`;
  return text as Decimal;
}

/** True when `value` is a string that parseDecimal accepts (whatever its normal form). */
export function isDecimal(value: unknown): value is DecimalInput {
  if (typeof value !== "string") return false;
  const match = DECIMAL_PATTERN.exec(value);
  return match !== null && (match[3] ?? "").length <= DECIMAL_PLACES;
}

/**
 * Formats a decimal for display or for the wire. Without options it returns the
 * normalised form; with `places` (0–5) it pads with zeros to exactly that many places
 * ("25" → "25.00"). It never rounds: a value with more places than asked is a RangeError.
 */
export function formatDecimal(value: DecimalInput, options: { places?: number } = {}): string {
  const normal = parseDecimal(value);
  const { places } = options;
  if (places === undefined) return normal;
  if (!Number.isInteger(places) || places < 0 || places > DECIMAL_PLACES) {
    throw new RangeError(`places must be an integer from 0 to ${DECIMAL_PLACES}, got ${places}`);
  }
  const [whole = "0", fraction = ""] = normal.split(".");
  if (fraction.length > places) {
    throw new RangeError(`${normal} has ${fraction.length} decimal places; formatting it with ${places} would round it`);
  }
  return places === 0 ? whole : `${whole}.${fraction.padEnd(places, "0")}`;
}

const SCALE = 10n ** BigInt(DECIMAL_PLACES);

/**
 * The decimal as an exact count of 0.00001 units (a bigint), for arithmetic:
 * `decimalToUnits("2.5") === 250000n`.
 */
export function decimalToUnits(value: DecimalInput): bigint {
  const normal = parseDecimal(value);
  const negative = normal.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? normal.slice(1) : normal).split(".");
  const units = BigInt(whole) * SCALE + BigInt(fraction.padEnd(DECIMAL_PLACES, "0"));
  return negative ? -units : units;
}

/** The inverse of decimalToUnits: `decimalFromUnits(250000n) === "2.5"`. */
export function decimalFromUnits(units: bigint): Decimal {
  if (typeof units !== "bigint") {
    throw new TypeError(`units must be a bigint, not ${typeof units}`);
  }
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const whole = magnitude / SCALE;
  const fraction = (magnitude % SCALE).toString().padStart(DECIMAL_PLACES, "0");
  return parseDecimal(`${negative ? "-" : ""}${whole}.${fraction}`);
}
