#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit and integration tests on SQLite and
# on a throw-away PostgreSQL cluster, the README's grpcurl sessions, the protos' lint and
# breaking-change check with the committed stubs, and every client's live tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo fmt --all -- --check
scripts/layers.sh
# --all-features lints the client's live tests too (the server has no features).
cargo clippy --workspace --all-targets --all-features -- -D warnings
# Benchmarks (benches/) are measured with `cargo bench`, not run as tests.
cargo test --workspace --lib --bins --tests
# The README's grpcurl sessions, pasted against a real server.
scripts/readme-check.sh
# buf lint, buf breaking against the previous commit, committed stubs up to date.
scripts/check-clients.sh
# Python, Go, TypeScript, Java and Rust clients against a real server.
scripts/clients-test.sh
