package dev.stockledger.client;

import stockledger.v1.Inventory.WatchInventoryChangesResponse;

/**
 * One committed change of a change watch.
 *
 * @param sequence its position in the merchant's commit order (increasing)
 * @param resumeToken resumes the watch right after it ({@link
 *     StockledgerClient#resumeWatchChanges})
 */
public record WatchedChange(Change change, long sequence, String resumeToken) {

  /** Converts a watch message from the wire. */
  public static WatchedChange fromProto(WatchInventoryChangesResponse response) {
    return new WatchedChange(
        Change.fromProto(response.getChange()), response.getSequence(), response.getResumeToken());
  }
}
