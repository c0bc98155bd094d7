"""One exception for every failed call, decoded from the rich gRPC status details."""

from __future__ import annotations

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
