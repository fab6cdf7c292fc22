# Sourced by the bindings' run-tests.sh: builds the assent-ffi cdylib (and
# the relay their tests start) and generates the bindings of one language.
# Sets: root (the workspace), target (the cargo target dir, absolute), lib
# (the cdylib's file name). Call `generate_bindings <language> <out dir>`.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
case "$(uname -s)" in Darwin) lib=libassent_ffi.dylib ;; *) lib=libassent_ffi.so ;; esac

generate_bindings() {
  local language="$1" out="$2"
  # Two builds, so that the cdylib does not get uniffi's `cli` feature.
  (cd "$root" && cargo build --locked -p uniffi-bindgen && cargo build --locked -p assent-ffi)
  (cd "$root" && cargo build --locked -p assent-relay)
  rm -rf "$out"
  "$target/debug/uniffi-bindgen" generate --no-format \
    --library "$target/debug/$lib" --language "$language" --out-dir "$out"
}
