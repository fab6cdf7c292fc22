#!/usr/bin/env bash
# Builds the assent-ffi cdylib, generates its Python bindings into
# generated/ (never committed) next to a copy of the library, and runs the
# pytest tests. Needs cargo, Python 3 and pytest (`pip install pytest`).
# tests/test_push_relay.py starts the relay built here (ASSENT_RELAY_BIN).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
case "$(uname -s)" in Darwin) lib=libassent_ffi.dylib ;; *) lib=libassent_ffi.so ;; esac

# Two builds, so that the cdylib does not get uniffi's `cli` feature.
(cd "$root" && cargo build --locked -p uniffi-bindgen && cargo build --locked -p assent-ffi)
(cd "$root" && cargo build --locked -p assent-relay)
rm -rf "$here/generated"
"$target/debug/uniffi-bindgen" generate --no-format \
  --library "$target/debug/$lib" --language python --out-dir "$here/generated"
cp "$target/debug/$lib" "$here/generated/"

cd "$here"
ASSENT_RELAY_BIN="$target/debug/assent-relay" \
  PYTHONPATH="$here/generated${PYTHONPATH:+:$PYTHONPATH}" python3 -m pytest -q -p no:cacheprovider tests "$@"
