"""The client over mutual TLS against a live server (STOCKLEDGER_TLS_ADDR, _TOKEN, _CA,
_CERT, _KEY and _DIR, which scripts/clients-test.sh sets): a trusted client certificate is
served; none, another CA's, or a CA that did not issue the server's certificate are refused
with ``StockledgerError`` code ``UNAVAILABLE``."""

import os
import pathlib
import uuid

import grpc
import pytest

import stockledger


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run scripts/clients-test.sh python (it starts a server over mutual TLS)")
    return value


@pytest.fixture(scope="module")
def tls_env() -> dict:
    names = ("ADDR", "TOKEN", "CA", "CERT", "KEY", "DIR")
    return {name.lower(): _env(f"STOCKLEDGER_TLS_{name}") for name in names}


def test_mutual_tls_round_trip(tls_env):
    """CA as a path, client certificate and key as PEM bytes."""
    run = uuid.uuid4().hex[:8]
    with stockledger.Client(
        tls_env["addr"],
        tls_env["token"],
        ca_certificate=tls_env["ca"],
        client_certificate=pathlib.Path(tls_env["cert"]).read_bytes(),
        client_key=pathlib.Path(tls_env["key"]).read_bytes(),
    ) as c:
        shop = c.create_location(f"TLS Shop {run}")
        assert c.get_location(shop.id) == shop
        mug = c.create_inventory_item(f"TLS-MUG-{run}")
        c.batch_change_inventory([stockledger.adjustment(mug.id, shop.id, "NONE", "IN_STOCK", 7)])
        assert [(n.state, n.quantity) for n in c.retrieve_inventory_count(mug.id)] == [("IN_STOCK", 7)]


def test_server_name_override(tls_env):
    """By "localhost" (in the certificate) while dialling the IP address; a name the
    certificate does not hold is refused."""
    ca_text = pathlib.Path(tls_env["ca"]).read_text()
    kwargs = dict(ca_certificate=ca_text, client_certificate=tls_env["cert"], client_key=tls_env["key"])
    with stockledger.Client(tls_env["addr"], tls_env["token"], server_name="localhost", **kwargs) as c:
        shop = c.create_location(f"TLS by name {uuid.uuid4().hex[:8]}")
        assert c.get_location(shop.id).name == shop.name
    err = _refused(tls_env["addr"], tls_env["token"], server_name="ledger.invalid", **kwargs)
    assert err.code == grpc.StatusCode.UNAVAILABLE, err


def _refused(addr: str, token: str, **tls) -> stockledger.StockledgerError:
    with stockledger.Client(addr, token, **tls) as c:
        with pytest.raises(stockledger.StockledgerError) as refused:
            c.create_location(f"Never {uuid.uuid4().hex[:8]}")
    return refused.value


def test_without_a_client_certificate_refused(tls_env):
    err = _refused(tls_env["addr"], tls_env["token"], ca_certificate=tls_env["ca"])
    assert err.code == grpc.StatusCode.UNAVAILABLE, err


def test_another_cas_client_certificate_refused(tls_env):
    d = pathlib.Path(tls_env["dir"])
    err = _refused(
        tls_env["addr"],
        tls_env["token"],
        ca_certificate=tls_env["ca"],
        client_certificate=d / "other-client.pem",
        client_key=d / "other-client.key",
    )
    assert err.code == grpc.StatusCode.UNAVAILABLE, err


def test_a_ca_that_did_not_issue_the_server_certificate_refused(tls_env):
    err = _refused(
        tls_env["addr"],
        tls_env["token"],
        ca_certificate=pathlib.Path(tls_env["dir"]) / "other-ca.pem",
        client_certificate=tls_env["cert"],
        client_key=tls_env["key"],
    )
    assert err.code == grpc.StatusCode.UNAVAILABLE, err


def test_plaintext_client_refused_by_the_tls_server(tls_env):
    err = _refused(tls_env["addr"], tls_env["token"])
    assert err.code == grpc.StatusCode.UNAVAILABLE, err


def test_tls_settings_checked_before_connecting(tls_env, tmp_path):
    """Refusals name the argument, before any call."""
    with pytest.raises(stockledger.InvalidInput) as e:
        stockledger.Client(tls_env["addr"], "t", ca_certificate=tmp_path / "missing.pem")
    assert e.value.field == "ca_certificate"
    with pytest.raises(stockledger.InvalidInput) as e:
        stockledger.Client(tls_env["addr"], "t", ca_certificate=b"not a certificate")
    assert e.value.field == "ca_certificate"
    with pytest.raises(stockledger.InvalidInput) as e:
        stockledger.Client(tls_env["addr"], "t", ca_certificate=tls_env["ca"], client_certificate=tls_env["cert"])
    assert (e.value.field, e.value.reason) == ("client_key", "MISSING_REQUIRED_PARAMETER")
    with pytest.raises(stockledger.InvalidInput) as e:
        stockledger.Client(
            tls_env["addr"],
            "t",
            ca_certificate=tls_env["ca"],
            client_certificate=tls_env["cert"],
            client_key=tls_env["cert"],
        )
    assert e.value.field == "client_key"
    with pytest.raises(stockledger.InvalidInput) as e:
        stockledger.Client(tls_env["addr"], "t", tls=True, credentials=grpc.ssl_channel_credentials())
    assert e.value.field == "credentials"
