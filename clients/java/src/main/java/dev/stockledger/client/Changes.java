package dev.stockledger.client;

import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Instant;
import stockledger.v1.Inventory.InventoryAdjustment;
import stockledger.v1.Inventory.InventoryAdjustmentReasonId;
import stockledger.v1.Inventory.InventoryAdjustmentReasonType;
import stockledger.v1.Inventory.InventoryChange;
import stockledger.v1.Inventory.InventoryChangeType;
import stockledger.v1.Inventory.InventoryPhysicalCount;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.InventoryTransfer;
import stockledger.v1.Inventory.Money;

/**
 * Builders of the three kinds of {@link InventoryChange}, taking {@link BigDecimal} quantities.
 * For fields not covered here (reference ids, prices, team members) build the message directly.
 * A quantity with more than five decimals is refused by {@link StockledgerClient#batchChange}
 * before sending, with the path the server would name ({@code changes[0].adjustment.quantity}).
 *
 * <p>A guard (compare-and-swap) wraps a built change: {@code expect(adjustment(...), TEN)} or
 * {@code expectAbsent(adjustment(...))}; a batch whose guard does not hold fails with a {@link
 * StockledgerException} whose {@link StockledgerException#isQuantityMismatch()} is true.
 *
 * <p>The optional fields of reasons and receipts wrap a built change the same way: {@code
 * withReason(adjustment(...), customReasonId(id))}, {@code withCost(receipt, amount, "EUR")},
 * {@code withVendor(receipt, vendorId)}.
 */
public final class Changes {
  private Changes() {}

  /** Moves {@code quantity} of an item at a location from one state to another (e.g. IN_STOCK → SOLD). */
  public static InventoryChange adjustment(
      String itemId, String locationId, InventoryState from, InventoryState to, BigDecimal quantity) {
    return adjustment(itemId, locationId, from, to, quantity, null);
  }

  /** Same, with an explicit {@code occurred_at} (null: the time the server receives it). */
  public static InventoryChange adjustment(
      String itemId,
      String locationId,
      InventoryState from,
      InventoryState to,
      BigDecimal quantity,
      Instant occurredAt) {
    InventoryAdjustment.Builder b =
        InventoryAdjustment.newBuilder()
            .setCatalogObjectId(itemId)
            .setLocationId(locationId)
            .setFromState(from)
            .setToState(to)
            .setQuantity(Decimals.wire(quantity));
    if (occurredAt != null) {
      b.setOccurredAt(Times.toTimestamp(occurredAt));
    }
    return InventoryChange.newBuilder()
        .setType(InventoryChangeType.INVENTORY_CHANGE_TYPE_ADJUSTMENT)
        .setAdjustment(b)
        .build();
  }

  /** States that {@code quantity} of an item is in {@code state} at a location (a stock take). */
  public static InventoryChange physicalCount(
      String itemId, String locationId, InventoryState state, BigDecimal quantity) {
    return physicalCount(itemId, locationId, state, quantity, null);
  }

  /** Same, with an explicit {@code occurred_at} (null: the time the server receives it). */
  public static InventoryChange physicalCount(
      String itemId, String locationId, InventoryState state, BigDecimal quantity, Instant occurredAt) {
    InventoryPhysicalCount.Builder b =
        InventoryPhysicalCount.newBuilder()
            .setCatalogObjectId(itemId)
            .setLocationId(locationId)
            .setState(state)
            .setQuantity(Decimals.wire(quantity));
    if (occurredAt != null) {
      b.setOccurredAt(Times.toTimestamp(occurredAt));
    }
    return InventoryChange.newBuilder()
        .setType(InventoryChangeType.INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT)
        .setPhysicalCount(b)
        .build();
  }

  /** Moves {@code quantity} of an item, in {@code state}, from one location to another. */
  public static InventoryChange transfer(
      String itemId, String fromLocationId, String toLocationId, InventoryState state, BigDecimal quantity) {
    return InventoryChange.newBuilder()
        .setType(InventoryChangeType.INVENTORY_CHANGE_TYPE_TRANSFER)
        .setTransfer(
            InventoryTransfer.newBuilder()
                .setCatalogObjectId(itemId)
                .setFromLocationId(fromLocationId)
                .setToLocationId(toLocationId)
                .setState(state)
                .setQuantity(Decimals.wire(quantity)))
        .build();
  }

  /** What {@code expected_quantity} says for a count that must not exist. */
  static final String ABSENT = "ABSENT";

  /**
   * {@code change} guarded by its expected quantity: the count it takes from (an adjustment's
   * from-state count, its to-state count for a receipt from NONE; the count a physical count
   * replaces; a transfer's source count) must hold exactly {@code expected} just before the
   * change, or the whole batch is refused ({@link StockledgerException#isQuantityMismatch()}).
   */
  public static InventoryChange expect(InventoryChange change, BigDecimal expected) {
    return change.toBuilder().setExpectedQuantity(Decimals.wire(expected)).build();
  }

  /**
   * {@code change} guarded like {@link #expect}, requiring that the count does not exist yet
   * (absent is not zero).
   */
  public static InventoryChange expectAbsent(InventoryChange change) {
    return change.toBuilder().setExpectedQuantity(ABSENT).build();
  }

  /** Names a standard adjustment reason ({@code INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED}, …). */
  public static ReasonId reasonId(InventoryAdjustmentReasonType type) {
    return ReasonId.standard(type);
  }

  /** Names a merchant's custom adjustment reason by its id. */
  public static ReasonId customReasonId(String customReasonId) {
    return ReasonId.custom(customReasonId);
  }

  /**
   * {@code change} (an adjustment, a physical count or a transfer) carrying why it was made: a
   * standard reason (not a system code) or a custom one that is not deleted; a deleted one is
   * refused ({@code INVALID_ARGUMENT}, reason {@code ADJUSTMENT_REASON_DELETED}).
   */
  public static InventoryChange withReason(InventoryChange change, ReasonId reason) {
    InventoryAdjustmentReasonId reasonId = reason.toProto();
    InventoryChange.Builder b = change.toBuilder();
    switch (change.getChangeCase()) {
      case ADJUSTMENT -> b.getAdjustmentBuilder().setReasonId(reasonId);
      case PHYSICAL_COUNT -> b.getPhysicalCountBuilder().setReasonId(reasonId);
      case TRANSFER -> b.getTransferBuilder().setReasonId(reasonId);
      case CHANGE_NOT_SET ->
          throw StockledgerException.local(
              Status.Code.INVALID_ARGUMENT,
              "MISSING_REQUIRED_PARAMETER",
              "change",
              "the change has no adjustment, physical count or transfer");
    }
    return b.build();
  }

  /**
   * A receipt ({@code change}: an adjustment from NONE or UNLINKED_RETURN) carrying what its
   * units cost; the server refuses a cost on any other change.
   */
  public static InventoryChange withCost(InventoryChange change, BigDecimal amount, String currency) {
    requireAdjustment(change);
    InventoryChange.Builder b = change.toBuilder();
    b.getAdjustmentBuilder()
        .setCostMoney(Money.newBuilder().setAmount(Decimals.wire(amount)).setCurrency(currency));
    return b.build();
  }

  /**
   * {@code change} carrying its own id (a UUID), for {@link StockledgerClient#importChanges}: a
   * change whose id the merchant already has is skipped there, so importing it again changes
   * nothing. BatchChangeInventory refuses an id set by the caller.
   */
  public static InventoryChange withId(InventoryChange change, String id) {
    InventoryChange.Builder b = change.toBuilder();
    switch (change.getChangeCase()) {
      case ADJUSTMENT -> b.getAdjustmentBuilder().setId(id);
      case PHYSICAL_COUNT -> b.getPhysicalCountBuilder().setId(id);
      case TRANSFER -> b.getTransferBuilder().setId(id);
      case CHANGE_NOT_SET ->
          throw StockledgerException.local(
              Status.Code.INVALID_ARGUMENT,
              "MISSING_REQUIRED_PARAMETER",
              "change",
              "the change has no adjustment, physical count or transfer");
    }
    return b.build();
  }

  /** A receipt carrying whom its units were bought from (receipts only, as {@link #withCost}). */
  public static InventoryChange withVendor(InventoryChange change, String vendorId) {
    requireAdjustment(change);
    InventoryChange.Builder b = change.toBuilder();
    b.getAdjustmentBuilder().setVendorId(vendorId);
    return b.build();
  }

  private static void requireAdjustment(InventoryChange change) {
    if (change.getChangeCase() != InventoryChange.ChangeCase.ADJUSTMENT) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          Decimals.INVALID_VALUE,
          "adjustment",
          "cost and vendor go on adjustments (receipts) only");
    }
  }

  /** The server-assigned id of a recorded change, whatever its kind. */
  public static String id(InventoryChange change) {
    return switch (change.getChangeCase()) {
      case ADJUSTMENT -> change.getAdjustment().getId();
      case PHYSICAL_COUNT -> change.getPhysicalCount().getId();
      case TRANSFER -> change.getTransfer().getId();
      case CHANGE_NOT_SET -> "";
    };
  }
}
