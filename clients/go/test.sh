#!/usr/bin/env bash
# Runs the Go client's tests against a live server: STOCKLEDGER_ADDR (host:port) and
# STOCKLEDGER_TOKEN (a token with every scope) must be set; scripts/clients-test.sh sets
# both. Module downloads come through the Go module proxy on first use.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of a running server (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
go test -count=1 "$@" ./...
# The README's quick start program, against the same server.
go run ./examples/quickstart
# The README's guarded changes program.
go run ./examples/guards
# The README's reservations program.
go run ./examples/reservations
