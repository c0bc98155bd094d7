#!/usr/bin/env bash
# The web console (docs/console.md) in headless Chromium: starts the debug server binary on a
# fresh SQLite database with --http-listen, mints two tokens (one without RESERVATIONS_READ),
# makes a location, an item with 10 in stock, a held reservation and a reorder point of 15
# over gRPC (grpcurl),
# then drives Debian's chromium with Playwright (tools/console-check/check.py): a refused
# token and the one lacking a scope are told so; then sign in, each view, and a change
# written over gRPC that must appear on the open page — in the live feed, its count cell
# and, as it takes the count above 15, a "Recovered" alert — within one second, with no error in the page's console. The screenshot is kept as
# target/console-check/console.png. Everything it starts is stopped on exit.
#   scripts/console-check.sh
# Environment: STOCKLEDGER_BIN=path uses that server binary instead of building one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/ports.sh
source scripts/lib/ports.sh
export PATH="$PATH:$(go env GOPATH)/bin"
command -v grpcurl >/dev/null 2>&1 || go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest
chromium=/usr/bin/chromium
[[ -x "$chromium" ]] || { echo "console-check: $chromium not installed (scripts/setup.sh)" >&2; exit 1; }

if [[ -n "${STOCKLEDGER_BIN:-}" ]]; then
  bin="$(realpath "$STOCKLEDGER_BIN")"
else
  cargo build --quiet --bin stockledger
  bin="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/stockledger"
fi

# Playwright, pinned, in a venv of its own (made again when the requirements change). Its
# browser download is never run: it drives $chromium.
out="$root/target/console-check"
venv="$out/venv"
requirements=tools/console-check/requirements.txt
mkdir -p "$out"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

work=$(mktemp -d)
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db="sqlite://$work/stock.db?mode=rwc"
"$bin" migrate --database-url "$db" >/dev/null
token=$("$bin" token create --database-url "$db" --merchant console-check --app-name "Console check" \
  --scopes INVENTORY_READ,INVENTORY_WRITE,ITEMS_READ,ITEMS_WRITE,LOCATIONS_READ,LOCATIONS_WRITE,RESERVATIONS_READ,RESERVATIONS_WRITE 2>/dev/null)
partial=$("$bin" token create --database-url "$db" --merchant console-check --app-name "Console check" \
  --scopes INVENTORY_READ,ITEMS_READ,LOCATIONS_READ 2>/dev/null)
[[ -n "$token" && -n "$partial" ]] || { echo "console-check: no token minted" >&2; exit 1; }
free_port; grpc_port=$free_port
free_port; http_port=$free_port
"$bin" serve --database-url "$db" --no-dev-token --listen "127.0.0.1:$grpc_port" \
  --http-listen "127.0.0.1:$http_port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  listening "$http_port" && listening "$grpc_port" && break
  sleep 0.1
done
listening "$http_port" || { cat "$work/server.log" >&2; exit 1; }

g() { grpcurl -plaintext -H "authorization: Bearer $token" -d "$1" "127.0.0.1:$grpc_port" "$2"; }
sku="CONSOLE-MUG-$RANDOM"
location=$(g '{"location": {"name": "Console Street"}}' stockledger.v1.LocationService/CreateLocation |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["location"]["id"])')
item=$(g "{\"inventory_item\": {\"sku\": \"$sku\"}}" stockledger.v1.InventoryItemService/CreateInventoryItem |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["inventoryItem"]["id"])')
# 12 received, 2 of them reserved: 10 in stock.
g "{\"idempotency_key\": \"receive-$item\", \"changes\": [{\"adjustment\": {\"catalog_object_id\": \"$item\",
  \"location_id\": \"$location\", \"from_state\": \"INVENTORY_STATE_NONE\", \"to_state\": \"INVENTORY_STATE_IN_STOCK\",
  \"quantity\": \"12\"}}]}" stockledger.v1.InventoryService/BatchChangeInventory >/dev/null
g "{\"idempotency_key\": \"reserve-$item\", \"reference_id\": \"order-1\", \"ttl\": \"3600s\",
  \"lines\": [{\"catalog_object_id\": \"$item\", \"location_id\": \"$location\", \"quantity\": \"2\"}]}" \
  stockledger.v1.ReservationService/CreateReservation >/dev/null
# A reorder point of 15: the 10 in stock are low; the check's change of +7 recovers them.
g "{\"catalog_object_id\": \"$item\", \"location_id\": \"$location\", \"reorder_point\": \"15\"}" \
  stockledger.v1.InventoryService/SetInventoryReorderPoint >/dev/null

status=0
CONSOLE_URL="http://127.0.0.1:$http_port/console" TOKEN="$token" TOKEN_WITHOUT_RESERVATIONS="$partial" GRPC="127.0.0.1:$grpc_port" \
  ITEM="$item" SKU="$sku" LOCATION="$location" SCREENSHOT="$out/console.png" CHROMIUM="$chromium" \
  timeout 60 "$venv/bin/python" tools/console-check/check.py || status=$?
echo "console-check: screenshot $out/console.png"
if ((status)); then
  echo "--- server log" >&2; tail -n 20 "$work/server.log" >&2
  exit "$status"
fi
echo "console-check: ok (Chromium $("$chromium" --version 2>/dev/null | cut -d' ' -f2), Playwright $("$venv/bin/pip" show playwright 2>/dev/null | sed -n 's/^Version: //p'))"
