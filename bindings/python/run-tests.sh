#!/usr/bin/env bash
# Builds the assent-ffi cdylib, generates its Python bindings into
# generated/ (never committed) next to a copy of the library, and runs the
# pytest tests. Needs cargo, Python 3 and pytest (`pip install pytest`).
# tests/test_push_relay.py starts the relay built here (ASSENT_RELAY_BIN).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../build-ffi.sh
source "$here/../build-ffi.sh"
generate_bindings python "$here/generated"
cp "$target/debug/$lib" "$here/generated/"

cd "$here"
ASSENT_RELAY_BIN="$target/debug/assent-relay" \
  PYTHONPATH="$here/generated${PYTHONPATH:+:$PYTHONPATH}" python3 -m pytest -q -p no:cacheprovider tests "$@"
