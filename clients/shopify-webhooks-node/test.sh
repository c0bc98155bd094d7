#!/usr/bin/env bash
# Checks Stockledger's Shopify-form webhooks with Shopify's own validation code
# (`shopify.webhooks.validate` of `@shopify/shopify-api`, pinned in package.json and
# package-lock.json) on every notification: webhooks.mjs starts its own servers from
# STOCKLEDGER_BIN (a stockledger binary; scripts/clients-test.sh sets it), each on a
# throw-away SQLite database, and an HTTP receiver in its own process (README.md). Installs
# the locked dependencies into clients/shopify-webhooks-node/node_modules. Runnable from any
# directory.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_BIN:?set STOCKLEDGER_BIN to a stockledger server binary (scripts/clients-test.sh does)}"
STOCKLEDGER_BIN="$(realpath "$STOCKLEDGER_BIN")"
export STOCKLEDGER_BIN
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
exec node webhooks.mjs
