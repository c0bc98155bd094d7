#!/usr/bin/env bash
# Packages stockledger-client as a .crate (`cargo package`) into OUTDIR (created if missing;
# default dist) and prints the .crate's path on its last line. A project uses it by
# unpacking it and depending on it by path (README.md, "In your own project"; quickstart.sh
# does exactly that):
#   clients/rust/package.sh OUTDIR
# The .crate holds the protos (clients/rust/proto links to the repository's proto/, and
# cargo packages what the link points to), so it builds outside this repository.
# --no-verify: cargo's verification would compile the unpacked .crate once more; quickstart.sh
# (run by test.sh) builds that same unpacked crate as a dependency of a fresh project and runs
# the README's program with it, which checks more. --allow-dirty: the working tree as it is,
# uncommitted edits included, so that test.sh checks what is being changed.
# Honours CARGO_TARGET_DIR (cargo writes the .crate under <target>/package/ first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
outdir="${1:-dist}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

cd "$here"
metadata="$(cargo metadata --format-version 1 --no-deps)"
read -r target_dir version < <(python3 -c '
import json, sys
meta = json.load(sys.stdin)
client = next(p for p in meta["packages"] if p["name"] == "stockledger-client")
print(meta["target_directory"], client["version"])' <<<"$metadata")
name="stockledger-client-$version.crate"

# A clean state: no .crate from an earlier run stands in for this one.
rm -f "$target_dir/package/$name" "$outdir/$name"
cargo package -p stockledger-client --no-verify --allow-dirty --quiet >&2
cp "$target_dir/package/$name" "$outdir/$name"
echo "$outdir/$name"
