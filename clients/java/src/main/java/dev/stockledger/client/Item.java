package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import stockledger.v1.InventoryItemOuterClass.InventoryItem;

/**
 * An inventory item (what stock is counted of) as the server returned it.
 *
 * @param cost the unit cost; empty when the item has none
 * @param countryCodeOfOrigin ISO 3166 code; empty when none
 * @param provinceCodeOfOrigin ISO 3166-2 subdivision; empty when none
 * @param harmonizedSystemCode empty when none
 * @param tracked empty when the server did not say (it counts stock of tracked items only)
 */
public record Item(
    String id,
    String sku,
    Optional<BigDecimal> cost,
    String countryCodeOfOrigin,
    String provinceCodeOfOrigin,
    String harmonizedSystemCode,
    List<CountryCode> countryHarmonizedSystemCodes,
    Optional<Boolean> tracked,
    Optional<Boolean> requiresShipping,
    Optional<Instant> createdAt,
    Optional<Instant> updatedAt) {

  /** A harmonized system code that applies in one country. */
  public record CountryCode(String harmonizedSystemCode, String countryCode) {}

  /** Converts an item from the wire. */
  public static Item fromProto(InventoryItem item) {
    return new Item(
        item.getId(),
        item.getSku(),
        Decimals.parseOptional(item.getCost()),
        item.getCountryCodeOfOrigin(),
        item.getProvinceCodeOfOrigin(),
        item.getHarmonizedSystemCode(),
        item.getCountryHarmonizedSystemCodesList().stream()
            .map(c -> new CountryCode(c.getHarmonizedSystemCode(), c.getCountryCode()))
            .toList(),
        item.hasTracked() ? Optional.of(item.getTracked()) : Optional.empty(),
        item.hasRequiresShipping() ? Optional.of(item.getRequiresShipping()) : Optional.empty(),
        Times.toInstant(item.hasCreatedAt(), item.getCreatedAt()),
        Times.toInstant(item.hasUpdatedAt(), item.getUpdatedAt()));
  }
}
