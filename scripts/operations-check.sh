#!/usr/bin/env bash
# Runs docs/operations.md as an operator would paste it, then a rolling restart under load.
#
# 1. The guide: every ```sh block, in order, in one bash (set -euo pipefail), in a sandbox —
#    a temporary directory as the working directory (with a copy of deploy/), the debug
#    binary on PATH as `stockledger`, a throw-away PostgreSQL cluster (scripts/lib/postgres.sh)
#    where the guide says 127.0.0.1:5432, free ports where it says 127.0.0.1:50051 and
#    127.0.0.1:9464, and /var/lib/stockledger, /var/backups/stockledger and /etc/stockledger
#    (and the unit's /usr/local/bin/stockledger) moved into the sandbox, the TLS section's
#    certificates made by scripts/test-ca.sh (/etc/stockledger/server.pem, server.key,
#    clients-ca.pem; ca.pem, client.pem, client.key in the working directory); STOCKLEDGER_LISTEN
#    moves the default --listen as 127.0.0.1:50051 is moved. A failing command
#    fails the run, named by its block's line. Servers the guide starts (`… &`) must be
#    stopped by the guide itself, exiting 0 on SIGTERM. Blocks fenced ```sh not-run are not
#    run: each must start with "# not run: <why>" and sit in a section of `not_run_sections`
#    below, which must name them all, once each. Any other fence than sh, sh not-run, yaml,
#    promql or a bare one (output) fails the run; yaml blocks are checked with
#    `promtool check config`.
# 2. A rolling restart: two replicas on one database of the cluster, three writers (grpcurl)
#    sending one-receipt batches through both with unique idempotency keys, retrying a call
#    broken by a stopping replica on the other one with the same key. Replica 1 is stopped
#    with SIGTERM (it must exit 0), writes go on through replica 2 (some must have met the
#    stopped one), and it is started from a copy of the binary (the "new" one); then
#    replica 2 likewise. Afterwards `stockledger verify` passes and the item's count equals the
#    batches acknowledged: each applied exactly once.
#   scripts/operations-check.sh
# Environment: STOCKLEDGER_BIN=path uses that server binary instead of building one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$PATH:$(go env GOPATH 2>/dev/null)/bin"
command -v grpcurl >/dev/null 2>&1 || go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest
for tool in curl promtool systemd-analyze; do
  command -v "$tool" >/dev/null 2>&1 || { echo "operations-check: $tool not installed (scripts/setup.sh)" >&2; exit 1; }
done

# The sections whose ```sh not-run blocks are expected, one block each.
not_run_sections=("Upgrades" "Running under systemd" "Sizing")

if [[ -n "${STOCKLEDGER_BIN:-}" ]]; then
  bin="$(realpath "$STOCKLEDGER_BIN")"
else
  cargo build --quiet --bin stockledger
  bin="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/stockledger"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-operations.XXXXXX")"
session_group=""
pids=()
# shellcheck source=scripts/lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
cleanup() {
  trap '' INT TERM
  local pid
  # The guide's shell runs in a process group of its own: it and whatever it left running.
  if [[ -n "$session_group" ]]; then kill -TERM -- "-$session_group" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/ports.sh
source "$root/scripts/lib/ports.sh"
fail() { echo "operations-check: $*" >&2; exit 1; }

free_port
pg_start "$work" "$free_port" || exit 1
free_port; grpc_port="$free_port"
free_port; metrics_port="$free_port"
free_port; https_port="$free_port"
free_port; http_port="$free_port"

# ---------------------------------------------------------------------------------------
# 1. The guide.

# The blocks: for each, "<info>\t<section>\t<line>" on a header line, then its text.
blocks="$work/blocks"
awk '
  /^## / { section = substr($0, 4) }
  /^```/ {
    if (!in_block) { in_block = 1; info = substr($0, 4); printf "@@block\t%s\t%s\t%d\n", info, section, NR; next }
    if ($0 == "```") { in_block = 0; print "@@end"; next }
  }
  in_block { print }
' docs/operations.md >"$blocks"

sandbox="$work/sandbox"
mkdir -p "$sandbox/bin" "$sandbox/home"
ln -s "$bin" "$sandbox/bin/stockledger"
# The guide's paths and addresses, as this sandbox has them.
localise() {
  sed -e "s#127\.0\.0\.1:50051#127.0.0.1:$grpc_port#g" \
    -e "s#127\.0\.0\.1:9464#127.0.0.1:$metrics_port#g" \
    -e "s#127\.0\.0\.1:8443#127.0.0.1:$https_port#g" \
    -e "s#127\.0\.0\.1:8080#127.0.0.1:$http_port#g" \
    -e "s#127\.0\.0\.1:5432#127.0.0.1:$pg_port#g" \
    -e "s#/var/lib/stockledger#$sandbox/var/lib/stockledger#g" \
    -e "s#/var/backups/stockledger#$sandbox/var/backups/stockledger#g" \
    -e "s#/etc/stockledger#$sandbox/etc/stockledger#g" \
    -e "s#/usr/local/bin/stockledger#$sandbox/bin/stockledger#g"
}
mkdir -p "$sandbox/home/deploy"
# The TLS section's certificates: the server's in /etc/stockledger, the client's in the
# working directory (scripts/test-ca.sh).
scripts/test-ca.sh "$work/ca"
mkdir -p "$sandbox/etc/stockledger"
cp "$work/ca/server.pem" "$work/ca/server.key" "$sandbox/etc/stockledger/"
cp "$work/ca/ca.pem" "$sandbox/etc/stockledger/clients-ca.pem"
cp "$work/ca/ca.pem" "$work/ca/client.pem" "$work/ca/client.key" "$sandbox/home/"
for file in deploy/*; do
  localise <"$file" >"$sandbox/home/$file"
done

session="$work/session.sh"
{
  echo 'set -euo pipefail'
  # The default --listen, moved as the guide's 127.0.0.1:50051 is.
  echo "export STOCKLEDGER_LISTEN=127.0.0.1:$grpc_port"
  echo 'trap '\''echo "operations-check: failed at the block above (exit $?)" >&2'\'' ERR'
} >"$session"
ran=0
not_run_seen=()
yaml_count=0
current=""
while IFS= read -r line; do
  if [[ "$line" == $'@@block\t'* ]]; then
    IFS=$'\t' read -r _ info section start <<<"$line"
    current="$info"
    body=""
    continue
  fi
  if [[ "$line" == "@@end" ]]; then
    where="docs/operations.md line $start (## $section)"
    case "$current" in
      sh)
        ran=$((ran + 1))
        printf 'echo "=== %s" >&2\n%s\n' "$where" "$(printf '%s' "$body" | localise)" >>"$session"
        ;;
      "sh not-run")
        [[ "$body" == "# not run: "* ]] || fail "$where: a not-run block must start with '# not run: <why>'"
        [[ " ${not_run_sections[*]/%/|} " == *" $section|"* ]] ||
          fail "$where: a not-run block outside the sections named in not_run_sections (${not_run_sections[*]})"
        for seen in "${not_run_seen[@]}"; do
          [[ "$seen" != "$section" ]] || fail "$where: a second not-run block in ## $section"
        done
        not_run_seen+=("$section")
        echo "operations-check: not run ($where): ${body%%$'\n'*}"
        ;;
      yaml)
        yaml_count=$((yaml_count + 1))
        printf '%s\n' "$body" >"$work/config-$yaml_count.yml"
        promtool check config "$work/config-$yaml_count.yml" >"$work/promtool.log" 2>&1 ||
          { cat "$work/promtool.log" >&2; fail "$where: promtool check config refused the block"; }
        ;;
      promql | "") ;;
      *) fail "$where: fence '$current' is none of sh, sh not-run, yaml, promql (or a bare one, for output)" ;;
    esac
    current=""
    continue
  fi
  body+="${body:+$'\n'}$line"
done <"$blocks"
[[ ${#not_run_seen[@]} -eq ${#not_run_sections[@]} ]] ||
  fail "not-run blocks found in (${not_run_seen[*]}), expected one in each of (${not_run_sections[*]})"
[[ $ran -gt 0 ]] || fail "no sh block found in docs/operations.md"
# Every server the guide started, stopped by the guide.
echo '[[ -z "$(jobs -p)" ]] || { echo "operations-check: the guide left a server running" >&2; exit 1; }' >>"$session"

echo "operations-check: running $ran blocks of docs/operations.md (PostgreSQL on 127.0.0.1:$pg_port)" >&2
status=0
(cd "$sandbox/home" && PATH="$sandbox/bin:$pg_bin:$PATH" HOME="$sandbox/home" \
  exec setsid timeout 120 bash "$session") >"$work/session.log" 2>&1 &
session_group=$!
wait "$session_group" || status=$?
if [[ $status -ne 0 ]]; then
  cat "$work/session.log" >&2
  fail "docs/operations.md: a block failed (exit $status; the last === line names it)"
fi
if grep -q "Development token" "$work/session.log"; then
  cat "$work/session.log" >&2
  fail "a server of the guide printed a development token (STOCKLEDGER_NO_DEV_TOKEN)"
fi
ls "$sandbox"/var/backups/stockledger/stockledger-*.db >/dev/null || fail "the guide's SQLite backup is missing"
echo "operations-check: docs/operations.md: $ran blocks ran, ${#not_run_seen[@]} not run (${not_run_seen[*]})"

# ---------------------------------------------------------------------------------------
# 2. A rolling restart of two replicas under writes.

psql_admin() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "postgres://postgres@127.0.0.1:$pg_port/postgres" "$@"; }
psql_admin -c 'CREATE DATABASE rolling' >/dev/null
url="postgres://postgres@127.0.0.1:$pg_port/rolling"
"$bin" migrate --database-url "$url" >/dev/null
token=$("$bin" token create --database-url "$url" --merchant rolling --app-name "Rolling restart" \
  --scopes INVENTORY_READ,INVENTORY_WRITE,ITEMS_WRITE,LOCATIONS_WRITE)
mkdir -p "$work/new"
cp "$bin" "$work/new/stockledger"
free_port; replica_ports=("$grpc_port" "$free_port")
replica_pids=("" "")
# Starts replica $1 from binary $2 and waits until health answers.
start_replica() {
  local port="${replica_ports[$1]}"
  "$2" serve --database-url "$url" --no-dev-token --listen "127.0.0.1:$port" \
    --shutdown-grace-seconds 10 2>>"$work/replica-$1.log" &
  replica_pids[$1]=$!
  pids+=($!)
  for _ in $(seq 1 150); do
    grpcurl -plaintext "127.0.0.1:$port" grpc.health.v1.Health/Check >/dev/null 2>&1 && return 0
    kill -0 "${replica_pids[$1]}" 2>/dev/null || { cat "$work/replica-$1.log" >&2; fail "replica $1 exited"; }
    sleep 0.1
  done
  fail "replica $1 did not answer health within 15 s"
}
start_replica 0 "$bin"
start_replica 1 "$bin"
call() { grpcurl -plaintext -max-time 20 -H "authorization: Bearer $token" "$@"; }
loc=$(call -d '{"location": {"name": "Rolling"}}' "127.0.0.1:${replica_ports[0]}" \
  stockledger.v1.LocationService/CreateLocation | python3 -c 'import json, sys; print(json.load(sys.stdin)["location"]["id"])')
item=$(call -d '{"inventory_item": {"sku": "ROLL"}}' "127.0.0.1:${replica_ports[1]}" \
  stockledger.v1.InventoryItemService/CreateInventoryItem | python3 -c 'import json, sys; print(json.load(sys.stdin)["inventoryItem"]["id"])')

# Writer $1: its batch n goes to replica n % 2 first; a call broken by a stopping replica
# (connection refused: exit 1; UNAVAILABLE: 64 + 14) goes to the other, same key. Any
# other failure stops it. Appends each acknowledged batch to $work/acked, each retry to
# $work/retried.
writer() {
  local n=0 attempt out code
  while [[ ! -e "$work/stop-writer" ]]; do
    n=$((n + 1))
    local body="{\"idempotency_key\": \"rolling-$1-$n\", \"changes\": [{\"adjustment\": {\"catalog_object_id\": \"$item\", \"location_id\": \"$loc\", \"from_state\": \"INVENTORY_STATE_NONE\", \"to_state\": \"INVENTORY_STATE_IN_STOCK\", \"quantity\": \"1\"}}]}"
    attempt=0
    while :; do
      code=0
      out=$(call -d "$body" "127.0.0.1:${replica_ports[$(((n + attempt) % 2))]}" \
        stockledger.v1.InventoryService/BatchChangeInventory 2>&1) || code=$?
      [[ $code -eq 0 ]] && break
      if [[ $code -ne 1 && $code -ne 78 ]] || [[ $attempt -ge 100 ]]; then
        echo "writer $1: batch $n failed (grpcurl exit $code, attempt $attempt): $out" >&2
        return 1
      fi
      echo "$1 $n $code" >>"$work/retried"
      attempt=$((attempt + 1))
      sleep 0.05
    done
    echo "$1 $n" >>"$work/acked"
  done
}
: >"$work/acked"
: >"$work/retried"
# Three writers, so that calls are under way when a replica is told to stop.
writer_pids=()
for w in 1 2 3; do
  writer "$w" &
  writer_pids+=($!)
  pids+=($!)
done
acked() { wc -l <"$work/acked"; }
retried() { wc -l <"$work/retried"; }
# Waits until $1 more batches are acknowledged (60 s at most).
more_acked() {
  local target=$(($(acked) + $1))
  for _ in $(seq 1 600); do
    [[ $(acked) -ge $target ]] && return 0
    for pid in "${writer_pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a writer stopped"; done
    sleep 0.1
  done
  fail "the writers acknowledged fewer than $1 batches in 60 s"
}
more_acked 20
for replica in 0 1; do
  kill -TERM "${replica_pids[$replica]}"
  wait "${replica_pids[$replica]}" || { cat "$work/replica-$replica.log" >&2; fail "replica $replica did not exit 0 on SIGTERM"; }
  # While it is down, writes go on through the other replica: half of the batches try the
  # stopped one first and are sent again, same key, to the other.
  retries_before=$(retried)
  more_acked 12
  [[ $(retried) -gt $retries_before ]] || fail "no call met the stopped replica $replica"
  start_replica "$replica" "$work/new/stockledger"
  more_acked 20
done
touch "$work/stop-writer"
for pid in "${writer_pids[@]}"; do wait "$pid" || fail "a writer failed"; done
"$bin" verify --database-url "$url" >/dev/null || fail "stockledger verify refused the database after the rolling restart"
batches=$(acked)
count=$(call -d "{\"catalog_object_id\": \"$item\", \"location_ids\": [\"$loc\"]}" "127.0.0.1:${replica_ports[0]}" \
  stockledger.v1.InventoryService/RetrieveInventoryCount |
  python3 -c 'import json, sys; print(next((c["quantity"] for c in json.load(sys.stdin).get("counts", []) if c["state"] == "INVENTORY_STATE_IN_STOCK"), "0"))')
[[ "$count" == "$batches" ]] ||
  fail "after the rolling restart the count is $count, but $batches batches of 1 were acknowledged"
for replica in 0 1; do
  kill -TERM "${replica_pids[$replica]}"
  wait "${replica_pids[$replica]}" || fail "replica $replica did not exit 0 on SIGTERM"
done
echo "operations-check: rolling restart of 2 replicas: $batches batches of 3 writers acknowledged, each" \
  "applied once ($(retried) calls retried on the other replica), verify passed"
