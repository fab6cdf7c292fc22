#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (once; later runs find it all
# present and do nothing): oathtool, PostgreSQL, libpam0g-dev, pamtester and openssh-server,
# Maven with a JDK, pytest, python3-venv, Chromium, the demo's npm packages. scripts/test.sh runs
# it first, so the README's test command works from a fresh clone; it asks for sudo only when a
# package is missing and you are not root.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
  fi
}

# oathtool: the OTP engine's codes are compared against it in the tests.
apt_install oathtool

# PostgreSQL's server binaries: the PostgreSQL store tests start their own throwaway
# server (crates/pg-testkit: initdb in a temporary directory, a free loopback port);
# the package's own cluster service is not used.
apt_install postgresql

# The PAM module (integrations/pam) links to libpam (libpam0g-dev); its tests drive it with
# pamtester and through a real sshd on a loopback port (openssh-server; the client comes with
# it). The package's own sshd service is not used: the test starts its own with a temporary
# configuration.
apt_install libpam0g-dev pamtester openssh-server openssh-client

# Maven (with a JDK) runs the Kotlin binding tests; pytest the Python ones.
apt_install maven
if ! python3 -m pytest --version >/dev/null 2>&1; then
  log "pip install pytest"
  python3 -m pip install -q pytest \
    || python3 -m pip install -q --break-system-packages pytest \
    || apt_install python3-pytest
fi

# python3-venv: scripts/api-fuzz.sh installs its pinned schemathesis into a virtualenv
# of its own (target/schemathesis-venv), and bindings/python/run-tests.sh the pinned
# bindings/python/requirements-test.txt (pytest, and http_ece / py-vapid for the Web
# Push interoperability test) into target/python-tests-venv; both need ensurepip.
python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_install python3-venv

# Chromium and playwright-core (npm) run the demo's browser test.
apt_install chromium
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
log "npm ci (demo browser test)"
(cd examples/demo/browser-test && npm ci --no-audit --no-fund)
