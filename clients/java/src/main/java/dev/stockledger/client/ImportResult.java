package dev.stockledger.client;

import java.util.List;
import stockledger.v1.Inventory.ImportInventoryChangesResponse;
import stockledger.v1.Inventory.RefusedInventoryChange;

/**
 * What {@link StockledgerClient#importChanges} did, once every batch was sent.
 *
 * @param applied changes recorded now
 * @param alreadyPresent changes skipped because the merchant already has their id (or their batch
 *     was sent before)
 * @param refused changes refused, bad on their own or refused by the ledger
 * @param heldBack good changes not applied because another change of their batch was refused
 * @param refusedChanges every refusal, in stream order (at most 1000; {@code refused} counts all)
 */
public record ImportResult(
    long applied,
    long alreadyPresent,
    long refused,
    long heldBack,
    List<RefusedChange> refusedChanges) {

  /**
   * One refused change.
   *
   * @param index its position among all the changes sent, from 0, across batches
   * @param field the field path inside the change ({@code adjustment.quantity}); empty when the
   *     change as a whole is refused
   * @param reason the reason code, as in a StockledgerException ({@code INVALID_VALUE}, {@code
   *     NOT_FOUND}, …)
   * @param description what is wrong
   */
  public record RefusedChange(long index, String field, String reason, String description) {

    /** Converts a refusal from the wire. */
    public static RefusedChange fromProto(RefusedInventoryChange refused) {
      return new RefusedChange(
          refused.getIndex(), refused.getField(), refused.getReason(), refused.getDescription());
    }
  }

  /** Converts an import's response from the wire. */
  public static ImportResult fromProto(ImportInventoryChangesResponse response) {
    return new ImportResult(
        response.getApplied(),
        response.getAlreadyPresent(),
        response.getRefused(),
        response.getHeldBack(),
        response.getRefusedChangesList().stream().map(RefusedChange::fromProto).toList());
  }
}
