package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import stockledger.v1.Inventory.InventoryAdjustment;
import stockledger.v1.Inventory.InventoryChange;
import stockledger.v1.Inventory.InventoryChangeType;
import stockledger.v1.Inventory.InventoryPhysicalCount;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.InventoryTransfer;

/**
 * Builders of the three kinds of {@link InventoryChange}, taking {@link BigDecimal} quantities.
 * For fields not covered here (reference ids, prices, team members) build the message directly.
 *
 * <p>A guard (compare-and-swap) wraps a built change: {@code expect(adjustment(...), TEN)} or
 * {@code expectAbsent(adjustment(...))}; a batch whose guard does not hold fails with a {@link
 * StockledgerException} whose {@link StockledgerException#isQuantityMismatch()} is true.
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
            .setQuantity(Decimals.format(quantity));
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
            .setQuantity(Decimals.format(quantity));
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
                .setQuantity(Decimals.format(quantity)))
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
    return change.toBuilder().setExpectedQuantity(Decimals.format(expected)).build();
  }

  /**
   * {@code change} guarded like {@link #expect}, requiring that the count does not exist yet
   * (absent is not zero).
   */
  public static InventoryChange expectAbsent(InventoryChange change) {
    return change.toBuilder().setExpectedQuantity(ABSENT).build();
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
