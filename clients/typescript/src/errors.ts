/**
 * StockledgerError, the one error type of the client: every refusal (the server's, the
 * transport's and the client's own checks of a request) with its gRPC code name, ErrorInfo
 * reason and metadata, and BadRequest field violations.
 */
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
 * The gRPC status code names, as in every gRPC library and in google.rpc.Code
 * (`StockledgerError.code`).
 */
export type StatusCode =
  | "CANCELLED"
  | "UNKNOWN"
  | "INVALID_ARGUMENT"
  | "DEADLINE_EXCEEDED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "OUT_OF_RANGE"
  | "UNIMPLEMENTED"
  | "INTERNAL"
  | "UNAVAILABLE"
  | "DATA_LOSS"
  | "UNAUTHENTICATED";

/** Each code's name by its number (Code.InvalidArgument is 3: "INVALID_ARGUMENT"). */
const STATUS_CODE_NAMES: Readonly<Record<Code, StatusCode>> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

/** The domain of the server's ErrorInfo, and of the client's own refusals. */
export const ERROR_DOMAIN = "stockledger";

/** What a StockledgerError is made of (see the properties of the same names). */
interface StockledgerErrorInit {
  grpcCode: Code;
  message: string;
  rawMessage: string;
  reason: string | undefined;
  domain: string | undefined;
  metadata: Record<string, string>;
  fieldViolations: FieldViolation[];
  cause?: unknown;
}

/** OpenSSL's certificate verification failures, as Node names them in `error.code`. */
const TLS_VERIFY_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "HOSTNAME_MISMATCH",
]);

/**
 * Whether a call failed because the TLS handshake did (the server's certificate not
 * trusted or not naming the host, the client's certificate missing or refused): Connect
 * for Node reports these as INTERNAL; like a connection refused they are UNAVAILABLE, as
 * gRPC's other clients report them.
 */
function tlsFailure(error: ConnectError): boolean {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 10 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && (/^ERR_(SSL|TLS)_/.test(code) || TLS_VERIFY_CODES.has(code))) return true;
    cause = cause.cause;
  }
  return false;
}

/**
 * The one error every Stockledger call fails with: the server's refusals (the gRPC status
 * plus the structured details it sends in `grpc-status-details-bin`: google.rpc.ErrorInfo
 * and google.rpc.BadRequest), transport failures (UNAVAILABLE, DEADLINE_EXCEEDED,
 * CANCELLED), and the client's own refusals of a request before sending it (a malformed
 * decimal, an unknown enum name: INVALID_ARGUMENT with the reason and field path the server
 * would have given).
 */
export class StockledgerError extends Error {
  override readonly name = "StockledgerError";
  /** The gRPC status code's name, e.g. "INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION". */
  readonly code: StatusCode;
  /** The same code as a number (`Code.InvalidArgument` is 3, as in every gRPC library). */
  readonly grpcCode: Code;
  /** The message without the "[invalid_argument]" prefix, e.g. "lines[0].quantity: …". */
  readonly rawMessage: string;
  /** ErrorInfo.reason, e.g. "INVALID_VALUE"; undefined when none was given. */
  readonly reason: string | undefined;
  /** ErrorInfo.domain: "stockledger" for the server's own errors and the client's refusals. */
  readonly domain: string | undefined;
  /** ErrorInfo.metadata, e.g. `{ field: "inventory_item.sku" }`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every rejected field (empty unless the request itself was wrong). */
  readonly fieldViolations: readonly FieldViolation[];

  private constructor(init: StockledgerErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.grpcCode = init.grpcCode;
    this.code = STATUS_CODE_NAMES[init.grpcCode] ?? "UNKNOWN";
    this.rawMessage = init.rawMessage;
    this.reason = init.reason;
    this.domain = init.domain;
    this.metadata = init.metadata;
    this.fieldViolations = init.fieldViolations;
  }

  /**
   * The client's refusal of a request field before anything is sent, shaped as the server
   * shapes its own: INVALID_ARGUMENT, `reason` (e.g. "INVALID_VALUE", "INVALID_ENUM_VALUE")
   * in ErrorInfo and in one field violation, `metadata.field` the field's path in the
   * request (`changes[0].adjustment.quantity`, the proto's names).
   */
  static invalidArgument(field: string, reason: string, description: string): StockledgerError {
    const rawMessage = `${field}: ${description}`;
    return new StockledgerError({
      grpcCode: Code.InvalidArgument,
      message: `[invalid_argument] ${rawMessage}`,
      rawMessage,
      reason,
      domain: ERROR_DOMAIN,
      metadata: { field },
      fieldViolations: [{ field, description, reason }],
    });
  }

  /** A response the client cannot read (INTERNAL): a server or proxy that does not speak Stockledger. */
  static malformedResponse(description: string): StockledgerError {
    return new StockledgerError({
      grpcCode: Code.Internal,
      message: `[internal] ${description}`,
      rawMessage: description,
      reason: undefined,
      domain: undefined,
      metadata: {},
      fieldViolations: [],
    });
  }

  /**
   * Converts anything thrown by a call (a ConnectError, an AbortError, a network error)
   * into a StockledgerError; a StockledgerError is returned unchanged.
   */
  static from(error: unknown): StockledgerError {
    if (error instanceof StockledgerError) return error;
    const cause = ConnectError.from(error);
    const info = cause.findDetails(ErrorInfoSchema)[0];
    const tls = cause.code === Code.Internal && tlsFailure(cause);
    return new StockledgerError({
      grpcCode: tls ? Code.Unavailable : cause.code,
      message: tls ? `[unavailable] ${cause.rawMessage}` : cause.message,
      rawMessage: cause.rawMessage,
      reason: info?.reason || undefined,
      domain: info?.domain || undefined,
      metadata: { ...(info?.metadata ?? {}) },
      fieldViolations: cause.findDetails(BadRequestSchema).flatMap((badRequest) =>
        badRequest.fieldViolations.map((v) => ({
          field: v.field,
          description: v.description,
          ...(v.reason ? { reason: v.reason } : {}),
        })),
      ),
      cause,
    });
  }

  /**
   * A change's expectedQuantity did not hold (FAILED_PRECONDITION, reason
   * QUANTITY_MISMATCH): see actualQuantity, guardedCount and `metadata.field`.
   */
  isQuantityMismatch(): boolean {
    return this.code === "FAILED_PRECONDITION" && this.reason === "QUANTITY_MISMATCH";
  }

  /**
   * The batch would leave a count below zero where that is forbidden (FAILED_PRECONDITION,
   * reason INSUFFICIENT_QUANTITY): see availableQuantity, guardedCount and `metadata.field`.
   */
  isInsufficientQuantity(): boolean {
    return this.code === "FAILED_PRECONDITION" && this.reason === "INSUFFICIENT_QUANTITY";
  }

  /**
   * The reservation holds nothing any more (FAILED_PRECONDITION, reason
   * RESERVATION_NOT_HELD): `metadata.state` says where it is ("COMMITTED", "RELEASED",
   * "EXPIRED").
   */
  isReservationNotHeld(): boolean {
    return this.code === "FAILED_PRECONDITION" && this.reason === "RESERVATION_NOT_HELD";
  }

  /**
   * The reservation is past its expiresAt (FAILED_PRECONDITION, reason RESERVATION_EXPIRED);
   * its units are being released.
   */
  isReservationExpired(): boolean {
    return this.code === "FAILED_PRECONDITION" && this.reason === "RESERVATION_EXPIRED";
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
}

export { Code };
