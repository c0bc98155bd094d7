import { Code, ConnectError } from "@connectrpc/connect";
import { parseDecimal, type Decimal } from "./decimal.js";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

/** The count a guard refusal is about. */
export interface GuardedCount {
  catalogObjectId: string;
  locationId: string;
  /** Short state name, e.g. "IN_STOCK". */
  state: string;
}

/** One rejected request field, from the error's google.rpc.BadRequest detail. */
export interface FieldViolation {
  /** Path of the field in the request, e.g. `changes[0].adjustment.quantity`. */
  field: string;
  /** Why it was rejected, in English. */
  description: string;
  /** UPPER_SNAKE_CASE reason for this field, when the server gave one. */
  reason?: string;
}

/**
 * The one error every Stockledger call fails with: the gRPC status code plus the
 * structured details the server sends in `grpc-status-details-bin` (google.rpc.ErrorInfo
 * and google.rpc.BadRequest).
 */
export class StockledgerError extends Error {
  override readonly name = "StockledgerError";
  /** gRPC status code (`Code.InvalidArgument` is 3, as in every gRPC library). */
  readonly code: Code;
  /** Name of the code, e.g. "InvalidArgument". */
  readonly codeName: string;
  /** The server's message, without the "[invalid_argument]" prefix. */
  readonly rawMessage: string;
  /** ErrorInfo.reason, e.g. "INVALID_VALUE"; undefined when the server sent none. */
  readonly reason: string | undefined;
  /** ErrorInfo.domain: "stockledger" for the server's own errors. */
  readonly domain: string | undefined;
  /** ErrorInfo.metadata, e.g. `{ field: "inventory_item.sku" }`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every rejected field (empty unless the request itself was wrong). */
  readonly fieldViolations: readonly FieldViolation[];

  constructor(cause: ConnectError) {
    super(cause.message, { cause });
    this.code = cause.code;
    this.codeName = Code[cause.code] ?? `Code${cause.code}`;
    this.rawMessage = cause.rawMessage;
    const info = cause.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason || undefined;
    this.domain = info?.domain || undefined;
    this.metadata = { ...(info?.metadata ?? {}) };
    this.fieldViolations = cause.findDetails(BadRequestSchema).flatMap((badRequest) =>
      badRequest.fieldViolations.map((v) => ({
        field: v.field,
        description: v.description,
        ...(v.reason ? { reason: v.reason } : {}),
      })),
    );
  }

  /**
   * A change's expectedQuantity did not hold (FAILED_PRECONDITION, reason
   * QUANTITY_MISMATCH): see actualQuantity, guardedCount and `metadata.field`.
   */
  isQuantityMismatch(): boolean {
    return this.code === Code.FailedPrecondition && this.reason === "QUANTITY_MISMATCH";
  }

  /**
   * The batch would leave a count below zero where that is forbidden (FAILED_PRECONDITION,
   * reason INSUFFICIENT_QUANTITY): see availableQuantity, guardedCount and `metadata.field`.
   */
  isInsufficientQuantity(): boolean {
    return this.code === Code.FailedPrecondition && this.reason === "INSUFFICIENT_QUANTITY";
  }

  /**
   * The reservation holds nothing any more (FAILED_PRECONDITION, reason
   * RESERVATION_NOT_HELD): `metadata.state` says where it is ("COMMITTED", "RELEASED",
   * "EXPIRED").
   */
  isReservationNotHeld(): boolean {
    return this.code === Code.FailedPrecondition && this.reason === "RESERVATION_NOT_HELD";
  }

  /**
   * The reservation is past its expiresAt (FAILED_PRECONDITION, reason RESERVATION_EXPIRED);
   * its units are being released.
   */
  isReservationExpired(): boolean {
    return this.code === Code.FailedPrecondition && this.reason === "RESERVATION_EXPIRED";
  }

  /**
   * For a QUANTITY_MISMATCH, what the count actually held just before the change, or null
   * when it does not exist ("ABSENT"); undefined for any other error.
   */
  get actualQuantity(): Decimal | null | undefined {
    if (!this.isQuantityMismatch()) return undefined;
    const text = this.metadata["actual_quantity"];
    if (text === undefined) return undefined;
    return text === "ABSENT" ? null : parseDecimal(text);
  }

  /**
   * For an INSUFFICIENT_QUANTITY, what the count held just before the change that took it
   * below zero; undefined for any other error.
   */
  get availableQuantity(): Decimal | undefined {
    if (!this.isInsufficientQuantity()) return undefined;
    const text = this.metadata["available_quantity"];
    return text === undefined ? undefined : parseDecimal(text);
  }

  /**
   * The count a guard refusal is about (a refused reservation's has no state: ""); undefined
   * for any other error.
   */
  get guardedCount(): GuardedCount | undefined {
    if (!this.isQuantityMismatch() && !this.isInsufficientQuantity()) return undefined;
    return {
      catalogObjectId: this.metadata["catalog_object_id"] ?? "",
      locationId: this.metadata["location_id"] ?? "",
      state: this.metadata["state"] ?? "",
    };
  }

  /** The field paths of fieldViolations, in order. */
  get fields(): string[] {
    return this.fieldViolations.map((v) => v.field);
  }

  /**
   * Converts anything thrown by a call (a ConnectError, an AbortError, a network error)
   * into a StockledgerError; a StockledgerError is returned unchanged.
   */
  static from(error: unknown): StockledgerError {
    if (error instanceof StockledgerError) return error;
    return new StockledgerError(ConnectError.from(error));
  }
}

export { Code };
