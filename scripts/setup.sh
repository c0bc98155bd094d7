#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: the Rust toolchain's fmt/clippy
# components, the PostgreSQL server binaries (the tests start their own cluster), and the
# toolchains the clients' tests use (Python with venv, Node.js with npm, Go, Java with
# Maven) where one is missing. Package downloads (crates, npm, PyPI, Go modules, Maven)
# happen in the scripts that need them.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

apt_install() {
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# Client toolchains: each is checked by the command the client's test script runs.
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing client toolchains: ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi

have_postgres() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}
if ! have_postgres; then
  echo "installing PostgreSQL server binaries" >&2
  apt_install postgresql
fi
# As root the tests run PostgreSQL as the `postgres` user, which the package creates.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home /var/lib/postgresql postgres
fi
