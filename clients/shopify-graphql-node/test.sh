#!/usr/bin/env bash
# Runs a shop's day with Shopify's own GraphQL client (`@shopify/admin-api-client`, pinned in
# package.json and package-lock.json) against a live server's Shopify GraphQL door
# (docs/shopify.md, "GraphQL"): STOCKLEDGER_HTTP_ADDR (host:port of `serve --http-listen`),
# STOCKLEDGER_ADDR (the gRPC address, used only to create the item, the location and a
# reservation; see README.md) and STOCKLEDGER_TOKEN (a token with every scope);
# scripts/clients-test.sh sets all three. Installs the locked dependencies into
# clients/shopify-graphql-node/node_modules. Runnable from any directory.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_HTTP_ADDR:?set STOCKLEDGER_HTTP_ADDR=host:port of serve --http-listen (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of the gRPC listener (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
exec node shop_day.mjs
