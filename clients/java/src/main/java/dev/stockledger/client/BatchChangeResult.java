package dev.stockledger.client;

import java.util.List;
import stockledger.v1.Inventory.BatchChangeInventoryResponse;

/**
 * What a batch did: the counts it moved, as they stand after it, and its changes as recorded
 * (ids assigned), in the order they were sent.
 */
public record BatchChangeResult(List<Count> counts, List<Change> changes) {

  /** Converts a batch's response from the wire. */
  public static BatchChangeResult fromProto(BatchChangeInventoryResponse response) {
    return new BatchChangeResult(
        response.getCountsList().stream().map(Count::fromProto).toList(),
        response.getChangesList().stream().map(Change::fromProto).toList());
  }
}
