#!/usr/bin/env bash
# Runs the README's programs as a user would: builds the tarball with package.sh into a
# temporary directory, installs it into a new project there (`npm init -y`,
# `npm install <tarball>`, as README.md's "Install it in your own project" says), then
# takes every ```js block of README.md exactly as written, saves it as an .mjs file and
# runs it TWICE against the server at STOCKLEDGER_ADDR with STOCKLEDGER_TOKEN. Each run's
# stdout must equal the ```text block that follows the program in the README ("It
# prints:"); a program without one, a failing run or other output fails the script. The
# temporary directory is removed on exit. Runnable from any directory; test.sh ends with it.
# The program under "TLS" needs the server over mutual TLS: STOCKLEDGER_TLS_ADDR, _TOKEN,
# _CA, _CERT and _KEY (scripts/clients-test.sh sets them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -z "${STOCKLEDGER_ADDR:-}" ] || [ -z "${STOCKLEDGER_TOKEN:-}" ]; then
  echo "clients/typescript/quickstart.sh: set STOCKLEDGER_ADDR (host:port of a running server) and STOCKLEDGER_TOKEN" >&2
  exit 2
fi
for name in ADDR TOKEN CA CERT KEY; do
  var="STOCKLEDGER_TLS_$name"
  if [ -z "${!var:-}" ]; then
    echo "clients/typescript/quickstart.sh: set $var (the README's TLS program talks to the server over mutual TLS)" >&2
    exit 2
  fi
done
work="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-ts-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tarball="$("$here/package.sh" "$work/dist" | tail -n 1)"
mkdir "$work/project"
cd "$work/project"
npm init -y >/dev/null
npm install --no-audit --no-fund "$tarball" >&2

# Every ```js block of the README and the ```text block after it: snippet-N.mjs and
# snippet-N.expected, N counting from 1 in README order; prints "N LINE" for each.
node --input-type=module - "$here/README.md" "$work/project" >"$work/snippets" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
const [readme, into] = process.argv.slice(2);
const lines = readFileSync(readme, "utf8").split("\n");
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  const open = /^```(\S*)\s*$/.exec(lines[i]);
  if (!open) continue;
  const start = i;
  const body = [];
  for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
  if (i === lines.length) throw new Error(`README.md:${start + 1}: code block never closed`);
  blocks.push({ lang: open[1], line: start + 1, text: body.join("\n") + "\n" });
}
let n = 0;
blocks.forEach((block, index) => {
  if (block.lang !== "js") return;
  const output = blocks[index + 1];
  if (output?.lang !== "text") {
    throw new Error(`README.md:${block.line}: a js program must be followed by a text block with what it prints`);
  }
  n++;
  writeFileSync(`${into}/snippet-${n}.mjs`, block.text);
  writeFileSync(`${into}/snippet-${n}.expected`, output.text);
  console.log(`${n} ${block.line}`);
});
if (n === 0) throw new Error("README.md has no js program");
JS

failed=0
while read -r n line; do
  for attempt in 1 2; do
    if ! node "snippet-$n.mjs" </dev/null >"snippet-$n.out.$attempt" 2>"snippet-$n.err.$attempt"; then
      echo "quickstart: README.md:$line program, run $attempt: FAILED" >&2
      cat "snippet-$n.err.$attempt" "snippet-$n.out.$attempt" >&2
      failed=1
    elif ! diff -u --label "README.md:$line says" --label "run $attempt printed" \
      "snippet-$n.expected" "snippet-$n.out.$attempt" >&2; then
      echo "quickstart: README.md:$line program, run $attempt: printed other than the README says" >&2
      failed=1
    else
      echo "quickstart: README.md:$line program, run $attempt: ok"
    fi
  done
done <"$work/snippets"
exit "$failed"
