package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import stockledger.v1.Inventory.InventoryAlertKind;
import stockledger.v1.Inventory.WatchInventoryAlertsResponse;

/**
 * One low-stock alert from an alert watch: a committed change took an IN_STOCK count to or
 * below its reorder point ({@code INVENTORY_ALERT_KIND_LOW}) or back above it
 * ({@code INVENTORY_ALERT_KIND_RECOVERED}).
 *
 * @param quantity the IN_STOCK quantity after the change
 * @param reorderPoint the point it crossed
 * @param changeId the change that made the crossing
 * @param sequence the position of that change in the merchant's commit order
 * @param resumeToken resumes the watch right after it ({@link StockledgerClient#resumeWatchAlerts})
 */
public record WatchedAlert(
    String catalogObjectId,
    String locationId,
    InventoryAlertKind kind,
    BigDecimal quantity,
    BigDecimal reorderPoint,
    String changeId,
    Instant occurredAt,
    Instant calculatedAt,
    long sequence,
    String resumeToken) {

  /** Converts a watch message from the wire. */
  public static WatchedAlert fromProto(WatchInventoryAlertsResponse response) {
    var alert = response.getAlert();
    return new WatchedAlert(
        alert.getCatalogObjectId(),
        alert.getLocationId(),
        alert.getKind(),
        Decimals.parse(alert.getQuantity()),
        Decimals.parse(alert.getReorderPoint()),
        alert.getChangeId(),
        Times.toInstant(alert.getOccurredAt()),
        Times.toInstant(alert.getCalculatedAt()),
        response.getSequence(),
        response.getResumeToken());
  }
}
