package dev.stockledger.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DecimalsTest {
  @Test
  void formatsPlainWithoutTrailingZeros() {
    assertEquals("25", Decimals.format(new BigDecimal("25.00")));
    assertEquals("1000", Decimals.format(new BigDecimal("1E+3")));
    assertEquals("0", Decimals.format(new BigDecimal("0.00000")));
    assertEquals("-2.5", Decimals.format(new BigDecimal("-2.50")));
    assertEquals("0.00001", Decimals.format(new BigDecimal("0.00001")));
    assertEquals("12345678901234.56789", Decimals.format(new BigDecimal("12345678901234.567890")));
  }

  @Test
  void refusesMoreThanFiveDecimalsAsTheServerDoes() {
    StockledgerException e =
        assertThrows(
            StockledgerException.class, () -> Decimals.format(new BigDecimal("1.123456"), "cost"));
    assertRefusedLocally(e, "cost");
    assertTrue(e.getMessage().contains("1.123456"), e.getMessage());
    assertRefusedLocally(
        assertThrows(StockledgerException.class, () -> Decimals.format(new BigDecimal("0.000001"))),
        "value");
    // Trailing zeros past the fifth place are not extra precision.
    assertEquals("1.12345", Decimals.format(new BigDecimal("1.1234500000")));
    assertThrows(NullPointerException.class, () -> Decimals.format(null));
  }

  @Test
  void parsesTheWireForm() {
    assertEquals(0, new BigDecimal("94").compareTo(Decimals.parse("94")));
    assertEquals(new BigDecimal("-0.00001"), Decimals.parse("-0.00001"));
    assertEquals(Optional.empty(), Decimals.parseOptional(""));
    assertEquals(Optional.of(new BigDecimal("25")), Decimals.parseOptional("25"));
    assertRefusedLocally(assertThrows(StockledgerException.class, () -> Decimals.parse("")), "value");
    assertRefusedLocally(
        assertThrows(StockledgerException.class, () -> Decimals.parse("abc", "lines[2].quantity")),
        "lines[2].quantity");
  }

  /** The one exception type, with the code, reason and field path a server refusal carries. */
  static void assertRefusedLocally(StockledgerException e, String field) {
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals("INVALID_VALUE", e.reason());
    assertEquals("stockledger", e.domain());
    assertEquals(Optional.of(field), e.field());
    assertEquals(field, e.fieldViolations().get(0).field());
    assertTrue(e.isLocal());
  }

  @Test
  void roundTrips() {
    for (String s : new String[] {"0", "1", "-1", "93", "0.5", "99999.99999", "1000000000000"}) {
      assertEquals(s, Decimals.format(Decimals.parse(s)));
    }
  }

  @Test
  void timestampsAreInstants() {
    Instant t = Instant.parse("2026-11-27T10:15:30.123456789Z");
    Timestamp ts = Times.toTimestamp(t);
    assertEquals(t.getEpochSecond(), ts.getSeconds());
    assertEquals(123456789, ts.getNanos());
    assertEquals(t, Times.toInstant(ts));
    assertEquals(Optional.empty(), Times.toInstant(false, Timestamp.getDefaultInstance()));
  }
}
