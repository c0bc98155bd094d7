#!/usr/bin/env bash
# Checks the API contract and the committed client stubs:
#   1. buf lint (buf.yaml: STANDARD);
#   2. buf breaking against the previous commit; in a shallow clone (CI's fresh checkout
#      may be one) that commit is fetched first (git fetch --deepen=1, else --unshallow),
#      and without it (no remote to fetch from, or a root commit) the check fails: it is
#      never skipped;
#   3. regenerates every stub (scripts/generate-clients.sh) and fails, printing the diff,
#      if that makes anything under clients/ differ from what is committed (changes that
#      were already in the working tree before, someone's work in progress, are listed
#      only; in a clean checkout, as in CI, there are none).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "check-clients: buf lint" >&2
scripts/buf.sh lint

has_parent() {
  git rev-parse --verify --quiet 'HEAD~1^{commit}' >/dev/null && git cat-file -e 'HEAD~1^{tree}' 2>/dev/null
}
if ! has_parent && [[ "$(git rev-parse --is-shallow-repository)" == "true" ]]; then
  if git remote get-url origin >/dev/null 2>&1; then remote=origin; else remote="$(git remote | head -n 1)"; fi
  if [[ -z "$remote" ]]; then
    echo "check-clients: a shallow clone without HEAD's parent and without a remote to fetch it from:" \
      "buf breaking cannot run (clone with more history, e.g. fetch-depth: 2)" >&2
    exit 1
  fi
  echo "check-clients: a shallow clone: fetching HEAD's parent from $remote (git fetch --deepen=1)" >&2
  if ! git fetch --quiet --no-tags --deepen=1 "$remote" "$(git rev-parse HEAD)" || ! has_parent; then
    echo "check-clients: --deepen=1 did not bring HEAD's parent: git fetch --unshallow $remote" >&2
    git fetch --quiet --no-tags --unshallow "$remote" || true
  fi
fi
if ! has_parent; then
  if [[ "$(git rev-parse --is-shallow-repository)" == "true" ]]; then
    reason="a shallow clone whose history could not be fetched"
  else
    reason="HEAD has no parent commit"
  fi
  echo "check-clients: buf breaking cannot run: $reason; nothing to compare the protos against" >&2
  exit 1
fi
if git cat-file -e 'HEAD~1:buf.yaml' 2>/dev/null; then
  against='.git#ref=HEAD~1'
else
  # The previous commit predates buf.yaml: read its protos from proto/ as the module root.
  against='.git#ref=HEAD~1,subdir=proto'
fi
echo "check-clients: buf breaking --against '$against'" >&2
scripts/buf.sh breaking --against "$against"

# The last release (docs/releasing.md): the commit that added CHANGELOG.md's latest
# "## [x.y.z]" heading. The contract must not break against it either.
release=$(sed -n 's/^## \[\([0-9][^]]*\)\].*/\1/p' CHANGELOG.md | head -n 1)
if [[ -z "$release" ]]; then
  echo "check-clients: CHANGELOG.md names no release (a '## [x.y.z]' heading)" >&2
  exit 1
fi
released_at() {
  git log --format=%H -S"## [$release]" -- CHANGELOG.md | tail -n 1
}
release_commit=$(released_at)
if [[ -z "$release_commit" && "$(git rev-parse --is-shallow-repository)" == "true" ]]; then
  echo "check-clients: a shallow clone: fetching history to find release $release" >&2
  git fetch --quiet --no-tags --unshallow "$(git remote | head -n 1)" || true
  release_commit=$(released_at)
fi
if [[ -z "$release_commit" ]]; then
  # The release entry is being added by the working tree's own changes: HEAD is the base.
  if git diff --quiet HEAD -- CHANGELOG.md; then
    echo "check-clients: no commit added CHANGELOG.md's '## [$release]' heading" >&2
    exit 1
  fi
  release_commit=$(git rev-parse HEAD)
fi
echo "check-clients: buf breaking against release $release (${release_commit:0:12})" >&2
scripts/buf.sh breaking --against ".git#ref=$release_commit"

# Every path under clients/ that differs from HEAD, with a digest of its content.
dirty_paths() {
  { git diff --name-only HEAD -- clients/; git ls-files --others --exclude-standard -- clients/; } |
    sort -u | while IFS= read -r path; do
      if [[ -e "$path" ]]; then
        echo "$path $(sha256sum <"$path" | cut -d' ' -f1)"
      else
        echo "$path deleted"
      fi
    done
}

before="$(dirty_paths)"
echo "check-clients: regenerating the client stubs" >&2
scripts/generate-clients.sh
after="$(dirty_paths)"
# Differences that regeneration made (in a clean checkout, as in CI: every difference).
made="$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')"
if [[ -n "$made" ]]; then
  echo "check-clients: the committed client stubs are not what scripts/generate-clients.sh makes:" >&2
  git status --porcelain --untracked-files=all -- clients/ >&2
  cut -d' ' -f1 <<<"$made" | xargs git --no-pager diff HEAD -- >&2
  echo "check-clients: run scripts/generate-clients.sh and commit the result" >&2
  exit 1
fi
if [[ -n "$after" ]]; then
  # Only in a working tree that was already dirty: regeneration did not touch these.
  echo "check-clients: warning: uncommitted changes under clients/ (not made by the generators):" >&2
  cut -d' ' -f1 <<<"$after" >&2
fi
echo "check-clients: ok" >&2
