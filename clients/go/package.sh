#!/usr/bin/env bash
# Builds the Go client's installable artifact: a Go module proxy directory OUTDIR/goproxy in
# the GOPROXY file layout, holding this module at v0.1.0:
#   OUTDIR/goproxy/github.com/stockledger/stockledger/clients/go/@v/{list,v0.1.0.info,v0.1.0.mod,v0.1.0.zip}
# The zip holds the module's files (those git tracks or would track: ignored files never
# ship) under the prefix github.com/stockledger/stockledger/clients/go@v0.1.0/, without
# vendor directories or nested modules, as the go command expects. A fresh module then
# installs it with
#   GOPROXY=file://OUTDIR/goproxy,https://proxy.golang.org GONOSUMDB=github.com/stockledger/* \
#   GOFLAGS=-mod=mod go get github.com/stockledger/stockledger/clients/go@v0.1.0
# (see README.md, "In your own project"). Prints the proxy directory's absolute path last.
#   clients/go/package.sh OUTDIR
set -euo pipefail
module=github.com/stockledger/stockledger/clients/go
version=v0.1.0
[[ $# -eq 1 ]] || { echo "usage: clients/go/package.sh OUTDIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)/goproxy"
versions="$out/$module/@v"

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
prefix="$module@$version"
mkdir -p "$staging/$prefix"

# The module's files: tracked or untracked-but-not-ignored, minus vendor directories and
# every directory that is a module of its own (a go.mod below the module root).
cd "$here"
nested=()
while IFS= read -r gomod; do
  [[ "$gomod" == go.mod ]] || nested+=("$(dirname "$gomod")/")
done < <(git ls-files -co --exclude-standard -- 'go.mod' '**/go.mod')
count=0
while IFS= read -r file; do
  [[ -f "$file" ]] || continue # tracked but deleted in the work tree
  case "/$file" in */vendor/*) continue ;; esac
  skip=false
  for dir in "${nested[@]}"; do
    [[ "$file" == "$dir"* ]] && skip=true
  done
  $skip && continue
  mkdir -p "$staging/$prefix/$(dirname "$file")"
  cp -p "$file" "$staging/$prefix/$file"
  count=$((count + 1))
done < <(git ls-files -co --exclude-standard .)
[[ $count -gt 0 && -f "$staging/$prefix/go.mod" ]] || { echo "clients/go/package.sh: no module files found in $here" >&2; exit 1; }
grep -qx "module $module" "$staging/$prefix/go.mod" || { echo "clients/go/package.sh: go.mod does not declare module $module" >&2; exit 1; }

rm -rf "$versions"
mkdir -p "$versions"
# -X: no extra file attributes; -D: no directory entries (the go command wants files only).
(cd "$staging" && zip -qrXD "$versions/$version.zip" "$prefix")
cp "$here/go.mod" "$versions/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(git log -1 --format=%cI HEAD | xargs -I{} date -u -d {} +%Y-%m-%dT%H:%M:%SZ)" > "$versions/$version.info"
printf '%s\n' "$version" > "$versions/list"
echo "clients/go/package.sh: $module@$version ($count files)" >&2
echo "$out"
