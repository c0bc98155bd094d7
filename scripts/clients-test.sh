#!/usr/bin/env bash
# Live tests of the generated clients: builds the server, starts ONE throw-away server
# (SQLite in a temp dir, a free port on 127.0.0.1), and runs clients/<lang>/test.sh for every
# language that has one, in parallel, each with its own merchant and token:
#   STOCKLEDGER_ADDR=127.0.0.1:<port>  STOCKLEDGER_TOKEN=<token with every scope>
#   STOCKLEDGER_HTTP_ADDR=127.0.0.1:<port> (the server's Square front door, --http-listen;
#   clients/square-python runs Square's own SDK against it)
# Each test.sh installs its own dependencies and runs its own test runner. Output is kept in
# one log per language, printed at the end. Ends with `clients: N passed, M failed`.
#   scripts/clients-test.sh              # every clients/*/test.sh
#   scripts/clients-test.sh python go    # only these
# Environment: STOCKLEDGER_BIN=path uses that server binary instead of building one;
# CLIENTS_TEST_TIMEOUT=seconds bounds each language (default 1800).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
per_language_timeout="${CLIENTS_TEST_TIMEOUT:-1800}"
scopes=INVENTORY_READ,INVENTORY_WRITE,ITEMS_READ,ITEMS_WRITE,LOCATIONS_READ,LOCATIONS_WRITE

# Which languages.
langs=()
if [[ $# -gt 0 ]]; then
  for lang in "$@"; do
    if [[ ! -f "clients/$lang/test.sh" ]]; then
      echo "clients-test: no clients/$lang/test.sh" >&2
      exit 2
    fi
    langs+=("$lang")
  done
else
  for script in clients/*/test.sh; do
    [[ -e "$script" ]] || continue
    lang="${script#clients/}"
    langs+=("${lang%/test.sh}")
  done
fi
if [[ ${#langs[@]} -eq 0 ]]; then
  echo "clients-test: no clients/*/test.sh found" >&2
  exit 2
fi

# The server binary.
if [[ -n "${STOCKLEDGER_BIN:-}" ]]; then
  bin="$(realpath "$STOCKLEDGER_BIN")"
else
  echo "clients-test: cargo build --bin stockledger" >&2
  cargo build --quiet --bin stockledger
  bin="$root/target/debug/stockledger"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-clients.XXXXXX")"
server_pid=""
job_pids=()
cleanup() {
  local pid
  for pid in "${job_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true  # each language runs in its own process group
  done
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Not exported: the language tests get only STOCKLEDGER_ADDR, STOCKLEDGER_HTTP_ADDR and
# STOCKLEDGER_TOKEN.
database_url="sqlite://$tmp/s.db?mode=rwc"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port="$(free_port)"
addr="127.0.0.1:$port"
http_port="$(free_port)"
while [[ "$http_port" == "$port" ]]; do http_port="$(free_port)"; done
http_addr="127.0.0.1:$http_port"

(cd "$tmp" && exec "$bin" serve --listen "$addr" --http-listen "$http_addr" --no-dev-token \
  --database-url "$database_url" --shutdown-grace-seconds 2) >"$tmp/server.log" 2>&1 &
server_pid=$!

# Wait for the port (the server migrates the database first).
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "clients-test: the server exited before listening:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
    (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
  ! (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then
  echo "clients-test: the server did not listen on $addr and $http_addr within 30 s:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
echo "clients-test: server on $addr (Square front door on $http_addr); running ${langs[*]}" >&2

# One merchant and token per language, then every language at once.
for lang in "${langs[@]}"; do
  if ! token="$(DATABASE_URL="$database_url" "$bin" token create --merchant "client-$lang" --scopes "$scopes" \
    --app-name "$lang client tests" 2>"$tmp/token.log")"; then
    echo "clients-test: token create failed for $lang:" >&2
    cat "$tmp/token.log" >&2
    exit 1
  fi
  STOCKLEDGER_ADDR="$addr" STOCKLEDGER_HTTP_ADDR="$http_addr" STOCKLEDGER_TOKEN="$token" \
    setsid --wait timeout --kill-after=10 "$per_language_timeout" bash "clients/$lang/test.sh" \
    </dev/null >"$tmp/$lang.log" 2>&1 &
  job_pids+=($!)
done

# Prints a log; one that does not end with a newline (or leaves a colour on) gets a reset
# and a newline, so that the next header and the summary stay alone on their lines.
show_log() {
  cat "$1"
  if [[ -s "$1" && "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]]; then
    printf '\033[0m\n'
  fi
}

passed=0
failed=0
failed_langs=()
results=()
for i in "${!langs[@]}"; do
  lang="${langs[$i]}"
  if wait "${job_pids[$i]}"; then
    status=0
  else
    status=$?
  fi
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_langs+=("$lang")
  fi
  results[$i]=$status
done
job_pids=()

for i in "${!langs[@]}"; do
  lang="${langs[$i]}"
  case "${results[$i]}" in
    0) echo "===== $lang: passed =====" ;;
    124) echo "===== $lang: FAILED (timed out after ${per_language_timeout} s) =====" ;;
    *) echo "===== $lang: FAILED (exit ${results[$i]}) =====" ;;
  esac
  show_log "$tmp/$lang.log"
done
if [[ $failed -gt 0 ]]; then
  echo "===== server log ====="
  show_log "$tmp/server.log"
  echo "clients-test: failed: ${failed_langs[*]}" >&2
fi
echo "clients: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
