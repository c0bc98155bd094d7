package dev.stockledger.client;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * Quantities and money travel as decimal strings with at most five decimals ("94", "25.5",
 * "-0.00001"). These helpers convert between that wire form and {@link BigDecimal}.
 */
public final class Decimals {
  /** The most decimals the server accepts. */
  public static final int MAX_SCALE = 5;

  private Decimals() {}

  /**
   * The wire string of {@code value}: plain notation, trailing zeros removed ({@code 25.00} →
   * {@code "25"}, {@code 1E+3} → {@code "1000"}).
   *
   * @throws IllegalArgumentException if the value needs more than {@value #MAX_SCALE} decimals
   * @throws NullPointerException if {@code value} is null
   */
  public static String format(BigDecimal value) {
    if (value == null) {
      throw new NullPointerException("value");
    }
    BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.scale() > MAX_SCALE) {
      throw new IllegalArgumentException(
          "at most " + MAX_SCALE + " decimals are allowed, got " + value.toPlainString());
    }
    if (stripped.scale() < 0) {
      stripped = stripped.setScale(0);
    }
    return stripped.toPlainString();
  }

  /**
   * Parses a wire decimal ({@code "94"}, {@code "-2.5"}).
   *
   * @throws IllegalArgumentException if {@code text} is empty or not a decimal number
   */
  public static BigDecimal parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty decimal");
    }
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a decimal: " + text, e);
    }
  }

  /** Like {@link #parse}, but an empty string (an absent field, e.g. an item without cost) is empty. */
  public static Optional<BigDecimal> parseOptional(String text) {
    return text == null || text.isEmpty() ? Optional.empty() : Optional.of(parse(text));
  }
}
