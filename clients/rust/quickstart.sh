#!/usr/bin/env bash
# The README's quick start as a user meets it: in a fresh `cargo new` project (a temp dir,
# removed on exit) runs the README's "In your own project" lines as written (package.sh into
# vendor/, unpack the .crate, `cargo add` it by path and tokio; only `../stockledger` is
# replaced by this repository's path), makes the README's quick start program (the ```rust
# block under "## Quick start", extracted, not copied) its src/main.rs, and runs it twice
# against STOCKLEDGER_ADDR with STOCKLEDGER_TOKEN, failing unless each run prints exactly
# the ```text block that follows it. test.sh calls it at its end.
# Honours CARGO_TARGET_DIR: with the one this repository builds in, the fresh project
# reuses its compiled dependencies. The project starts from this repository's Cargo.lock
# (cargo drops what it does not use), so it builds the versions the client is tested with.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
readme="$here/README.md"

: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR to host:port of a running server}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope}"

# The first fenced block opening with $2 in the README section titled $1.
block() {
    awk -v section="$1" -v open="$2" '
        /^## / { inside = ($0 == "## " section) }
        inside && !found && $0 == open { copying = 1; found = 1; next }
        copying && $0 == "```" { copying = 0; next }
        copying { print }
    ' "$readme"
}
program="$(block "Quick start" '```rust')"
expected="$(block "Quick start" '```text')"
install="$(block "In your own project" '```sh')"
for part in program expected install; do
    if [[ -z "${!part}" ]]; then
        echo "quickstart: README.md has no $part block where quickstart.sh looks for it" >&2
        exit 1
    fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-rust-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
cargo new --quiet --bin quickstart
cd quickstart
cp "$root/Cargo.lock" Cargo.lock
echo "quickstart: in $PWD:" >&2
while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    line="${line//..\/stockledger\//$root/}"
    echo "+ $line" >&2
    bash -euo pipefail -c "$line" >&2
done <<<"$install"
printf '%s\n' "$program" >src/main.rs

cargo build --quiet
for run in 1 2; do
    if ! actual="$(cargo run --quiet)"; then
        echo "quickstart: run $run of the README's quick start failed" >&2
        exit 1
    fi
    if [[ "$actual" != "$expected" ]]; then
        echo "quickstart: run $run printed" >&2
        printf '%s\n' "$actual" >&2
        echo "where the README says it prints" >&2
        printf '%s\n' "$expected" >&2
        exit 1
    fi
    echo "quickstart: run $run printed what the README says" >&2
done
printf '%s\n' "$actual"
