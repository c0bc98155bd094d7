package dev.stockledger.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import stockledger.v1.Inventory.InventoryState;
import stockledger.v1.ReservationOuterClass.ReservationState;

/**
 * Every refusal the client reports, the server's or its own: the gRPC status code ({@link
 * #code()}, e.g. {@code INVALID_ARGUMENT}; its name is {@code code().name()}) and message, plus
 * the structured details the server attaches, an {@code ErrorInfo} ({@link #reason()} such as
 * {@code INVALID_VALUE} or {@code INSUFFICIENT_SCOPES}, domain {@code stockledger}, {@link
 * #metadata()}, whose {@code field} is {@link #field()}) and a {@code BadRequest} listing each
 * offending field ({@link #fieldViolations()}).
 *
 * <p>An input the client refuses before sending anything (a quantity with more than five
 * decimals, a missing token) is reported the same way, with the code, reason and field path the
 * server would use, and {@link #isLocal()} true.
 *
 * <p>A guard's refusal ({@code FAILED_PRECONDITION}) is typed: {@link #isQuantityMismatch()}
 * with {@link #actualQuantity()}, {@link #isInsufficientQuantity()} with {@link
 * #availableQuantity()}, and {@link #guardedCount()} for either.
 */
public final class StockledgerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String reason;
  private final String domain;
  private final Map<String, String> metadata;
  private final List<FieldViolation> fieldViolations;
  private final boolean local;

  private StockledgerException(
      boolean local,
      Status.Code code,
      String description,
      String reason,
      String domain,
      Map<String, String> metadata,
      List<FieldViolation> fieldViolations,
      Throwable cause) {
    super(message(code, description, reason, fieldViolations), cause);
    this.local = local;
    this.code = code;
    this.reason = reason;
    this.domain = domain;
    this.metadata = Map.copyOf(metadata);
    this.fieldViolations = List.copyOf(fieldViolations);
  }

  /**
   * Decodes a failed call. Accepts {@link StatusRuntimeException} and {@link StatusException}
   * (also as a cause); anything else becomes {@code UNKNOWN}.
   */
  public static StockledgerException from(Throwable t) {
    if (t instanceof StockledgerException e) {
      return e;
    }
    Status status = Status.fromThrowable(t);
    return decode(status, StatusProto.fromThrowable(t), t);
  }

  /** Decodes a status and its trailers, as seen by a {@code ClientCall.Listener}. */
  public static StockledgerException from(Status status, Metadata trailers) {
    com.google.rpc.Status details =
        trailers == null ? null : StatusProto.fromStatusAndTrailers(status, trailers);
    return decode(status, details, status.asRuntimeException(trailers));
  }

  private static StockledgerException decode(
      Status status, com.google.rpc.Status details, Throwable cause) {
    String reason = "";
    String domain = "";
    Map<String, String> metadata = Map.of();
    List<FieldViolation> violations = new ArrayList<>();
    if (details != null) {
      for (Any any : details.getDetailsList()) {
        try {
          if (any.is(ErrorInfo.class)) {
            ErrorInfo info = any.unpack(ErrorInfo.class);
            reason = info.getReason();
            domain = info.getDomain();
            metadata = info.getMetadataMap();
          } else if (any.is(BadRequest.class)) {
            for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
              violations.add(new FieldViolation(v.getField(), v.getDescription()));
            }
          }
        } catch (InvalidProtocolBufferException ignored) {
          // A malformed detail is skipped; code and message still say what happened.
        }
      }
    }
    return new StockledgerException(
        false, status.getCode(), status.getDescription(), reason, domain, metadata, violations, cause);
  }

  /** The ErrorInfo domain of the server's refusals, also given to the client's own. */
  public static final String DOMAIN = "stockledger";

  /**
   * A refusal by the client itself, before any call: {@code field} (a path such as {@code
   * changes[0].adjustment.quantity}) is in the metadata and the one field violation.
   */
  static StockledgerException local(
      Status.Code code, String reason, String field, String description) {
    return new StockledgerException(
        true,
        code,
        "refused by the client before sending",
        reason,
        DOMAIN,
        Map.of("field", field),
        List.of(new FieldViolation(field, description)),
        null);
  }

  private static String message(
      Status.Code code, String description, String reason, List<FieldViolation> violations) {
    StringBuilder b = new StringBuilder(code.name());
    if (description != null && !description.isEmpty()) {
      b.append(": ").append(description);
    }
    if (!reason.isEmpty()) {
      b.append(" [").append(reason).append(']');
    }
    for (FieldViolation v : violations) {
      b.append("\n  ").append(v.field()).append(": ").append(v.description());
    }
    return b.toString();
  }

  /** The gRPC status code, e.g. {@code INVALID_ARGUMENT}, {@code NOT_FOUND}, {@code UNAUTHENTICATED}. */
  public Status.Code code() {
    return code;
  }

  /** ErrorInfo reason (e.g. {@code INVALID_DECIMAL}); empty when the server sent none. */
  public String reason() {
    return reason;
  }

  /** ErrorInfo domain ({@code stockledger}); empty when the server sent none. */
  public String domain() {
    return domain;
  }

  /** True when the client refused the input itself, before sending anything. */
  public boolean isLocal() {
    return local;
  }

  /**
   * The path of the field the refusal is about ({@code changes[0].adjustment.quantity}, {@code
   * lines[1].quantity}, {@code id}): the ErrorInfo metadata {@code field}, else the first field
   * violation; empty when the refusal is about no field (a wrong token, an unknown id).
   */
  public Optional<String> field() {
    String field = metadata.getOrDefault("field", "");
    if (!field.isEmpty()) {
      return Optional.of(field);
    }
    return fieldViolations.stream().map(FieldViolation::field).filter(f -> !f.isEmpty()).findFirst();
  }

  /** ErrorInfo metadata (e.g. the missing scope, or an internal error's correlation id). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The offending fields, in the order the server listed them; empty when none. */
  public List<FieldViolation> fieldViolations() {
    return fieldViolations;
  }

  /** The violation for exactly this field path, if any. */
  public Optional<FieldViolation> violation(String field) {
    return fieldViolations.stream().filter(v -> v.field().equals(field)).findFirst();
  }

  /** ErrorInfo reason of a guarded change whose expected quantity did not hold. */
  public static final String QUANTITY_MISMATCH = "QUANTITY_MISMATCH";

  /** ErrorInfo reason of a batch that would leave a count below zero where that is forbidden. */
  public static final String INSUFFICIENT_QUANTITY = "INSUFFICIENT_QUANTITY";

  /** ErrorInfo reason of a reservation step on a reservation that holds nothing any more. */
  public static final String RESERVATION_NOT_HELD = "RESERVATION_NOT_HELD";

  /** ErrorInfo reason of a reservation step past the reservation's expiresAt. */
  public static final String RESERVATION_EXPIRED = "RESERVATION_EXPIRED";

  /** The reservation holds nothing any more; {@link #reservationState()} says where it is. */
  public boolean isReservationNotHeld() {
    return code == Status.Code.FAILED_PRECONDITION && RESERVATION_NOT_HELD.equals(reason);
  }

  /** The reservation is past its expiresAt; its units are being released. */
  public boolean isReservationExpired() {
    return code == Status.Code.FAILED_PRECONDITION && RESERVATION_EXPIRED.equals(reason);
  }

  /**
   * For a reservation that holds nothing, where it is ({@code RESERVATION_STATE_COMMITTED},
   * {@code _RELEASED}, {@code _EXPIRED}); empty for any other error.
   */
  public Optional<ReservationState> reservationState() {
    if (!isReservationNotHeld()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          ReservationState.valueOf("RESERVATION_STATE_" + metadata.getOrDefault("state", "")));
    } catch (IllegalArgumentException newer) {
      return Optional.of(ReservationState.RESERVATION_STATE_UNSPECIFIED);
    }
  }

  /** The count a guard's refusal is about. */
  public record GuardedCount(String catalogObjectId, String locationId, InventoryState state) {}

  /**
   * A change's expected quantity ({@link Changes#expect}, {@link Changes#expectAbsent}) did not
   * hold; {@code metadata().get("field")} names it ({@code changes[1].expected_quantity}).
   */
  public boolean isQuantityMismatch() {
    return code == Status.Code.FAILED_PRECONDITION && QUANTITY_MISMATCH.equals(reason);
  }

  /**
   * The batch would leave a count below zero where that is forbidden; {@code
   * metadata().get("field")} names the change's quantity ({@code changes[0].adjustment.quantity}).
   */
  public boolean isInsufficientQuantity() {
    return code == Status.Code.FAILED_PRECONDITION && INSUFFICIENT_QUANTITY.equals(reason);
  }

  /**
   * For a quantity mismatch, what the count held just before the change; empty when the count
   * does not exist (the server's {@code ABSENT}), and for any other error.
   */
  public Optional<BigDecimal> actualQuantity() {
    if (!isQuantityMismatch()) {
      return Optional.empty();
    }
    String text = metadata.getOrDefault("actual_quantity", "");
    return Changes.ABSENT.equals(text) ? Optional.empty() : Decimals.parseOptional(text);
  }

  /**
   * For an insufficient quantity, what the count held just before the change that took it below
   * zero; empty for any other error.
   */
  public Optional<BigDecimal> availableQuantity() {
    if (!isInsufficientQuantity()) {
      return Optional.empty();
    }
    return Decimals.parseOptional(metadata.getOrDefault("available_quantity", ""));
  }

  /** The count a guard's refusal is about; empty for any other error. */
  public Optional<GuardedCount> guardedCount() {
    if (!isQuantityMismatch() && !isInsufficientQuantity()) {
      return Optional.empty();
    }
    InventoryState state;
    try {
      state = InventoryState.valueOf("INVENTORY_STATE_" + metadata.getOrDefault("state", ""));
    } catch (IllegalArgumentException newer) {
      state = InventoryState.INVENTORY_STATE_UNSPECIFIED; // a state newer than this client
    }
    return Optional.of(
        new GuardedCount(
            metadata.getOrDefault("catalog_object_id", ""),
            metadata.getOrDefault("location_id", ""),
            state));
  }
}
