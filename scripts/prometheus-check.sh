#!/usr/bin/env bash
# A real Prometheus scrapes a live server (docs/operations.md, "Metrics"): starts the
# server binary — the debug build the other checks share (a release build would add minutes
# to a cold run and change nothing this checks) — on a fresh SQLite database with
# --http-listen and --metrics-listen, sends it gRPC calls (grpcurl) and Square-door
# requests (curl), starts Debian's `prometheus` (scripts/setup.sh installs it) scraping
# /metrics every second, and asks Prometheus' HTTP API for the series a user would graph —
# a gRPC method's calls by code, a door route's requests by status, group commits, the write
# pool — failing unless each has the expected labels and value. Everything it starts is
# stopped, and its directory removed, on exit.
#   scripts/prometheus-check.sh
# Environment: STOCKLEDGER_BIN=path uses that server binary instead of building one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$PATH:$(go env GOPATH)/bin"
command -v grpcurl >/dev/null 2>&1 || go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest
command -v prometheus >/dev/null 2>&1 || { echo "prometheus-check: prometheus not installed (scripts/setup.sh)" >&2; exit 1; }

if [[ -n "${STOCKLEDGER_BIN:-}" ]]; then
  bin="$(realpath "$STOCKLEDGER_BIN")"
else
  cargo build --quiet --bin stockledger
  bin="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/stockledger"
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc_port=$(free_port) http_port=$(free_port) metrics_port=$(free_port) prom_port=$(free_port)

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

db="sqlite://$work/stock.db?mode=rwc"
"$bin" migrate --database-url "$db" >/dev/null
token=$("$bin" token create --database-url "$db" --merchant prometheus-check --app-name prometheus-check \
  --scopes INVENTORY_READ,INVENTORY_WRITE,ITEMS_WRITE,LOCATIONS_WRITE 2>/dev/null)
[[ -n "$token" ]] || { echo "prometheus-check: no token minted" >&2; exit 1; }
"$bin" serve --database-url "$db" --no-dev-token --listen "127.0.0.1:$grpc_port" \
  --http-listen "127.0.0.1:$http_port" --metrics-listen "127.0.0.1:$metrics_port" \
  >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$metrics_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$metrics_port/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

# Traffic: three created locations, one refused request, a count batch over Square's door.
call() { grpcurl -plaintext -H "authorization: Bearer $token" "$@"; }
for n in 1 2 3; do
  call -d "{\"location\": {\"name\": \"Shop $n $RANDOM\"}}" "127.0.0.1:$grpc_port" \
    stockledger.v1.LocationService/CreateLocation >/dev/null
done
if call -d '{"location": {"name": ""}}' "127.0.0.1:$grpc_port" \
  stockledger.v1.LocationService/CreateLocation >/dev/null 2>&1; then
  echo "prometheus-check: an empty location name was accepted" >&2; exit 1
fi
curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{}' \
  "http://127.0.0.1:$http_port/v2/inventory/counts/batch-retrieve" >/dev/null

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: stockledger
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

# The value of `query` in Prometheus, once it has one (30 s at most), else empty.
value_of() {
  local query="$1" answer value
  for _ in $(seq 60); do
    answer=$(curl -fsG "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$query" 2>/dev/null) || answer=""
    value=$(python3 -c 'import json, sys
r = json.loads(sys.argv[1] or "{}").get("data", {}).get("result", [])
print(r[0]["value"][1] if r else "")' "$answer")
    if [[ -n "$value" ]]; then echo "$value"; return; fi
    sleep 0.5
  done
}
failed=0
expect() {
  local query="$1" wanted="$2" got
  got=$(value_of "$query")
  if [[ "$got" == "$wanted" ]]; then
    echo "prometheus-check: $query = $got"
  else
    echo "prometheus-check: $query = ${got:-no series}, expected $wanted" >&2
    failed=1
  fi
}
expect 'stockledger_grpc_requests_total{method="/stockledger.v1.LocationService/CreateLocation",code="OK"}' 3
expect 'stockledger_grpc_requests_total{method="/stockledger.v1.LocationService/CreateLocation",code="INVALID_ARGUMENT"}' 1
expect 'stockledger_http_requests_total{route="/v2/inventory/counts/batch-retrieve",status="200"}' 1
expect 'sum(stockledger_db_pool_connections) > bool 0' 1
expect 'up{job="stockledger"}' 1
# No merchant or token names a series.
labels=$(curl -fsG "http://127.0.0.1:$prom_port/api/v1/labels" | python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["data"]))')
for forbidden in merchant token; do
  if [[ " $labels " == *" $forbidden "* ]]; then
    echo "prometheus-check: a series has the label '$forbidden'" >&2; failed=1
  fi
done
if ((failed)); then
  echo "--- server log" >&2; tail -n 20 "$work/server.log" >&2
  echo "--- prometheus log" >&2; tail -n 20 "$work/prometheus.log" >&2
  exit 1
fi
echo "prometheus-check: ok (Prometheus $(prometheus --version 2>&1 | head -n 1 | cut -d' ' -f3) scraped the server)"
