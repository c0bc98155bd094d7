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
binary="$PWD/target/debug/stockledger"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
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
[ -n "$first" ] && [ -n "$day" ] && [ -n "$protect" ] || { echo "README sessions not found" >&2; exit 1; }

# Pasted one after the other into one shell; the first session's last call is meant to
# fail (it shows a structured error).
bash -c "$first"$'\n'"echo '=== seed day ==='"$'\n'"set -e"$'\n'"$day" >"$work/out" 2>&1 || { cat "$work/out"; echo "README sessions failed" >&2; exit 1; }
sed -n '1,/^=== seed day ===$/p' "$work/out" >"$work/first.out"
sed -n '/^=== seed day ===$/,$p' "$work/out" | tail -n +2 >"$work/day.out"
grep -q '"sku": "IPOD2008PINK"' "$work/first.out" || { cat "$work/out"; echo "first session failed" >&2; exit 1; }
grep -q '"cost": "26.5"' "$work/first.out" || { cat "$work/out"; echo "field-mask update failed" >&2; exit 1; }
grep -q '"reason": "INVALID_VALUE"' "$work/first.out" && grep -q 'INVALID_COUNTRY' "$work/first.out" || { cat "$work/out"; echo "structured error missing" >&2; exit 1; }
expected='{"state":"INVENTORY_STATE_IN_STOCK","quantity":"94"}
{"state":"INVENTORY_STATE_WASTE","quantity":"2"}
{"state":"INVENTORY_STATE_IN_STOCK","quantity":"93"}'
[ "$(head -3 "$work/day.out")" = "$expected" ] || { cat "$work/day.out"; echo "seed day did not end at 93" >&2; exit 1; }

# Protecting stock: two calls are meant to be refused, so no `set -e`; pasted twice in a row
# (the second run must work as the first, with names of its own).
g_def=$(printf '%s\n' "$first" | grep '^g() {')
for run in 1 2; do
  bash -c "$g_def"$'\n'"$protect" >"$work/protect.out" 2>&1
  fail() { cat "$work/protect.out"; echo "protecting stock (run $run): $1" >&2; exit 1; }
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

"$binary" verify --database-url "sqlite://$work/stockledger.db" >/dev/null
echo "readme: 3 passed, 0 failed"
