#!/usr/bin/env bash
# Builds the assent-ffi cdylib, generates its Python bindings into
# generated/ (never committed) next to a copy of the library, and runs the
# pytest tests. Needs cargo and Python 3 with venv; the pinned test
# dependencies (requirements-test.txt: pytest, and the http_ece / py-vapid
# Web Push implementation tests/test_webpush.py checks against) go into a
# virtualenv of their own under target/, made once.
# tests/test_push_relay.py and tests/test_webpush.py start the relay built
# here (ASSENT_RELAY_BIN).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../build-ffi.sh
source "$here/../build-ffi.sh"
generate_bindings python "$here/generated"
cp "$target/debug/$lib" "$here/generated/"

venv="$target/python-tests-venv"
stamp="$venv/requirements-test.txt"
if ! cmp -s "$here/requirements-test.txt" "$stamp"; then
  printf '\n== pip install -r bindings/python/requirements-test.txt (into %s)\n' "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-test.txt"
  cp "$here/requirements-test.txt" "$stamp"
fi

cd "$here"
ASSENT_RELAY_BIN="$target/debug/assent-relay" \
  PYTHONPATH="$here/generated${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
