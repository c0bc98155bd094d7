"""TLS settings of :class:`stockledger.Client`: reads the PEM given (bytes, PEM text or a
file's path), checks it before anything is sent, and makes the ``grpc`` channel credentials
and the channel option that overrides the server name."""

from __future__ import annotations

import os
from typing import Any, Union

import grpc

from .errors import InvalidInput

#: PEM as bytes, as text (starting with ``-----BEGIN``), or the path of a PEM file.
PemSource = Union[bytes, str, "os.PathLike[str]"]


def read_pem(source: PemSource, field: str, kind: str) -> bytes:
    """The PEM bytes of ``source``; ``kind`` is what its ``-----BEGIN`` line must name
    (``"CERTIFICATE"``, ``"PRIVATE KEY"``). Refusals raise ``InvalidInput`` naming ``field``."""
    if isinstance(source, bytes):
        pem = source
    elif isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        pem = source.encode()
    elif isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as f:
                pem = f.read()
        except OSError as e:
            raise InvalidInput(field, f"cannot read {os.fspath(source)!r}: {e.strerror or e}") from None
    else:
        raise InvalidInput(field, f"must be PEM bytes, PEM text or a file's path, not {type(source).__name__}")
    begin = [line for line in pem.splitlines() if line.startswith(b"-----BEGIN ")]
    if not any(kind.encode() in line for line in begin):
        raise InvalidInput(field, f"holds no PEM {kind.lower()} (-----BEGIN …{kind}-----)")
    return pem


def tls_channel(
    *,
    ca_certificate: PemSource | None,
    client_certificate: PemSource | None,
    client_key: PemSource | None,
    server_name: str | None,
) -> tuple[grpc.ChannelCredentials, list[tuple[str, Any]]]:
    """Channel credentials (the CA's certificates, or grpc's default roots without one; the
    client certificate and key for mutual TLS) and the options they need."""
    if (client_certificate is None) != (client_key is None):
        missing = "client_key" if client_key is None else "client_certificate"
        raise InvalidInput(
            missing,
            "client_certificate and client_key go together (mutual TLS)",
            reason="MISSING_REQUIRED_PARAMETER",
        )
    if server_name is not None and not server_name.strip():
        raise InvalidInput("server_name", "must be a host name, or None for the address's host")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=None if ca_certificate is None else read_pem(ca_certificate, "ca_certificate", "CERTIFICATE"),
        private_key=None if client_key is None else read_pem(client_key, "client_key", "PRIVATE KEY"),
        certificate_chain=(
            None if client_certificate is None else read_pem(client_certificate, "client_certificate", "CERTIFICATE")
        ),
    )
    options = [] if server_name is None else [("grpc.ssl_target_name_override", server_name)]
    return credentials, options
