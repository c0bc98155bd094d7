#!/usr/bin/env bash
# Regenerates src/gen/ (committed) from the repository's protos and proto/google/rpc.
# Byte-stable: pinned buf and protoc-gen-es from package-lock.json, output wiped first.
# Runnable from any directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
if [ ! -x node_modules/.bin/buf ] || [ ! -x node_modules/.bin/protoc-gen-es ]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
export PATH="$here/node_modules/.bin:$PATH"
rm -rf src/gen
buf generate "$repo/proto" --template buf.gen.yaml
buf generate proto --template buf.gen.yaml
