#!/usr/bin/env bash
# Checks that the client stays free of the server's dependencies, then runs the unit tests,
# the live tests (tests/live.rs; tests/tls.rs against the server over mutual TLS named by
# STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT, _KEY and _DIR), the doc examples (cargo test --doc, the README's snippets
# among them; with the tls feature, so that its unit tests and snippet are built too), the
# README's examples/guards.rs and examples/reservations.rs, and at its end quickstart.sh (the
# README's quick start, twice, in a fresh project that uses the packaged crate) against the
# server named by STOCKLEDGER_ADDR (host:port) with the token in STOCKLEDGER_TOKEN.
# scripts/clients-test.sh starts both servers and sets them all.
set -euo pipefail
cd "$(dirname "$0")"

: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR to host:port of a running server}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope}"
for name in ADDR TOKEN CA CERT KEY DIR; do
    var="STOCKLEDGER_TLS_$name"
    if [[ -z "${!var:-}" ]]; then
        echo "set $var (tests/tls.rs needs the server over mutual TLS that scripts/clients-test.sh starts)" >&2
        exit 2
    fi
done

# A service that calls Stockledger must not build SeaORM, sqlx or the server itself.
tree=$(cargo tree -p stockledger-client --edges normal,build)
if grep -E 'sea-orm|sqlx|^stockledger |[ ─]stockledger v' <<<"$tree"; then
    echo "stockledger-client depends on server-side crates (above)" >&2
    exit 1
fi
echo "dependency tree: no sea-orm, sqlx or stockledger server"

# Unit and live tests, then the doc examples on their own: `cargo test --doc` compiles
# every one (no_run: they need a server), the README's snippets among them (a unit test
# checks each snippet is one), and the run must report them, not zero.
cargo test -p stockledger-client --features live-tests,tls --lib --tests
doctests=$(cargo test -p stockledger-client --features tls --doc 2>&1) || { echo "$doctests"; exit 1; }
echo "$doctests"
compiled=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' <<<"$doctests")
readme_snippets=$(grep -c '^```rust$' README.md)
if [[ -z "$compiled" ]] || (( compiled < readme_snippets )); then
    echo "cargo test --doc compiled ${compiled:-no} doc examples; the README alone has $readme_snippets" >&2
    exit 1
fi

# The README's guarded changes program, against the same server.
cargo run -p stockledger-client --example guards

# The README's reservations program.
cargo run -p stockledger-client --example reservations

# The README's quick start, as a user gets it: the packaged crate in a fresh project.
# The fresh project builds in this workspace's target directory, reusing the dependencies
# compiled above instead of compiling tonic and the rest once more.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}" \
    ./quickstart.sh
