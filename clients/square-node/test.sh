#!/usr/bin/env bash
# Runs the seed's day with Square's own Node SDK (`square`, pinned in package.json and
# package-lock.json) against a live server's Square front door (docs/square.md):
# STOCKLEDGER_HTTP_ADDR (host:port of `serve --http-listen`), STOCKLEDGER_ADDR (the gRPC
# address, used only to create the item and the two locations; see README.md) and
# STOCKLEDGER_TOKEN (a token with every scope);
# scripts/clients-test.sh sets all three. Installs the locked dependencies into
# clients/square-node/node_modules. Runnable from any directory.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_HTTP_ADDR:?set STOCKLEDGER_HTTP_ADDR=host:port of serve --http-listen (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of the gRPC listener (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
exec node seed_day.mjs
