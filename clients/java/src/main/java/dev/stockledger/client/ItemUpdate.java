package dev.stockledger.client;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import java.math.BigDecimal;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import stockledger.v1.InventoryItemOuterClass.CountryHarmonizedSystemCode;
import stockledger.v1.InventoryItemOuterClass.InventoryItem;
import stockledger.v1.InventoryItemOuterClass.UpdateInventoryItemRequest;

/**
 * The fields of one inventory item to change, for {@link StockledgerClient#updateItem}: only the
 * fields set here are sent, and the update mask names exactly them, so a field left alone keeps its
 * value and a field set to empty ({@code harmonizedSystemCode("")}, {@link #clearCost()}) is
 * cleared.
 *
 * <pre>{@code
 * Item item = client.updateItem(ItemUpdate.of(id).cost(new BigDecimal("12.5")).tracked(false));
 * }</pre>
 *
 * <p>The client refuses, before sending ({@link StockledgerException#isLocal()}): a cost with more
 * than five decimals ({@code INVALID_VALUE} on {@code inventory_item.cost}), a null value ({@code
 * INVALID_VALUE} on its field) and an update that sets no field ({@code INVALID_FIELD_MASK} on
 * {@code update_mask}, as the server says).
 */
public final class ItemUpdate {
  private final InventoryItem.Builder item;
  private final Set<String> paths = new LinkedHashSet<>();

  private ItemUpdate(String id) {
    this.item = InventoryItem.newBuilder().setId(id);
  }

  /** An update of the item with this id that changes nothing yet. */
  public static ItemUpdate of(String itemId) {
    if (itemId == null || itemId.isBlank()) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          "MISSING_REQUIRED_PARAMETER",
          "inventory_item.id",
          "is required");
    }
    return new ItemUpdate(itemId);
  }

  /** The new SKU; empty means none. */
  public ItemUpdate sku(String sku) {
    item.setSku(required(sku, "sku"));
    paths.add("sku");
    return this;
  }

  /** The new unit cost (at least 0, at most five decimals). */
  public ItemUpdate cost(BigDecimal cost) {
    item.setCost(Decimals.format(required(cost, "cost"), "inventory_item.cost"));
    paths.add("cost");
    return this;
  }

  /** Removes the unit cost. */
  public ItemUpdate clearCost() {
    item.clearCost();
    paths.add("cost");
    return this;
  }

  /** The new country of origin (ISO 3166-1 alpha-2); empty means unknown. */
  public ItemUpdate countryCodeOfOrigin(String countryCode) {
    item.setCountryCodeOfOrigin(required(countryCode, "country_code_of_origin"));
    paths.add("country_code_of_origin");
    return this;
  }

  /** The new province of origin (the subdivision part of ISO 3166-2); empty means unknown. */
  public ItemUpdate provinceCodeOfOrigin(String provinceCode) {
    item.setProvinceCodeOfOrigin(required(provinceCode, "province_code_of_origin"));
    paths.add("province_code_of_origin");
    return this;
  }

  /** The new general harmonized system code (6–13 digits); empty means none. */
  public ItemUpdate harmonizedSystemCode(String code) {
    item.setHarmonizedSystemCode(required(code, "harmonized_system_code"));
    paths.add("harmonized_system_code");
    return this;
  }

  /** Replaces the country-specific harmonized system codes (an empty list removes them all). */
  public ItemUpdate countryHarmonizedSystemCodes(List<Item.CountryCode> codes) {
    item.clearCountryHarmonizedSystemCodes();
    for (Item.CountryCode code : required(codes, "country_harmonized_system_codes")) {
      item.addCountryHarmonizedSystemCodes(
          CountryHarmonizedSystemCode.newBuilder()
              .setHarmonizedSystemCode(code.harmonizedSystemCode())
              .setCountryCode(code.countryCode()));
    }
    paths.add("country_harmonized_system_codes");
    return this;
  }

  /** Whether the ledger tracks stock of this item (changes for an untracked one are refused). */
  public ItemUpdate tracked(boolean tracked) {
    item.setTracked(tracked);
    paths.add("tracked");
    return this;
  }

  /** Whether shipping this item needs a shipping address. */
  public ItemUpdate requiresShipping(boolean requiresShipping) {
    item.setRequiresShipping(requiresShipping);
    paths.add("requires_shipping");
    return this;
  }

  /** The request this update sends: the fields set and a mask naming exactly them. */
  public UpdateInventoryItemRequest toRequest() {
    if (paths.isEmpty()) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          "INVALID_FIELD_MASK",
          "update_mask",
          "names no field to update (set at least one)");
    }
    return UpdateInventoryItemRequest.newBuilder()
        .setInventoryItem(item.build())
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(paths))
        .build();
  }

  private static <T> T required(T value, String path) {
    if (value == null) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          Decimals.INVALID_VALUE,
          "inventory_item." + path,
          "null is not a value (to clear a text, pass \"\")");
    }
    return value;
  }
}
