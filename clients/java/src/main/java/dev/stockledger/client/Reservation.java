package dev.stockledger.client;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import stockledger.v1.ReservationOuterClass;
import stockledger.v1.ReservationOuterClass.ReservationState;

/**
 * A reservation, with decimal quantities and {@link Instant}s: units held for a cart or an order
 * until they are committed (sold), released, or expire.
 *
 * @param state {@code RESERVATION_STATE_HELD}, {@code _COMMITTED}, {@code _RELEASED} or {@code
 *     _EXPIRED}
 * @param lines in the order they were sent
 * @param referenceId the caller's own id (an order, a cart); empty when none
 * @param expiresAt when the server releases what is still held
 */
public record Reservation(
    String id,
    ReservationState state,
    List<Line> lines,
    String referenceId,
    Instant expiresAt,
    Optional<Instant> createdAt,
    Optional<Instant> updatedAt) {

  /**
   * Units of one item held at one location. To reserve, only the item, the location and the
   * quantity count: build it with {@link #of}.
   *
   * @param quantity units reserved
   * @param committedQuantity units committed (sold) so far
   * @param releasedQuantity units released (by a caller or at expiry) so far
   * @param heldQuantity units still held: quantity − committed − released
   */
  public record Line(
      String catalogObjectId,
      String locationId,
      BigDecimal quantity,
      BigDecimal committedQuantity,
      BigDecimal releasedQuantity,
      BigDecimal heldQuantity) {

    /** A line to reserve: {@code quantity} units of an item at a location. */
    public static Line of(String catalogObjectId, String locationId, BigDecimal quantity) {
      return new Line(
          catalogObjectId, locationId, quantity, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);
    }

    /** The wire form of the line at {@code index} of a request (a refusal names {@code lines[index].quantity}). */
    ReservationOuterClass.ReservationLine toProto(int index) {
      return ReservationOuterClass.ReservationLine.newBuilder()
          .setCatalogObjectId(catalogObjectId)
          .setLocationId(locationId)
          .setQuantity(Decimals.format(quantity, "lines[" + index + "].quantity"))
          .build();
    }

    static Line fromProto(ReservationOuterClass.ReservationLine line) {
      return new Line(
          line.getCatalogObjectId(),
          line.getLocationId(),
          quantityOf(line.getQuantity()),
          quantityOf(line.getCommittedQuantity()),
          quantityOf(line.getReleasedQuantity()),
          quantityOf(line.getHeldQuantity()));
    }

    private static BigDecimal quantityOf(String text) {
      return Decimals.parseOptional(text).orElse(BigDecimal.ZERO);
    }
  }

  /** Converts a reservation from the wire. */
  public static Reservation fromProto(ReservationOuterClass.Reservation reservation) {
    return new Reservation(
        reservation.getId(),
        reservation.getState(),
        reservation.getLinesList().stream().map(Line::fromProto).toList(),
        reservation.getReferenceId(),
        Times.toInstant(reservation.getExpiresAt()),
        Times.toInstant(reservation.hasCreatedAt(), reservation.getCreatedAt()),
        Times.toInstant(reservation.hasUpdatedAt(), reservation.getUpdatedAt()));
  }
}
