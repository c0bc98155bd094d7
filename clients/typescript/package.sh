#!/usr/bin/env bash
# Builds the installable artifact of the TypeScript client: `npm pack`'s tarball
# (stockledger-client-<version>.tgz, compiled dist/ inside) in OUTDIR (created if missing),
# from a clean state: the locked dependencies reinstalled, dist/ rebuilt by the `prepare`
# script. Prints the tarball's absolute path as its last line on stdout; npm's own output
# goes to stderr. A project installs it with `npm install <that path>`.
#   clients/typescript/package.sh OUTDIR
# Runnable from any directory.
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: clients/typescript/package.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
{
  npm ci --ignore-scripts --no-audit --no-fund
  # `npm pack` runs `prepare` (prepare.mjs: a fresh dist/) before packing.
  npm pack --pack-destination "$out"
} >&2
tarball="$(node -p 'const { name, version } = require("./package.json"); `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`')"
contents="$(tar -tzf "$out/$tarball")"
if ! grep -qx 'package/dist/index.js' <<<"$contents"; then
  echo "clients/typescript/package.sh: $out/$tarball has no dist/index.js" >&2
  exit 1
fi
echo "$out/$tarball"
