/**
 * @stockledger/client: a TypeScript client for Stockledger over gRPC (Connect for Node,
 * HTTP/2). Start with createStockledgerClient(address, token).
 */
export {
  createStockledgerClient,
  StockledgerClient,
  InventoryApi,
  InventoryItemApi,
  LocationApi,
  ReservationApi,
  type CallStream,
  type Page,
  type PageRequest,
  type RawClients,
  type StockledgerClientOptions,
  type StreamedChange,
  type WatchedChange,
  type WatchedCountUpdate,
  type WatchFrom,
} from "./client.js";
export { StockledgerError, Code, type FieldViolation, type GuardedCount } from "./errors.js";
export { EXPECT_ABSENT } from "./types.js";
export {
  DECIMAL_PLACES,
  decimalFromUnits,
  decimalToUnits,
  formatDecimal,
  isDecimal,
  parseDecimal,
  type Decimal,
  type DecimalInput,
} from "./decimal.js";
export type {
  AdjustmentInput,
  ChangeFilter,
  ChangeGuard,
  ExpectedQuantity,
  CountryHarmonizedSystemCode,
  HistoryFilter,
  InventoryAdjustment,
  InventoryChange,
  InventoryChangeInput,
  InventoryChangeType,
  InventoryCount,
  InventoryCountUpdate,
  InventoryItem,
  InventoryItemInput,
  InventoryPhysicalCount,
  InventoryState,
  InventoryTransfer,
  Location,
  LocationInput,
  LocationStatus,
  Money,
  PhysicalCountInput,
  Product,
  CommitLineInput,
  Reservation,
  ReservationHold,
  ReservationLine,
  ReservationLineInput,
  ReservationState,
  SourceApplication,
  TransferInput,
  WatchStart,
} from "./types.js";
/** The generated protobuf-es messages, enums and service descriptors. */
export * as gen from "./generated.js";
