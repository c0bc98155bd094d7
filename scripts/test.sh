#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit and integration tests on SQLite and
# on a throw-away PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Benchmarks (benches/) are measured with `cargo bench`, not run as tests.
cargo test --lib --bins --tests
# The README's grpcurl sessions, pasted against a real server.
scripts/readme-check.sh
