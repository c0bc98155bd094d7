#!/usr/bin/env bash
# Builds the Java client from a clean state (mvn clean deploy, tests skipped: they need a live
# server) and deploys its jar and pom into OUTDIR/m2, a Maven repository in a directory (file
# layout), so that a project can depend on dev.stockledger:stockledger-client:0.1.0 with that
# repository added (README "Quick start"). Prints the jar's path on its last line.
#   clients/java/package.sh OUTDIR      # OUTDIR absolute or relative; created if missing
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: clients/java/package.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
cd "$(dirname "$0")"

# Maven's own output goes to stderr: stdout carries only the artifact's path.
mvn -B --no-transfer-progress -Dstyle.color=never -DskipTests \
  -DaltDeploymentRepository="local::file://$outdir/m2" clean deploy >&2

version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)"
jar="$outdir/m2/dev/stockledger/stockledger-client/$version/stockledger-client-$version.jar"
if [[ ! -f "$jar" ]]; then
  echo "clients/java/package.sh: $jar was not deployed" >&2
  exit 1
fi
echo "$jar"
