package dev.stockledger.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_IN_STOCK;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_NONE;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_SOLD;

import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import stockledger.v1.Inventory.InventoryChange;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.Product;
import stockledger.v1.InventoryItemOuterClass.InventoryItem;
import stockledger.v1.LocationOuterClass.LocationStatus;

/**
 * Live tests of the typed partial updates (UpdateLocation, UpdateInventoryItem), the typed
 * BatchGetInventoryItems and the typed client-streaming import (ImportInventoryChanges), against
 * the server in {@code STOCKLEDGER_ADDR} with the token in {@code STOCKLEDGER_TOKEN} (every scope,
 * {@code INVENTORY_IMPORT} included).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LiveUpdatesAndImportTest {
  private StockledgerClient client;

  @BeforeAll
  void connect() {
    client = StockledgerClient.connect(required("STOCKLEDGER_ADDR"), required("STOCKLEDGER_TOKEN"));
  }

  @AfterAll
  void close() {
    if (client != null) {
      client.close();
    }
  }

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      fail(name + " is not set: scripts/clients-test.sh starts a server and sets it");
    }
    return value;
  }

  private static BigDecimal dec(String s) {
    return new BigDecimal(s);
  }

  private static String unique(String prefix) {
    return prefix + " " + UUID.randomUUID();
  }

  @Test
  void aLocationUpdateChangesOnlyTheFieldsItSets() {
    Location created = client.createLocation(unique("Java update shop"), true);
    Location described =
        client.updateLocation(LocationUpdate.of(created.id()).description("Shelves at the back"));
    assertEquals("Shelves at the back", described.description());
    assertEquals(created.name(), described.name());
    assertTrue(described.forbidNegativeCounts(), "a field not set keeps its value");
    assertEquals(LocationStatus.LOCATION_STATUS_ACTIVE, described.status());
    assertEquals(created.createdAt(), described.createdAt());
    assertTrue(
        !described.updatedAt().orElseThrow().isBefore(created.updatedAt().orElseThrow()),
        described.updatedAt() + " before " + created.updatedAt());

    // false and empty are values too: the mask names them, so they are applied.
    String newName = unique("Java back room");
    Location renamed =
        client.updateLocation(
            LocationUpdate.of(created.id()).name(newName).forbidNegativeCounts(false));
    assertEquals(newName, renamed.name());
    assertFalse(renamed.forbidNegativeCounts());
    assertEquals("Shelves at the back", renamed.description());
    Location cleared =
        client.updateLocation(
            LocationUpdate.of(created.id())
                .description("")
                .status(LocationStatus.LOCATION_STATUS_INACTIVE));
    assertEquals("", cleared.description());
    assertEquals(LocationStatus.LOCATION_STATUS_INACTIVE, cleared.status());
    assertEquals(newName, cleared.name());
    assertEquals(cleared, client.getLocation(created.id()), "the answer is what is stored");

    // An update that sets nothing is refused before sending, as the server would refuse it.
    StockledgerException nothing =
        assertThrows(
            StockledgerException.class,
            () -> client.updateLocation(LocationUpdate.of(created.id())));
    assertTrue(nothing.isLocal());
    assertEquals(Status.Code.INVALID_ARGUMENT, nothing.code());
    assertEquals("INVALID_FIELD_MASK", nothing.reason());
    assertEquals(Optional.of("update_mask"), nothing.field());
    StockledgerException nullName =
        assertThrows(StockledgerException.class, () -> LocationUpdate.of(created.id()).name(null));
    assertEquals(Optional.of("location.name"), nullName.field());
    // The server's refusals are typed the same way.
    StockledgerException blank =
        assertThrows(
            StockledgerException.class,
            () -> client.updateLocation(LocationUpdate.of(created.id()).name(" ")));
    assertFalse(blank.isLocal());
    assertEquals(Status.Code.INVALID_ARGUMENT, blank.code());
    assertEquals(Optional.of("location.name"), blank.field());
    StockledgerException unknown =
        assertThrows(
            StockledgerException.class,
            () ->
                client.updateLocation(
                    LocationUpdate.of(UUID.randomUUID().toString()).name(unique("x"))));
    assertEquals(Status.Code.NOT_FOUND, unknown.code());
  }

  @Test
  void anItemUpdateChangesOnlyTheFieldsItSets() {
    String sku = "JAVA-UPD-" + UUID.randomUUID();
    Item created =
        client.createItem(
            InventoryItem.newBuilder()
                .setSku(sku)
                .setCost("10")
                .setHarmonizedSystemCode("610910")
                .setCountryCodeOfOrigin("FR")
                .build());
    Item costed = client.updateItem(ItemUpdate.of(created.id()).cost(dec("12.50")));
    assertEquals(Optional.of(dec("12.5")), costed.cost());
    assertEquals(sku, costed.sku());
    assertEquals("610910", costed.harmonizedSystemCode());
    assertEquals("FR", costed.countryCodeOfOrigin());
    assertEquals(Optional.of(true), costed.tracked());

    Item untracked =
        client.updateItem(
            ItemUpdate.of(created.id())
                .tracked(false)
                .harmonizedSystemCode("")
                .countryHarmonizedSystemCodes(List.of(new Item.CountryCode("6109100012", "US"))));
    assertEquals(Optional.of(false), untracked.tracked());
    assertEquals("", untracked.harmonizedSystemCode());
    assertEquals(
        List.of(new Item.CountryCode("6109100012", "US")),
        untracked.countryHarmonizedSystemCodes());
    assertEquals(Optional.of(dec("12.5")), untracked.cost(), "a field not set keeps its value");
    assertEquals(Optional.of(true), untracked.requiresShipping());

    Item costless = client.updateItem(ItemUpdate.of(created.id()).clearCost());
    assertEquals(Optional.empty(), costless.cost());
    assertEquals(Optional.of(false), costless.tracked());
    assertEquals(costless, client.getItem(created.id()), "the answer is what is stored");

    // Refused by the client (six decimals), then by the server (no such country), both typed.
    StockledgerException precise =
        assertThrows(
            StockledgerException.class, () -> ItemUpdate.of(created.id()).cost(dec("1.123456")));
    assertTrue(precise.isLocal());
    assertEquals("INVALID_VALUE", precise.reason());
    assertEquals(Optional.of("inventory_item.cost"), precise.field());
    StockledgerException country =
        assertThrows(
            StockledgerException.class,
            () -> client.updateItem(ItemUpdate.of(created.id()).countryCodeOfOrigin("ZZ9")));
    assertFalse(country.isLocal());
    assertEquals(Status.Code.INVALID_ARGUMENT, country.code());
    assertEquals(Optional.of("inventory_item.country_code_of_origin"), country.field());
    assertEquals(costless, client.getItem(created.id()), "a refused update changes nothing");
  }

  @Test
  void batchGetsItemsInTheOrderAsked() {
    Item first = client.createItem("JAVA-BG-" + UUID.randomUUID());
    Item second = client.createItem("JAVA-BG-" + UUID.randomUUID());
    assertEquals(
        List.of(second, first),
        client.batchGetItems(
            List.of(second.id(), UUID.randomUUID().toString(), first.id(), second.id())));
  }

  /** state → quantity of one item at one location (SOLD keeps no count: units leave the ledger). */
  private Map<InventoryState, BigDecimal> countsAt(String itemId, String locationId) {
    Map<InventoryState, BigDecimal> byState = new TreeMap<>();
    for (Count count : client.counts(itemId, locationId)) {
      byState.put(count.state(), count.quantity());
    }
    return byState;
  }

  private static InventoryChange kept(InventoryChange change) {
    return Changes.withId(change, UUID.randomUUID().toString());
  }

  @Test
  void importsHistoryOnceAndRefusesABadBatchNamingTheChange() {
    Location shop = client.createLocation(unique("Java import shop"));
    String item = client.createItem("JAVA-IMP-" + UUID.randomUUID()).id();
    Instant lastYear = Instant.now().minus(Duration.ofDays(365));
    List<List<InventoryChange>> history =
        List.of(
            List.of(
                kept(
                    Changes.adjustment(
                        item,
                        shop.id(),
                        INVENTORY_STATE_NONE,
                        INVENTORY_STATE_IN_STOCK,
                        dec("10"),
                        lastYear)),
                kept(
                    Changes.adjustment(
                        item,
                        shop.id(),
                        INVENTORY_STATE_IN_STOCK,
                        INVENTORY_STATE_SOLD,
                        dec("3"),
                        lastYear.plusSeconds(60)))),
            List.of(
                kept(
                    Changes.adjustment(
                        item,
                        shop.id(),
                        INVENTORY_STATE_IN_STOCK,
                        INVENTORY_STATE_SOLD,
                        dec("2"),
                        lastYear.plusSeconds(120)))));

    ImportResult first = client.importChanges(history);
    assertEquals(new ImportResult(3, 0, 0, 0, List.of()), first);
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("5")), countsAt(item, shop.id()));

    // The same history again: every change is already there, nothing moves.
    assertEquals(new ImportResult(0, 3, 0, 0, List.of()), client.importChanges(history));
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("5")), countsAt(item, shop.id()));

    // A change at a location that does not exist refuses its batch (the good change beside it is
    // held back); the batch before it is applied. Its index counts across batches.
    String nowhere = UUID.randomUUID().toString();
    ImportResult mixed =
        client.importChanges(
            List.of(
                List.of(
                    kept(
                        Changes.adjustment(
                            item,
                            shop.id(),
                            INVENTORY_STATE_NONE,
                            INVENTORY_STATE_IN_STOCK,
                            dec("1"),
                            lastYear))),
                List.of(
                    kept(
                        Changes.adjustment(
                            item,
                            shop.id(),
                            INVENTORY_STATE_NONE,
                            INVENTORY_STATE_IN_STOCK,
                            dec("7"),
                            lastYear)),
                    kept(
                        Changes.adjustment(
                            item,
                            nowhere,
                            INVENTORY_STATE_NONE,
                            INVENTORY_STATE_IN_STOCK,
                            dec("7"),
                            lastYear)))));
    assertEquals(1, mixed.applied());
    assertEquals(0, mixed.alreadyPresent());
    assertEquals(1, mixed.refused());
    assertEquals(1, mixed.heldBack());
    assertEquals(1, mixed.refusedChanges().size(), mixed.toString());
    ImportResult.RefusedChange refusal = mixed.refusedChanges().get(0);
    assertEquals(2, refusal.index());
    assertEquals("adjustment.location_id", refusal.field());
    assertEquals("NOT_FOUND", refusal.reason());
    assertFalse(refusal.description().isEmpty());
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("6")), countsAt(item, shop.id()));

    // Refused by the client before anything is sent: an empty batch, a too precise quantity.
    List<InventoryChange> good =
        List.of(
            kept(
                Changes.adjustment(
                    item,
                    shop.id(),
                    INVENTORY_STATE_NONE,
                    INVENTORY_STATE_IN_STOCK,
                    dec("100"),
                    lastYear)));
    StockledgerException empty =
        assertThrows(
            StockledgerException.class, () -> client.importChanges(List.of(good, List.of())));
    assertTrue(empty.isLocal());
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.code());
    assertEquals("ARRAY_LENGTH_TOO_SHORT", empty.reason());
    assertEquals(Optional.of("batches[1].changes"), empty.field());
    StockledgerException precise =
        assertThrows(
            StockledgerException.class,
            () ->
                client.importChanges(
                    List.of(
                        good,
                        List.of(
                            Changes.adjustment(
                                item,
                                shop.id(),
                                INVENTORY_STATE_NONE,
                                INVENTORY_STATE_IN_STOCK,
                                dec("0.1234567"))))));
    assertTrue(precise.isLocal());
    assertEquals(Optional.of("batches[1].changes[0].adjustment.quantity"), precise.field());
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("6")), countsAt(item, shop.id()));
  }

  @Test
  void anImportKeepsIdsTimesAndTheProductAndNameGiven() {
    Location shop = client.createLocation(unique("Java import source shop"));
    String item = client.createItem("JAVA-IMP-SRC-" + UUID.randomUUID()).id();
    String id = UUID.randomUUID().toString();
    Instant occurred = Instant.parse("2025-03-01T09:30:00Z");
    new Change.Source(Product.PRODUCT_DASHBOARD, "old-shop", "Old shop system");
    ImportResult result =
        client.importChanges(
            List.of(
                List.of(
                    Changes.withId(
                        Changes.adjustment(
                            item,
                            shop.id(),
                            INVENTORY_STATE_NONE,
                            INVENTORY_STATE_IN_STOCK,
                            dec("4"),
                            occurred),
                        id))),
            Product.PRODUCT_DASHBOARD,
            "Old shop system");
    assertEquals(new ImportResult(1, 0, 0, 0, List.of()), result);
    Change.Adjustment recorded = client.retrieveAdjustment(id);
    assertEquals(id, recorded.id());
    assertEquals(occurred, recorded.occurredAt());
    assertEquals(Product.PRODUCT_DASHBOARD, recorded.source().product());
    assertEquals("Old shop system", recorded.source().name());
    assertFalse(recorded.source().applicationId().isEmpty(), "the token's application id");
  }

  @Test
  void aLongImportIsStreamedBatchAfterBatch() {
    Location shop = client.createLocation(unique("Java bulk import shop"));
    String item = client.createItem("JAVA-BULK-" + UUID.randomUUID()).id();
    Instant start = Instant.now().minus(Duration.ofDays(30));
    List<List<InventoryChange>> batches = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      List<InventoryChange> batch = new ArrayList<>();
      for (int i = 0; i < StockledgerClient.MAX_IMPORT_BATCH; i++) {
        batch.add(
            kept(
                Changes.adjustment(
                    item,
                    shop.id(),
                    INVENTORY_STATE_NONE,
                    INVENTORY_STATE_IN_STOCK,
                    BigDecimal.ONE,
                    start.plusSeconds(b * 1000L + i))));
      }
      batches.add(batch);
    }
    assertEquals(new ImportResult(3000, 0, 0, 0, List.of()), client.importChanges(batches));
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("3000")), countsAt(item, shop.id()));
  }

  @Test
  void anImportTheServerRefusesWholeIsAStockledgerException() {
    String address = required("STOCKLEDGER_ADDR");
    try (StockledgerClient stranger = StockledgerClient.connect(address, "not-a-token")) {
      StockledgerException e =
          assertThrows(
              StockledgerException.class,
              () ->
                  stranger.importChanges(
                      List.of(
                          List.of(
                              Changes.adjustment(
                                  UUID.randomUUID().toString(),
                                  UUID.randomUUID().toString(),
                                  INVENTORY_STATE_NONE,
                                  INVENTORY_STATE_IN_STOCK,
                                  BigDecimal.ONE)))));
      assertFalse(e.isLocal());
      assertEquals(Status.Code.UNAUTHENTICATED, e.code());
    }
  }
}
