package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import stockledger.v1.Inventory.InventoryReorderPoint;

/**
 * The reorder point of an item at a location: its IN_STOCK count there is low at or below
 * {@code reorderPoint}.
 *
 * @param updatedAt server time of the last set
 */
public record ReorderPoint(
    String catalogObjectId, String locationId, BigDecimal reorderPoint, Instant updatedAt) {

  /** Converts a reorder point from the wire. */
  public static ReorderPoint fromProto(InventoryReorderPoint point) {
    return new ReorderPoint(
        point.getCatalogObjectId(),
        point.getLocationId(),
        Decimals.parse(point.getReorderPoint()),
        Times.toInstant(point.getUpdatedAt()));
  }
}
