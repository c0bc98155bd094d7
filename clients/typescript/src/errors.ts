import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

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
