package dev.stockledger.client;

/**
 * One offending field of a refused request, from the error's {@code google.rpc.BadRequest}
 * detail: {@code field} is a path such as {@code changes[0].adjustment.quantity}.
 */
public record FieldViolation(String field, String description) {}
