package dev.stockledger.client;

import java.math.BigDecimal;
import java.util.Optional;

/** An amount of money: a decimal amount (at most five decimals) in an ISO 4217 currency. */
public record Money(BigDecimal amount, String currency) {

  /** Empty when the field is unset on the wire. */
  static Optional<Money> fromProto(boolean present, stockledger.v1.Inventory.Money money) {
    return present
        ? Optional.of(new Money(Decimals.parse(money.getAmount()), money.getCurrency()))
        : Optional.empty();
  }
}
