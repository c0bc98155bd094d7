#!/usr/bin/env bash
# Runs the Go client's tests against a live server: STOCKLEDGER_ADDR (host:port) and
# STOCKLEDGER_TOKEN (a token with every scope) must be set; scripts/clients-test.sh sets
# both. Module downloads come through the Go module proxy on first use.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of a running server (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
go test -count=1 "$@" ./...

# Runs examples/NAME against the same server and compares every line it prints with what
# the README says it prints: a program that runs but prints other counts fails.
check_example() {
  local name="$1" expected="$2" output
  output="$(go run "./examples/$name")"
  printf '%s\n' "$output"
  if [[ "$output" != "$expected" ]]; then
    printf 'clients/go/test.sh: examples/%s printed the above, not:\n%s\n' "$name" "$expected" >&2
    exit 1
  fi
}
# The README's quick start: receive 100, sell 3.
check_example quickstart "INVENTORY_STATE_IN_STOCK 97"
# The README's guarded changes program.
check_example guards "changes[0].expected_quantity is actually 5
INVENTORY_STATE_IN_STOCK has only 5"
# The README's reservations program.
check_example reservations "lines[0].quantity has only 1
RESERVATION_STATE_RELEASED 1 1
true RESERVATION_STATE_RELEASED
RESERVATION_NOT_HELD RESERVATION_STATE_RELEASED"
