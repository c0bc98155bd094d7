#!/usr/bin/env bash
# Builds the Python client's wheel (stockledger-0.1.0-py3-none-any.whl) into OUTDIR
# (created if missing) and prints its path on the last line of stdout.
#   clients/python/package.sh OUTDIR
# Builds from a clean copy of clients/python (no .venv, build/, *.egg-info or __pycache__
# leftovers), with pip's isolated build (setuptools from PyPI, nothing else from the net).
# PYTHON=python3.x picks the interpreter (default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: clients/python/package.sh OUTDIR}"
python="${PYTHON:-python3}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -C "$here" -cf - \
  --exclude=./.venv --exclude=./.venv-generate --exclude=./build --exclude=./dist \
  --exclude='*.egg-info' --exclude=__pycache__ . | tar -C "$work" -xf -
mkdir "$work/wheels"
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$work/wheels" "$work" >&2

wheels=("$work"/wheels/stockledger-*.whl)
if [[ ${#wheels[@]} -ne 1 || ! -f "${wheels[0]}" ]]; then
  echo "package.sh: expected one stockledger wheel, got: ${wheels[*]}" >&2
  exit 1
fi
cp "${wheels[0]}" "$out/"
echo "$out/$(basename "${wheels[0]}")"
