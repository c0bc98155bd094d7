#!/usr/bin/env bash
# Runs the README's programs the way a user would: builds the module proxy with package.sh
# into a temporary directory, makes a fresh module there (`go mod init example.com/shop`),
# installs github.com/stockledger/stockledger/clients/go@v0.1.0 from that proxy with the
# steps of README.md's "In your own project", then takes every ```go block of README.md that
# is a whole program (it has a `package main` line) and runs it TWICE against the server
# ($STOCKLEDGER_ADDR as -addr, $STOCKLEDGER_TOKEN as the token), failing unless each run
# prints exactly the ```text block that follows the program in the README. The programs are
# read from the README, never kept anywhere else. test.sh runs this at its end.
#   STOCKLEDGER_ADDR=127.0.0.1:50051 STOCKLEDGER_TOKEN=... clients/go/quickstart.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of a running server (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"

work="$(mktemp -d)"
# The private module cache holds read-only files: make them removable first.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

proxy="$("$here/package.sh" "$work/dist" | tail -n 1)"

# The README's install steps. Besides, a module cache of its own (GOMODCACHE) so that a
# v0.1.0 cached by an earlier run (with other contents) is never taken instead of this
# build; the dependencies come from the user's module cache when it has them (it is a
# proxy in the same file layout), else from proxy.golang.org.
user_cache="$(go env GOMODCACHE)/cache/download"
export GOMODCACHE="$work/modcache"
export GOPROXY="file://$proxy,file://$user_cache,https://proxy.golang.org"
export GONOSUMDB='github.com/stockledger/*'
export GOFLAGS=-mod=mod
mkdir "$work/shop"
cd "$work/shop"
go mod init example.com/shop >/dev/null 2>&1
go get github.com/stockledger/stockledger/clients/go@v0.1.0

# Splits the README into programs/N/main.go and programs/N/expected: each ```go block with
# a `package main` line, and the ```text block after it (before the next ```go block).
awk -v dir="$work/shop/programs" '
  /^```go$/   { in_go = 1; body = ""; is_program = 0; next }
  /^```text$/ { in_text = 1; text = ""; next }
  /^```$/ {
    if (in_go) {
      in_go = 0
      if (is_program) { n++; pending = 1; system("mkdir -p " dir "/" n); printf "%s", body > (dir "/" n "/main.go"); close(dir "/" n "/main.go") }
      else pending = 0
    } else if (in_text) {
      in_text = 0
      if (pending) { printf "%s", text > (dir "/" n "/expected"); close(dir "/" n "/expected"); pending = 0 }
    }
    next
  }
  in_go   { body = body $0 "\n"; if ($0 == "package main") is_program = 1; next }
  in_text { text = text $0 "\n"; next }
' "$here/README.md"

programs=("$work"/shop/programs/*/)
[[ -d "${programs[0]}" ]] || { echo "clients/go/quickstart.sh: README.md has no program (a \`\`\`go block with package main)" >&2; exit 1; }
for program in "${programs[@]}"; do
  name="programs/$(basename "$program")"
  [[ -f "$program/expected" ]] || { echo "clients/go/quickstart.sh: README.md's program $name has no \`\`\`text block of its output after it" >&2; exit 1; }
  expected="$(cat "$program/expected")"
  first_line="$(grep -m1 '^//' "$program/main.go" || true)"
  go build -o "$work/bin/$(basename "$program")" "./$name"
  for run in 1 2; do
    echo "clients/go/quickstart.sh: README program $name ($first_line), run $run" >&2
    output="$("$work/bin/$(basename "$program")" -addr "$STOCKLEDGER_ADDR")"
    printf '%s\n' "$output"
    if [[ "$output" != "$expected" ]]; then
      printf 'clients/go/quickstart.sh: README program %s printed the above on run %s, but README.md says:\n%s\n' "$name" "$run" "$expected" >&2
      exit 1
    fi
  done
done
echo "clients/go/quickstart.sh: ${#programs[@]} README programs ran twice each as README.md says" >&2
