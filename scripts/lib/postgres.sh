# A throw-away PostgreSQL cluster for the test scripts (sourced by scripts/clients-test.sh and
# scripts/operations-check.sh; tests/common/postgres.rs is the Rust tests' twin):
#   pg_start LOG_DIR PORT   initdb's a cluster in a new temporary directory (PostgreSQL's
#                           binaries from /usr/lib/postgresql/{15,16,17}/bin or PATH; as the
#                           `postgres` user when run as root, since initdb refuses root), runs
#                           it on 127.0.0.1:PORT without fsync, trusting local connections
#                           (superuser `postgres`), and waits until it accepts logins; its
#                           logs go to LOG_DIR (initdb.log, postgres.log).
#   pg_stop                 stops it and removes its directory (safe to call twice, or when
#                           pg_start never ran); call it from the script's EXIT trap.
# Sets pg_bin (the binaries' directory), pg_dir, pg_pid and pg_port.
pg_bin=""
pg_dir=""
pg_pid=""
pg_port=""
pg_as_owner=()
if [[ $EUID -eq 0 ]]; then
  pg_as_owner=(runuser -u postgres --) # initdb and postgres refuse to run as root
fi

# PostgreSQL's binaries, as tests/common/postgres.rs finds them.
pg_find_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/16/bin /usr/lib/postgresql/17/bin; do
    if [[ -x "$dir/initdb" ]]; then
      echo "$dir"
      return
    fi
  done
  if command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  echo "PostgreSQL's binaries (initdb, postgres) not found: run scripts/setup.sh" >&2
  return 1
}

pg_start() {
  local logs="$1"
  pg_port="$2"
  pg_bin="$(pg_find_bin)" || return 1
  pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-pg.XXXXXX")" || return 1
  if [[ $EUID -eq 0 ]]; then
    chown postgres:postgres "$pg_dir"
  fi
  # From the cluster's directory: the postgres user may not be able to read the caller's.
  if ! (cd "$pg_dir" && "${pg_as_owner[@]}" "$pg_bin/initdb" -A trust -U postgres --no-sync -E UTF8 \
    -D "$pg_dir/data") >"$logs/initdb.log" 2>&1; then
    echo "initdb failed:" >&2
    cat "$logs/initdb.log" >&2
    return 1
  fi
  (cd "$pg_dir" && exec "${pg_as_owner[@]}" "$pg_bin/postgres" -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off) \
    </dev/null >"$logs/postgres.log" 2>&1 &
  pg_pid=$!
  # Accepting TCP precedes accepting logins by a moment: pg_isready waits for the latter.
  for _ in $(seq 1 300); do
    if ! kill -0 "$pg_pid" 2>/dev/null; then
      echo "postgres exited before accepting connections:" >&2
      cat "$logs/postgres.log" >&2
      return 1
    fi
    if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres; then
      return 0
    fi
    sleep 0.1
  done
  echo "PostgreSQL on 127.0.0.1:$pg_port did not accept connections within 30 s:" >&2
  cat "$logs/postgres.log" >&2
  return 1
}

pg_stop() {
  if [[ -n "$pg_pid" ]]; then
    (cd / && "${pg_as_owner[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop) >/dev/null 2>&1 || true
    # Also when pg_ctl found no postmaster.pid yet (runuser passes the signal on).
    kill -TERM "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
    pg_pid=""
  fi
  if [[ -n "$pg_dir" ]]; then
    rm -rf "$pg_dir"
    pg_dir=""
  fi
}
