#!/usr/bin/env bash
# Checks the README against the built wheel, as a new user would meet it: in a fresh
# temporary project (removed on exit) it runs the README's "In your own project" install
# steps exactly as written (clients/python/package.sh into the project's dist/, a venv,
# `pip install` of the wheel), then runs every ```python block of the README with that
# venv, TWICE in a row against the same server, failing when a run fails or prints other
# than the ```text block that follows the program in the README.
# Needs STOCKLEDGER_ADDR and STOCKLEDGER_TOKEN, and for the program under "TLS" the server
# over mutual TLS: STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT and _KEY (scripts/clients-test.sh
# sets them all); test.sh calls it at its end. The snippets are read from README.md each time, never copied.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${STOCKLEDGER_ADDR:?set STOCKLEDGER_ADDR=host:port of a running server (scripts/clients-test.sh does)}"
: "${STOCKLEDGER_TOKEN:?set STOCKLEDGER_TOKEN to a token with every scope (scripts/clients-test.sh does)}"
for name in ADDR TOKEN CA CERT KEY; do
  var="STOCKLEDGER_TLS_$name"
  if [[ -z "${!var:-}" ]]; then
    echo "quickstart: set $var (the README's TLS program needs the server over mutual TLS; scripts/clients-test.sh sets it)" >&2
    exit 2
  fi
done
export STOCKLEDGER_ADDR STOCKLEDGER_TOKEN STOCKLEDGER_TLS_ADDR STOCKLEDGER_TLS_TOKEN STOCKLEDGER_TLS_CA \
  STOCKLEDGER_TLS_CERT STOCKLEDGER_TLS_KEY

project="$(mktemp -d)"
trap 'rm -rf "$project"' EXIT
snippets="$project/.readme-snippets"
programs="$(python3 "$here/scripts/readme_snippets.py" "$here/README.md" "$snippets")"

# The install steps, as the README writes them, in the new project's directory.
echo "quickstart: installing the wheel as the README says (in $project)" >&2
(cd "$project" && STOCKLEDGER_REPO="$(cd "$here/../.." && pwd)" bash -euo pipefail "$snippets/install.sh" >&2)
python="$project/.venv/bin/python"
if [[ ! -x "$python" ]]; then
  echo "quickstart: the README's install steps made no .venv in the project" >&2
  exit 1
fi
# The package must come from the wheel in the venv, not from this checkout.
"$python" -c 'import stockledger, sys; sys.exit(0 if "site-packages" in stockledger.__file__ else "stockledger is not the installed wheel: " + stockledger.__file__)'

failed=0
for program in "$snippets"/*.py; do
  stem="${program%.py}"
  title="$(cat "$stem.title")"
  for run in 1 2; do
    if ! (cd "$project" && "$python" "$program") >"$stem.out" 2>"$stem.err"; then
      echo "quickstart: FAILED (run $run) the program under \"$title\" exited non-zero:" >&2
      cat "$stem.err" >&2
      failed=1
      break
    fi
    if ! diff -u --label "README (under \"$title\")" --label "printed (run $run)" "$stem.expected" "$stem.out" >&2; then
      echo "quickstart: FAILED (run $run) the program under \"$title\" printed other than the README says" >&2
      failed=1
      break
    fi
  done
done
if [[ $failed -ne 0 ]]; then
  exit 1
fi
echo "quickstart: $programs README programs ran twice each and printed what the README says" >&2
