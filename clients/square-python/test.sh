#!/usr/bin/env bash
# Runs the seed's day with Square's own Python SDK (`squareup`, requirements.txt) against a
# live server's Square front door (docs/square.md): STOCKLEDGER_HTTP_ADDR (host:port of
# `serve --http-listen`), STOCKLEDGER_ADDR (the gRPC address, used only to create the item
# and the location, which Square's catalog and locations APIs would hold) and
# STOCKLEDGER_TOKEN (a token with every scope); scripts/clients-test.sh sets all three.
# Installs squareup (and the Python client's runtime) into clients/square-python/.venv.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_HTTP_ADDR:?set STOCKLEDGER_HTTP_ADDR=host:port of serve --http-listen (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of the gRPC listener (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
PYTHONPATH="$PWD/../python/src" exec .venv/bin/python seed_day.py
