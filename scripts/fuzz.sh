#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (docs/fuzzing.md), each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]
#
# SECONDS is each target's fuzzing time (default 20); TARGETs default to every target in
# fuzz/Cargo.toml. The targets are built once, with the nightly toolchain (libFuzzer's
# instrumentation needs it), as `cargo fuzz build --release --debug-assertions --sanitizer
# none`: optimised, with debug assertions and overflow checks on (an arithmetic overflow is
# a crash, not a silent wrap), without AddressSanitizer (the code under test is safe Rust;
# ASan would cost build time and slow every execution), and with cargo-fuzz's one codegen
# unit per crate (16 built slower on two cores). The corpus grows in fuzz/corpus/TARGET
# (git-ignored) from the committed seeds in fuzz/seeds/TARGET; a crash stops that target,
# leaves its input in fuzz/artifacts/TARGET/ and fails the script after the remaining
# targets ran, and so does a target that exits without a recorded execution; a failing
# `cargo fuzz list`, or one that names no target, stops the script. The last lines are one
# per target: its executions, or FAILED. Each run's full libFuzzer output is in
# fuzz/target/logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
[ "$#" -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET…]  (SECONDS a positive integer)" >&2
  exit 2
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is missing: run scripts/setup.sh" >&2
  exit 1
fi
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
build_flags=(--release --debug-assertions --sanitizer none)

# The server is fuzzed with the dependency versions it ships with (fuzz/Cargo.toml says why
# fuzz/Cargo.lock is a copy, not a committed file).
cp Cargo.lock fuzz/Cargo.lock

start=$(date +%s)
if [ "$#" -gt 0 ]; then
  targets=("$@")
  echo "fuzz.sh: building ${targets[*]} (cargo +$toolchain fuzz build ${build_flags[*]})" >&2
  for target in "${targets[@]}"; do
    cargo "+$toolchain" fuzz build "${build_flags[@]}" "$target"
  done
else
  # Not through a process substitution, whose exit status would be lost: a failing
  # `cargo fuzz list` stops the script, and so does a list without a target.
  listed=$(cargo "+$toolchain" fuzz list)
  targets=()
  while IFS= read -r target; do
    [ -n "$target" ] && targets+=("$target")
  done <<<"$listed"
  if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz.sh: \`cargo +$toolchain fuzz list\` named no target (fuzz/Cargo.toml has none?)" >&2
    exit 1
  fi
  echo "fuzz.sh: building every target (cargo +$toolchain fuzz build ${build_flags[*]})" >&2
  cargo "+$toolchain" fuzz build "${build_flags[@]}"
fi
echo "fuzz.sh: built in $(($(date +%s) - start)) s" >&2

bin="fuzz/target/$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')/release"
logs=fuzz/target/logs
mkdir -p "$logs"
summary=()
failed=0
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  dirs=("$corpus")
  [ -d "fuzz/seeds/$target" ] && dirs+=("fuzz/seeds/$target")
  log="$logs/$target.log"
  mkdir -p "fuzz/artifacts/$target"
  echo "fuzz.sh: $target for ${seconds} s" >&2
  # The binary built above, run directly (what `cargo fuzz run` does after rebuilding if a
  # source changed). -timeout: one input running for 10 s is a hang, reported like a crash.
  if "$bin/$target" -artifact_prefix="fuzz/artifacts/$target/" -max_total_time="$seconds" \
    -timeout=10 -print_final_stats=1 "${dirs[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
      summary+=("$(printf '%-14s %12s executions in %s s' "$target" "$runs" "$seconds")")
    else
      # A clean exit that fuzzed nothing is not a pass.
      failed=1
      tail -n 40 "$log" >&2
      summary+=("$(printf '%-14s FAILED: no executions recorded (log: %s)' "$target" "$log")")
    fi
  else
    failed=1
    tail -n 40 "$log" >&2
    artifact=$(grep -o 'fuzz/artifacts/[^ ]*' "$log" | tail -n 1 || true)
    summary+=("$(printf '%-14s FAILED %s (log: %s)' "$target" "${artifact:-}" "$log")")
  fi
done

echo "fuzz.sh: done in $(($(date +%s) - start)) s"
printf '%s\n' "${summary[@]}"
exit "$failed"
