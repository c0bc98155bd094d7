#!/usr/bin/env bash
# Installs the locked dependencies, builds, and runs the unit tests and the live tests
# against the server at STOCKLEDGER_ADDR (host:port) with STOCKLEDGER_TOKEN (every scope).
# Runnable from any directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ -z "${STOCKLEDGER_ADDR:-}" ] || [ -z "${STOCKLEDGER_TOKEN:-}" ]; then
  echo "clients/typescript/test.sh: set STOCKLEDGER_ADDR (host:port of a running server) and STOCKLEDGER_TOKEN (a token with every scope)" >&2
  exit 2
fi
npm ci --no-audit --no-fund --ignore-scripts
rm -rf dist build-test
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json
node --test build-test/test/
