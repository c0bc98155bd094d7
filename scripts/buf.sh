#!/usr/bin/env bash
# Runs the buf CLI pinned in tools/buf/package-lock.json (npm package @bufbuild/buf, the
# binary ships inside it), installing it with `npm ci` on first use. Arguments go to buf,
# run from the repository root (where buf.yaml is):
#   scripts/buf.sh lint
#   scripts/buf.sh breaking --against '.git#ref=HEAD~1'
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/tools/buf"
buf="$tools/node_modules/.bin/buf"
want="$(node -p "require('$tools/package.json').devDependencies['@bufbuild/buf']")"
if [[ ! -x "$buf" ]] || [[ "$("$buf" --version 2>/dev/null)" != "$want" ]]; then
  echo "buf.sh: installing @bufbuild/buf $want into tools/buf (npm ci)" >&2
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
cd "$root"
exec "$buf" "$@"
