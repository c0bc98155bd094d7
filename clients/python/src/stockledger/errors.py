"""One exception for every failed call, decoded from the rich gRPC status details."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Mapping

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


class StockledgerError(Exception):
    """A call the server refused or could not complete.

    Attributes:
        code: the ``grpc.StatusCode`` (``INVALID_ARGUMENT``, ``NOT_FOUND``, …).
        message: the status message.
        reason: the ErrorInfo reason, UPPER_SNAKE_CASE (``"MISSING_REQUIRED_PARAMETER"``),
            or ``""`` when the server sent none (e.g. ``UNAUTHENTICATED``, transport errors).
        domain: the ErrorInfo domain (``"stockledger"``), or ``""``.
        metadata: the ErrorInfo metadata (e.g. ``{"field": "changes[0].adjustment.quantity"}``).
        field_violations: ``(field, description)`` pairs from BadRequest, field paths in
            request terms (``"changes[0].adjustment.quantity"``).
        correlation_id: for ``INTERNAL`` errors, the id that also appears in the server
            log; ``None`` otherwise.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: list[tuple[str, str]] | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = list(field_violations or [])
        self.correlation_id = self.metadata.get("correlation_id")
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.reason:
            text += f" [{self.reason}]"
        for field, description in self.field_violations:
            text += f"\n  {field}: {description}"
        return text

    @property
    def fields(self) -> list[str]:
        """The offending field paths, in the server's order."""
        return [field for field, _ in self.field_violations]

    @property
    def field(self) -> str:
        """The field at fault (the first one), from the ErrorInfo metadata: in request
        terms (``"changes[1].expected_quantity"``), or ``""`` when none is named."""
        return self.metadata.get("field", "")

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "StockledgerError":
        """Decodes a ``grpc.RpcError`` (as raised by the raw stubs) with its
        ``grpc-status-details-bin`` ErrorInfo and BadRequest details."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        reason, domain, metadata, violations = "", "", {}, []
        status = None
        try:
            status = rpc_status.from_call(error)  # type: ignore[arg-type]
        except (ValueError, AttributeError):
            status = None  # details that contradict the status line: keep the plain status
        if status is not None:
            for detail in status.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
                elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    violations.extend((v.field, v.description) for v in bad.field_violations)
        if cls is StockledgerError:
            cls = _BY_REASON.get(reason, StockledgerError)
        error_obj = cls(
            code or grpc.StatusCode.UNKNOWN,
            message or "",
            reason=reason,
            domain=domain,
            metadata=metadata,
            field_violations=violations,
        )
        error_obj.__cause__ = error
        return error_obj


class _GuardRefusal(StockledgerError):
    """A guard of BatchChangeInventory refused the batch (``FAILED_PRECONDITION``): the
    count it concerns is (``catalog_object_id``, ``location_id``, ``state``) and ``field``
    names the change's field at fault (``"changes[1].expected_quantity"``)."""

    @property
    def catalog_object_id(self) -> str:
        return self.metadata.get("catalog_object_id", "")

    @property
    def location_id(self) -> str:
        return self.metadata.get("location_id", "")

    @property
    def state(self) -> str:
        """The count's state, short name ("IN_STOCK")."""
        return self.metadata.get("state", "")


class QuantityMismatch(_GuardRefusal):
    """Reason ``QUANTITY_MISMATCH``: a change's ``expected_quantity`` did not hold.

    ``actual_quantity`` is what the count held just before that change, a ``Decimal``, or
    ``None`` when the count does not exist (the server's ``"ABSENT"``; absent is not 0)."""

    @property
    def actual_quantity(self) -> Decimal | None:
        return _guard_quantity(self.metadata.get("actual_quantity", ""), absent_ok=True)


class InsufficientQuantity(_GuardRefusal):
    """Reason ``INSUFFICIENT_QUANTITY``: the batch would leave a count it lowers below zero
    where negative counts are forbidden. ``available_quantity`` (a ``Decimal``) is what the
    count held just before the change named by ``field``."""

    @property
    def available_quantity(self) -> Decimal:
        quantity = _guard_quantity(self.metadata.get("available_quantity", ""), absent_ok=False)
        assert quantity is not None
        return quantity


def _guard_quantity(text: str, *, absent_ok: bool) -> Decimal | None:
    if absent_ok and text == "ABSENT":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise StockledgerError(
            grpc.StatusCode.INTERNAL, f"the server reported a quantity that is not a decimal: {text!r}"
        )
    return number


class InvalidInput(StockledgerError, ValueError, TypeError):
    """An argument the client refused before sending anything, in the shape of the server's
    own refusal: ``code`` ``INVALID_ARGUMENT``, ``domain`` ``"stockledger"``, ``reason``
    (``"INVALID_VALUE"``, ``"INVALID_ENUM_VALUE"``, ``"MISSING_REQUIRED_PARAMETER"``),
    ``field`` (also in ``metadata`` and as the one field violation) in request terms
    (``"adjustment.quantity"`` for a change builder, ``"lines[0].quantity"``, ``"states[1]"``).

    Catch it as ``StockledgerError``. It is also a ``ValueError`` and a ``TypeError``: what
    these refusals raised before, so that code catching those keeps working."""

    def __init__(self, field: str, description: str, *, reason: str = "INVALID_VALUE") -> None:
        super().__init__(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{field}: {description}" if field else description,
            reason=reason,
            domain="stockledger",
            metadata={"field": field} if field else {},
            field_violations=[(field, description)],
        )


class ReservationRefusal(StockledgerError):
    """A step of a reservation refused (``FAILED_PRECONDITION``): its subclasses
    :class:`ReservationNotHeld` and :class:`ReservationExpired`."""


class ReservationNotHeld(ReservationRefusal):
    """Reason ``RESERVATION_NOT_HELD``: the reservation holds nothing any more; ``state``
    is where it is ("COMMITTED", "RELEASED", "EXPIRED")."""

    @property
    def state(self) -> str:
        return self.metadata.get("state", "")


class ReservationExpired(ReservationRefusal):
    """Reason ``RESERVATION_EXPIRED``: the reservation is past its ``expires_at`` (the
    server's text, in ``metadata``); its units are being released."""

    @property
    def expires_at(self) -> str:
        return self.metadata.get("expires_at", "")


_BY_REASON: dict[str, type[StockledgerError]] = {
    "QUANTITY_MISMATCH": QuantityMismatch,
    "INSUFFICIENT_QUANTITY": InsufficientQuantity,
    "RESERVATION_NOT_HELD": ReservationNotHeld,
    "RESERVATION_EXPIRED": ReservationExpired,
}
