#!/usr/bin/env bash
# Runs the README's quick start the way a user would, against a live server
# (STOCKLEDGER_ADDR, STOCKLEDGER_TOKEN): package.sh builds the client into a Maven repository
# in a temporary directory; a fresh project there gets the README's pom.xml exactly as written
# (its repository URL, the property stockledger.repository, is passed on the command line)
# and every README ```java block exactly as written (each a class with a main); each program is
# compiled once and run twice in a row with `mvn -q exec:java`, and its output must equal the
# ```text block that follows it in the README. Called at the end of test.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for name in STOCKLEDGER_ADDR STOCKLEDGER_TOKEN; do
  if [[ -z "${!name:-}" ]]; then
    echo "clients/java/quickstart.sh: $name not set (a running server's host:port and a token)" >&2
    exit 2
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/stockledger-java-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "quickstart: packaging the client (clients/java/package.sh)" >&2
if ! "$here/package.sh" "$work/dist" >"$work/package.log" 2>&1; then
  cat "$work/package.log" >&2
  echo "quickstart: package.sh failed" >&2
  exit 1
fi
repository="file://$work/dist/m2"

# The README's pom.xml (the one ```xml block holding a <project>), its programs (```java blocks)
# and what each prints (the ```text block right after it).
app="$work/app"
mkdir -p "$app/src/main/java" "$work/expected"
python3 - "$here/README.md" "$app" "$work/expected" <<'PY'
"""Writes the README's pom.xml, each ```java block as src/main/java/<Class>.java and the
```text block that follows each as expected/<Class>.txt."""
import pathlib, re, sys

readme, app, expected = (pathlib.Path(p) for p in sys.argv[1:])
blocks = re.findall(r"^```(\w*)\n(.*?)^```$", readme.read_text(), flags=re.S | re.M)
poms = [body for lang, body in blocks if lang == "xml" and "<project" in body]
if len(poms) != 1:
    sys.exit(f"quickstart: README.md must hold exactly one ```xml block with a <project>, found {len(poms)}")
(app / "pom.xml").write_text(poms[0])
programs = 0
for i, (lang, body) in enumerate(blocks):
    if lang != "java":
        continue
    match = re.search(r"^public (?:final )?class (\w+)", body, flags=re.M)
    if not match:
        sys.exit(f"quickstart: a ```java block of README.md is not a public class:\n{body}")
    if i + 1 >= len(blocks) or blocks[i + 1][0] != "text":
        sys.exit(f"quickstart: the ```java block of {match[1]} is not followed by a ```text block (its output)")
    (app / "src/main/java" / f"{match[1]}.java").write_text(body)
    (expected / f"{match[1]}.txt").write_text(blocks[i + 1][1])
    programs += 1
if programs == 0:
    sys.exit("quickstart: README.md holds no ```java block")
PY
classes=()
while read -r class; do classes+=("$class"); done < <(ls "$app/src/main/java" | sed 's/\.java$//')

# A fresh copy of the client each run: Maven keeps a release it resolved once in the local
# repository (~/.m2/repository) and would not look at the freshly built one again.
local_repository="$HOME/.m2/repository"
rm -rf "$local_repository/dev/stockledger/stockledger-client/0.1.0"

mvn_app=(mvn -B -q --no-transfer-progress -Dstockledger.repository="$repository")
echo "quickstart: compiling ${classes[*]} in a fresh project with the README's pom.xml" >&2
(cd "$app" && "${mvn_app[@]}" compile)

failed=0
for class in "${classes[@]}"; do
  for run in 1 2; do
    # Maven 3.8 wraps what it prints in colour resets even in batch mode: those are dropped.
    if ! (cd "$app" && "${mvn_app[@]}" exec:java -Dexec.mainClass="$class") >"$work/$class.$run.raw"; then
      echo "quickstart: $class (run $run) failed; it printed:" >&2
      cat "$work/$class.$run.raw" >&2
      failed=1
      continue
    fi
    sed 's/\x1b\[[0-9;]*m//g' "$work/$class.$run.raw" >"$work/$class.$run.out"
    if ! diff -u --label "README ($class prints)" --label "$class, run $run" \
      "$work/expected/$class.txt" "$work/$class.$run.out" >&2; then
      echo "quickstart: $class (run $run) printed other than the README says" >&2
      failed=1
    else
      echo "quickstart: $class run $run: as the README says" >&2
    fi
  done
done
exit "$failed"
