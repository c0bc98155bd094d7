#!/usr/bin/env bash
# Checks that the crate's modules depend on each other in one direction only:
#   transfer → server → gateway → api → auth → feed → store → domain   (src/lib.rs explains the rule)
# A module may use the modules to its right (and proto, config, telemetry), never one to
# its left.
set -euo pipefail
cd "$(dirname "$0")/.."

order=(transfer server gateway api auth feed store domain)
failed=0
for i in "${!order[@]}"; do
  module=${order[$i]}
  path="src/$module"; [ -d "$path" ] || path="src/$module.rs"
  for j in $(seq 0 "$i"); do
    [ "$j" -eq "$i" ] && continue
    above=${order[$j]}
    if hits=$(grep -rnE "crate::$above(::|\b)" "$path"); then
      echo "$module must not use $above:"; echo "$hits"; failed=1
    fi
  done
done
[ "$failed" -eq 0 ] && echo "layers: every module depends only on the layers below it"
exit "$failed"
