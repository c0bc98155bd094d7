#!/usr/bin/env bash
# Runs the Python client's tests against a live server: STOCKLEDGER_ADDR (host:port) and
# STOCKLEDGER_TOKEN (a token with every scope) must be set, and for tests/test_tls.py and
# the README's TLS program a server over mutual TLS: STOCKLEDGER_TLS_ADDR, _TOKEN, _CA,
# _CERT, _KEY and _DIR; scripts/clients-test.sh sets them all. Installs the package with its test extra into clients/python/.venv first; ends with
# quickstart.sh (the README's programs against the built wheel, in a fresh venv).
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of a running server (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/python -m pytest -q "$@"
./quickstart.sh
