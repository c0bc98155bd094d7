#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: the Rust toolchain's fmt/clippy
# components, a nightly toolchain and cargo-fuzz for the fuzz targets, cargo-deny, the
# PostgreSQL server binaries (the tests start their own cluster), Prometheus (a real scrape
# of a live server), Chromium (the web console in a headless browser), and the toolchains the
# clients' tests use (Python with venv, Node.js with npm, Go, Java with Maven) where one is
# missing. Package downloads (crates, npm, PyPI, Go modules, Maven)
# happen in the scripts that need them.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
  # scripts/fuzz.sh builds the fuzz targets with nightly (libFuzzer's instrumentation).
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "installing the nightly Rust toolchain (for scripts/fuzz.sh)" >&2
    rustup toolchain install nightly --profile minimal
  fi
fi

# Cargo subcommands the test command runs, built once into ~/.cargo/bin when missing:
# cargo-deny (deny.toml's dependency policy) and cargo-fuzz (scripts/fuzz.sh). The
# versions are pinned to ones that build with the toolchain in use (Rust 1.95).
cargo_tool() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "installing $1 $2 (cargo install --locked)" >&2
    cargo install --locked "$1@$2"
  fi
}
cargo_tool cargo-deny 0.20.2
cargo_tool cargo-fuzz 0.13.2

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

# Prometheus (Debian's package) scrapes a live server in scripts/prometheus-check.sh.
if ! command -v prometheus >/dev/null 2>&1; then
  echo "installing Prometheus" >&2
  apt_install prometheus
fi

# Chromium (Debian's package) runs the web console headless in scripts/console-check.sh,
# driven by Playwright (pinned in tools/console-check/requirements.txt, installed into a venv
# by that script; Playwright's own browser download is never used).
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium" >&2
  apt_install chromium
fi

# systemd-analyze checks deploy/stockledger.service in scripts/operations-check.sh (it needs
# no running systemd); promtool, its alerting rules, comes with Prometheus above.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "installing systemd (for systemd-analyze)" >&2
  apt_install systemd
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
