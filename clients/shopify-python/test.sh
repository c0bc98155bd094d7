#!/usr/bin/env bash
# Reads and writes inventory items and levels with Shopify's own Python library (`ShopifyAPI`,
# requirements.txt) against a live server's Shopify front door (src/gateway/shopify):
# STOCKLEDGER_HTTP_ADDR (host:port of `serve --http-listen`), STOCKLEDGER_ADDR (the gRPC
# address, used only to create the items and the location, which Shopify's products and
# locations APIs would hold) and STOCKLEDGER_TOKEN (a token with every scope);
# scripts/clients-test.sh sets all three.
# Installs ShopifyAPI (and the Python client's runtime) into clients/shopify-python/.venv.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_HTTP_ADDR:?set STOCKLEDGER_HTTP_ADDR=host:port of serve --http-listen (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of the gRPC listener (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
PYTHONPATH="$PWD/../python/src" exec .venv/bin/python inventory_day.py
