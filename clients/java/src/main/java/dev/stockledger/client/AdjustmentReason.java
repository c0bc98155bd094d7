package dev.stockledger.client;

import java.time.Instant;
import java.util.Optional;
import stockledger.v1.Inventory.InventoryAdjustmentReason;
import stockledger.v1.Inventory.InventoryAdjustmentReasonDirection;

/**
 * An adjustment reason, standard or custom, as the server returned it.
 *
 * @param name a custom reason's name; empty for a standard reason
 * @param direction {@code _INCREASE} or {@code _DECREASE} for a custom reason; {@code
 *     _UNSPECIFIED} for system codes
 * @param createdAt empty for a standard reason
 * @param updatedAt empty for a standard reason
 * @param deleted whether the custom reason is (soft-)deleted
 */
public record AdjustmentReason(
    ReasonId id,
    String name,
    InventoryAdjustmentReasonDirection direction,
    Optional<Instant> createdAt,
    Optional<Instant> updatedAt,
    boolean deleted) {

  /** Converts a reason from the wire. */
  public static AdjustmentReason fromProto(InventoryAdjustmentReason reason) {
    return new AdjustmentReason(
        ReasonId.fromProto(reason.getId()),
        reason.getName(),
        reason.getDirection(),
        Times.toInstant(reason.hasCreatedAt(), reason.getCreatedAt()),
        Times.toInstant(reason.hasUpdatedAt(), reason.getUpdatedAt()),
        reason.getIsDeleted());
  }
}
