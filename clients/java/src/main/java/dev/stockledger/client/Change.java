package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import stockledger.v1.Inventory.InventoryAdjustment;
import stockledger.v1.Inventory.InventoryChange;
import stockledger.v1.Inventory.InventoryChangeType;
import stockledger.v1.Inventory.InventoryPhysicalCount;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.InventoryTransfer;
import stockledger.v1.Inventory.Product;
import stockledger.v1.Inventory.SourceApplication;

/**
 * A recorded inventory change, as the server returned it: an {@link Adjustment}, a {@link
 * PhysicalCount} or a {@link Transfer} (switch over them, or use the accessors they share).
 * Quantities are {@link BigDecimal}s, times {@link Instant}s, optional fields {@link Optional}s;
 * string ids the caller did not set are empty.
 */
public sealed interface Change permits Change.Adjustment, Change.PhysicalCount, Change.Transfer {

  /** The server-assigned id. */
  String id();

  /** {@code INVENTORY_CHANGE_TYPE_ADJUSTMENT}, {@code _PHYSICAL_COUNT} or {@code _TRANSFER}. */
  InventoryChangeType type();

  /** The caller's own id; empty when none. */
  String referenceId();

  /** The item. */
  String catalogObjectId();

  /** Units moved (counted, for a physical count). */
  BigDecimal quantity();

  /** When it happened (the server's receipt time when the caller did not say). */
  Instant occurredAt();

  /** When the server recorded it. */
  Instant createdAt();

  /** Which application made it. */
  Source source();

  /** Why it was made; empty when the caller did not say. */
  Optional<ReasonId> reasonId();

  /** Which application made a change. */
  record Source(Product product, String applicationId, String name) {
    static Source fromProto(SourceApplication source) {
      return new Source(source.getProduct(), source.getApplicationId(), source.getName());
    }
  }

  /**
   * Units moved from one state to another at one location.
   *
   * @param totalPrice of the units sold (to SOLD only); empty when none
   * @param reservationId the reservation whose step moved them; empty otherwise
   * @param cost what the units cost (receipts only); empty when none
   * @param vendorId whom a receipt's units were bought from; empty when none
   */
  record Adjustment(
      String id,
      String referenceId,
      InventoryState fromState,
      InventoryState toState,
      String locationId,
      String catalogObjectId,
      BigDecimal quantity,
      Optional<Money> totalPrice,
      Instant occurredAt,
      Instant createdAt,
      Source source,
      String employeeId,
      String teamMemberId,
      String transactionId,
      String refundId,
      String purchaseOrderId,
      String goodsReceiptId,
      String reservationId,
      Optional<ReasonId> reasonId,
      Optional<Money> cost,
      String vendorId)
      implements Change {
    @Override
    public InventoryChangeType type() {
      return InventoryChangeType.INVENTORY_CHANGE_TYPE_ADJUSTMENT;
    }

    static Adjustment fromProto(InventoryAdjustment a) {
      return new Adjustment(
          a.getId(),
          a.getReferenceId(),
          a.getFromState(),
          a.getToState(),
          a.getLocationId(),
          a.getCatalogObjectId(),
          Decimals.parse(a.getQuantity()),
          Money.fromProto(a.hasTotalPriceMoney(), a.getTotalPriceMoney()),
          Times.toInstant(a.getOccurredAt()),
          Times.toInstant(a.getCreatedAt()),
          Source.fromProto(a.getSource()),
          a.getEmployeeId(),
          a.getTeamMemberId(),
          a.getTransactionId(),
          a.getRefundId(),
          a.getPurchaseOrderId(),
          a.getGoodsReceiptId(),
          a.getReservationId(),
          a.hasReasonId() ? Optional.of(ReasonId.fromProto(a.getReasonId())) : Optional.empty(),
          Money.fromProto(a.hasCostMoney(), a.getCostMoney()),
          a.getVendorId());
    }
  }

  /** A verified quantity in one state at one location; it supersedes every earlier change. */
  record PhysicalCount(
      String id,
      String referenceId,
      String catalogObjectId,
      InventoryState state,
      String locationId,
      BigDecimal quantity,
      Source source,
      String employeeId,
      String teamMemberId,
      Instant occurredAt,
      Instant createdAt,
      Optional<ReasonId> reasonId)
      implements Change {
    @Override
    public InventoryChangeType type() {
      return InventoryChangeType.INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT;
    }

    static PhysicalCount fromProto(InventoryPhysicalCount c) {
      return new PhysicalCount(
          c.getId(),
          c.getReferenceId(),
          c.getCatalogObjectId(),
          c.getState(),
          c.getLocationId(),
          Decimals.parse(c.getQuantity()),
          Source.fromProto(c.getSource()),
          c.getEmployeeId(),
          c.getTeamMemberId(),
          Times.toInstant(c.getOccurredAt()),
          Times.toInstant(c.getCreatedAt()),
          c.hasReasonId() ? Optional.of(ReasonId.fromProto(c.getReasonId())) : Optional.empty());
    }
  }

  /** Units in one state moved from one location to another. */
  record Transfer(
      String id,
      String referenceId,
      InventoryState state,
      String fromLocationId,
      String toLocationId,
      String catalogObjectId,
      BigDecimal quantity,
      Instant occurredAt,
      Instant createdAt,
      Source source,
      String employeeId,
      String teamMemberId,
      Optional<ReasonId> reasonId)
      implements Change {
    @Override
    public InventoryChangeType type() {
      return InventoryChangeType.INVENTORY_CHANGE_TYPE_TRANSFER;
    }

    static Transfer fromProto(InventoryTransfer t) {
      return new Transfer(
          t.getId(),
          t.getReferenceId(),
          t.getState(),
          t.getFromLocationId(),
          t.getToLocationId(),
          t.getCatalogObjectId(),
          Decimals.parse(t.getQuantity()),
          Times.toInstant(t.getOccurredAt()),
          Times.toInstant(t.getCreatedAt()),
          Source.fromProto(t.getSource()),
          t.getEmployeeId(),
          t.getTeamMemberId(),
          t.hasReasonId() ? Optional.of(ReasonId.fromProto(t.getReasonId())) : Optional.empty());
    }
  }

  /**
   * Converts a change from the wire.
   *
   * @throws StockledgerException ({@code INTERNAL}, reason {@code MALFORMED_RESPONSE}) if it holds
   *     none of the three kinds
   */
  static Change fromProto(InventoryChange change) {
    return switch (change.getChangeCase()) {
      case ADJUSTMENT -> Adjustment.fromProto(change.getAdjustment());
      case PHYSICAL_COUNT -> PhysicalCount.fromProto(change.getPhysicalCount());
      case TRANSFER -> Transfer.fromProto(change.getTransfer());
      case CHANGE_NOT_SET ->
          throw StockledgerException.local(
              io.grpc.Status.Code.INTERNAL,
              "MALFORMED_RESPONSE",
              "change",
              "the server sent a change without an adjustment, physical count or transfer");
    };
  }
}
