package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import stockledger.v1.Inventory.InventoryChangeType;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.WatchInventoryCountsResponse;

/**
 * One count a committed change moved, from a count watch.
 *
 * @param previousQuantity before the change; empty when the count did not exist
 * @param quantity after the change
 * @param changeId the change that moved it
 * @param sequence its position in the merchant's commit order (increasing)
 * @param resumeToken resumes the watch right after it ({@link StockledgerClient#resumeWatchCounts})
 */
public record WatchedCount(
    String catalogObjectId,
    String locationId,
    InventoryState state,
    Optional<BigDecimal> previousQuantity,
    BigDecimal quantity,
    Instant calculatedAt,
    String changeId,
    InventoryChangeType changeType,
    long sequence,
    String resumeToken) {

  /** Converts a watch message from the wire. */
  public static WatchedCount fromProto(WatchInventoryCountsResponse response) {
    var update = response.getUpdate();
    return new WatchedCount(
        update.getCatalogObjectId(),
        update.getLocationId(),
        update.getState(),
        Decimals.parseOptional(update.getPreviousQuantity()),
        Decimals.parse(update.getQuantity()),
        Times.toInstant(update.getCalculatedAt()),
        update.getChangeId(),
        update.getChangeType(),
        response.getSequence(),
        response.getResumeToken());
  }
}
