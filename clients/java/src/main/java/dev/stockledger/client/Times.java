package dev.stockledger.client;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.Optional;

/** Conversions between {@code google.protobuf.Timestamp} and {@link Instant}. */
public final class Times {
  private Times() {}

  public static Instant toInstant(Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }

  /** Empty when the message field is unset (e.g. {@code occurred_at} left to the server). */
  public static Optional<Instant> toInstant(boolean present, Timestamp timestamp) {
    return present ? Optional.of(toInstant(timestamp)) : Optional.empty();
  }

  public static Timestamp toTimestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }
}
