package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import stockledger.v1.Inventory.InventoryCount;
import stockledger.v1.Inventory.InventoryState;

/**
 * The current quantity of one item in one state at one location.
 *
 * @param quantity may be negative (a count records reality)
 * @param calculatedAt server time of the latest change that moved it
 */
public record Count(
    String catalogObjectId,
    String locationId,
    InventoryState state,
    BigDecimal quantity,
    Instant calculatedAt) {

  /** Converts a count from the wire. */
  public static Count fromProto(InventoryCount count) {
    return new Count(
        count.getCatalogObjectId(),
        count.getLocationId(),
        count.getState(),
        Decimals.parse(count.getQuantity()),
        Times.toInstant(count.getCalculatedAt()));
  }
}
