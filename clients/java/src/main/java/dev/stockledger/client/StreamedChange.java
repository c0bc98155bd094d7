package dev.stockledger.client;

import stockledger.v1.Inventory.StreamInventoryChangesResponse;

/**
 * One change of {@link StockledgerClient#streamChanges}, with the cursor that resumes the stream
 * right after it ({@code setCursor(cursor)} on the same request).
 */
public record StreamedChange(Change change, String cursor) {

  /** Converts a streamed message from the wire. */
  public static StreamedChange fromProto(StreamInventoryChangesResponse response) {
    return new StreamedChange(Change.fromProto(response.getChange()), response.getCursor());
  }
}
