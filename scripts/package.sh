#!/usr/bin/env bash
# Builds every installable artifact of a release into OUTDIR (default dist/, created if
# missing), each by its own script, and lists them at the end:
#   OUTDIR/stockledger                      the server binary (cargo build --release)
#   OUTDIR/stockledger-<v>-py3-none-any.whl the Python client     (clients/python/package.sh)
#   OUTDIR/stockledger-client-<v>.tgz       the TypeScript client (clients/typescript/package.sh)
#   OUTDIR/m2/                              the Java client as a Maven repository (clients/java/package.sh)
#   OUTDIR/goproxy/                         the Go client as a module proxy (clients/go/package.sh)
#   OUTDIR/stockledger-client-<v>.crate     the Rust client (clients/rust/package.sh)
# How a project installs each is in clients/<lang>/README.md, "In your own project"; each
# client's quickstart.sh (run by its test.sh, so by scripts/test.sh) installs its artifact
# into a fresh project and runs that README's programs twice. Versions follow CHANGELOG.md.
#   scripts/package.sh [OUTDIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"

version=$(sed -n 's/^## \[\([0-9][^]]*\)\].*/\1/p' CHANGELOG.md | head -n 1)
for manifest in Cargo.toml clients/rust/Cargo.toml clients/python/pyproject.toml; do
  grep -q "^version = \"$version\"" "$manifest" ||
    { echo "package.sh: $manifest is not at version $version (CHANGELOG.md's latest)" >&2; exit 1; }
done
grep -q "\"version\": \"$version\"" clients/typescript/package.json ||
  { echo "package.sh: clients/typescript/package.json is not at version $version" >&2; exit 1; }
grep -q "<version>$version</version>" clients/java/pom.xml ||
  { echo "package.sh: clients/java/pom.xml is not at version $version" >&2; exit 1; }

echo "package.sh: the server (cargo build --release)" >&2
cargo build --release --locked --bin stockledger >&2
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cp "$target_dir/release/stockledger" "$out/stockledger"
built=("$out/stockledger")
for lang in python typescript java go rust; do
  echo "package.sh: the $lang client" >&2
  artifact=$("clients/$lang/package.sh" "$out" | tail -n 1)
  [[ -e "$artifact" ]] || { echo "package.sh: clients/$lang/package.sh named no artifact ($artifact)" >&2; exit 1; }
  built+=("$artifact")
done
echo "package.sh: version $version:"
printf '  %s\n' "${built[@]}"
