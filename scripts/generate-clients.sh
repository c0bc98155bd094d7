#!/usr/bin/env bash
# Regenerates every committed client stub from proto/: runs clients/<lang>/generate.sh for
# each language that has one (each installs its own pinned generator on first use and
# calls buf through scripts/buf.sh). Java and Rust generate at build time (Maven, build.rs)
# and commit no stubs. Optional arguments: only these languages.
#   scripts/generate-clients.sh            # all
#   scripts/generate-clients.sh python go  # some
# scripts/check-clients.sh verifies that the committed stubs are up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -gt 0 ]]; then
  langs=("$@")
else
  langs=()
  for script in clients/*/generate.sh; do
    [[ -e "$script" ]] || continue
    lang="${script#clients/}"
    langs+=("${lang%/generate.sh}")
  done
fi

for lang in "${langs[@]}"; do
  if [[ ! -f "clients/$lang/generate.sh" ]]; then
    echo "generate-clients: no clients/$lang/generate.sh" >&2
    exit 1
  fi
  echo "generate-clients: $lang" >&2
  bash "clients/$lang/generate.sh"
done
