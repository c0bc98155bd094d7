#!/usr/bin/env bash
# Checks that the crate's modules depend on each other in one direction only:
#   transfer → server → webhook → gateway → api → auth → feed → store → domain   (src/lib.rs explains the rule)
# A module may use the modules to its right (and proto, config, telemetry), never one to
# its left. Two narrower rules hold besides (docs/architecture.md, "Layers"):
#
# - transfer uses what api shares, never a handler module. The rule is an allow-list:
#   every `crate::api::NAME` in src/transfer (brace groups of `use` statements included)
#   must name a wire conversion module, whose name ends in `_wire` (ledger_wire, item_wire,
#   location_wire, …), `convert`, `error` (or its re-export `ApiError`), or `ledger`
#   (api::ledger, the write path's one way in, which the services and `stockledger import`
#   share). Any other module of api — items, locations, inventory, import, watch, … —
#   serves RPCs and is refused, and so is `crate::api` named bare (`use crate::api;`,
#   `crate::api::{self, …}`), which would hide the module used. A new shared module earns
#   its place here by name.
# - gateway never names store: the doors reach the ledger only through api's services and
#   its Authenticator. Test code is exempt: an item marked `#[cfg(test)]` is skipped, from
#   the attribute to the closing brace at the attribute's own indentation (rustfmt's layout;
#   a file's `mod tests { … }`), so that a test may build what it needs from the store.
set -euo pipefail
cd "$(dirname "$0")/.."

order=(transfer server webhook gateway api auth feed store domain)
# A module that is not where this script looks is an error, never "no violations": grep,
# find and awk are each told to fail on a missing path rather than read nothing.
path_of() {
  if [ -d "src/$1" ]; then echo "src/$1"
  elif [ -f "src/$1.rs" ]; then echo "src/$1.rs"
  else echo "layers: module $1 is neither src/$1/ nor src/$1.rs (renamed? update scripts/layers.sh)" >&2; return 1
  fi
}
# The .rs files of a module directory, one per line; none is an error.
rust_files() {
  local files
  files=$(find "src/$1" -name '*.rs' | sort)
  if [ -z "$files" ]; then
    echo "layers: no .rs file under src/$1 (renamed? update scripts/layers.sh)" >&2; return 1
  fi
  echo "$files"
}
failed=0
for i in "${!order[@]}"; do
  module=${order[$i]}
  path=$(path_of "$module")
  for j in $(seq 0 "$i"); do
    [ "$j" -eq "$i" ] && continue
    above=${order[$j]}
    # grep: 0 found, 1 none, anything else (an unreadable path) stops the check.
    status=0
    hits=$(grep -rnE "crate::$above(::|\b)" "$path") || status=$?
    case "$status" in
      0) echo "$module must not use $above:"; echo "$hits"; failed=1 ;;
      1) ;;
      *) echo "layers: grep failed on $path (exit $status)" >&2; exit 2 ;;
    esac
  done
done

# transfer → api: the shared modules only. Prints `file:line: crate::api::NAME` for
# every name used that is not one of them; a `use` statement spread over lines is read
# whole, a brace group's entries at its top level.
api_beyond_conversions() {
  awk '
    function check(text, line,    rest, depth, entry, c, k) {
      while (match(text, /crate::api/)) {
        rest = substr(text, RSTART + 10); text = rest
        if (substr(rest, 1, 3) == "::{") {
          depth = 0; entry = ""
          for (k = 4; k <= length(rest); k++) {
            c = substr(rest, k, 1)
            if (c == "{") depth++
            if (c == "}" && depth == 0) { name(entry, line); break }
            if (c == "}") depth--
            if (c == "," && depth == 0) { name(entry, line); entry = ""; continue }
            entry = entry c
          }
        } else if (substr(rest, 1, 2) == "::") {
          name(substr(rest, 3), line)
        } else {
          print FILENAME ":" line ": crate::api named bare"
        }
      }
    }
    function name(entry, line) {
      sub(/^[ \t]+/, "", entry)
      if (entry == "") return
      match(entry, /^[A-Za-z0-9_]+/)
      entry = substr(entry, 1, RLENGTH)
      if (entry == "self") { print FILENAME ":" line ": crate::api named bare"; return }
      if (entry !~ /_wire$/ && entry !~ /^(convert|error|ApiError|ledger)$/)
        print FILENAME ":" line ": crate::api::" entry
    }
    FNR == 1 { statement = "" }
    statement == "" && /^[ \t]*(pub(\([a-z]+\))? )?use / { statement = $0; start = FNR }
    statement != "" {
      if (FNR != start) statement = statement " " $0
      if ($0 ~ /;[ \t]*$/) { check(statement, start); statement = "" }
      next
    }
    { check($0, FNR) }
  ' "$@"
}
transfer_files=$(rust_files transfer)
mapfile -t transfer_files <<<"$transfer_files"
bad=$(api_beyond_conversions "${transfer_files[@]}")
if [ -n "$bad" ]; then
  echo "transfer must use only api's shared modules (*_wire, convert, error, ledger), not:"
  echo "$bad"; failed=1
fi

# gateway → store: never, outside #[cfg(test)] items. Prints each file's other lines as
# `file:line:text`.
outside_tests() {
  awk '
    function indent_of(line) { match(line, /^[ \t]*/); return substr(line, 1, RLENGTH) }
    FNR == 1 { skipping = 0; pending = 0 }
    skipping {
      if (index($0, indent "}") == 1) skipping = 0
      next
    }
    pending {
      if ($0 ~ /^[ \t]*#\[/) next
      pending = 0
      if ($0 ~ /\{[ \t]*$/) { skipping = 1; next }
      if ($0 ~ /;[ \t]*$/) next
      pending = 1; next
    }
    /^[ \t]*#\[cfg\(test\)\]/ { indent = indent_of($0); pending = 1; next }
    { print FILENAME ":" FNR ":" $0 }
  ' "$@"
}
gateway_files=$(rust_files gateway)
mapfile -t gateway_files <<<"$gateway_files"
outside=$(outside_tests "${gateway_files[@]}")
status=0
bad=$(grep -E 'crate::store(::|\b)' <<<"$outside") || status=$?
case "$status" in
  0) echo "gateway must not use store (outside #[cfg(test)]):"; echo "$bad"; failed=1 ;;
  1) ;;
  *) echo "layers: grep failed (exit $status)" >&2; exit 2 ;;
esac

[ "$failed" -eq 0 ] && echo "layers: every module depends only on the layers below it"
exit "$failed"
