package dev.stockledger.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_IN_STOCK;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_NONE;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_SOLD;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_WASTE;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import stockledger.v1.Inventory.BatchRetrieveInventoryChangesRequest;
import stockledger.v1.Inventory.BatchRetrieveInventoryChangesResponse;
import stockledger.v1.Inventory.BatchRetrieveInventoryCountsRequest;
import stockledger.v1.Inventory.InventoryAdjustment;
import stockledger.v1.Inventory.InventoryAdjustmentReasonDirection;
import stockledger.v1.Inventory.InventoryAdjustmentReasonType;
import stockledger.v1.Inventory.InventoryChange;
import stockledger.v1.Inventory.InventoryChangeType;
import stockledger.v1.Inventory.InventoryCount;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.RetrieveInventoryCountRequest;
import stockledger.v1.Inventory.StreamInventoryChangesRequest;
import stockledger.v1.Inventory.WatchInventoryCountsRequest;
import stockledger.v1.Inventory.WatchStart;
import stockledger.v1.InventoryItemOuterClass.ListInventoryItemsRequest;
import stockledger.v1.InventoryItemOuterClass.InventoryItem;
import stockledger.v1.LocationOuterClass.LocationStatus;
import stockledger.v1.ReservationOuterClass.ListReservationsRequest;
import stockledger.v1.ReservationOuterClass.ListReservationsResponse;
import stockledger.v1.ReservationOuterClass.ReservationState;

/**
 * End-to-end tests against a running server: {@code STOCKLEDGER_ADDR} (host:port) and
 * {@code STOCKLEDGER_TOKEN} (a token with every scope) must be set.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LiveServerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private StockledgerClient client;
  private String address;
  private Location location;

  @BeforeAll
  void connect() {
    address = required("STOCKLEDGER_ADDR");
    client = StockledgerClient.connect(address, required("STOCKLEDGER_TOKEN"));
    location = client.createLocation("Java corner shop " + UUID.randomUUID());
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
      fail(
          name
              + " is not set: these tests need a running server (STOCKLEDGER_ADDR=host:port) and a"
              + " token with every scope (STOCKLEDGER_TOKEN); scripts/clients-test.sh sets both");
    }
    return value;
  }

  private static BigDecimal dec(String s) {
    return new BigDecimal(s);
  }

  private Item newItem(String prefix) {
    return client.createItem(prefix + "-" + UUID.randomUUID());
  }

  /** state → quantity, for the counts of one location. */
  private static Map<InventoryState, BigDecimal> byState(List<Count> counts) {
    Map<InventoryState, BigDecimal> m = new TreeMap<>();
    for (Count c : counts) {
      m.put(c.state(), c.quantity());
    }
    return m;
  }

  private InventoryChange receive(String itemId, String qty) {
    return Changes.adjustment(
        itemId, location.id(), INVENTORY_STATE_NONE, INVENTORY_STATE_IN_STOCK, dec(qty));
  }

  @Test
  void createsLocationsAndItems() {
    assertFalse(location.id().isEmpty());
    assertEquals(LocationStatus.LOCATION_STATUS_ACTIVE, location.status());
    assertTrue(location.name().startsWith("Java corner shop "), location.name());
    assertFalse(location.forbidNegativeCounts());
    Instant created = location.createdAt().orElseThrow();
    assertTrue(Duration.between(created, Instant.now()).abs().compareTo(Duration.ofMinutes(5)) < 0, created.toString());

    String sku = "JAVA-" + UUID.randomUUID();
    Item item =
        client.createItem(
            InventoryItem.newBuilder().setSku(sku).setCost(Decimals.format(dec("25.00"), "cost")).build());
    assertFalse(item.id().isEmpty());
    assertEquals(sku, item.sku());
    assertEquals(Optional.of(dec("25")), item.cost());
    assertTrue(item.createdAt().isPresent());
    assertEquals(Optional.empty(), newItem("NOCOST").cost());

    // Read back: the same records.
    assertEquals(location, client.getLocation(location.id()));
    List<Location> locations = new ArrayList<>();
    client.listLocations().forEachRemaining(locations::add);
    assertTrue(locations.contains(location), "the location is listed");
    assertEquals(item, client.getItem(item.id()));
    List<Item> bySku = new ArrayList<>();
    client.listItems(ListInventoryItemsRequest.newBuilder().setSku(sku).build()).forEachRemaining(bySku::add);
    assertEquals(List.of(item), bySku);
  }

  @Test
  void theSeedsDay() {
    String item = newItem("MUG-RED").id();
    String here = location.id();

    BatchChangeResult day =
        client.batchChange(
            "day-1-" + item,
            Changes.adjustment(item, here, INVENTORY_STATE_NONE, INVENTORY_STATE_IN_STOCK, dec("100")),
            Changes.adjustment(item, here, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("3")),
            Changes.adjustment(item, here, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("1")),
            Changes.adjustment(item, here, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_WASTE, dec("2")));
    assertEquals(
        Map.of(INVENTORY_STATE_IN_STOCK, dec("94"), INVENTORY_STATE_WASTE, dec("2")),
        byState(day.counts()));
    assertEquals(4, day.changes().size());

    // Replaying the same idempotency key returns the original response and changes nothing.
    BatchChangeResult again =
        client.batchChange(
            "day-1-" + item,
            Changes.adjustment(item, here, INVENTORY_STATE_NONE, INVENTORY_STATE_IN_STOCK, dec("100")),
            Changes.adjustment(item, here, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("3")),
            Changes.adjustment(item, here, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("1")),
            Changes.adjustment(item, here, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_WASTE, dec("2")));
    assertEquals(day.changes(), again.changes());

    BatchChangeResult closing =
        client.batchChange(
            "close-1-" + item, Changes.physicalCount(item, here, INVENTORY_STATE_IN_STOCK, dec("93")));
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("93")), byState(closing.counts()));

    // Read the counts back: the helper, and the raw stub.
    assertEquals(
        Map.of(INVENTORY_STATE_IN_STOCK, dec("93"), INVENTORY_STATE_WASTE, dec("2")),
        byState(client.counts(item)));
    assertEquals(Optional.of(dec("93")), client.quantity(item, here, INVENTORY_STATE_IN_STOCK));
    assertEquals(Optional.empty(), client.quantity(item, here, INVENTORY_STATE_SOLD));
    List<InventoryCount> raw =
        StockledgerClient.call(
                () ->
                    client
                        .inventory()
                        .retrieveInventoryCount(
                            RetrieveInventoryCountRequest.newBuilder().setCatalogObjectId(item).build()))
            .getCountsList();
    assertEquals(2, raw.size());
    for (InventoryCount c : raw) {
      assertEquals(here, c.getLocationId());
      Instant at = Times.toInstant(c.getCalculatedAt());
      assertTrue(Duration.between(at, Instant.now()).abs().compareTo(Duration.ofMinutes(5)) < 0, at.toString());
    }

    List<String> written = new ArrayList<>();
    day.changes().forEach(c -> written.add(c.id()));
    closing.changes().forEach(c -> written.add(c.id()));

    // Page through the history two at a time until the cursor is empty.
    List<String> paged = new ArrayList<>();
    List<InventoryChangeType> types = new ArrayList<>();
    String cursor = "";
    int pages = 0;
    do {
      BatchRetrieveInventoryChangesRequest request =
          BatchRetrieveInventoryChangesRequest.newBuilder()
              .addCatalogObjectIds(item)
              .setLimit(2)
              .setCursor(cursor)
              .build();
      BatchRetrieveInventoryChangesResponse page =
          StockledgerClient.call(() -> client.inventory().batchRetrieveInventoryChanges(request));
      assertTrue(page.getChangesCount() <= 2);
      for (InventoryChange c : page.getChangesList()) {
        paged.add(Changes.id(c));
        types.add(c.getType());
      }
      cursor = page.getCursor();
      pages++;
      assertTrue(pages <= 10, "the cursor never ran out");
    } while (!cursor.isEmpty());
    assertTrue(pages >= 3, "5 changes at 2 a page take at least 3 pages, got " + pages);
    assertEquals(written, paged);
    assertEquals(5, new HashSet<>(paged).size());
    assertEquals(InventoryChangeType.INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT, types.get(4));

    // The same through the lazy pager.
    List<String> lazily = new ArrayList<>();
    client
        .changes(BatchRetrieveInventoryChangesRequest.newBuilder().addCatalogObjectIds(item).setLimit(2).build())
        .forEachRemaining(c -> lazily.add(c.id()));
    assertEquals(written, lazily);

    // And as one stream, consumed to its end.
    List<String> streamed = new ArrayList<>();
    try (ServerStream<StreamedChange> stream =
        client.streamChanges(StreamInventoryChangesRequest.newBuilder().addCatalogObjectIds(item).build())) {
      for (StreamedChange r : stream) {
        assertFalse(r.cursor().isEmpty());
        streamed.add(r.change().id());
      }
      assertFalse(stream.hasNext());
      // Ended: next(Duration) does not wait, it says so; and a stream is iterated once.
      assertThrows(NoSuchElementException.class, () -> stream.next(WAIT));
      assertThrows(IllegalStateException.class, stream::iterator);
    }
    assertEquals(written, streamed);

    // Every change typed: the kind a record, quantities BigDecimal, times Instant.
    Change.Adjustment first = assertInstanceOf(Change.Adjustment.class, day.changes().get(0));
    assertEquals(dec("100"), first.quantity());
    assertEquals(INVENTORY_STATE_NONE, first.fromState());
    assertEquals(INVENTORY_STATE_IN_STOCK, first.toState());
    assertEquals(item, first.catalogObjectId());
    assertEquals(here, first.locationId());
    assertEquals(Optional.empty(), first.cost());
    assertEquals(Optional.empty(), first.reasonId());
    assertTrue(Duration.between(first.createdAt(), Instant.now()).abs().compareTo(Duration.ofMinutes(5)) < 0);
    assertFalse(first.source().name().isEmpty(), "the token's application is the source");
    Change.PhysicalCount count = assertInstanceOf(Change.PhysicalCount.class, closing.changes().get(0));
    assertEquals(dec("93"), count.quantity());
    assertEquals(INVENTORY_STATE_IN_STOCK, count.state());
    assertEquals(first, client.retrieveAdjustment(first.id()));
    assertEquals(count, client.retrievePhysicalCount(count.id()));
    StockledgerException unknown =
        assertThrows(StockledgerException.class, () -> client.retrieveTransfer(UUID.randomUUID().toString()));
    assertEquals(Status.Code.NOT_FOUND, unknown.code());
    List<Count> counted = new ArrayList<>();
    client
        .counts(BatchRetrieveInventoryCountsRequest.newBuilder().addCatalogObjectIds(item).setLimit(1).build())
        .forEachRemaining(counted::add);
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("93"), INVENTORY_STATE_WASTE, dec("2")), byState(counted));
    Count afterClosing = closing.counts().get(0);
    assertEquals(new Count(item, here, INVENTORY_STATE_IN_STOCK, dec("93"), afterClosing.calculatedAt()), afterClosing);
  }

  @Test
  void watchesLiveThenResumesFromAToken() {
    String item = newItem("WATCHED").id();
    String token;
    try (ServerStream<WatchedChange> watch = client.watchChangesFromNow(item)) {
      assertTrue(watch.awaitStarted(WAIT), "the watch was not established in time");
      Change live = client.batchChange("live-" + item, receive(item, "5")).changes().get(0);
      WatchedChange event =
          watch.next(WAIT).orElseThrow(() -> new AssertionError("no live event within " + WAIT));
      assertEquals(live, event.change());
      assertTrue(event.sequence() > 0);
      assertFalse(event.resumeToken().isEmpty());
      token = event.resumeToken();
      // Nothing else was written for this item.
      assertEquals(Optional.empty(), watch.next(Duration.ofMillis(300)));
    }

    // Two more changes while nobody watches, then resume: exactly those two, in order.
    String second = client.batchChange("second-" + item, receive(item, "1")).changes().get(0).id();
    String third = client.batchChange("third-" + item, receive(item, "2")).changes().get(0).id();
    try (ServerStream<WatchedChange> resumed = client.resumeWatchChanges(token)) {
      WatchedChange a = resumed.next(WAIT).orElseThrow(() -> new AssertionError("nothing resumed"));
      WatchedChange b = resumed.next(WAIT).orElseThrow(() -> new AssertionError("only one resumed"));
      assertEquals(List.of(second, third), List.of(a.change().id(), b.change().id()));
      assertEquals(dec("2"), b.change().quantity());
      assertTrue(a.sequence() < b.sequence());
      assertEquals(Optional.empty(), resumed.next(Duration.ofMillis(500)), "more than the next two");
    }
  }

  @Test
  void watchesCountUpdates() {
    String item = newItem("COUNTED").id();
    try (ServerStream<WatchedCount> watch =
        client.watchCounts(
            WatchInventoryCountsRequest.newBuilder()
                .addCatalogObjectIds(item)
                .setStart(WatchStart.WATCH_START_NOW)
                .build())) {
      assertTrue(watch.awaitStarted(WAIT));
      client.batchChange("c1-" + item, receive(item, "7"));
      client.batchChange(
          "c2-" + item,
          Changes.adjustment(item, location.id(), INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("2.5")));
      WatchedCount a = watch.next(WAIT).orElseThrow(() -> new AssertionError("no count update"));
      WatchedCount b = watch.next(WAIT).orElseThrow(() -> new AssertionError("one count update only"));
      assertEquals(dec("7"), a.quantity());
      assertEquals(Optional.empty(), a.previousQuantity(), "the count did not exist before");
      assertEquals(Optional.of(dec("7")), b.previousQuantity());
      assertEquals(dec("4.5"), b.quantity());
      assertEquals(INVENTORY_STATE_IN_STOCK, b.state());
      assertEquals(InventoryChangeType.INVENTORY_CHANGE_TYPE_ADJUSTMENT, b.changeType());
      assertTrue(a.sequence() < b.sequence());
    }
  }

  @Test
  void reorderPointsRaiseTypedAlerts() {
    String item = newItem("ALERTED").id();
    ReorderPointSet set = client.setReorderPoint(item, location.id(), dec("2.5"));
    assertEquals(dec("2.5"), set.reorderPoint().reorderPoint());
    assertEquals(Optional.empty(), set.quantity(), "no count yet");
    assertTrue(set.low(), "an absent count reads as 0");
    var listed = client.reorderPoints(
        stockledger.v1.Inventory.ListInventoryReorderPointsRequest.newBuilder().addCatalogObjectIds(item).build());
    assertEquals(location.id(), listed.next().locationId());
    try (ServerStream<WatchedAlert> watch =
        client.watchAlerts(
            stockledger.v1.Inventory.WatchInventoryAlertsRequest.newBuilder()
                .addCatalogObjectIds(item)
                .setStart(WatchStart.WATCH_START_NOW)
                .build())) {
      assertTrue(watch.awaitStarted(WAIT));
      client.batchChange("a1-" + item, receive(item, "3"));
      client.batchChange(
          "a2-" + item,
          Changes.adjustment(item, location.id(), INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("1")));
      WatchedAlert recovered = watch.next(WAIT).orElseThrow(() -> new AssertionError("no alert"));
      WatchedAlert low = watch.next(WAIT).orElseThrow(() -> new AssertionError("one alert only"));
      assertEquals(stockledger.v1.Inventory.InventoryAlertKind.INVENTORY_ALERT_KIND_RECOVERED, recovered.kind());
      assertEquals(dec("3"), recovered.quantity());
      assertEquals(stockledger.v1.Inventory.InventoryAlertKind.INVENTORY_ALERT_KIND_LOW, low.kind());
      assertEquals(dec("2"), low.quantity());
      assertEquals(recovered.sequence() + 1, low.sequence());
    }
    client.deleteReorderPoint(item, location.id());
    StockledgerException again =
        assertThrows(StockledgerException.class, () -> client.deleteReorderPoint(item, location.id()));
    assertEquals(Status.Code.NOT_FOUND, again.code());
  }

  @Test
  void aRefusedRequestNamesTheField() {
    String item = newItem("REFUSED").id();
    // Six decimals: the client refuses them before anything is sent, as the server would.
    StockledgerException local =
        assertThrows(StockledgerException.class, () -> client.batchChange("bad-" + item, receive(item, "1.123456")));
    assertTrue(local.isLocal());
    assertEquals(Status.Code.INVALID_ARGUMENT, local.code());
    assertEquals("INVALID_VALUE", local.reason());
    assertEquals(Optional.of("changes[0].adjustment.quantity"), local.field());
    assertTrue(local.getMessage().contains("changes[0].adjustment.quantity"), local.getMessage());
    // The same in a reservation line, a guard and a commit.
    StockledgerException line =
        assertThrows(
            StockledgerException.class,
            () ->
                client.createReservation(
                    List.of(
                        Reservation.Line.of(item, location.id(), dec("1")),
                        Reservation.Line.of(item, location.id(), dec("0.0000001"))),
                    Duration.ofMinutes(1)));
    assertEquals(Optional.of("lines[1].quantity"), line.field());
    assertEquals("INVALID_VALUE", line.reason());
    StockledgerException guard =
        assertThrows(
            StockledgerException.class,
            () -> client.batchChange("bad-guard-" + item, receive(item, "1"), Changes.expect(receive(item, "1"), dec("0.1234567"))));
    assertEquals(Optional.of("changes[1].expected_quantity"), guard.field());
    // A missing token, too, is the one exception type.
    StockledgerException noToken =
        assertThrows(StockledgerException.class, () -> StockledgerClient.connect(address, " "));
    assertEquals(Status.Code.INVALID_ARGUMENT, noToken.code());
    assertEquals(Optional.of("token"), noToken.field());

    // The server's answer to the same change (sent by the raw stub, past the client's check).
    InventoryChange tooPrecise =
        InventoryChange.newBuilder()
            .setType(InventoryChangeType.INVENTORY_CHANGE_TYPE_ADJUSTMENT)
            .setAdjustment(
                InventoryAdjustment.newBuilder()
                    .setCatalogObjectId(item)
                    .setLocationId(location.id())
                    .setFromState(INVENTORY_STATE_NONE)
                    .setToState(INVENTORY_STATE_IN_STOCK)
                    .setQuantity("1.123456"))
            .build();
    StatusRuntimeException raw =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                client
                    .inventory()
                    .batchChangeInventory(
                        stockledger.v1.Inventory.BatchChangeInventoryRequest.newBuilder()
                            .setIdempotencyKey("raw-" + item)
                            .addChanges(tooPrecise)
                            .build()));
    StockledgerException server = StockledgerException.from(raw);
    assertFalse(server.isLocal());
    assertEquals("stockledger", server.domain());
    assertTrue(server.getMessage().contains("changes[0].adjustment.quantity"), server.getMessage());
    // Code, reason and field path: the client's refusal says what the server's says.
    assertEquals(
        List.of(server.code(), server.reason(), server.field()),
        List.of(local.code(), local.reason(), local.field()));
    assertEquals(server.domain(), local.domain());

    // Nothing was applied.
    assertEquals(List.of(), client.counts(item));
  }

  @Test
  void aWrongTokenIsUnauthenticated() {
    try (StockledgerClient stranger = StockledgerClient.connect(address, "not-a-token")) {
      StockledgerException e = assertThrows(StockledgerException.class, () -> stranger.createLocation("x"));
      assertEquals(Status.Code.UNAUTHENTICATED, e.code());
      ServerStream<WatchedChange> watch = stranger.watchChangesFromNow();
      StockledgerException w = assertThrows(StockledgerException.class, () -> watch.awaitStarted(WAIT));
      assertEquals(Status.Code.UNAUTHENTICATED, w.code());
      assertThrows(StockledgerException.class, watch::hasNext);
      watch.close();
    }
  }

  @Test
  void unknownAndMalformedIds() {
    StockledgerException missing =
        assertThrows(StockledgerException.class, () -> client.getItem(UUID.randomUUID().toString()));
    assertEquals(Status.Code.NOT_FOUND, missing.code());
    assertEquals("NOT_FOUND", missing.reason());

    StockledgerException malformed = assertThrows(StockledgerException.class, () -> client.getItem("not-an-id"));
    assertEquals(Status.Code.INVALID_ARGUMENT, malformed.code());
    assertEquals("INVALID_ID", malformed.reason());
    assertTrue(malformed.violation("id").isPresent(), malformed.fieldViolations().toString());

    Iterator<Change> none =
        client.changes(
            BatchRetrieveInventoryChangesRequest.newBuilder()
                .addCatalogObjectIds(newItem("EMPTY").id())
                .build());
    assertFalse(none.hasNext());
  }

  @Test
  void guardedChangesAreRefusedWithTypedOutcomes() {
    String run = UUID.randomUUID().toString();
    // A web shop: by default no batch may take one of its counts below zero.
    Location shop = client.createLocation("Java web shop " + run, true);
    assertTrue(shop.forbidNegativeCounts());
    String item = newItem("GUARD").id();
    String at = shop.id();
    var inStock = new StockledgerException.GuardedCount(item, at, INVENTORY_STATE_IN_STOCK);

    // expectAbsent: the first receipt, only if the count does not exist yet.
    InventoryChange firstReceipt =
        Changes.expectAbsent(
            Changes.adjustment(item, at, INVENTORY_STATE_NONE, INVENTORY_STATE_IN_STOCK, dec("10")));
    BatchChangeResult first = client.batchChange("absent-" + run, firstReceipt);
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("10")), byState(first.counts()));
    StockledgerException again =
        assertThrows(StockledgerException.class, () -> client.batchChange("absent-again-" + run, firstReceipt));
    assertTrue(again.isQuantityMismatch(), again.getMessage());
    assertEquals(Optional.of(dec("10")), again.actualQuantity());

    // Two guarded sales: the second expects 10 but finds what the first left.
    StockledgerException mismatch =
        assertThrows(
            StockledgerException.class,
            () ->
                client.batchChange(
                    "mismatch-" + run,
                    Changes.expect(
                        Changes.adjustment(item, at, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("1.5")),
                        dec("10")),
                    Changes.expect(
                        Changes.adjustment(item, at, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("1")),
                        dec("10.00"))));
    assertEquals(Status.Code.FAILED_PRECONDITION, mismatch.code());
    assertTrue(mismatch.isQuantityMismatch() && !mismatch.isInsufficientQuantity(), mismatch.getMessage());
    assertEquals(StockledgerException.QUANTITY_MISMATCH, mismatch.reason());
    assertEquals(Optional.of(dec("8.5")), mismatch.actualQuantity());
    assertEquals(Optional.empty(), mismatch.availableQuantity());
    assertEquals(Optional.of(inStock), mismatch.guardedCount());
    assertEquals("changes[1].expected_quantity", mismatch.metadata().get("field"));
    assertTrue(mismatch.violation("changes[1].expected_quantity").isPresent(), mismatch.getMessage());

    // Absent is not zero: a WASTE count that does not exist.
    StockledgerException absent =
        assertThrows(
            StockledgerException.class,
            () ->
                client.batchChange(
                    "absent-waste-" + run,
                    Changes.expect(Changes.physicalCount(item, at, INVENTORY_STATE_WASTE, dec("1")), dec("0"))));
    assertTrue(absent.isQuantityMismatch(), absent.getMessage());
    assertEquals(Optional.empty(), absent.actualQuantity());
    assertEquals(INVENTORY_STATE_WASTE, absent.guardedCount().orElseThrow().state());

    // Selling 11 of 10 at the web shop: refused with what was available.
    InventoryChange sellEleven =
        Changes.adjustment(item, at, INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_SOLD, dec("11"));
    StockledgerException shortOf =
        assertThrows(StockledgerException.class, () -> client.batchChange("short-" + run, sellEleven));
    assertEquals(Status.Code.FAILED_PRECONDITION, shortOf.code());
    assertTrue(shortOf.isInsufficientQuantity() && !shortOf.isQuantityMismatch(), shortOf.getMessage());
    assertEquals(StockledgerException.INSUFFICIENT_QUANTITY, shortOf.reason());
    assertEquals(Optional.of(dec("10")), shortOf.availableQuantity());
    assertEquals(Optional.empty(), shortOf.actualQuantity());
    assertEquals(Optional.of(inStock), shortOf.guardedCount());
    assertEquals("changes[0].adjustment.quantity", shortOf.metadata().get("field"));
    assertTrue(shortOf.violation("changes[0].adjustment.quantity").isPresent(), shortOf.getMessage());

    // The batch overrides the location's default; the matching guarded sale goes through.
    BatchChangeResult oversold =
        client.batchChange("oversold-" + run, false, Changes.expect(sellEleven, dec("10")));
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("-1")), byState(oversold.counts()));

    // And a batch can forbid what its location allows.
    String other = newItem("GUARD-BATCH").id();
    client.batchChange("in-" + run, receive(other, "2.25"));
    StockledgerException forbidden =
        assertThrows(
            StockledgerException.class,
            () ->
                client.batchChange(
                    "forbidden-" + run,
                    true,
                    Changes.adjustment(
                        other, location.id(), INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_WASTE, dec("3"))));
    assertEquals(Optional.of(dec("2.25")), forbidden.availableQuantity());
  }

  @Test
  void reservationsHoldCommitReleaseAndExpire() throws InterruptedException {
    String run = UUID.randomUUID().toString();
    String item = newItem("HOLD").id();
    String at = location.id();
    client.batchChange("stock-" + run, receive(item, "3"));

    // Reserve 2 of 3 (a fresh idempotency key is made).
    Reservation held =
        client.createReservation(null, "cart-" + run, List.of(Reservation.Line.of(item, at, dec("2"))), Duration.ofMinutes(5));
    assertEquals(ReservationState.RESERVATION_STATE_HELD, held.state());
    assertEquals("cart-" + run, held.referenceId());
    assertEquals(
        List.of(new Reservation.Line(item, at, dec("2"), BigDecimal.ZERO, BigDecimal.ZERO, dec("2"))), held.lines());
    assertTrue(held.expiresAt().isAfter(Instant.now()));
    assertTrue(held.createdAt().isPresent());
    assertEquals(held, client.getReservation(held.id()));

    // A second reservation of 2 is refused: 1 is available.
    StockledgerException shortOf =
        assertThrows(
            StockledgerException.class,
            () ->
                client.createReservation(
                    List.of(Reservation.Line.of(item, at, dec("2.00"))), Instant.now().plusSeconds(60)));
    assertTrue(shortOf.isInsufficientQuantity(), shortOf.getMessage());
    assertFalse(shortOf.isReservationNotHeld());
    assertEquals(Status.Code.FAILED_PRECONDITION, shortOf.code());
    assertEquals(Optional.of(dec("1")), shortOf.availableQuantity());
    assertEquals("lines[0].quantity", shortOf.metadata().get("field"));
    assertEquals(item, shortOf.guardedCount().orElseThrow().catalogObjectId());
    assertEquals(at, shortOf.guardedCount().orElseThrow().locationId());

    // Extend it, commit 1 (retried with the same key: nothing more), release the rest.
    Instant later = Instant.now().plus(Duration.ofMinutes(10));
    Reservation extended = client.extendReservation(held.id(), later);
    assertTrue(Duration.between(extended.expiresAt(), later).abs().compareTo(Duration.ofSeconds(1)) < 0);
    ReservationCommit commitOne =
        ReservationCommit.line(0, dec("1"))
            .withTotalPrice(dec("9.50"), "EUR")
            .withIdempotencyKey("commit-" + run);
    for (int attempt = 0; attempt < 2; attempt++) {
      Reservation committed = client.commitReservation(held.id(), commitOne);
      assertEquals(ReservationState.RESERVATION_STATE_HELD, committed.state());
      assertEquals(dec("1"), committed.lines().get(0).committedQuantity());
      assertEquals(dec("1"), committed.lines().get(0).heldQuantity());
    }
    Reservation released = client.releaseReservation(held.id());
    assertEquals(ReservationState.RESERVATION_STATE_RELEASED, released.state());
    assertEquals(
        new Reservation.Line(item, at, dec("2"), dec("1"), dec("1"), BigDecimal.ZERO), released.lines().get(0));
    assertEquals(Optional.of(dec("2")), client.quantity(item, at, INVENTORY_STATE_IN_STOCK));

    // Nothing is held any more.
    StockledgerException notHeld =
        assertThrows(StockledgerException.class, () -> client.commitReservation(held.id()));
    assertTrue(notHeld.isReservationNotHeld(), notHeld.getMessage());
    assertFalse(notHeld.isReservationExpired());
    assertEquals(Optional.of(ReservationState.RESERVATION_STATE_RELEASED), notHeld.reservationState());
    assertTrue(
        assertThrows(StockledgerException.class, () -> client.extendReservation(held.id(), Duration.ofMinutes(1)))
            .isReservationNotHeld());

    // A 1-second hold expires by itself.
    Reservation brief =
        client.createReservation(List.of(Reservation.Line.of(item, at, dec("0.5"))), Duration.ofSeconds(1));
    Thread.sleep(2_500);
    Reservation expired = client.getReservation(brief.id());
    assertEquals(ReservationState.RESERVATION_STATE_EXPIRED, expired.state());
    assertEquals(dec("0.5"), expired.lines().get(0).releasedQuantity());
    StockledgerException late =
        assertThrows(StockledgerException.class, () -> client.commitReservation(brief.id()));
    assertEquals(Optional.of(ReservationState.RESERVATION_STATE_EXPIRED), late.reservationState());
  }

  @Test
  void listsReservationsPageByPageByStateAndByReferenceId() {
    String run = UUID.randomUUID().toString();
    String item = newItem("LIST").id();
    String at = location.id();
    client.batchChange("list-stock-" + run, receive(item, "10"));

    // Three held reservations, each with its own reference id; the second is released.
    List<String> refs = List.of("order-" + run + "-0", "order-" + run + "-1", "order-" + run + "-2");
    List<String> ids = new ArrayList<>();
    for (String ref : refs) {
      ids.add(
          client
              .createReservation(null, ref, List.of(Reservation.Line.of(item, at, dec("1"))), Duration.ofMinutes(5))
              .id());
    }
    Reservation released = client.releaseReservation(ids.get(1));
    assertEquals(ReservationState.RESERVATION_STATE_RELEASED, released.state());

    // Every reservation, two a page (the class's other reservations are the merchant's too).
    ListReservationsResponse first =
        client.reservations().listReservations(ListReservationsRequest.newBuilder().setLimit(2).build());
    assertEquals(2, first.getReservationsCount());
    assertFalse(first.getCursor().isEmpty(), "more than one page");
    List<String> all = ids(client.listReservations(null, null, 2));
    assertEquals(all.size(), new HashSet<>(all).size(), "no reservation is listed twice");
    assertEquals(
        List.of(first.getReservations(0).getId(), first.getReservations(1).getId()), all.subList(0, 2));
    assertEquals(ids, ours(all, ids));
    assertEquals(ids, ours(ids(client.listReservations()), ids));

    // By state, and by reference id.
    assertEquals(
        List.of(ids.get(0), ids.get(2)),
        ours(ids(client.listReservations(ReservationState.RESERVATION_STATE_HELD, null, 2)), ids));
    assertEquals(
        List.of(ids.get(1)),
        ours(ids(client.listReservations(ReservationState.RESERVATION_STATE_RELEASED, "", 2)), ids));
    List<Reservation> byReference = new ArrayList<>();
    client.listReservations(null, refs.get(1), 0).forEachRemaining(byReference::add);
    assertEquals(List.of(released), byReference);
    assertEquals(
        List.of(ids.get(2)),
        ids(client.listReservations(ReservationState.RESERVATION_STATE_HELD, refs.get(2), 0)));
    assertFalse(
        client.listReservations(ReservationState.RESERVATION_STATE_RELEASED, refs.get(2), 0).hasNext());

    // A refused page throws StockledgerException.
    StockledgerException refused =
        assertThrows(StockledgerException.class, () -> client.listReservations(null, null, 251).hasNext());
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.code());
  }

  private static List<String> ids(Iterator<Reservation> reservations) {
    List<String> ids = new ArrayList<>();
    reservations.forEachRemaining(r -> ids.add(r.id()));
    return ids;
  }

  /** The ids of {@code listed} that are among {@code mine}, in listed order. */
  private static List<String> ours(List<String> listed, List<String> mine) {
    return listed.stream().filter(mine::contains).toList();
  }

  @Test
  void adjustmentReasons() {
    String item = newItem("MUG-REASON").id();
    String name = "Found in the back room " + UUID.randomUUID();
    InventoryAdjustmentReasonDirection increase =
        InventoryAdjustmentReasonDirection.INVENTORY_ADJUSTMENT_REASON_DIRECTION_INCREASE;
    AdjustmentReason reason = client.createAdjustmentReason(name, increase);
    ReasonId id = reason.id();
    assertEquals(InventoryAdjustmentReasonType.INVENTORY_ADJUSTMENT_REASON_TYPE_CUSTOM, id.type());
    assertFalse(id.customReasonId().isEmpty());
    assertEquals(name, reason.name());
    assertEquals(increase, reason.direction());
    assertFalse(reason.deleted());
    assertTrue(reason.createdAt().isPresent());

    // Listed with the standard reasons, and retrievable.
    List<AdjustmentReason> listed = client.listAdjustmentReasons();
    assertEquals(List.of(reason), listed.stream().filter(r -> r.id().equals(id)).toList());
    ReasonId damaged =
        Changes.reasonId(InventoryAdjustmentReasonType.INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED);
    assertTrue(listed.stream().anyMatch(r -> r.id().equals(damaged)), "DAMAGED is listed");
    assertEquals(reason, client.retrieveAdjustmentReason(Changes.customReasonId(id.customReasonId())));

    // A receipt carrying the reason, a cost and a vendor is answered with them.
    String vendor = "vendor-" + UUID.randomUUID();
    InventoryChange receipt =
        Changes.withVendor(Changes.withCost(Changes.withReason(receive(item, "7"), id), dec("12.50"), "EUR"), vendor);
    InventoryChange waste =
        Changes.withReason(
            Changes.adjustment(item, location.id(), INVENTORY_STATE_IN_STOCK, INVENTORY_STATE_WASTE, dec("1")),
            damaged);
    BatchChangeResult received = client.batchChange("reason-in-" + item, receipt, waste);
    Change.Adjustment answered = assertInstanceOf(Change.Adjustment.class, received.changes().get(0));
    assertEquals(Optional.of(id), answered.reasonId());
    assertEquals(Optional.of(new Money(dec("12.5"), "EUR")), answered.cost());
    assertEquals(vendor, answered.vendorId());
    assertEquals(Optional.of(damaged), received.changes().get(1).reasonId());

    // The history filtered by the reason: exactly that change, on both reads.
    List<String> history = new ArrayList<>();
    client
        .changes(
            BatchRetrieveInventoryChangesRequest.newBuilder()
                .addCatalogObjectIds(item)
                .addReasonIds(id.toProto())
                .build())
        .forEachRemaining(c -> history.add(c.id()));
    assertEquals(List.of(answered.id()), history);
    List<String> streamed = new ArrayList<>();
    try (ServerStream<StreamedChange> stream =
        client.streamChanges(
            StreamInventoryChangesRequest.newBuilder().addCatalogObjectIds(item).addReasonIds(id.toProto()).build())) {
      stream.forEachRemaining(m -> streamed.add(m.change().id()));
    }
    assertEquals(List.of(answered.id()), streamed);

    AdjustmentReason renamed = client.updateAdjustmentReason(id, name + " (renamed)");
    assertEquals(name + " (renamed)", renamed.name());
    assertEquals(increase, renamed.direction());
    assertTrue(renamed.updatedAt().isPresent());

    // Deleted: no longer listed, and a new change naming it is refused.
    assertTrue(client.deleteAdjustmentReason(id).deleted());
    assertFalse(client.listAdjustmentReasons().stream().anyMatch(r -> r.id().equals(id)), "a deleted reason is listed");
    assertTrue(client.listAdjustmentReasons(true, false).stream().anyMatch(r -> r.id().equals(id)));
    StockledgerException refused =
        assertThrows(
            StockledgerException.class,
            () -> client.batchChange("reason-deleted-" + item, Changes.withReason(receive(item, "1"), id)));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.code());
    assertEquals("ADJUSTMENT_REASON_DELETED", refused.reason());
    StockledgerException stale =
        assertThrows(StockledgerException.class, () -> client.updateAdjustmentReason(id, name + " again"));
    assertEquals(Status.Code.FAILED_PRECONDITION, stale.code());
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("6"), INVENTORY_STATE_WASTE, dec("1")), byState(client.counts(item)));

    // Restored: accepted again.
    AdjustmentReason restored = client.restoreAdjustmentReason(id);
    assertFalse(restored.deleted());
    assertEquals(name + " (renamed)", restored.name());
    BatchChangeResult again =
        client.batchChange("reason-restored-" + item, Changes.withReason(receive(item, "1"), id));
    assertEquals(Optional.of(id), again.changes().get(0).reasonId());
    assertEquals(Map.of(INVENTORY_STATE_IN_STOCK, dec("7")), byState(again.counts()));
  }
}
