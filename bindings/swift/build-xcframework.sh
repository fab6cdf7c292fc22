#!/usr/bin/env bash
# macOS only (needs Xcode): builds the assent-ffi static library for iOS
# devices, the iOS simulator and macOS, generates the Swift API into
# Generated/Sources, and packs the libraries with the C header and module map
# into build/AssentCoreFFI.xcframework, the binary target of Package.swift.
#
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
#       aarch64-apple-darwin x86_64-apple-darwin
#   bash build-xcframework.sh            # release build
#   PROFILE=debug bash build-xcframework.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
profile="${PROFILE:-release}"
flag=(); [ "$profile" = release ] && flag=(--release)

if [ "$(uname -s)" != Darwin ]; then
  echo "build-xcframework.sh needs macOS with Xcode (xcodebuild, lipo)" >&2
  exit 1
fi

cd "$root"
for triple in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
              aarch64-apple-darwin x86_64-apple-darwin; do
  cargo build --locked -p assent-ffi --target "$triple" "${flag[@]}"
done
cargo build --locked -p uniffi-bindgen

# Swift sources, header and module map, from the host's library.
gen="$here/Generated"
rm -rf "$gen" "$here/build"
mkdir -p "$gen/Sources" "$gen/include" "$here/build"
"$target/debug/uniffi-bindgen" generate \
  --library "$target/aarch64-apple-darwin/$profile/libassent_ffi.dylib" \
  --language swift --out-dir "$gen/swift"
mv "$gen/swift/AssentCore.swift" "$gen/Sources/"
mv "$gen/swift/AssentCoreFFI.h" "$gen/include/"
mv "$gen/swift/AssentCoreFFI.modulemap" "$gen/include/module.modulemap"

lib() { echo "$target/$1/$profile/libassent_ffi.a"; }
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" \
  -output "$here/build/libassent_ffi-ios-sim.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" \
  -output "$here/build/libassent_ffi-macos.a"

xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$gen/include" \
  -library "$here/build/libassent_ffi-ios-sim.a" -headers "$gen/include" \
  -library "$here/build/libassent_ffi-macos.a" -headers "$gen/include" \
  -output "$here/build/AssentCoreFFI.xcframework"
echo "built $here/build/AssentCoreFFI.xcframework"
