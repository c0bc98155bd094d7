import os
import uuid

import pytest

import stockledger


@pytest.fixture(scope="session")
def address() -> str:
    value = os.environ.get("STOCKLEDGER_ADDR")
    if not value:
        pytest.fail("STOCKLEDGER_ADDR is not set: run scripts/clients-test.sh python, or point it at a server")
    return value


@pytest.fixture(scope="session")
def token() -> str:
    value = os.environ.get("STOCKLEDGER_TOKEN")
    if not value:
        pytest.fail(
            "STOCKLEDGER_TOKEN is not set: run scripts/clients-test.sh python, or create a token with every scope"
        )
    return value


@pytest.fixture(scope="session")
def client(address: str, token: str):
    with stockledger.Client(address, token) as c:
        yield c


@pytest.fixture
def unique() -> str:
    """A suffix that keeps names and SKUs unique across tests and runs."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def shop(client: stockledger.Client, unique: str):
    """A fresh location and item: (location, item)."""
    location = client.create_location(f"Corner Shop {unique}")
    item = client.create_inventory_item(f"MUG-RED-{unique}")
    return location, item
