package dev.stockledger.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import stockledger.v1.Inventory.BatchChangeInventoryRequest;
import stockledger.v1.Inventory.BatchRetrieveInventoryChangesRequest;
import stockledger.v1.Inventory.BatchRetrieveInventoryChangesResponse;
import stockledger.v1.Inventory.BatchRetrieveInventoryCountsRequest;
import stockledger.v1.Inventory.BatchRetrieveInventoryCountsResponse;
import stockledger.v1.Inventory.RetrieveInventoryAdjustmentRequest;
import stockledger.v1.Inventory.RetrieveInventoryPhysicalCountRequest;
import stockledger.v1.Inventory.RetrieveInventoryTransferRequest;
import stockledger.v1.Inventory.CreateInventoryAdjustmentReasonRequest;
import stockledger.v1.Inventory.DeleteInventoryAdjustmentReasonRequest;
import stockledger.v1.Inventory.InventoryAdjustmentReason;
import stockledger.v1.Inventory.InventoryAdjustmentReasonDirection;
import stockledger.v1.Inventory.ImportInventoryChangesRequest;
import stockledger.v1.Inventory.InventoryChange;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.Inventory.ListInventoryAdjustmentReasonsRequest;
import stockledger.v1.Inventory.RestoreInventoryAdjustmentReasonRequest;
import stockledger.v1.Inventory.RetrieveInventoryAdjustmentReasonRequest;
import stockledger.v1.Inventory.RetrieveInventoryCountRequest;
import stockledger.v1.Inventory.RetrieveInventoryCountResponse;
import stockledger.v1.Inventory.Product;
import stockledger.v1.Inventory.SourceApplication;
import stockledger.v1.Inventory.StreamInventoryChangesRequest;
import stockledger.v1.Inventory.UpdateInventoryAdjustmentReasonRequest;
import stockledger.v1.Inventory.WatchInventoryChangesRequest;
import stockledger.v1.Inventory.WatchInventoryCountsRequest;
import stockledger.v1.Inventory.WatchInventoryAlertsRequest;
import stockledger.v1.Inventory.SetInventoryReorderPointRequest;
import stockledger.v1.Inventory.DeleteInventoryReorderPointRequest;
import stockledger.v1.Inventory.ListInventoryReorderPointsRequest;
import stockledger.v1.Inventory.ListInventoryReorderPointsResponse;
import stockledger.v1.Inventory.WatchStart;
import stockledger.v1.InventoryItemOuterClass.BatchGetInventoryItemsRequest;
import stockledger.v1.InventoryItemOuterClass.CreateInventoryItemRequest;
import stockledger.v1.InventoryItemOuterClass.GetInventoryItemRequest;
import stockledger.v1.InventoryItemOuterClass.ListInventoryItemsRequest;
import stockledger.v1.InventoryItemOuterClass.ListInventoryItemsResponse;
import stockledger.v1.InventoryItemOuterClass.InventoryItem;
import stockledger.v1.InventoryItemOuterClass.UpdateInventoryItemRequest;
import stockledger.v1.InventoryItemServiceGrpc;
import stockledger.v1.InventoryServiceGrpc;
import stockledger.v1.LocationOuterClass.CreateLocationRequest;
import stockledger.v1.LocationOuterClass.GetLocationRequest;
import stockledger.v1.LocationOuterClass.ListLocationsRequest;
import stockledger.v1.LocationOuterClass.ListLocationsResponse;
import stockledger.v1.LocationOuterClass.UpdateLocationRequest;
import stockledger.v1.LocationOuterClass;
import stockledger.v1.LocationServiceGrpc;
import stockledger.v1.ReservationOuterClass.CommitLine;
import stockledger.v1.ReservationOuterClass.CommitReservationRequest;
import stockledger.v1.ReservationOuterClass.CreateReservationRequest;
import stockledger.v1.ReservationOuterClass.ExtendReservationRequest;
import stockledger.v1.ReservationOuterClass.GetReservationRequest;
import stockledger.v1.ReservationOuterClass.ListReservationsRequest;
import stockledger.v1.ReservationOuterClass.ListReservationsResponse;
import stockledger.v1.ReservationOuterClass.ReleaseReservationRequest;
import stockledger.v1.ReservationOuterClass.ReservationState;
import stockledger.v1.ReservationServiceGrpc;

/**
 * A connection to a Stockledger server. Every call carries {@code authorization: Bearer <token>}.
 *
 * <pre>{@code
 * try (var client = StockledgerClient.connect("127.0.0.1:50051", token)) {
 *   var counts = client.batchChange("day-1", Changes.adjustment(item, location,
 *       INVENTORY_STATE_NONE, INVENTORY_STATE_IN_STOCK, new BigDecimal("100")));
 * }
 * }</pre>
 *
 * <p>The convenience methods throw {@link StockledgerException} on failure. The raw blocking stubs
 * ({@link #inventory()}, {@link #items()}, {@link #locations()}, {@link #reservations()}) throw gRPC's
 * {@link StatusRuntimeException}; wrap a raw call in {@link #call(Supplier)} to get a
 * {@link StockledgerException} instead.
 */
public final class StockledgerClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final Channel authenticated;
  private final InventoryServiceGrpc.InventoryServiceBlockingStub inventory;
  private final InventoryServiceGrpc.InventoryServiceStub inventoryAsync;
  private final InventoryItemServiceGrpc.InventoryItemServiceBlockingStub items;
  private final LocationServiceGrpc.LocationServiceBlockingStub locations;
  private final ReservationServiceGrpc.ReservationServiceBlockingStub reservations;

  private StockledgerClient(ManagedChannel channel, String token) {
    this.channel = channel;
    this.authenticated = ClientInterceptors.intercept(channel, new BearerToken(token));
    this.inventory = InventoryServiceGrpc.newBlockingStub(authenticated);
    this.inventoryAsync = InventoryServiceGrpc.newStub(authenticated);
    this.items = InventoryItemServiceGrpc.newBlockingStub(authenticated);
    this.locations = LocationServiceGrpc.newBlockingStub(authenticated);
    this.reservations = ReservationServiceGrpc.newBlockingStub(authenticated);
  }

  /**
   * Opens a plaintext connection to {@code address} ({@code host:port}). The channel connects
   * lazily: an unreachable server shows on the first call, as {@code UNAVAILABLE}. For TLS, see
   * {@link #builder(String, String)}.
   */
  public static StockledgerClient connect(String address, String token) {
    return builder(address, token).build();
  }

  /**
   * A client to be configured before it connects: plaintext unless a TLS setting is given.
   *
   * <pre>{@code
   * var client = StockledgerClient.builder("ledger.example.com:50051", token)
   *     .trustedCertificates(Path.of("ca.pem"))                           // else the system's CAs: .tls()
   *     .clientCertificate(Path.of("client.pem"), Path.of("client.key"))  // mutual TLS
   *     .build();
   * }</pre>
   */
  public static Builder builder(String address, String token) {
    return new Builder(address, token);
  }

  /**
   * Settings of a connection, from {@link #builder(String, String)}; {@link #build()} checks them
   * and opens the connection. Every TLS setting turns TLS on.
   */
  public static final class Builder {
    private final String address;
    private final String token;
    private final TlsSettings tls = new TlsSettings();

    private Builder(String address, String token) {
      this.address = address;
      this.token = token;
    }

    /** Connects over TLS, trusting the system's certificate authorities unless told otherwise. */
    public Builder tls() {
      tls.enabled = true;
      return this;
    }

    /**
     * Connects over TLS, trusting the certificate authorities of this PEM file (one or more
     * certificates) instead of the system's to sign the server's certificate. Read by {@link
     * #build()}.
     */
    public Builder trustedCertificates(Path caCertificatesPem) {
      tls.trusted = TlsSettings.Pem.of("trustedCertificates", caCertificatesPem);
      return tls();
    }

    /** As {@link #trustedCertificates(Path)}, with the PEM text itself. */
    public Builder trustedCertificates(byte[] caCertificatesPem) {
      tls.trusted = TlsSettings.Pem.of("trustedCertificates", caCertificatesPem);
      return tls();
    }

    /**
     * Connects over TLS presenting this client certificate (PEM, leaf first) and its private key
     * (PEM, PKCS#8), for a server that asks for one (mutual TLS). Read by {@link #build()}.
     */
    public Builder clientCertificate(Path certificateChainPem, Path privateKeyPem) {
      tls.certificate = TlsSettings.Pem.of("clientCertificate.certificateChain", certificateChainPem);
      tls.key = TlsSettings.Pem.of("clientCertificate.privateKey", privateKeyPem);
      return tls();
    }

    /** As {@link #clientCertificate(Path, Path)}, with the PEM texts themselves. */
    public Builder clientCertificate(byte[] certificateChainPem, byte[] privateKeyPem) {
      tls.certificate = TlsSettings.Pem.of("clientCertificate.certificateChain", certificateChainPem);
      tls.key = TlsSettings.Pem.of("clientCertificate.privateKey", privateKeyPem);
      return tls();
    }

    /**
     * Connects over TLS, requiring the server's certificate to be valid for {@code name} rather
     * than the address's host (e.g. {@code localhost} when connecting to an IP address); also
     * the call's authority.
     */
    public Builder serverName(String name) {
      if (name == null || name.isBlank()) {
        throw StockledgerException.local(
            Status.Code.INVALID_ARGUMENT, "MISSING_REQUIRED_PARAMETER", "serverName", "a server name is required");
      }
      tls.serverName = name.strip();
      return tls();
    }

    /**
     * Checks the settings (reading the files given as paths) and opens the channel, lazily: a
     * server that cannot be reached, refuses the handshake or is not trusted shows on the first
     * call, as {@code UNAVAILABLE}. An address or token missing, or a file unreadable or not the
     * PEM it should be, is a {@link StockledgerException} ({@code INVALID_ARGUMENT}, {@link
     * StockledgerException#isLocal()}) naming the setting.
     */
    public StockledgerClient build() {
      if (address == null || address.isBlank()) {
        throw StockledgerException.local(
            Status.Code.INVALID_ARGUMENT,
            "MISSING_REQUIRED_PARAMETER",
            "address",
            "an address (host:port) is required");
      }
      BearerToken.check(token);
      var channelBuilder = Grpc.newChannelBuilder(address.strip(), tls.credentials());
      if (tls.serverName != null) {
        channelBuilder.overrideAuthority(tls.serverName);
      }
      return new StockledgerClient(channelBuilder.build(), token);
    }
  }

  /** Uses a channel built elsewhere (TLS, custom executors); {@link #close()} shuts it down. */
  public static StockledgerClient wrap(ManagedChannel channel, String token) {
    BearerToken.check(token);
    return new StockledgerClient(channel, token);
  }

  /** The raw blocking stub of InventoryService (token attached). */
  public InventoryServiceGrpc.InventoryServiceBlockingStub inventory() {
    return inventory;
  }

  /** The raw blocking stub of InventoryItemService (token attached). */
  public InventoryItemServiceGrpc.InventoryItemServiceBlockingStub items() {
    return items;
  }

  /** The raw blocking stub of LocationService (token attached). */
  public LocationServiceGrpc.LocationServiceBlockingStub locations() {
    return locations;
  }

  /** The raw blocking stub of ReservationService (token attached). */
  public ReservationServiceGrpc.ReservationServiceBlockingStub reservations() {
    return reservations;
  }

  /** The channel with the token attached, for async or future stubs: {@code InventoryServiceGrpc.newStub(client.channel())}. */
  public Channel channel() {
    return authenticated;
  }

  /** Runs a raw stub call, turning a gRPC failure into {@link StockledgerException}. */
  public static <T> T call(Supplier<T> rawCall) {
    try {
      return rawCall.get();
    } catch (StatusRuntimeException e) {
      throw StockledgerException.from(e);
    }
  }

  // --- Locations and items -------------------------------------------------------------------

  /** Creates an active location with this name. */
  public Location createLocation(String name) {
    return createLocation(name, false);
  }

  /**
   * Creates an active location with this name; with {@code forbidNegativeCounts}, a batch that
   * does not say otherwise may not leave a count of it that it lowers below zero.
   */
  public Location createLocation(String name, boolean forbidNegativeCounts) {
    CreateLocationRequest request =
        CreateLocationRequest.newBuilder()
            .setLocation(
                LocationOuterClass.Location.newBuilder()
                    .setName(name)
                    .setForbidNegativeCounts(forbidNegativeCounts))
            .build();
    return Location.fromProto(call(() -> locations.createLocation(request)).getLocation());
  }

  /** One location by its id ({@code NOT_FOUND} if there is none). */
  public Location getLocation(String id) {
    GetLocationRequest request = GetLocationRequest.newBuilder().setId(id).build();
    return Location.fromProto(call(() -> locations.getLocation(request)).getLocation());
  }

  /** Every location, active and inactive, fetching page after page lazily. */
  public Iterator<Location> listLocations() {
    return listLocations(ListLocationsRequest.getDefaultInstance());
  }

  /** The locations matching a request built by hand (a status), page after page lazily. */
  public Iterator<Location> listLocations(ListLocationsRequest request) {
    return new Pages<>(
        request.getCursor(),
        cursor -> {
          ListLocationsRequest page = request.toBuilder().setCursor(cursor).build();
          ListLocationsResponse response = call(() -> locations.listLocations(page));
          return new Pages.Page<>(
              response.getLocationsList().stream().map(Location::fromProto).toList(),
              response.getCursor());
        });
  }

  /**
   * Changes exactly the fields {@code update} sets ({@code LocationUpdate.of(id).name("Back
   * room")}) and returns the location as stored after it.
   */
  public Location updateLocation(LocationUpdate update) {
    UpdateLocationRequest request = update.toRequest();
    return Location.fromProto(call(() -> locations.updateLocation(request)).getLocation());
  }

  /** One inventory item by its id ({@code NOT_FOUND} if there is none). */
  public Item getItem(String id) {
    GetInventoryItemRequest request = GetInventoryItemRequest.newBuilder().setId(id).build();
    return Item.fromProto(call(() -> items.getInventoryItem(request)).getInventoryItem());
  }

  /**
   * The items with these ids (1–100), in the order asked, each once; an id naming no item of
   * yours is left out (compare ids to see which).
   */
  public List<Item> batchGetItems(List<String> ids) {
    BatchGetInventoryItemsRequest request = BatchGetInventoryItemsRequest.newBuilder().addAllIds(ids).build();
    return call(() -> items.batchGetInventoryItems(request)).getInventoryItemsList().stream()
        .map(Item::fromProto)
        .toList();
  }

  /** Every inventory item, fetching page after page lazily. */
  public Iterator<Item> listItems() {
    return listItems(ListInventoryItemsRequest.getDefaultInstance());
  }

  /** The items matching a request built by hand (a SKU, ids, updated after), page after page lazily. */
  public Iterator<Item> listItems(ListInventoryItemsRequest request) {
    return new Pages<>(
        request.getCursor(),
        cursor -> {
          ListInventoryItemsRequest page = request.toBuilder().setCursor(cursor).build();
          ListInventoryItemsResponse response = call(() -> items.listInventoryItems(page));
          return new Pages.Page<>(
              response.getInventoryItemsList().stream().map(Item::fromProto).toList(),
              response.getCursor());
        });
  }

  /** Creates an inventory item with only a SKU. */
  public Item createItem(String sku) {
    return createItem(InventoryItem.newBuilder().setSku(sku).build());
  }

  /** Creates an inventory item (cost via {@code Decimals.format(cost, "cost")}); returns it with its id. */
  public Item createItem(InventoryItem item) {
    CreateInventoryItemRequest request =
        CreateInventoryItemRequest.newBuilder().setInventoryItem(item).build();
    return Item.fromProto(call(() -> items.createInventoryItem(request)).getInventoryItem());
  }

  /**
   * Changes exactly the fields {@code update} sets ({@code ItemUpdate.of(id).tracked(false)})
   * and returns the item as stored after it.
   */
  public Item updateItem(ItemUpdate update) {
    UpdateInventoryItemRequest request = update.toRequest();
    return Item.fromProto(call(() -> items.updateInventoryItem(request)).getInventoryItem());
  }

  // --- The ledger ----------------------------------------------------------------------------

  /**
   * Applies changes atomically (all or none). Sending the same idempotency key again returns the
   * original response and changes nothing.
   */
  public BatchChangeResult batchChange(String idempotencyKey, List<InventoryChange> changes) {
    return batchChange(
        BatchChangeInventoryRequest.newBuilder()
            .setIdempotencyKey(idempotencyKey)
            .addAllChanges(changes)
            .build());
  }

  /** Same as {@link #batchChange(String, List)}. */
  public BatchChangeResult batchChange(String idempotencyKey, InventoryChange... changes) {
    return batchChange(idempotencyKey, List.of(changes));
  }

  /**
   * Same as {@link #batchChange(String, List)}, overriding the locations' default: with {@code
   * forbidNegativeCounts} no count the batch lowers may end below zero (refused: {@link
   * StockledgerException#isInsufficientQuantity()}); without, counts may go negative.
   */
  public BatchChangeResult batchChange(
      String idempotencyKey, boolean forbidNegativeCounts, List<InventoryChange> changes) {
    return batchChange(
        BatchChangeInventoryRequest.newBuilder()
            .setIdempotencyKey(idempotencyKey)
            .addAllChanges(changes)
            .setForbidNegativeCounts(forbidNegativeCounts)
            .build());
  }

  /** Same as {@link #batchChange(String, boolean, List)}. */
  public BatchChangeResult batchChange(
      String idempotencyKey, boolean forbidNegativeCounts, InventoryChange... changes) {
    return batchChange(idempotencyKey, forbidNegativeCounts, List.of(changes));
  }

  /**
   * Sends a request built by hand (e.g. with {@code ignore_unchanged_counts}). A decimal the
   * server would refuse as malformed or too precise is refused first, naming the same field
   * ({@code changes[0].adjustment.quantity}; {@link StockledgerException#isLocal()}).
   */
  public BatchChangeResult batchChange(BatchChangeInventoryRequest request) {
    checkDecimals(request);
    return BatchChangeResult.fromProto(call(() -> inventory.batchChangeInventory(request)));
  }

  private static void checkDecimals(BatchChangeInventoryRequest request) {
    for (int i = 0; i < request.getChangesCount(); i++) {
      checkDecimals(request.getChanges(i), "changes[" + i + "].");
    }
  }

  /** Refuses a decimal of {@code change} the server would refuse, naming {@code at} + its path. */
  private static void checkDecimals(InventoryChange change, String at) {
    switch (change.getChangeCase()) {
      case ADJUSTMENT -> {
        var adjustment = change.getAdjustment();
        Decimals.check(adjustment.getQuantity(), at + "adjustment.quantity");
        Decimals.check(adjustment.getTotalPriceMoney().getAmount(), at + "adjustment.total_price_money.amount");
        Decimals.check(adjustment.getCostMoney().getAmount(), at + "adjustment.cost_money.amount");
      }
      case PHYSICAL_COUNT -> Decimals.check(change.getPhysicalCount().getQuantity(), at + "physical_count.quantity");
      case TRANSFER -> Decimals.check(change.getTransfer().getQuantity(), at + "transfer.quantity");
      case CHANGE_NOT_SET -> {}
    }
    if (change.hasExpectedQuantity() && !Changes.ABSENT.equals(change.getExpectedQuantity())) {
      Decimals.check(change.getExpectedQuantity(), at + "expected_quantity");
    }
  }

  /**
   * Brings in recorded history (token scope {@code INVENTORY_IMPORT}): one message per batch of
   * 1–1000 changes, each batch applied whole or not at all, {@code occurred_at} any past time.
   * A change may keep its own id ({@link Changes#withId}): one whose id the merchant already has
   * is skipped, and a batch sent again is too, so importing the same batches again changes
   * nothing. A change the server refuses does not end the call: it and its batch are counted in
   * the answer ({@link ImportResult#refusedChanges()}: its index across all batches and its
   * field), and the next batches go on.
   *
   * <p>The client refuses before sending anything ({@link StockledgerException#isLocal()}): an
   * empty batch or one of more than 1000 changes ({@code batches[1].changes}) and a decimal the
   * server would refuse as malformed or too precise ({@code
   * batches[0].changes[2].adjustment.quantity}).
   */
  public ImportResult importChanges(List<? extends List<InventoryChange>> batches) {
    return importChanges(batches, null, null);
  }

  /**
   * Same as {@link #importChanges(List)}, recording where the history comes from on the changes
   * that carry no source of their own: {@code product} (null: {@code PRODUCT_EXTERNAL_API}) and
   * {@code sourceName} (null or empty: the token's application name). Their application id is
   * always the token's.
   */
  public ImportResult importChanges(
      List<? extends List<InventoryChange>> batches, Product product, String sourceName) {
    List<ImportInventoryChangesRequest> messages = new ArrayList<>(batches.size());
    for (int b = 0; b < batches.size(); b++) {
      List<InventoryChange> batch = batches.get(b);
      String at = "batches[" + b + "].";
      if (batch.isEmpty() || batch.size() > MAX_IMPORT_BATCH) {
        throw StockledgerException.local(
            Status.Code.INVALID_ARGUMENT,
            batch.isEmpty() ? "ARRAY_LENGTH_TOO_SHORT" : "ARRAY_LENGTH_TOO_LONG",
            at + "changes",
            "a batch holds 1–" + MAX_IMPORT_BATCH + " changes, this one " + batch.size());
      }
      ImportInventoryChangesRequest.Builder message =
          ImportInventoryChangesRequest.newBuilder().addAllChanges(batch);
      if (product != null || sourceName != null) {
        SourceApplication.Builder source = SourceApplication.newBuilder();
        if (product != null) {
          source.setProduct(product);
        }
        if (sourceName != null) {
          source.setName(sourceName);
        }
        message.setSource(source);
      }
      for (int i = 0; i < batch.size(); i++) {
        checkDecimals(batch.get(i), at + "changes[" + i + "].");
      }
      messages.add(message.build());
    }
    return ImportResult.fromProto(ClientStream.send(inventoryAsync::importInventoryChanges, messages));
  }

  /** The most changes one message of {@link #importChanges} may hold. */
  public static final int MAX_IMPORT_BATCH = 1000;

  /** Every current count of an item (all its pages), optionally only at these locations. */
  public List<Count> counts(String itemId, String... locationIds) {
    List<Count> all = new ArrayList<>();
    String cursor = "";
    do {
      RetrieveInventoryCountRequest request =
          RetrieveInventoryCountRequest.newBuilder()
              .setCatalogObjectId(itemId)
              .addAllLocationIds(List.of(locationIds))
              .setCursor(cursor)
              .build();
      RetrieveInventoryCountResponse page = call(() -> inventory.retrieveInventoryCount(request));
      page.getCountsList().forEach(count -> all.add(Count.fromProto(count)));
      cursor = page.getCursor();
    } while (!cursor.isEmpty());
    return all;
  }

  /**
   * The current quantity of an item at a location in a state; empty when that count was never
   * touched (absent is not zero).
   */
  public Optional<BigDecimal> quantity(String itemId, String locationId, InventoryState state) {
    return counts(itemId, locationId).stream()
        .filter(c -> c.state() == state && c.locationId().equals(locationId))
        .findFirst()
        .map(Count::quantity);
  }

  /**
   * The history matching {@code request}, oldest first, fetching page after page lazily
   * (the request's {@code limit} is the page size).
   */
  public Iterator<Change> changes(BatchRetrieveInventoryChangesRequest request) {
    return new Pages<>(
        request.getCursor(),
        cursor -> {
          BatchRetrieveInventoryChangesRequest page = request.toBuilder().setCursor(cursor).build();
          BatchRetrieveInventoryChangesResponse response =
              call(() -> inventory.batchRetrieveInventoryChanges(page));
          return new Pages.Page<>(
              response.getChangesList().stream().map(Change::fromProto).toList(), response.getCursor());
        });
  }

  /** One adjustment by its id ({@code NOT_FOUND} if there is none). */
  public Change.Adjustment retrieveAdjustment(String adjustmentId) {
    RetrieveInventoryAdjustmentRequest request =
        RetrieveInventoryAdjustmentRequest.newBuilder().setAdjustmentId(adjustmentId).build();
    return Change.Adjustment.fromProto(call(() -> inventory.retrieveInventoryAdjustment(request)).getAdjustment());
  }

  /** One physical count by its id ({@code NOT_FOUND} if there is none). */
  public Change.PhysicalCount retrievePhysicalCount(String physicalCountId) {
    RetrieveInventoryPhysicalCountRequest request =
        RetrieveInventoryPhysicalCountRequest.newBuilder().setPhysicalCountId(physicalCountId).build();
    return Change.PhysicalCount.fromProto(
        call(() -> inventory.retrieveInventoryPhysicalCount(request)).getPhysicalCount());
  }

  /** One transfer by its id ({@code NOT_FOUND} if there is none). */
  public Change.Transfer retrieveTransfer(String transferId) {
    RetrieveInventoryTransferRequest request =
        RetrieveInventoryTransferRequest.newBuilder().setTransferId(transferId).build();
    return Change.Transfer.fromProto(call(() -> inventory.retrieveInventoryTransfer(request)).getTransfer());
  }

  /**
   * The counts matching a request built by hand (items, locations, states, {@code as_of}),
   * fetching page after page lazily.
   */
  public Iterator<Count> counts(BatchRetrieveInventoryCountsRequest request) {
    return new Pages<>(
        request.getCursor(),
        cursor -> {
          BatchRetrieveInventoryCountsRequest page = request.toBuilder().setCursor(cursor).build();
          BatchRetrieveInventoryCountsResponse response =
              call(() -> inventory.batchRetrieveInventoryCounts(page));
          return new Pages.Page<>(
              response.getCountsList().stream().map(Count::fromProto).toList(), response.getCursor());
        });
  }

  // --- Adjustment reasons --------------------------------------------------------------------

  /** The standard reasons in type order, then the merchant's live custom ones, oldest first. */
  public List<AdjustmentReason> listAdjustmentReasons() {
    return listAdjustmentReasons(false, false);
  }

  /**
   * Same as {@link #listAdjustmentReasons()}, with the deleted custom reasons ({@code
   * includeDeleted}) and Square's system codes SALE, RECOUNT, … ({@code includeSystemCodes}).
   */
  public List<AdjustmentReason> listAdjustmentReasons(boolean includeDeleted, boolean includeSystemCodes) {
    ListInventoryAdjustmentReasonsRequest request =
        ListInventoryAdjustmentReasonsRequest.newBuilder()
            .setIncludeDeleted(includeDeleted)
            .setIncludeSystemCodes(includeSystemCodes)
            .build();
    return call(() -> inventory.listInventoryAdjustmentReasons(request)).getAdjustmentReasonsList().stream()
        .map(AdjustmentReason::fromProto)
        .toList();
  }

  /**
   * Creates a custom reason with a fresh idempotency key: {@code name} unique among the live
   * custom reasons (else {@code ALREADY_EXISTS}), {@code direction} INCREASE or DECREASE, fixed
   * once created.
   */
  public AdjustmentReason createAdjustmentReason(
      String name, InventoryAdjustmentReasonDirection direction) {
    return createAdjustmentReason(null, name, direction);
  }

  /** Same as {@link #createAdjustmentReason(String, InventoryAdjustmentReasonDirection)} with your key (null: a fresh one). */
  public AdjustmentReason createAdjustmentReason(
      String idempotencyKey, String name, InventoryAdjustmentReasonDirection direction) {
    CreateInventoryAdjustmentReasonRequest request =
        CreateInventoryAdjustmentReasonRequest.newBuilder()
            .setIdempotencyKey(idempotencyKey != null ? idempotencyKey : UUID.randomUUID().toString())
            .setAdjustmentReason(
                InventoryAdjustmentReason.newBuilder().setName(name).setDirection(direction))
            .build();
    return AdjustmentReason.fromProto(call(() -> inventory.createInventoryAdjustmentReason(request)).getAdjustmentReason());
  }

  /** One reason, standard or custom (a deleted custom one too). */
  public AdjustmentReason retrieveAdjustmentReason(ReasonId reasonId) {
    RetrieveInventoryAdjustmentReasonRequest request =
        RetrieveInventoryAdjustmentReasonRequest.newBuilder().setReasonId(reasonId.toProto()).build();
    return AdjustmentReason.fromProto(call(() -> inventory.retrieveInventoryAdjustmentReason(request)).getAdjustmentReason());
  }

  /** Renames a custom reason that is not deleted (a deleted one: {@code FAILED_PRECONDITION}). */
  public AdjustmentReason updateAdjustmentReason(ReasonId reasonId, String name) {
    UpdateInventoryAdjustmentReasonRequest request =
        UpdateInventoryAdjustmentReasonRequest.newBuilder()
            .setReasonId(reasonId.toProto())
            .setAdjustmentReason(InventoryAdjustmentReason.newBuilder().setName(name))
            .build();
    return AdjustmentReason.fromProto(call(() -> inventory.updateInventoryAdjustmentReason(request)).getAdjustmentReason());
  }

  /**
   * Soft-deletes a custom reason: still retrievable and named by the changes that carry it, but a
   * new change naming it is refused ({@code INVALID_ARGUMENT}, {@code ADJUSTMENT_REASON_DELETED}).
   */
  public AdjustmentReason deleteAdjustmentReason(ReasonId reasonId) {
    DeleteInventoryAdjustmentReasonRequest request =
        DeleteInventoryAdjustmentReasonRequest.newBuilder().setReasonId(reasonId.toProto()).build();
    return AdjustmentReason.fromProto(call(() -> inventory.deleteInventoryAdjustmentReason(request)).getAdjustmentReason());
  }

  /** Restores a soft-deleted custom reason ({@code ALREADY_EXISTS} if a live one took its name). */
  public AdjustmentReason restoreAdjustmentReason(ReasonId reasonId) {
    RestoreInventoryAdjustmentReasonRequest request =
        RestoreInventoryAdjustmentReasonRequest.newBuilder().setReasonId(reasonId.toProto()).build();
    return AdjustmentReason.fromProto(call(() -> inventory.restoreInventoryAdjustmentReason(request)).getAdjustmentReason());
  }

  // --- Reservations --------------------------------------------------------------------------

  /**
   * Holds every line ({@link Reservation.Line#of}) from IN_STOCK, all or nothing, for {@code
   * ttl}, with a fresh idempotency key. A line the stock cannot cover is refused: {@link
   * StockledgerException#isInsufficientQuantity()}, {@code metadata().get("field")} {@code
   * lines[i].quantity}.
   */
  public Reservation createReservation(List<Reservation.Line> lines, Duration ttl) {
    return createReservation(null, "", lines, ttl);
  }

  /** Same as {@link #createReservation(List, Duration)}, held until {@code expiresAt}. */
  public Reservation createReservation(List<Reservation.Line> lines, Instant expiresAt) {
    return createReservation(null, "", lines, expiresAt);
  }

  /**
   * Same as {@link #createReservation(List, Duration)} with your idempotency key (null: a fresh
   * one) and your own id for it ({@code referenceId}: an order, a cart; empty for none).
   */
  public Reservation createReservation(
      String idempotencyKey, String referenceId, List<Reservation.Line> lines, Duration ttl) {
    return createReservation(
        reservationRequest(idempotencyKey, referenceId, lines).setTtl(duration(ttl)).build());
  }

  /** Same as {@link #createReservation(String, String, List, Duration)}, held until {@code expiresAt}. */
  public Reservation createReservation(
      String idempotencyKey, String referenceId, List<Reservation.Line> lines, Instant expiresAt) {
    return createReservation(
        reservationRequest(idempotencyKey, referenceId, lines)
            .setExpiresAt(Times.toTimestamp(expiresAt))
            .build());
  }

  /** Sends a request built by hand. */
  public Reservation createReservation(CreateReservationRequest request) {
    return Reservation.fromProto(call(() -> reservations.createReservation(request)).getReservation());
  }

  /** Sells everything the reservation holds, with a fresh idempotency key. */
  public Reservation commitReservation(String id) {
    return commitReservation(id, ReservationCommit.all());
  }

  /**
   * Sells held units (RESERVED_FOR_SALE → SOLD). Refused once nothing is held ({@link
   * StockledgerException#isReservationNotHeld()}) or past its expiresAt ({@link
   * StockledgerException#isReservationExpired()}).
   */
  public Reservation commitReservation(String id, ReservationCommit commit) {
    CommitReservationRequest.Builder request =
        CommitReservationRequest.newBuilder()
            .setId(id)
            .setIdempotencyKey(keyOrFresh(commit.idempotencyKey()));
    for (Map.Entry<Integer, BigDecimal> line : commit.lines().entrySet()) {
      String field = "lines[" + request.getLinesCount() + "].quantity";
      request.addLines(
          CommitLine.newBuilder().setLine(line.getKey()).setQuantity(Decimals.format(line.getValue(), field)));
    }
    if (commit.totalPrice() != null) {
      request.setTotalPriceMoney(
          stockledger.v1.Inventory.Money.newBuilder()
              .setAmount(Decimals.format(commit.totalPrice(), "total_price_money.amount"))
              .setCurrency(commit.currency() == null ? "" : commit.currency()));
    }
    return Reservation.fromProto(
        call(() -> reservations.commitReservation(request.build())).getReservation());
  }

  /** Gives back everything still held; a reservation that holds nothing is answered as it is. */
  public Reservation releaseReservation(String id) {
    ReleaseReservationRequest request = ReleaseReservationRequest.newBuilder().setId(id).build();
    return Reservation.fromProto(call(() -> reservations.releaseReservation(request)).getReservation());
  }

  /** Moves a held reservation's expiresAt to {@code ttl} from now. */
  public Reservation extendReservation(String id, Duration ttl) {
    return extendReservation(ExtendReservationRequest.newBuilder().setId(id).setTtl(duration(ttl)).build());
  }

  /** Moves a held reservation's expiresAt to {@code expiresAt}. */
  public Reservation extendReservation(String id, Instant expiresAt) {
    return extendReservation(
        ExtendReservationRequest.newBuilder().setId(id).setExpiresAt(Times.toTimestamp(expiresAt)).build());
  }

  private Reservation extendReservation(ExtendReservationRequest request) {
    return Reservation.fromProto(call(() -> reservations.extendReservation(request)).getReservation());
  }

  /** Reads one reservation. */
  public Reservation getReservation(String id) {
    GetReservationRequest request = GetReservationRequest.newBuilder().setId(id).build();
    return Reservation.fromProto(call(() -> reservations.getReservation(request)).getReservation());
  }

  /** Every reservation, oldest first, fetching page after page lazily (the server's page size). */
  public Iterator<Reservation> listReservations() {
    return listReservations(null, null, 0);
  }

  /**
   * The reservations in {@code state} (null or {@code RESERVATION_STATE_UNSPECIFIED}: every
   * state) with {@code referenceId} (null or empty: any), oldest first, fetching page after page
   * lazily, {@code pageSize} a page (1–250; 0: the server's default).
   */
  public Iterator<Reservation> listReservations(
      ReservationState state, String referenceId, int pageSize) {
    ListReservationsRequest.Builder request =
        ListReservationsRequest.newBuilder()
            .setReferenceId(referenceId == null ? "" : referenceId)
            .setLimit(pageSize);
    if (state != null) {
      request.setState(state);
    }
    return listReservations(request.build());
  }

  /**
   * The reservations matching a request built by hand, oldest first, fetching page after page
   * lazily (the request's {@code limit} is the page size).
   */
  public Iterator<Reservation> listReservations(ListReservationsRequest request) {
    return new Pages<>(
        request.getCursor(),
        cursor -> {
          ListReservationsRequest page = request.toBuilder().setCursor(cursor).build();
          ListReservationsResponse response = call(() -> reservations.listReservations(page));
          return new Pages.Page<>(
              response.getReservationsList().stream().map(Reservation::fromProto).toList(),
              response.getCursor());
        });
  }

  private static CreateReservationRequest.Builder reservationRequest(
      String idempotencyKey, String referenceId, List<Reservation.Line> lines) {
    return CreateReservationRequest.newBuilder()
        .setIdempotencyKey(keyOrFresh(idempotencyKey))
        .setReferenceId(referenceId == null ? "" : referenceId)
        .addAllLines(
            IntStream.range(0, lines.size()).mapToObj(i -> lines.get(i).toProto(i)).toList());
  }

  private static String keyOrFresh(String idempotencyKey) {
    return idempotencyKey == null || idempotencyKey.isEmpty()
        ? UUID.randomUUID().toString()
        : idempotencyKey;
  }

  private static com.google.protobuf.Duration duration(Duration ttl) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(ttl.getSeconds())
        .setNanos(ttl.getNano())
        .build();
  }

  // --- Streams and feeds ---------------------------------------------------------------------

  /** The history matching {@code request} as one stream, oldest first; it ends after the last one. */
  public ServerStream<StreamedChange> streamChanges(StreamInventoryChangesRequest request) {
    return stream(InventoryServiceGrpc.getStreamInventoryChangesMethod(), request, StreamedChange::fromProto);
  }

  /** Every committed change matching {@code request}, live, in commit order. Never ends by itself: close it. */
  public ServerStream<WatchedChange> watchChanges(WatchInventoryChangesRequest request) {
    return stream(InventoryServiceGrpc.getWatchInventoryChangesMethod(), request, WatchedChange::fromProto);
  }

  /** Changes committed from now on (call {@link ServerStream#awaitStarted} before writing). */
  public ServerStream<WatchedChange> watchChangesFromNow(String... itemIds) {
    return watchChanges(
        WatchInventoryChangesRequest.newBuilder()
            .addAllCatalogObjectIds(List.of(itemIds))
            .setStart(WatchStart.WATCH_START_NOW)
            .build());
  }

  /**
   * Resumes a change watch right after the change that carried {@code resumeToken}, with the
   * filters of the original watch (the token carries them).
   */
  public ServerStream<WatchedChange> resumeWatchChanges(String resumeToken) {
    return watchChanges(WatchInventoryChangesRequest.newBuilder().setResumeToken(resumeToken).build());
  }

  /** Every count a committed change moved, live, in commit order. Never ends by itself: close it. */
  public ServerStream<WatchedCount> watchCounts(WatchInventoryCountsRequest request) {
    return stream(InventoryServiceGrpc.getWatchInventoryCountsMethod(), request, WatchedCount::fromProto);
  }

  /** Resumes a count watch right after the update that carried {@code resumeToken}. */
  public ServerStream<WatchedCount> resumeWatchCounts(String resumeToken) {
    return watchCounts(WatchInventoryCountsRequest.newBuilder().setResumeToken(resumeToken).build());
  }

  /** Opens a low-stock alert watch (filters, start or resume token as in {@code request}). */
  public ServerStream<WatchedAlert> watchAlerts(WatchInventoryAlertsRequest request) {
    return stream(InventoryServiceGrpc.getWatchInventoryAlertsMethod(), request, WatchedAlert::fromProto);
  }

  /** Resumes an alert watch right after the alert that carried {@code resumeToken}. */
  public ServerStream<WatchedAlert> resumeWatchAlerts(String resumeToken) {
    return watchAlerts(WatchInventoryAlertsRequest.newBuilder().setResumeToken(resumeToken).build());
  }

  /**
   * Sets (creates or replaces) the reorder point of an item at a location; the answer tells
   * whether its IN_STOCK count there is low now.
   */
  public ReorderPointSet setReorderPoint(String catalogObjectId, String locationId, BigDecimal reorderPoint) {
    SetInventoryReorderPointRequest request =
        SetInventoryReorderPointRequest.newBuilder()
            .setCatalogObjectId(catalogObjectId)
            .setLocationId(locationId)
            .setReorderPoint(Decimals.format(reorderPoint, "reorder_point"))
            .build();
    return ReorderPointSet.fromProto(call(() -> inventory.setInventoryReorderPoint(request)));
  }

  /** Deletes the reorder point of an item at a location ({@code NOT_FOUND} when none is set). */
  public void deleteReorderPoint(String catalogObjectId, String locationId) {
    DeleteInventoryReorderPointRequest request =
        DeleteInventoryReorderPointRequest.newBuilder()
            .setCatalogObjectId(catalogObjectId)
            .setLocationId(locationId)
            .build();
    call(() -> inventory.deleteInventoryReorderPoint(request));
  }

  /** The reorder points a request names (items, locations; empty: all), by item then location, lazily. */
  public Iterator<ReorderPoint> reorderPoints(ListInventoryReorderPointsRequest request) {
    return new Pages<>(
        request.getCursor(),
        cursor -> {
          ListInventoryReorderPointsRequest page = request.toBuilder().setCursor(cursor).build();
          ListInventoryReorderPointsResponse response = call(() -> inventory.listInventoryReorderPoints(page));
          return new Pages.Page<>(
              response.getReorderPointsList().stream().map(ReorderPoint::fromProto).toList(),
              response.getCursor());
        });
  }

  private <Q, R, T> ServerStream<T> stream(
      MethodDescriptor<Q, R> method, Q request, Function<R, T> fromProto) {
    return ServerStream.start(authenticated, method, CallOptions.DEFAULT, request, fromProto);
  }

  /** Shuts the channel down, waiting up to five seconds for calls in flight. */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
