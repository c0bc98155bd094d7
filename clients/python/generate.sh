#!/usr/bin/env bash
# Regenerates the committed Python stubs in src/stockledger/v1/ (*_pb2.py, *_pb2.pyi,
# *_pb2_grpc.py) from proto/ with buf and the grpcio-tools pinned in
# requirements-generate.txt (installed into clients/python/.venv-generate on first use).
# Deterministic: the same protos and pins give the same bytes. Normally run for every
# language at once by scripts/generate-clients.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv-generate"

# (Re)create the generation venv when it is missing or its pins changed.
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$here/requirements-generate.txt" "$venv/requirements-generate.txt"; then
  echo "python/generate.sh: installing grpcio-tools into clients/python/.venv-generate" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-generate.txt"
  cp "$here/requirements-generate.txt" "$venv/requirements-generate.txt"
fi

# Remove the previous output so that stubs of a deleted proto disappear too.
rm -f "$here"/src/stockledger/v1/*_pb2.py "$here"/src/stockledger/v1/*_pb2.pyi "$here"/src/stockledger/v1/*_pb2_grpc.py
"$root/scripts/buf.sh" generate --template clients/python/buf.gen.yaml
