#!/usr/bin/env bash
# Runs the Go client's tests against a live server: STOCKLEDGER_ADDR (host:port) and
# STOCKLEDGER_TOKEN (a token with every scope) must be set, and for the TLS tests
# STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT, _KEY and _DIR (a server over mutual TLS and its
# test CA's files; those tests fail without them); scripts/clients-test.sh sets them all. Module downloads come through the Go module proxy on first use. Ends with
# quickstart.sh: the README's programs, installed and run as a user would.
set -euo pipefail
cd "$(dirname "$0")"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of a running server (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
go test -count=1 "$@" ./...

# The README's install steps and programs, each run twice, output checked (quickstart.sh).
./quickstart.sh
