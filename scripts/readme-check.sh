#!/usr/bin/env bash
# Runs the README's grpcurl sessions, as a newcomer would paste them, against a real server
# on a fresh database, and checks the seed's day ends at 93. Installs grpcurl and jq if
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:$(go env GOPATH 2>/dev/null)/bin"
if ! command -v grpcurl >/dev/null 2>&1; then
  go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest
fi
if ! command -v jq >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq jq >/dev/null
fi

cargo build -q
# Where cargo put it (CARGO_TARGET_DIR and cargo's config respected): a fixed target/ path
# could run a stale binary.
binary="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/stockledger"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server_pid=""
tls_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$tls_pid" ] && kill -- "-$tls_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && exec "$binary" serve --listen "127.0.0.1:$port" >"$work/stdout" 2>"$work/stderr") &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "export STOCKLEDGER_TOKEN=" "$work/stdout" 2>/dev/null && break
  sleep 0.1
done
token_line=$(grep "export STOCKLEDGER_TOKEN=" "$work/stdout")
eval "$token_line"
export STOCKLEDGER_TOKEN

# The fenced sh blocks of the two sessions, with the port of this run.
session() {
  awk -v heading="$1" '
    $0 ~ "^## " { in_section = ($0 == heading) }
    in_section && /^```sh$/ { in_block = 1; next }
    in_block && /^```$/ { in_block = 0; next }
    in_block { print }
  ' README.md | sed "s/127.0.0.1:50051/127.0.0.1:$port/g"
}
first=$(session "## A first grpcurl session")
day=$(session "## The seed's day, with grpcurl")
protect=$(session "## Protecting stock, with grpcurl")
reasons=$(session "## Why stock moved, with grpcurl")
[ -n "$first" ] && [ -n "$day" ] && [ -n "$protect" ] && [ -n "$reasons" ] || { echo "README sessions not found" >&2; exit 1; }

# Pasted one after the other into one shell, under `set -euo pipefail`: a failing call, or a
# failing grpcurl before a `| jq`, stops the run. The first session's last command is meant
# to fail (it shows a structured error), so it runs alone in an `if` that insists it fails;
# it starts at the session's last line that is not indented (a continuation), a comment or
# blank.
last_start=$(printf '%s\n' "$first" | awk '/^[^ \t#]/ { n = NR } END { print n + 0 }')
[ "$last_start" -gt 1 ] || { echo "README's first session: no last command found" >&2; exit 1; }
first_body=$(printf '%s\n' "$first" | head -n "$((last_start - 1))")
first_last=$(printf '%s\n' "$first" | tail -n "+$last_start")
session_script="set -euo pipefail
$first_body
echo '=== structured error ==='
if $first_last
then
  echo \"README: the first session's last call succeeded; it is meant to fail\" >&2
  exit 1
fi
echo '=== seed day ==='
$day
echo '=== end ==='"
# Pasted twice in a row into fresh shells against the same server: the second run must work
# as the first (the sessions name their shop and items with a suffix of their own).
for run in 1 2; do
  bash -c "$session_script" >"$work/out" 2>&1 || { cat "$work/out"; echo "README sessions failed (run $run)" >&2; exit 1; }
  sed -n '1,/^=== structured error ===$/p' "$work/out" >"$work/first.out"
  sed -n '/^=== structured error ===$/,/^=== seed day ===$/p' "$work/out" >"$work/error.out"
  sed -n '/^=== seed day ===$/,/^=== end ===$/p' "$work/out" | sed '1d;$d' >"$work/day.out"
  grep -q '"sku": "IPOD2008PINK-' "$work/first.out" || { cat "$work/out"; echo "first session failed" >&2; exit 1; }
  grep -q '"cost": "26.5"' "$work/first.out" || { cat "$work/out"; echo "field-mask update failed" >&2; exit 1; }
  grep -q '"reason": "INVALID_VALUE"' "$work/error.out" && grep -q 'INVALID_COUNTRY' "$work/error.out" || { cat "$work/out"; echo "structured error missing" >&2; exit 1; }
  # Every line the seed's day prints: the batch, the physical count, the counts read back
  # and the history's five changes, oldest first.
  expected='{"state":"INVENTORY_STATE_IN_STOCK","quantity":"94"}
{"state":"INVENTORY_STATE_WASTE","quantity":"2"}
{"state":"INVENTORY_STATE_IN_STOCK","quantity":"93"}
{"state":"INVENTORY_STATE_IN_STOCK","quantity":"93"}
{"state":"INVENTORY_STATE_WASTE","quantity":"2"}
"INVENTORY_CHANGE_TYPE_ADJUSTMENT"
"INVENTORY_CHANGE_TYPE_ADJUSTMENT"
"INVENTORY_CHANGE_TYPE_ADJUSTMENT"
"INVENTORY_CHANGE_TYPE_ADJUSTMENT"
"INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT"'
  [ "$(cat "$work/day.out")" = "$expected" ] || { cat "$work/day.out"; echo "seed day (run $run): not the output above (ends at 93)" >&2; exit 1; }
done

# Protecting stock: two calls are meant to be refused and the watch is ended by -max-time, so
# no `set -e`; instead every command that fails (pipefail: a grpcurl before a `| jq` too)
# prints its exit status, and exactly those three may fail, in that order. grpcurl exits
# with 64 + the gRPC code: FAILED_PRECONDITION (9) twice, then DEADLINE_EXCEEDED (4). Pasted
# twice in a row (the second run must work as the first, with names of its own).
g_def=$(printf '%s\n' "$first" | grep '^g() {')
count_failures="set -uo pipefail; trap 'echo \"=== failed (exit \$?)\"' ERR"
for run in 1 2; do
  bash -c "$count_failures"$'\n'"$g_def"$'\n'"$protect" >"$work/protect.out" 2>&1 || true
  fail() { cat "$work/protect.out"; echo "protecting stock (run $run): $1" >&2; exit 1; }
  [ "$(grep '^=== failed' "$work/protect.out")" = "=== failed (exit 73)
=== failed (exit 73)
=== failed (exit 68)" ] || fail "only the two refusals and the watch's end may fail"
  [ "$(grep -c 'INSUFFICIENT_QUANTITY' "$work/protect.out")" -ge 2 ] || fail "two refusals expected"
  grep -q '"available_quantity": "3"' "$work/protect.out" || fail "oversell: 3 available"
  grep -qx '{"state":"RESERVATION_STATE_HELD","held":"1"}' "$work/protect.out" || fail "commit 1"
  grep -qx '{"state":"RESERVATION_STATE_EXPIRED","released":"1"}' "$work/protect.out" || fail "expiry"
  grep -qx '{"state":"INVENTORY_STATE_IN_STOCK","quantity":"2"}' "$work/protect.out" || fail "IN_STOCK 2"
  grep -qx '{"state":"INVENTORY_STATE_RESERVED_FOR_SALE","quantity":"0"}' "$work/protect.out" || fail "RESERVED 0"
  feed='{"fromState":"INVENTORY_STATE_IN_STOCK","toState":"INVENTORY_STATE_RESERVED_FOR_SALE","quantity":"2"}
{"fromState":"INVENTORY_STATE_RESERVED_FOR_SALE","toState":"INVENTORY_STATE_SOLD","quantity":"1"}
{"fromState":"INVENTORY_STATE_RESERVED_FOR_SALE","toState":"INVENTORY_STATE_IN_STOCK","quantity":"1"}'
  [ "$(grep '"fromState"' "$work/protect.out")" = "$feed" ] || fail "the reservation's changes on the feed"
done

# Why stock moved: every call succeeds (set -euo pipefail), pasted twice; exactly the lines
# the README says it prints.
for run in 1 2; do
  bash -c "set -euo pipefail"$'\n'"$g_def"$'\n'"$reasons" >"$work/reasons.out" 2>&1 || { cat "$work/reasons.out"; echo "reasons session failed (run $run)" >&2; exit 1; }
  expected='{"state":"INVENTORY_STATE_IN_STOCK","quantity":"34"}
{"state":"INVENTORY_STATE_WASTE","quantity":"6"}
{"quantity":"6","toState":"INVENTORY_STATE_WASTE"}
{"isDeleted":true}'
  [ "$(cat "$work/reasons.out")" = "$expected" ] || { cat "$work/reasons.out"; echo "reasons session (run $run): not the output the README gives" >&2; exit 1; }
done

"$binary" verify --database-url "sqlite://$work/stockledger.db" >/dev/null

# TLS: the section's first sh block is pasted into a terminal of its own, from a checkout
# (scripts/test-ca.sh) with `stockledger` on the PATH, and serves; the second, pasted into
# another terminal, must print exactly the section's text block, its last call refused.
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tls_block() { # the $1-th fenced block of kind $2 of the TLS section
  awk -v n="$1" -v kind="$2" '
    $0 ~ "^## " { in_section = ($0 == "## TLS, with grpcurl") }
    in_section && $0 == "```" kind { count++; if (count == n) { in_block = 1; next } }
    in_block && /^```$/ { in_block = 0; next }
    in_block { print }
  ' README.md | sed "s/127.0.0.1:50443/127.0.0.1:$tls_port/g"
}
tls_serve=$(tls_block 1 sh)
tls_calls=$(tls_block 2 sh)
tls_expected=$(tls_block 1 text)
[ -n "$tls_serve" ] && [ -n "$tls_calls" ] && [ -n "$tls_expected" ] || { echo "README's TLS section not found" >&2; exit 1; }
mkdir -p "$work/tls/bin"
ln -s "$binary" "$work/tls/bin/stockledger"
ln -s "$PWD/scripts" "$work/tls/scripts"
(cd "$work/tls" && PATH="$work/tls/bin:$PATH" exec setsid bash -c "set -euo pipefail"$'\n'"$tls_serve") \
  >"$work/tls-serve.out" 2>&1 &
tls_pid=$!
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break
  kill -0 "$tls_pid" 2>/dev/null || { cat "$work/tls-serve.out"; echo "README's TLS server did not start" >&2; exit 1; }
  sleep 0.1
done
if (cd "$work/tls" && bash -c "set -uo pipefail"$'\n'"$tls_calls") >"$work/tls.out" 2>&1; then
  cat "$work/tls.out"; echo "README's TLS session: its last call (no client certificate) was served" >&2; exit 1
fi
[ "$(cat "$work/tls.out")" = "$tls_expected" ] || { cat "$work/tls.out" "$work/tls-serve.out"; echo "README's TLS session: not the output the README gives" >&2; exit 1; }
echo "readme: 5 passed, 0 failed"
