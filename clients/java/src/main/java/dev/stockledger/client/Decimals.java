package dev.stockledger.client;

import io.grpc.Status;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Quantities and money travel as decimal strings with at most five decimals ("94", "25.5",
 * "-0.00001"). These helpers convert between that wire form and {@link BigDecimal}; a value they
 * cannot convert is refused with a {@link StockledgerException} ({@code INVALID_ARGUMENT}, reason
 * {@value #INVALID_VALUE}, the field path given, {@link StockledgerException#isLocal()}), as the
 * server refuses it.
 */
public final class Decimals {
  /** The most decimals the server accepts. */
  public static final int MAX_SCALE = 5;

  /** The reason of a refused decimal (malformed or too precise), the server's and the client's. */
  public static final String INVALID_VALUE = "INVALID_VALUE";

  private Decimals() {}

  /**
   * The wire string of {@code value}: plain notation, trailing zeros removed ({@code 25.00} →
   * {@code "25"}, {@code 1E+3} → {@code "1000"}).
   *
   * @param field the path of the field it goes into, named by a refusal ({@code cost})
   * @throws StockledgerException if the value needs more than {@value #MAX_SCALE} decimals
   * @throws NullPointerException if {@code value} is null
   */
  public static String format(BigDecimal value, String field) {
    String wire = wire(value);
    if (tooPrecise(value)) {
      throw tooPrecise(field, value.toPlainString());
    }
    return wire;
  }

  /** {@link #format(BigDecimal, String)} for a value whose field has no name: a refusal names {@code value}. */
  public static String format(BigDecimal value) {
    return format(value, "value");
  }

  /** The wire string of {@code value} without the precision check (the batch checks it, knowing the path). */
  static String wire(BigDecimal value) {
    if (value == null) {
      throw new NullPointerException("value");
    }
    BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.scale() < 0) {
      stripped = stripped.setScale(0);
    }
    return stripped.toPlainString();
  }

  private static boolean tooPrecise(BigDecimal value) {
    return value.stripTrailingZeros().scale() > MAX_SCALE;
  }

  private static StockledgerException tooPrecise(String field, String text) {
    return StockledgerException.local(
        Status.Code.INVALID_ARGUMENT,
        INVALID_VALUE,
        field,
        "at most " + MAX_SCALE + " decimals are allowed, got " + text);
  }

  /**
   * Refuses a wire decimal that is malformed or has more than {@value #MAX_SCALE} decimals, naming
   * {@code field}; an empty one passes (the server says whether the field is required).
   */
  static void check(String text, String field) {
    if (!text.isEmpty() && tooPrecise(parse(text, field))) {
      throw tooPrecise(field, text);
    }
  }

  /**
   * Parses a wire decimal ({@code "94"}, {@code "-2.5"}).
   *
   * @param field the path a refusal names
   * @throws StockledgerException if {@code text} is empty or not a decimal number
   */
  public static BigDecimal parse(String text, String field) {
    if (text == null || text.isEmpty()) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT, INVALID_VALUE, field, "a decimal is required, got nothing");
    }
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw StockledgerException.local(
          Status.Code.INVALID_ARGUMENT, INVALID_VALUE, field, "not a decimal: " + text);
    }
  }

  /** {@link #parse(String, String)}; a refusal names the field {@code value}. */
  public static BigDecimal parse(String text) {
    return parse(text, "value");
  }

  /** Like {@link #parse}, but an empty string (an absent field, e.g. an item without cost) is empty. */
  public static Optional<BigDecimal> parseOptional(String text) {
    return text == null || text.isEmpty() ? Optional.empty() : Optional.of(parse(text));
  }
}
