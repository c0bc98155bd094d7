import {
  createClient,
  createContextKey,
  createContextValues,
  type CallOptions,
  type Client,
  type ContextKey,
  type ContextValues,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager, type GrpcTransportOptions } from "@connectrpc/connect-node";
import { type DecimalInput } from "./decimal.js";
import { StockledgerError } from "./errors.js";
import { InventoryService } from "./gen/stockledger/v1/inventory_pb.js";
import { InventoryItemService } from "./gen/stockledger/v1/inventory_item_pb.js";
import { LocationService } from "./gen/stockledger/v1/location_pb.js";
import { ReservationService } from "./gen/stockledger/v1/reservation_pb.js";
import { randomUUID } from "node:crypto";
import type * as http2 from "node:http2";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImportInventoryChangesRequestSchema } from "./gen/stockledger/v1/inventory_pb.js";
import {
  adjustmentOut,
  alertOut,
  changeFilterIn,
  changeIn,
  changeOut,
  commitLineIn,
  decimalIn,
  enumValuesIn,
  holdIn,
  importChangeIn,
  importResultOut,
  reservationFilterIn,
  reservationLineIn,
  reservationOut,
  countOut,
  countUpdateOut,
  fromDate,
  historyFilterIn,
  itemIn,
  itemOut,
  locationIn,
  locationOut,
  locationStatusIn,
  physicalCountOut,
  reasonDirectionIn,
  reasonIdIn,
  reasonOut,
  reorderPointOut,
  reorderPointSetOut,
  sourceIn,
  stateValue,
  transferOut,
  watchStartIn,
  type AdjustmentReason,
  type AdjustmentReasonDirection,
  type AdjustmentReasonIdInput,
  type ChangeFilter,
  type CommitLineInput,
  type Reservation,
  type ReservationFilter,
  type ReservationHold,
  type ReservationLineInput,
  type HistoryFilter,
  type ImportChangeInput,
  type ImportResult,
  type InventoryAdjustment,
  type InventoryChange,
  type InventoryChangeInput,
  type InventoryCount,
  type InventoryAlert,
  type InventoryCountUpdate,
  type InventoryItem,
  type InventoryItemInput,
  type InventoryPhysicalCount,
  type InventoryState,
  type InventoryTransfer,
  type Location,
  type LocationInput,
  type LocationStatus,
  type ReorderPoint,
  type ReorderPointSet,
  type SourceApplicationInput,
  type WatchStart,
} from "./types.js";

/** The generated Connect clients, for anything the idiomatic layer does not cover. */
export interface RawClients {
  inventory: Client<typeof InventoryService>;
  items: Client<typeof InventoryItemService>;
  locations: Client<typeof LocationService>;
  reservations: Client<typeof ReservationService>;
}

/** Options of createStockledgerClient. */
export interface StockledgerClientOptions {
  /**
   * Connect over TLS: `true` trusts Node's default root certificates; an object names the
   * CA that issued the server's certificate and, for mutual TLS, the client certificate
   * and key. A "host:port" address is then reached as "https://host:port".
   */
  tls?: true | StockledgerTlsOptions;
  /** More interceptors, run after the one that adds the token. */
  interceptors?: Interceptor[];
  /** Deadline applied to every call that sets none (milliseconds). */
  defaultTimeoutMs?: number;
  /** Further options of @connectrpc/connect-node's createGrpcTransport. */
  transport?: Omit<GrpcTransportOptions, "baseUrl" | "interceptors" | "sessionManager">;
}

/**
 * TLS settings of StockledgerClientOptions.tls. Certificates and keys are PEM, as text or
 * bytes (`readFileSync("ca.pem")`), as for Node's `tls.connect`.
 */
export interface StockledgerTlsOptions {
  /** The CA certificate(s) to trust (only these); absent: Node's default root certificates. */
  ca?: string | Uint8Array;
  /** The client certificate (chain) to present to a server that asks for one (mutual TLS); needs `key`. */
  cert?: string | Uint8Array;
  /** The private key of `cert`. */
  key?: string | Uint8Array;
  /** The name the server's certificate must hold, when it is not the address's host. */
  serverName?: string;
}

/** One page of a paged read. `cursor` is "" on the last page. */
export interface Page<T> {
  cursor: string;
  items: T[];
}

/**
 * A server stream: iterate it with `for await`. Breaking out of the loop (or cancel())
 * ends the call. Errors are thrown as StockledgerError.
 */
export interface CallStream<T> extends AsyncIterable<T> {
  /**
   * Resolves when the server has accepted the call (its response headers arrived): for a
   * watch from NOW, every change committed after this is delivered. Rejects with a
   * StockledgerError when the call is refused.
   */
  readonly established: Promise<void>;
  /** Ends the call; a loop still reading it gets a StockledgerError with code "CANCELLED". */
  cancel(): void;
}

/** One message of StreamInventoryChanges. */
export interface StreamedChange {
  change: InventoryChange;
  /** Pass as `cursor` to resume right after this change. */
  cursor: string;
}

/** One message of WatchInventoryChanges. */
export interface WatchedChange {
  change: InventoryChange;
  /** Per-merchant sequence: gap-free, in commit order. */
  sequence: bigint;
  /** Pass as `resumeToken` to resume right after this change. */
  resumeToken: string;
}

/** One message of WatchInventoryCounts. */
export interface WatchedCountUpdate {
  update: InventoryCountUpdate;
  sequence: bigint;
  resumeToken: string;
}

/** One message of WatchInventoryAlerts. */
export interface WatchedAlert {
  alert: InventoryAlert;
  /** Sequence of the change that caused it. */
  sequence: bigint;
  resumeToken: string;
}

/** Where a watch starts: from a resume token, or from NOW (default) / BEGINNING. */
export type WatchFrom = { resumeToken: string; start?: never } | { resumeToken?: never; start?: WatchStart };

type EstablishedHooks = { resolve(): void; reject(error: unknown): void };
const establishedKey = createContextKey<EstablishedHooks | undefined>(undefined, {
  description: "stockledger stream established hooks",
});

/** Tells a CallStream when the response headers arrived (or the call failed first). */
const reportEstablished: Interceptor = (next) => async (request) => {
  const hooks = request.contextValues.get(establishedKey);
  try {
    const response = await next(request);
    hooks?.resolve();
    return response;
  } catch (error) {
    hooks?.reject(StockledgerError.from(error));
    throw error;
  }
};

/** The caller's context values (left untouched) plus this call's established hooks. */
function withEstablishedHooks(base: ContextValues | undefined, hooks: EstablishedHooks): ContextValues {
  if (!base) return createContextValues().set(establishedKey, hooks);
  const values: ContextValues = {
    get: <T>(key: ContextKey<T>): T => (key.id === establishedKey.id ? (hooks as T) : base.get(key)),
    set(key, value) {
      base.set(key, value);
      return values;
    },
    delete(key) {
      base.delete(key);
      return values;
    },
  };
  return values;
}

async function unary<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw StockledgerError.from(error);
  }
}

function openStream<Res, T>(
  start: (options: CallOptions) => AsyncIterable<Res>,
  map: (message: Res) => T,
  options: CallOptions = {},
): CallStream<T> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  let hooks: EstablishedHooks = { resolve() {}, reject() {} };
  const established = new Promise<void>((resolve, reject) => {
    hooks = { resolve, reject };
  });
  established.catch(() => {}); // the loop reports the same failure; avoid an unhandled rejection
  const contextValues = withEstablishedHooks(options.contextValues, hooks);
  const responses = start({ ...options, signal, contextValues });
  async function* messages(): AsyncGenerator<T, void, undefined> {
    try {
      for await (const message of responses) yield map(message);
    } catch (error) {
      throw StockledgerError.from(error);
    } finally {
      controller.abort();
    }
  }
  const iterator = messages();
  return {
    established,
    cancel: () => controller.abort(),
    [Symbol.asyncIterator]: () => iterator,
  };
}

function baseUrlOf(address: string, tls: boolean): string {
  if (typeof address !== "string" || address.trim() === "") {
    throw StockledgerError.invalidArgument(
      "address",
      "INVALID_VALUE",
      'must be "host:port" or a URL such as "http://127.0.0.1:50051"',
    );
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    return `${tls ? "https" : "http"}://${address}`;
  }
  if (tls && !/^https:/i.test(address)) {
    throw StockledgerError.invalidArgument("address", "INVALID_VALUE", 'must be "host:port" or "https://…" with tls');
  }
  return address;
}

/** A PEM option of StockledgerTlsOptions, checked before anything is sent. */
function pemOf(value: unknown, field: string, kind: "CERTIFICATE" | "PRIVATE KEY"): string | Buffer {
  const pem = typeof value === "string" ? value : value instanceof Uint8Array ? Buffer.from(value) : undefined;
  if (pem === undefined) {
    throw StockledgerError.invalidArgument(field, "INVALID_VALUE", "must be PEM, as a string or bytes");
  }
  const text = typeof pem === "string" ? pem : pem.toString("latin1");
  if (!new RegExp(`^-----BEGIN [A-Z ]*${kind}-----`, "m").test(text)) {
    throw StockledgerError.invalidArgument(
      field,
      "INVALID_VALUE",
      `holds no PEM ${kind.toLowerCase()} (-----BEGIN …${kind}-----; pass the file's contents, not its path)`,
    );
  }
  return pem;
}

/** Node's http2/tls options for StockledgerClientOptions.tls (refusals name `tls.…`). */
function tlsSessionOptions(tls: true | StockledgerTlsOptions): http2.SecureClientSessionOptions {
  if (tls === true) return {};
  if (typeof tls !== "object" || tls === null) {
    throw StockledgerError.invalidArgument("tls", "INVALID_VALUE", "must be true or { ca, cert, key, serverName }");
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const missing = tls.cert === undefined ? "tls.cert" : "tls.key";
    throw StockledgerError.invalidArgument(missing, "MISSING_REQUIRED_PARAMETER", "tls.cert and tls.key go together");
  }
  if (tls.serverName !== undefined && (typeof tls.serverName !== "string" || tls.serverName.trim() === "")) {
    throw StockledgerError.invalidArgument("tls.serverName", "INVALID_VALUE", "must be a host name");
  }
  return {
    ...(tls.ca === undefined ? {} : { ca: pemOf(tls.ca, "tls.ca", "CERTIFICATE") }),
    ...(tls.cert === undefined ? {} : { cert: pemOf(tls.cert, "tls.cert", "CERTIFICATE") }),
    ...(tls.key === undefined ? {} : { key: pemOf(tls.key, "tls.key", "PRIVATE KEY") }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  };
}

/** Paging parameters of the list and history reads. */
export interface PageRequest {
  /** Cursor from the previous page; empty or absent for the first page. */
  cursor?: string;
  /** Page size; 0 or absent means the server's default. */
  limit?: number;
}

/** Most changes in one batch of importChanges (the server's limit). */
const MAX_IMPORT_BATCH = 1000;

/** InventoryService: record changes, read counts and history, follow the feeds. */
export class InventoryApi {
  constructor(private readonly raw: Client<typeof InventoryService>) {}

  /**
   * Applies 1–100 changes atomically and returns the current counts of every (item,
   * location, state) touched plus the recorded changes. Retrying with the same
   * idempotencyKey returns the original response.
   *
   * `forbidNegativeCounts: true`: no count the batch lowers may end below zero (refused:
   * `isInsufficientQuantity()`); false: counts may go negative; absent: each location's
   * forbidNegativeCounts decides. A change's expectedQuantity that does not hold is
   * refused too (`isQuantityMismatch()`).
   */
  async batchChange(
    request: {
      idempotencyKey: string;
      changes: InventoryChangeInput[];
      ignoreUnchangedCounts?: boolean;
      forbidNegativeCounts?: boolean;
    },
    options?: CallOptions,
  ): Promise<{ counts: InventoryCount[]; changes: InventoryChange[] }> {
    const changes = request.changes.map((change, index) => changeIn(change, index));
    const response = await unary(
      this.raw.batchChangeInventory(
        {
          idempotencyKey: request.idempotencyKey,
          changes,
          ...(request.ignoreUnchangedCounts === undefined ? {} : { ignoreUnchangedCounts: request.ignoreUnchangedCounts }),
          ...(request.forbidNegativeCounts === undefined ? {} : { forbidNegativeCounts: request.forbidNegativeCounts }),
        },
        options,
      ),
    );
    return { counts: response.counts.map(countOut), changes: response.changes.map(changeOut) };
  }

  /**
   * Brings in history from another system (token scope INVENTORY_IMPORT): each batch, 1–1000
   * changes of batchChange's shapes (occurredAt may be any past time; `id`, `createdAt` and
   * `source` are kept), is applied whole or not at all, in order. A change whose id the
   * merchant already has, or a batch sent before, is skipped: importing the same batches
   * again changes nothing. `source` is recorded on the changes that carry none (its
   * applicationId is always the token's application).
   *
   * A change the server refuses does not throw: it is listed in `refusedChanges` (its index
   * over the whole import, field and reason) and its batch's good changes count as
   * `heldBack`; the other batches are applied. Every batch is checked before anything is
   * sent: a malformed value throws StockledgerError INVALID_ARGUMENT naming it as
   * `batches[b].changes[i].adjustment.quantity`, and nothing is imported.
   */
  async importChanges(
    batches: Iterable<Iterable<ImportChangeInput>>,
    request: { source?: Omit<SourceApplicationInput, "applicationId"> } = {},
    options?: CallOptions,
  ): Promise<ImportResult> {
    const source = sourceIn(request.source, "source");
    const messages: MessageInitShape<typeof ImportInventoryChangesRequestSchema>[] = [];
    let batchIndex = 0;
    for (const batch of batches) {
      if (batch === null || typeof batch !== "object" || !(Symbol.iterator in batch)) {
        throw StockledgerError.invalidArgument(
          `batches[${batchIndex}]`,
          "INVALID_VALUE",
          "must be a batch: an array of changes (batches is an array of such arrays)",
        );
      }
      const changes = Array.from(batch, (change, index) => importChangeIn(change, batchIndex, index));
      if (changes.length === 0 || changes.length > MAX_IMPORT_BATCH) {
        throw StockledgerError.invalidArgument(
          `batches[${batchIndex}].changes`,
          changes.length === 0 ? "ARRAY_LENGTH_TOO_SHORT" : "ARRAY_LENGTH_TOO_LONG",
          changes.length === 0 ? "must hold at least 1 change" : `must hold at most ${MAX_IMPORT_BATCH} changes`,
        );
      }
      messages.push({ changes, source });
      batchIndex += 1;
    }
    async function* stream() {
      yield* messages;
    }
    return importResultOut(await unary(this.raw.importInventoryChanges(stream(), options)));
  }

  /**
   * The current counts of one item, at some or all locations (one page); with `asOf`, the
   * counts as they stood at that instant (by occurredAt; each count's calculatedAt is asOf).
   */
  async retrieveCount(
    catalogObjectId: string,
    request: { locationIds?: string[]; asOf?: Date } & PageRequest = {},
    options?: CallOptions,
  ): Promise<Page<InventoryCount>> {
    const response = await unary(
      this.raw.retrieveInventoryCount(
        {
          catalogObjectId,
          locationIds: request.locationIds ?? [],
          cursor: request.cursor ?? "",
          limit: request.limit ?? 0,
          asOf: fromDate(request.asOf, "as_of"),
        },
        options,
      ),
    );
    return { items: response.counts.map(countOut), cursor: response.cursor };
  }

  /**
   * Current counts, filtered (one page), most recently calculated first; with `asOf`, the
   * counts as they stood at that instant, in key order.
   */
  async retrieveCounts(
    request: {
      catalogObjectIds?: string[];
      locationIds?: string[];
      states?: InventoryState[];
      updatedAfter?: Date;
      asOf?: Date;
    } & PageRequest = {},
    options?: CallOptions,
  ): Promise<Page<InventoryCount>> {
    const response = await unary(
      this.raw.batchRetrieveInventoryCounts(
        {
          catalogObjectIds: request.catalogObjectIds ?? [],
          locationIds: request.locationIds ?? [],
          states: enumValuesIn(request.states, "states", stateValue),
          updatedAfter: fromDate(request.updatedAfter, "updated_after"),
          asOf: fromDate(request.asOf, "as_of"),
          cursor: request.cursor ?? "",
          limit: request.limit ?? 0,
        },
        options,
      ),
    );
    return { items: response.counts.map(countOut), cursor: response.cursor };
  }

  /** The history of changes, filtered (one page), oldest occurredAt first (or `sortOrder`). */
  async retrieveChanges(request: HistoryFilter & PageRequest = {}, options?: CallOptions): Promise<Page<InventoryChange>> {
    const response = await unary(
      this.raw.batchRetrieveInventoryChanges(
        { ...historyFilterIn(request), cursor: request.cursor ?? "", limit: request.limit ?? 0 },
        options,
      ),
    );
    return { items: response.changes.map(changeOut), cursor: response.cursor };
  }

  /** Every change of the filtered history, page by page (`limit` per call). */
  async *allChanges(filter: HistoryFilter & { limit?: number } = {}, options?: CallOptions): AsyncGenerator<InventoryChange> {
    let cursor = "";
    do {
      const page = await this.retrieveChanges({ ...filter, cursor }, options);
      yield* page.items;
      cursor = page.cursor;
    } while (cursor !== "");
  }

  async retrieveAdjustment(adjustmentId: string, options?: CallOptions): Promise<InventoryAdjustment> {
    const response = await unary(this.raw.retrieveInventoryAdjustment({ adjustmentId }, options));
    if (!response.adjustment) throw StockledgerError.malformedResponse("the server sent no adjustment");
    return adjustmentOut(response.adjustment);
  }

  async retrievePhysicalCount(physicalCountId: string, options?: CallOptions): Promise<InventoryPhysicalCount> {
    const response = await unary(this.raw.retrieveInventoryPhysicalCount({ physicalCountId }, options));
    if (!response.physicalCount) throw StockledgerError.malformedResponse("the server sent no physical count");
    return physicalCountOut(response.physicalCount);
  }

  async retrieveTransfer(transferId: string, options?: CallOptions): Promise<InventoryTransfer> {
    const response = await unary(this.raw.retrieveInventoryTransfer({ transferId }, options));
    if (!response.transfer) throw StockledgerError.malformedResponse("the server sent no transfer");
    return transferOut(response.transfer);
  }

  /**
   * The adjustment reasons a change may carry: the standard ones in type order, then the
   * merchant's custom ones, oldest first (deleted ones with `includeDeleted`; Square's
   * system codes with `includeSystemCodes`).
   */
  async listAdjustmentReasons(
    request: { includeDeleted?: boolean; includeSystemCodes?: boolean } = {},
    options?: CallOptions,
  ): Promise<AdjustmentReason[]> {
    const response = await unary(
      this.raw.listInventoryAdjustmentReasons(
        { includeDeleted: request.includeDeleted ?? false, includeSystemCodes: request.includeSystemCodes ?? false },
        options,
      ),
    );
    return response.adjustmentReasons.map(reasonOut);
  }

  /**
   * Creates a custom reason: `name` unique among the live custom reasons (else
   * "ALREADY_EXISTS"), `direction` "INCREASE" or "DECREASE", fixed once created. A retry
   * with the same idempotencyKey answers the reason first created; one is made when absent.
   */
  async createAdjustmentReason(
    request: { name: string; direction: AdjustmentReasonDirection; idempotencyKey?: string },
    options?: CallOptions,
  ): Promise<AdjustmentReason> {
    const response = await unary(
      this.raw.createInventoryAdjustmentReason(
        {
          idempotencyKey: request.idempotencyKey ?? randomUUID(),
          adjustmentReason: { name: request.name, direction: reasonDirectionIn(request.direction) },
        },
        options,
      ),
    );
    return reasonOut(response.adjustmentReason);
  }

  /** One reason, standard or custom (a deleted custom one too). */
  async retrieveAdjustmentReason(reasonId: AdjustmentReasonIdInput, options?: CallOptions): Promise<AdjustmentReason> {
    const response = await unary(
      this.raw.retrieveInventoryAdjustmentReason({ reasonId: reasonIdIn(reasonId, "reasonId") }, options),
    );
    return reasonOut(response.adjustmentReason);
  }

  /** Renames a custom reason that is not deleted (a deleted one: "FAILED_PRECONDITION"). */
  async updateAdjustmentReason(
    reasonId: AdjustmentReasonIdInput,
    fields: { name: string },
    options?: CallOptions,
  ): Promise<AdjustmentReason> {
    const response = await unary(
      this.raw.updateInventoryAdjustmentReason(
        { reasonId: reasonIdIn(reasonId, "reasonId"), adjustmentReason: { name: fields.name } },
        options,
      ),
    );
    return reasonOut(response.adjustmentReason);
  }

  /**
   * Soft-deletes a custom reason: still retrievable and named by the changes that carry
   * it, but a new change naming it is refused ("INVALID_ARGUMENT",
   * reason ADJUSTMENT_REASON_DELETED).
   */
  async deleteAdjustmentReason(reasonId: AdjustmentReasonIdInput, options?: CallOptions): Promise<AdjustmentReason> {
    const response = await unary(
      this.raw.deleteInventoryAdjustmentReason({ reasonId: reasonIdIn(reasonId, "reasonId") }, options),
    );
    return reasonOut(response.adjustmentReason);
  }

  /** Restores a soft-deleted custom reason ("ALREADY_EXISTS" if a live one took its name). */
  async restoreAdjustmentReason(reasonId: AdjustmentReasonIdInput, options?: CallOptions): Promise<AdjustmentReason> {
    const response = await unary(
      this.raw.restoreInventoryAdjustmentReason({ reasonId: reasonIdIn(reasonId, "reasonId") }, options),
    );
    return reasonOut(response.adjustmentReason);
  }

  /**
   * The whole filtered history as one stream, oldest first; it ends after the last
   * change. Pass a message's `cursor` to resume right after it.
   */
  streamChanges(request: HistoryFilter & { cursor?: string } = {}, options?: CallOptions): CallStream<StreamedChange> {
    const message = { ...historyFilterIn(request), cursor: request.cursor ?? "" };
    return openStream(
      (o) => this.raw.streamInventoryChanges(message, o),
      (m) => ({ change: changeOut(m.change), cursor: m.cursor }),
      options,
    );
  }

  /**
   * The live feed of committed changes, in commit order, exactly once. Starts from NOW
   * (default), BEGINNING, or right after a previous message's `resumeToken`:
   * `watchChanges({ resumeToken })` continues a feed that stopped.
   */
  watchChanges(request: ChangeFilter & WatchFrom = {}, options?: CallOptions): CallStream<WatchedChange> {
    const message = {
      ...changeFilterIn(request),
      resumeToken: request.resumeToken ?? "",
      start: watchStartIn(request.start),
    };
    return openStream(
      (o) => this.raw.watchInventoryChanges(message, o),
      (m) => ({ change: changeOut(m.change), sequence: m.sequence, resumeToken: m.resumeToken }),
      options,
    );
  }

  /** The live feed of count updates (previous and new quantity, and the cause). */
  watchCounts(
    request: { catalogObjectIds?: string[]; locationIds?: string[]; states?: InventoryState[] } & WatchFrom = {},
    options?: CallOptions,
  ): CallStream<WatchedCountUpdate> {
    const message = {
      catalogObjectIds: request.catalogObjectIds ?? [],
      locationIds: request.locationIds ?? [],
      states: enumValuesIn(request.states, "states", stateValue),
      resumeToken: request.resumeToken ?? "",
      start: watchStartIn(request.start),
    };
    return openStream(
      (o) => this.raw.watchInventoryCounts(message, o),
      (m) => ({ update: countUpdateOut(m.update), sequence: m.sequence, resumeToken: m.resumeToken }),
      options,
    );
  }

  /** The live feed of low-stock alerts (LOW, RECOVERED), resumable like watchCounts. */
  watchAlerts(
    request: { catalogObjectIds?: string[]; locationIds?: string[] } & WatchFrom = {},
    options?: CallOptions,
  ): CallStream<WatchedAlert> {
    const message = {
      catalogObjectIds: request.catalogObjectIds ?? [],
      locationIds: request.locationIds ?? [],
      resumeToken: request.resumeToken ?? "",
      start: watchStartIn(request.start),
    };
    return openStream(
      (o) => this.raw.watchInventoryAlerts(message, o),
      (m) => ({ alert: alertOut(m.alert), sequence: m.sequence, resumeToken: m.resumeToken }),
      options,
    );
  }

  /** Sets (creates or replaces) the reorder point of an item at a location. */
  async setReorderPoint(
    catalogObjectId: string,
    locationId: string,
    reorderPoint: DecimalInput,
    options?: CallOptions,
  ): Promise<ReorderPointSet> {
    const request = { catalogObjectId, locationId, reorderPoint: decimalIn(reorderPoint, "reorder_point") };
    return reorderPointSetOut(await unary(this.raw.setInventoryReorderPoint(request, options)));
  }

  /** Deletes the reorder point of an item at a location (NOT_FOUND when none is set). */
  async deleteReorderPoint(catalogObjectId: string, locationId: string, options?: CallOptions): Promise<void> {
    await unary(this.raw.deleteInventoryReorderPoint({ catalogObjectId, locationId }, options));
  }

  /** One page of reorder points, by item then location. */
  async listReorderPoints(
    request: { catalogObjectIds?: string[]; locationIds?: string[] } & PageRequest = {},
    options?: CallOptions,
  ): Promise<Page<ReorderPoint>> {
    const response = await unary(
      this.raw.listInventoryReorderPoints(
        {
          catalogObjectIds: request.catalogObjectIds ?? [],
          locationIds: request.locationIds ?? [],
          cursor: request.cursor ?? "",
          limit: request.limit ?? 0,
        },
        options,
      ),
    );
    return { items: response.reorderPoints.map(reorderPointOut), cursor: response.cursor };
  }
}

/** InventoryItemService: the goods whose stock is tracked. */
export class InventoryItemApi {
  constructor(private readonly raw: Client<typeof InventoryItemService>) {}

  /** Creates an item (sku optional; several items may share one, as on Shopify). */
  async create(item: InventoryItemInput, options?: CallOptions): Promise<InventoryItem> {
    const response = await unary(this.raw.createInventoryItem({ inventoryItem: itemIn(item) }, options));
    return itemOut(response.inventoryItem);
  }

  async get(id: string, options?: CallOptions): Promise<InventoryItem> {
    return itemOut((await unary(this.raw.getInventoryItem({ id }, options))).inventoryItem);
  }

  /** Up to 100 items by id; ids that name no item are left out. */
  async batchGet(ids: string[], options?: CallOptions): Promise<InventoryItem[]> {
    const response = await unary(this.raw.batchGetInventoryItems({ ids }, options));
    return response.inventoryItems.map(itemOut);
  }

  /** One page of items, oldest first. */
  async list(
    request: { sku?: string; updatedAfter?: Date } & PageRequest = {},
    options?: CallOptions,
  ): Promise<Page<InventoryItem>> {
    const response = await unary(
      this.raw.listInventoryItems(
        {
          sku: request.sku ?? "",
          updatedAfter: fromDate(request.updatedAfter, "updated_after"),
          cursor: request.cursor ?? "",
          limit: request.limit ?? 0,
        },
        options,
      ),
    );
    return { items: response.inventoryItems.map(itemOut), cursor: response.cursor };
  }

  /**
   * Updates item `id`. Without `updateMask`, every field set (non-empty) in `fields`
   * changes; with it, exactly the named proto fields (e.g. ["cost"], or ["*"]).
   */
  async update(
    id: string,
    fields: InventoryItemInput,
    request: { updateMask?: string[] } = {},
    options?: CallOptions,
  ): Promise<InventoryItem> {
    const response = await unary(
      this.raw.updateInventoryItem(
        {
          inventoryItem: itemIn(fields, id),
          updateMask: request.updateMask ? { paths: request.updateMask } : undefined,
        },
        options,
      ),
    );
    return itemOut(response.inventoryItem);
  }
}

/** LocationService: the places that hold stock. */
export class LocationApi {
  constructor(private readonly raw: Client<typeof LocationService>) {}

  /** Creates a location (name required and unique per merchant; ACTIVE by default). */
  async create(location: LocationInput, options?: CallOptions): Promise<Location> {
    const response = await unary(this.raw.createLocation({ location: locationIn(location) }, options));
    return locationOut(response.location);
  }

  async get(id: string, options?: CallOptions): Promise<Location> {
    return locationOut((await unary(this.raw.getLocation({ id }, options))).location);
  }

  /** One page of locations, oldest first, optionally only those with `status`. */
  async list(request: { status?: LocationStatus } & PageRequest = {}, options?: CallOptions): Promise<Page<Location>> {
    const response = await unary(
      this.raw.listLocations(
        { status: locationStatusIn(request.status), cursor: request.cursor ?? "", limit: request.limit ?? 0 },
        options,
      ),
    );
    return { items: response.locations.map(locationOut), cursor: response.cursor };
  }

  /** Updates location `id` (see InventoryItemApi.update for the mask rules). */
  async update(
    id: string,
    fields: LocationInput,
    request: { updateMask?: string[] } = {},
    options?: CallOptions,
  ): Promise<Location> {
    const response = await unary(
      this.raw.updateLocation(
        { location: locationIn(fields, id), updateMask: request.updateMask ? { paths: request.updateMask } : undefined },
        options,
      ),
    );
    return locationOut(response.location);
  }
}

/** ReservationService: hold stock for a cart or an order, then commit (sell) or release it. */
export class ReservationApi {
  constructor(private readonly raw: Client<typeof ReservationService>) {}

  /**
   * Holds every line from IN_STOCK, all or nothing, for `ttlMs` or until `expiresAt`. A line
   * the stock cannot cover is refused (`isInsufficientQuantity()`, `availableQuantity`,
   * `metadata.field` "lines[i].quantity"). Without idempotencyKey a fresh one is made: pass
   * your own to make retries safe.
   */
  async create(
    request: {
      lines: ReservationLineInput[];
      referenceId?: string;
      idempotencyKey?: string;
    } & ReservationHold,
    options?: CallOptions,
  ): Promise<Reservation> {
    const response = await unary(
      this.raw.createReservation(
        {
          idempotencyKey: request.idempotencyKey ?? randomUUID(),
          lines: request.lines.map(reservationLineIn),
          referenceId: request.referenceId ?? "",
          ...holdIn(request),
        },
        options,
      ),
    );
    return reservationOut(response.reservation);
  }

  /**
   * Sells held units: everything held, or `lines` (a line's position and a quantity).
   * Refused once nothing is held (`isReservationNotHeld()`) or past expiresAt
   * (`isReservationExpired()`). Without idempotencyKey a fresh one is made.
   */
  async commit(
    id: string,
    request: {
      lines?: CommitLineInput[];
      totalPriceMoney?: { amount: DecimalInput; currency: string };
      idempotencyKey?: string;
    } = {},
    options?: CallOptions,
  ): Promise<Reservation> {
    const price = request.totalPriceMoney;
    const response = await unary(
      this.raw.commitReservation(
        {
          id,
          idempotencyKey: request.idempotencyKey ?? randomUUID(),
          lines: (request.lines ?? []).map(commitLineIn),
          totalPriceMoney: price && { amount: decimalIn(price.amount, "total_price_money.amount"), currency: price.currency },
        },
        options,
      ),
    );
    return reservationOut(response.reservation);
  }

  /** Gives back everything still held (one that holds nothing is answered as it is). */
  async release(id: string, options?: CallOptions): Promise<Reservation> {
    return reservationOut((await unary(this.raw.releaseReservation({ id }, options))).reservation);
  }

  /** Moves a held reservation's expiresAt: `ttlMs` from now, or to `expiresAt`. */
  async extend(id: string, hold: ReservationHold, options?: CallOptions): Promise<Reservation> {
    return reservationOut((await unary(this.raw.extendReservation({ id, ...holdIn(hold) }, options))).reservation);
  }

  async get(id: string, options?: CallOptions): Promise<Reservation> {
    return reservationOut((await unary(this.raw.getReservation({ id }, options))).reservation);
  }

  /** One page of reservations, oldest first, optionally only those in `state` or with `referenceId`. */
  async list(request: ReservationFilter & PageRequest = {}, options?: CallOptions): Promise<Page<Reservation>> {
    const response = await unary(
      this.raw.listReservations(
        { ...reservationFilterIn(request), cursor: request.cursor ?? "", limit: request.limit ?? 0 },
        options,
      ),
    );
    return { items: response.reservations.map(reservationOut), cursor: response.cursor };
  }

  /** Every reservation matching the filter, oldest first, page by page (`limit` per call). */
  async *all(filter: ReservationFilter & { limit?: number } = {}, options?: CallOptions): AsyncGenerator<Reservation> {
    let cursor = "";
    do {
      const page = await this.list({ ...filter, cursor }, options);
      yield* page.items;
      cursor = page.cursor;
    } while (cursor !== "");
  }
}

/**
 * A connection to one Stockledger server: `inventory`, `items`, `locations` and
 * `reservations` speak
 * Decimal, Date and StockledgerError; `raw` holds the generated Connect clients (same
 * connection and token) for full control.
 */
export class StockledgerClient {
  readonly inventory: InventoryApi;
  readonly items: InventoryItemApi;
  readonly locations: LocationApi;
  readonly reservations: ReservationApi;
  readonly raw: RawClients;
  readonly transport: Transport;
  private readonly sessions: Http2SessionManager;

  constructor(address: string, token: string, options: StockledgerClientOptions = {}) {
    if (typeof token !== "string" || token.trim() === "") {
      throw StockledgerError.invalidArgument("token", "MISSING_REQUIRED_PARAMETER", "must be a Stockledger API token");
    }
    const baseUrl = baseUrlOf(address, options.tls !== undefined);
    const nodeOptions =
      options.tls === undefined
        ? options.transport?.nodeOptions
        : { ...options.transport?.nodeOptions, ...tlsSessionOptions(options.tls) };
    const authorization = `Bearer ${token.trim()}`;
    const bearer: Interceptor = (next) => (request) => {
      request.header.set("authorization", authorization);
      return next(request);
    };
    this.sessions = new Http2SessionManager(baseUrl, options.transport, nodeOptions);
    this.transport = createGrpcTransport({
      ...options.transport,
      baseUrl,
      sessionManager: this.sessions,
      ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }),
      interceptors: [bearer, ...(options.interceptors ?? []), reportEstablished],
    });
    this.raw = {
      inventory: createClient(InventoryService, this.transport),
      items: createClient(InventoryItemService, this.transport),
      locations: createClient(LocationService, this.transport),
      reservations: createClient(ReservationService, this.transport),
    };
    this.inventory = new InventoryApi(this.raw.inventory);
    this.items = new InventoryItemApi(this.raw.items);
    this.locations = new LocationApi(this.raw.locations);
    this.reservations = new ReservationApi(this.raw.reservations);
  }

  /** Closes the HTTP/2 connection (open calls fail). Idle connections never keep Node alive. */
  close(): void {
    this.sessions.abort();
  }
}

/**
 * Connects to a Stockledger server over gRPC (HTTP/2; plaintext for "host:port" or
 * "http://…", TLS for "https://…" or with `options.tls`: the CA to trust and, for mutual
 * TLS, the client certificate and key) and adds `authorization: Bearer <token>` to every
 * call.
 */
export function createStockledgerClient(
  address: string,
  token: string,
  options: StockledgerClientOptions = {},
): StockledgerClient {
  return new StockledgerClient(address, token, options);
}
