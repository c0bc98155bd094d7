package dev.stockledger.client;

import java.time.Instant;
import java.util.Optional;
import stockledger.v1.LocationOuterClass;
import stockledger.v1.LocationOuterClass.LocationStatus;

/**
 * A location (a shop, a warehouse) as the server returned it.
 *
 * @param status {@code LOCATION_STATUS_ACTIVE} or {@code LOCATION_STATUS_INACTIVE}
 * @param description empty when none
 * @param forbidNegativeCounts whether a batch that does not say otherwise may leave a count of it
 *     that it lowers below zero
 */
public record Location(
    String id,
    String name,
    LocationStatus status,
    String description,
    boolean forbidNegativeCounts,
    Optional<Instant> createdAt,
    Optional<Instant> updatedAt) {

  /** Converts a location from the wire. */
  public static Location fromProto(LocationOuterClass.Location location) {
    return new Location(
        location.getId(),
        location.getName(),
        location.getStatus(),
        location.getDescription(),
        location.getForbidNegativeCounts(),
        Times.toInstant(location.hasCreatedAt(), location.getCreatedAt()),
        Times.toInstant(location.hasUpdatedAt(), location.getUpdatedAt()));
  }
}
