package dev.stockledger.client;

import java.math.BigDecimal;
import java.util.Optional;
import stockledger.v1.Inventory.SetInventoryReorderPointResponse;

/**
 * What setting a reorder point answered (setting one raises no alert).
 *
 * @param quantity the IN_STOCK quantity now; empty when the count does not exist (read as 0)
 * @param low whether that quantity is at or below the point now
 */
public record ReorderPointSet(ReorderPoint reorderPoint, Optional<BigDecimal> quantity, boolean low) {

  /** Converts the answer from the wire. */
  public static ReorderPointSet fromProto(SetInventoryReorderPointResponse response) {
    return new ReorderPointSet(
        ReorderPoint.fromProto(response.getReorderPoint()),
        Decimals.parseOptional(response.getQuantity()),
        response.getLow());
  }
}
