#!/usr/bin/env bash
# Checks Stockledger's Square-form webhooks with Square's own verification code
# (`square.utils.webhooks_helper.verify_signature` of `squareup`, requirements.txt) on every
# notification: webhooks.py starts its own servers from STOCKLEDGER_BIN (a stockledger
# binary; scripts/clients-test.sh sets it), each on a throw-away SQLite database, and an HTTP
# receiver in its own process (README.md). Installs squareup (and the Python client's
# runtime) into clients/square-webhooks-python/.venv. Runnable from any directory.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_BIN:?set STOCKLEDGER_BIN to a stockledger server binary (scripts/clients-test.sh does)}"
STOCKLEDGER_BIN="$(realpath "$STOCKLEDGER_BIN")"
export STOCKLEDGER_BIN
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
PYTHONPATH="$PWD/../python/src" exec .venv/bin/python webhooks.py
