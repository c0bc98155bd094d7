#!/usr/bin/env bash
# Installs the locked dependencies, builds, and runs the unit tests and the live tests
# against the server at STOCKLEDGER_ADDR (host:port) with STOCKLEDGER_TOKEN (every scope),
# and test/tls.test.ts against the server over mutual TLS named by STOCKLEDGER_TLS_ADDR,
# _TOKEN, _CA, _CERT, _KEY and _DIR (scripts/clients-test.sh sets them all).
# Ends with quickstart.sh (the README's programs, run twice each against the same server).
# Runnable from any directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ -z "${STOCKLEDGER_ADDR:-}" ] || [ -z "${STOCKLEDGER_TOKEN:-}" ]; then
  echo "clients/typescript/test.sh: set STOCKLEDGER_ADDR (host:port of a running server) and STOCKLEDGER_TOKEN (a token with every scope)" >&2
  exit 2
fi
for name in ADDR TOKEN CA CERT KEY DIR; do
  var="STOCKLEDGER_TLS_$name"
  if [ -z "${!var:-}" ]; then
    echo "clients/typescript/test.sh: set $var (the server over mutual TLS that scripts/clients-test.sh starts)" >&2
    exit 2
  fi
done
npm ci --no-audit --no-fund --ignore-scripts
rm -rf dist build-test
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json
node --test build-test/test/

# `npm install <path>/clients/typescript` from a fresh clone (no node_modules/, no dist/):
# a copy of the committed files, installed into a new project, must import and connect.
fresh="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-ts-fresh.XXXXXX")"
trap 'rm -rf "$fresh"' EXIT
mkdir "$fresh/clone" "$fresh/project"
git -C "$here" ls-files -z . | (cd "$here" && xargs -0 cp --parents -t "$fresh/clone")
(
  cd "$fresh/project"
  npm init -y >/dev/null
  npm install --no-audit --no-fund "$fresh/clone" >&2
  node --input-type=module -e '
    import { createStockledgerClient } from "@stockledger/client";
    const sl = createStockledgerClient(process.env.STOCKLEDGER_ADDR, process.env.STOCKLEDGER_TOKEN);
    const page = await sl.locations.list({ limit: 1 });
    console.log(`npm install <directory> of a fresh clone: ok (${page.items.length} location read)`);
    sl.close();'
)

# Last: the README's programs, installed from package.sh's tarball, twice each.
bash "$here/quickstart.sh"
