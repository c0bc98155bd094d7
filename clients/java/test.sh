#!/usr/bin/env bash
# Builds the Java client (stubs generated from ../../proto) and runs its tests against a live
# server, then runs the README's programs as a user would (quickstart.sh). STOCKLEDGER_ADDR
# (host:port) and STOCKLEDGER_TOKEN (every scope) must be set, as scripts/clients-test.sh does;
# so must STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT, _KEY and _DIR (a server over mutual TLS and
# its test CA's files), or LiveTlsTest fails.
# Needs Java 17+ and Maven; dependencies come from Maven Central.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
[[ -n "${STOCKLEDGER_ADDR:-}" ]] || missing+=(STOCKLEDGER_ADDR)
[[ -n "${STOCKLEDGER_TOKEN:-}" ]] || missing+=(STOCKLEDGER_TOKEN)
if ((${#missing[@]})); then
  echo "clients/java/test.sh: ${missing[*]} not set (a running server's host:port and a token with every scope)" >&2
  exit 2
fi

# -B: batch mode (no colours, no download progress). Not -q: Surefire's
# "Tests run: N, Failures: 0, ..." summary stays visible at the end.
mvn -B --no-transfer-progress -Dstyle.color=never test "$@"
./quickstart.sh
