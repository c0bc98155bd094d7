package dev.stockledger.client;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link StockledgerClient#commitReservation(String, ReservationCommit)} sells: everything
 * held ({@link #all()}) or some units of some lines ({@link #line}), optionally with the total
 * price and an idempotency key (a fresh one when null).
 *
 * <pre>{@code
 * client.commitReservation(id, ReservationCommit.line(0, BigDecimal.ONE).withTotalPrice(new BigDecimal("9.50"), "EUR"));
 * }</pre>
 *
 * @param lines units to commit by line position (from 0); empty commits everything held
 * @param totalPrice total price of the units sold, or null
 * @param currency ISO 4217 code of {@code totalPrice}, or null
 * @param idempotencyKey the key, or null for a fresh one
 */
public record ReservationCommit(
    Map<Integer, BigDecimal> lines, BigDecimal totalPrice, String currency, String idempotencyKey) {

  public ReservationCommit {
    lines = Map.copyOf(lines);
  }

  /** Commits everything held. */
  public static ReservationCommit all() {
    return new ReservationCommit(Map.of(), null, null, null);
  }

  /** Commits {@code quantity} units of line {@code line}. */
  public static ReservationCommit line(int line, BigDecimal quantity) {
    return all().andLine(line, quantity);
  }

  /** This commit and {@code quantity} units of line {@code line}. */
  public ReservationCommit andLine(int line, BigDecimal quantity) {
    Map<Integer, BigDecimal> more = new TreeMap<>(lines);
    more.put(line, quantity);
    return new ReservationCommit(more, totalPrice, currency, idempotencyKey);
  }

  /** This commit with the total price of the units sold. */
  public ReservationCommit withTotalPrice(BigDecimal amount, String currency) {
    return new ReservationCommit(lines, amount, currency, idempotencyKey);
  }

  /** This commit with your own idempotency key, to make retries safe. */
  public ReservationCommit withIdempotencyKey(String key) {
    return new ReservationCommit(lines, totalPrice, currency, key);
  }
}
