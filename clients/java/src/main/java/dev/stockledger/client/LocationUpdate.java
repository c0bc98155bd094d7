package dev.stockledger.client;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import java.util.LinkedHashSet;
import java.util.Set;
import stockledger.v1.LocationOuterClass;
import stockledger.v1.LocationOuterClass.LocationStatus;
import stockledger.v1.LocationOuterClass.UpdateLocationRequest;

/**
 * The fields of one location to change, for {@link StockledgerClient#updateLocation}: only the
 * fields set here are sent, and the update mask names exactly them, so a field left alone keeps its
 * value and a field set to empty ({@code description("")}) or false ({@code
 * forbidNegativeCounts(false)}) is cleared.
 *
 * <pre>{@code
 * Location renamed = client.updateLocation(LocationUpdate.of(id).name("Back room").description(""));
 * }</pre>
 *
 * <p>A null value is refused by the client ({@link StockledgerException#isLocal()}, {@code
 * INVALID_VALUE} on {@code location.name}, …), as is an update that sets no field ({@code
 * INVALID_FIELD_MASK} on {@code update_mask}, as the server says).
 */
public final class LocationUpdate {
  private final LocationOuterClass.Location.Builder location;
  private final Set<String> paths = new LinkedHashSet<>();

  private LocationUpdate(String id) {
    this.location = LocationOuterClass.Location.newBuilder().setId(id);
  }

  /** An update of the location with this id that changes nothing yet. */
  public static LocationUpdate of(String locationId) {
    if (locationId == null || locationId.isBlank()) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT, "MISSING_REQUIRED_PARAMETER", "location.id", "is required");
    }
    return new LocationUpdate(locationId);
  }

  /** The new name (trimmed, 1–255 characters, unique per merchant). */
  public LocationUpdate name(String name) {
    location.setName(required(name, "name"));
    paths.add("name");
    return this;
  }

  /** The new description; empty clears it. */
  public LocationUpdate description(String description) {
    location.setDescription(required(description, "description"));
    paths.add("description");
    return this;
  }

  /**
   * Activates ({@code LOCATION_STATUS_ACTIVE}) or deactivates ({@code LOCATION_STATUS_INACTIVE}).
   */
  public LocationUpdate status(LocationStatus status) {
    if (status == LocationStatus.UNRECOGNIZED) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          Decimals.INVALID_VALUE,
          "location.status",
          "UNRECOGNIZED is not a status that can be sent");
    }
    location.setStatus(required(status, "status"));
    paths.add("status");
    return this;
  }

  /** Whether a batch that does not say otherwise may leave a count of it it lowers below zero. */
  public LocationUpdate forbidNegativeCounts(boolean forbidNegativeCounts) {
    location.setForbidNegativeCounts(forbidNegativeCounts);
    paths.add("forbid_negative_counts");
    return this;
  }

  /** The request this update sends: the fields set and a mask naming exactly them. */
  public UpdateLocationRequest toRequest() {
    if (paths.isEmpty()) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          "INVALID_FIELD_MASK",
          "update_mask",
          "names no field to update (set at least one)");
    }
    return UpdateLocationRequest.newBuilder()
        .setLocation(location.build())
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(paths))
        .build();
  }

  private static <T> T required(T value, String path) {
    if (value == null) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT,
          Decimals.INVALID_VALUE,
          "location." + path,
          "null is not a value (to clear a text, pass \"\")");
    }
    return value;
  }
}
