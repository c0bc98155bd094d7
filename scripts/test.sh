#!/usr/bin/env bash
# Runs every check and test: formatting, lints, the dependency policy, unit and integration
# tests on SQLite and on a throw-away PostgreSQL cluster, the README's grpcurl sessions, a
# real Prometheus scraping a live server, the web console in headless Chromium, the
# operations guide's commands, the protos' lint and breaking-change check with the
# committed stubs, every client's live tests (the
# official SDKs', clients/square-* and clients/shopify-*, on SQLite and again on
# PostgreSQL), and 20 s of fuzzing per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The fuzz targets build with nightly and their own flags (a long compile that shares
# nothing with the builds below), so they build and run in the background, at a lower
# priority, beside every other step; their result is waited for at the end. A failing step
# stops them.
mkdir -p fuzz/target
fuzz_log=fuzz/target/test-fuzz.log
setsid nice -n 10 scripts/fuzz.sh 20 >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill -- "-$fuzz_pid" 2>/dev/null || true' EXIT

cargo fmt --all -- --check
# The fuzz crate is a workspace of its own (fuzz/Cargo.toml).
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
scripts/layers.sh
# --all-features lints the client's live tests too (the server has no features).
cargo clippy --workspace --all-targets --all-features -- -D warnings
# Licenses, banned crates and crate sources of every workspace member, on every platform
# (deny.toml). No advisory database is fetched; cargo itself may download the manifests of
# crates only other platforms use.
cargo deny --workspace --all-features --locked check bans licenses sources
# Benchmarks (benches/) are measured with `cargo bench`, not run as tests.
cargo test --workspace --lib --bins --tests
# The README's grpcurl sessions, pasted against a real server.
scripts/readme-check.sh
# A real Prometheus (Debian's package) scrapes a live server's /metrics.
scripts/prometheus-check.sh
# The web console in headless Chromium (Debian's, driven by Playwright): a change written
# over gRPC is on the open page within a second; screenshot in target/console-check/.
scripts/console-check.sh
# docs/operations.md's commands in a sandbox (a throw-away PostgreSQL cluster for pg_dump and
# pg_restore), its alerting rules and systemd unit checked, and a rolling restart of two
# replicas under writes.
scripts/operations-check.sh
# buf lint, buf breaking against the previous commit, committed stubs up to date.
scripts/check-clients.sh
# Python, Go, TypeScript, Java and Rust clients and Square's and Shopify's SDKs against a
# real server; Square's and Shopify's own webhook checks on servers the suites start.
scripts/clients-test.sh
# The official SDKs' tests (clients/square-*, clients/shopify-*) again, with the server on a
# throw-away PostgreSQL cluster. An explicit list: clients-test.sh fails on a name without
# its test.sh. (The webhook suites start servers of their own, on SQLite: not repeated.)
scripts/clients-test.sh --postgres square-python square-node shopify-python shopify-graphql-node
# The fuzz targets (scripts/fuzz.sh, started above): one line per target, or its log.
if ! wait "$fuzz_pid"; then
  cat "$fuzz_log" >&2
  echo "test.sh: fuzzing failed (docs/fuzzing.md says how to reproduce a crash)" >&2
  exit 1
fi
sed -n '/^fuzz.sh: done/,$p' "$fuzz_log"
