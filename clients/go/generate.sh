#!/usr/bin/env bash
# Regenerates the committed Go stubs in stockledgerv1/ (*.pb.go, *_grpc.pb.go) from proto/
# with buf and the plugins pinned below, installed with `go install` into the project-local
# tools/bin (gitignored) on first use. The generated headers name these versions, so they
# are part of the output: change them only together with a regeneration. Normally run for
# every language at once by scripts/generate-clients.sh.
set -euo pipefail
PROTOC_GEN_GO_VERSION=v1.36.12     # google.golang.org/protobuf
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2  # google.golang.org/grpc/cmd/protoc-gen-go-grpc

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/tools/bin"

install() { # install BINARY PACKAGE VERSION EXPECTED_VERSION_LINE
  if [[ "$("$bin/$1" --version 2>/dev/null || true)" != "$4" ]]; then
    echo "go/generate.sh: installing $2@$3 into tools/bin" >&2
    GOBIN="$bin" go install "$2@$3"
  fi
}
install protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go \
  "$PROTOC_GEN_GO_VERSION" "protoc-gen-go $PROTOC_GEN_GO_VERSION"
install protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc \
  "$PROTOC_GEN_GO_GRPC_VERSION" "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}"

# Remove the previous output so that stubs of a deleted proto disappear too.
rm -f "$here"/stockledgerv1/*.pb.go
"$root/scripts/buf.sh" generate --template clients/go/buf.gen.yaml
