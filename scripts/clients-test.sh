#!/usr/bin/env bash
# Live tests of the generated clients: builds the server, starts ONE throw-away server
# (a free port on 127.0.0.1; its database is SQLite in a temp dir, or with --postgres a
# throw-away PostgreSQL cluster the script starts and removes itself), and runs
# clients/<lang>/test.sh for every listed language (or those named), in parallel, each with its own
# merchant and token:
#   STOCKLEDGER_ADDR=127.0.0.1:<port>  STOCKLEDGER_TOKEN=<token with every scope>
#   STOCKLEDGER_HTTP_ADDR=127.0.0.1:<port> (the server's Square and Shopify front doors,
#   --http-listen; clients/square-* and clients/shopify-* run those systems' own SDKs on it)
#   STOCKLEDGER_BIN=<the server binary> (suites that start servers of their own from it:
#   clients/square-webhooks-python and clients/shopify-webhooks-node kill and restart theirs)
# and a second server, over mutual TLS with a test CA made by scripts/test-ca.sh (on SQLite
# its own database; with --postgres a replica on the same one):
#   STOCKLEDGER_TLS_ADDR=127.0.0.1:<port>  STOCKLEDGER_TLS_TOKEN=<a token of that server>
#   STOCKLEDGER_TLS_CA=<the CA's certificate, PEM>  (the server's certificate is valid for
#                      127.0.0.1 and localhost)
#   STOCKLEDGER_TLS_CERT, STOCKLEDGER_TLS_KEY=<a client certificate and key the CA signed>
#   STOCKLEDGER_TLS_DIR=<every file scripts/test-ca.sh made, e.g. other-client.pem/.key: a
#                       client certificate of another CA, which the server refuses>
# Each test.sh installs its own dependencies and runs its own test runner. Output is kept in
# one log per language, printed at the end. Ends with `clients (sqlite): N passed, M failed`
# (or `clients (postgres): …`). The languages are an explicit list (`all_langs` below), not
# a glob: a listed language without its test.sh fails the run, and so does a clients/*/test.sh
# the list does not name, so that no suite drops out (or stays out) silently.
#   scripts/clients-test.sh                             # every language of the list, on SQLite
#   scripts/clients-test.sh python go                   # only these
#   scripts/clients-test.sh --postgres square-python    # server on PostgreSQL
# --postgres: initdb's a cluster in a temp dir (PostgreSQL's binaries from
# /usr/lib/postgresql/{15,16,17}/bin or PATH; as the `postgres` user when run as root), runs
# it on a free port of 127.0.0.1 without fsync, and creates one database for the server;
# the cluster is stopped and its directory removed however the script exits.
# Environment: STOCKLEDGER_BIN=path uses that server binary instead of building one;
# CLIENTS_TEST_TIMEOUT=seconds bounds each language (default 1800).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
per_language_timeout="${CLIENTS_TEST_TIMEOUT:-1800}"
scopes=INVENTORY_READ,INVENTORY_WRITE,INVENTORY_IMPORT,ITEMS_READ,ITEMS_WRITE,LOCATIONS_READ,LOCATIONS_WRITE,RESERVATIONS_READ,RESERVATIONS_WRITE,WEBHOOKS_READ,WEBHOOKS_WRITE

# Every client suite, each clients/<lang>/test.sh.
all_langs=(python go typescript java rust square-python square-node shopify-python shopify-graphql-node
  square-webhooks-python shopify-webhooks-node)
missing=()
for lang in "${all_langs[@]}"; do
  [[ -f "clients/$lang/test.sh" ]] || missing+=("clients/$lang/test.sh")
done
unlisted=()
for script in clients/*/test.sh; do
  [[ -e "$script" ]] || continue
  lang="${script#clients/}"
  lang="${lang%/test.sh}"
  [[ " ${all_langs[*]} " == *" $lang "* ]] || unlisted+=("$script")
done
if [[ ${#missing[@]} -gt 0 || ${#unlisted[@]} -gt 0 ]]; then
  [[ ${#missing[@]} -eq 0 ]] || echo "clients-test: missing: ${missing[*]} (listed in all_langs)" >&2
  [[ ${#unlisted[@]} -eq 0 ]] || echo "clients-test: not in all_langs: ${unlisted[*]}" >&2
  echo "clients-test: scripts/clients-test.sh's all_langs must name exactly the client suites" >&2
  exit 2
fi

# The backend and which languages.
backend=sqlite
langs=()
for arg in "$@"; do
  case "$arg" in
    --postgres) backend=postgres ;;
    -*)
      echo "clients-test: unknown option $arg (usage: scripts/clients-test.sh [--postgres] [LANG…])" >&2
      exit 2
      ;;
    *)
      if [[ " ${all_langs[*]} " != *" $arg "* ]]; then
        echo "clients-test: unknown language $arg (one of: ${all_langs[*]})" >&2
        exit 2
      fi
      langs+=("$arg")
      ;;
  esac
done
if [[ ${#langs[@]} -eq 0 ]]; then
  langs=("${all_langs[@]}")
fi

# The server binary.
if [[ -n "${STOCKLEDGER_BIN:-}" ]]; then
  bin="$(realpath "$STOCKLEDGER_BIN")"
else
  echo "clients-test: cargo build --bin stockledger" >&2
  cargo build --quiet --bin stockledger
  # Where cargo put it (CARGO_TARGET_DIR and cargo's config respected): a fixed target/
  # path could run a stale binary.
  bin="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/stockledger"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-clients.XXXXXX")"
server_pid=""
tls_server_pid=""
job_pids=()
# --postgres: the throw-away cluster (pg_start / pg_stop).
# shellcheck source=scripts/lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
cleanup() {
  trap '' INT TERM  # a second Ctrl-C does not cut the cleanup short
  local pid
  for pid in "${job_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true  # each language runs in its own process group
  done
  for pid in "$server_pid" "$tls_server_pid"; do
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/ports.sh
source "$root/scripts/lib/ports.sh"

# Starts the throw-away cluster and sets database_url to an empty database in it.
start_postgres() {
  free_port
  pg_start "$tmp" "$free_port" || exit 1
  if ! "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    -c 'CREATE DATABASE stockledger' >"$tmp/createdb.log" 2>&1; then
    echo "clients-test: PostgreSQL on 127.0.0.1:$pg_port did not accept CREATE DATABASE:" >&2
    cat "$tmp/createdb.log" "$tmp/postgres.log" >&2
    exit 1
  fi
  echo "clients-test: PostgreSQL ($pg_bin) on 127.0.0.1:$pg_port, data in $pg_dir" >&2
  database_url="postgres://postgres@127.0.0.1:$pg_port/stockledger"
}

# Not exported: the language tests get only the STOCKLEDGER_* variables above.
case "$backend" in
  sqlite)
    database_url="sqlite://$tmp/s.db?mode=rwc"
    tls_database_url="sqlite://$tmp/tls.db?mode=rwc"
    ;;
  postgres)
    start_postgres
    tls_database_url="$database_url"
    ;;
esac
tls_dir="$tmp/ca"
scripts/test-ca.sh "$tls_dir"
free_port
port="$free_port"
addr="127.0.0.1:$port"
free_port
http_port="$free_port"
http_addr="127.0.0.1:$http_port"
free_port
tls_port="$free_port"
tls_addr="127.0.0.1:$tls_port"

# The schema before the server: serve binds its listeners before it migrates, so a port that
# accepts connections does not mean a migrated database, and `token create` below would
# migrate it at the same time (and fail: "table ... already exists").
for url in "$database_url" "$tls_database_url"; do
  if ! "$bin" migrate --database-url "$url" >"$tmp/migrate.log" 2>&1; then
    echo "clients-test: stockledger migrate failed:" >&2
    cat "$tmp/migrate.log" >&2
    exit 1
  fi
done
(cd "$tmp" && exec "$bin" serve --listen "$addr" --http-listen "$http_addr" --no-dev-token \
  --database-url "$database_url" --shutdown-grace-seconds 2) >"$tmp/server.log" 2>&1 &
server_pid=$!
(cd "$tmp" && exec "$bin" serve --listen "$tls_addr" --no-dev-token \
  --tls-cert "$tls_dir/server.pem" --tls-key "$tls_dir/server.key" --tls-client-ca "$tls_dir/ca.pem" \
  --database-url "$tls_database_url" --shutdown-grace-seconds 2) >"$tmp/tls-server.log" 2>&1 &
tls_server_pid=$!

# Wait for the ports.
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null || ! kill -0 "$tls_server_pid" 2>/dev/null; then
    echo "clients-test: a server exited before listening:" >&2
    cat "$tmp/server.log" "$tmp/tls-server.log" >&2
    exit 1
  fi
  if listening "$port" && listening "$http_port" && listening "$tls_port"; then
    break
  fi
  sleep 0.1
done
if ! listening "$port" || ! listening "$http_port" || ! listening "$tls_port"; then
  echo "clients-test: the servers did not listen on $addr, $http_addr and $tls_addr within 30 s:" >&2
  cat "$tmp/server.log" "$tmp/tls-server.log" >&2
  exit 1
fi
echo "clients-test: server on $addr (Square and Shopify front doors on $http_addr), over mutual TLS" \
  "on $tls_addr, database on $backend; running ${langs[*]}" >&2

# One merchant and token per language, then every language at once.
for lang in "${langs[@]}"; do
  if ! token="$(DATABASE_URL="$database_url" "$bin" token create --merchant "client-$lang" --scopes "$scopes" \
    --app-name "$lang client tests" 2>"$tmp/token.log")"; then
    echo "clients-test: token create failed for $lang:" >&2
    cat "$tmp/token.log" >&2
    exit 1
  fi
  if ! tls_token="$(DATABASE_URL="$tls_database_url" "$bin" token create --merchant "client-$lang" \
    --scopes "$scopes" --app-name "$lang client TLS tests" 2>"$tmp/token.log")"; then
    echo "clients-test: token create (TLS server) failed for $lang:" >&2
    cat "$tmp/token.log" >&2
    exit 1
  fi
  STOCKLEDGER_ADDR="$addr" STOCKLEDGER_HTTP_ADDR="$http_addr" STOCKLEDGER_TOKEN="$token" \
    STOCKLEDGER_BIN="$bin" STOCKLEDGER_TLS_ADDR="$tls_addr" STOCKLEDGER_TLS_TOKEN="$tls_token" STOCKLEDGER_TLS_DIR="$tls_dir" \
    STOCKLEDGER_TLS_CA="$tls_dir/ca.pem" STOCKLEDGER_TLS_CERT="$tls_dir/client.pem" \
    STOCKLEDGER_TLS_KEY="$tls_dir/client.key" \
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
  results[i]=$status
done
job_pids=()

for i in "${!langs[@]}"; do
  lang="${langs[$i]}"
  case "${results[$i]}" in
    0) echo "===== $lang ($backend): passed =====" ;;
    124) echo "===== $lang ($backend): FAILED (timed out after ${per_language_timeout} s) =====" ;;
    *) echo "===== $lang ($backend): FAILED (exit ${results[$i]}) =====" ;;
  esac
  show_log "$tmp/$lang.log"
done
if [[ $failed -gt 0 ]]; then
  echo "===== server log ($backend) ====="
  show_log "$tmp/server.log"
  echo "===== TLS server log ($backend) ====="
  show_log "$tmp/tls-server.log"
  if [[ "$backend" == postgres ]]; then
    echo "===== postgres log ====="
    show_log "$tmp/postgres.log"
  fi
  echo "clients-test ($backend): failed: ${failed_langs[*]}" >&2
fi
echo "clients ($backend): $passed passed, $failed failed"
[[ $failed -eq 0 ]]
