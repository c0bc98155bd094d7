package dev.stockledger.client;

import stockledger.v1.Inventory.InventoryAdjustmentReasonId;
import stockledger.v1.Inventory.InventoryAdjustmentReasonType;

/**
 * Which adjustment reason: a standard one ({@link #standard}, e.g. {@code
 * INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED}) or a merchant's custom one ({@link #custom}).
 *
 * @param customReasonId the custom reason's id; empty for a standard reason
 */
public record ReasonId(InventoryAdjustmentReasonType type, String customReasonId) {

  /** A standard reason. */
  public static ReasonId standard(InventoryAdjustmentReasonType type) {
    return new ReasonId(type, "");
  }

  /** A merchant's custom reason, by the id the server gave it. */
  public static ReasonId custom(String customReasonId) {
    return new ReasonId(
        InventoryAdjustmentReasonType.INVENTORY_ADJUSTMENT_REASON_TYPE_CUSTOM, customReasonId);
  }

  /** The wire form, for requests built by hand ({@code addReasonIds(id.toProto())}). */
  public InventoryAdjustmentReasonId toProto() {
    return InventoryAdjustmentReasonId.newBuilder()
        .setType(type)
        .setCustomReasonId(customReasonId)
        .build();
  }

  /** Converts a reason id from the wire. */
  public static ReasonId fromProto(InventoryAdjustmentReasonId id) {
    return new ReasonId(id.getType(), id.getCustomReasonId());
  }
}
