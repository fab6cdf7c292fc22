#!/usr/bin/env bash
# Builds the assent-ffi cdylib, generates its Kotlin bindings into
# target/generated/kotlin (never committed) and runs the JUnit tests on the
# JVM with Maven. Needs cargo, a JDK 17+ and Maven (which fetches Kotlin,
# coroutines, JNA and JUnit from Maven Central on first run). PushRelayTest
# starts the relay built here (-Dassent.relay.bin).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
case "$(uname -s)" in Darwin) lib=libassent_ffi.dylib ;; *) lib=libassent_ffi.so ;; esac

# Two builds, so that the cdylib does not get uniffi's `cli` feature.
(cd "$root" && cargo build --locked -p uniffi-bindgen && cargo build --locked -p assent-ffi)
(cd "$root" && cargo build --locked -p assent-relay)
rm -rf "$here/target/generated/kotlin"
"$target/debug/uniffi-bindgen" generate --no-format \
  --library "$target/debug/$lib" --language kotlin \
  --out-dir "$here/target/generated/kotlin"

mvn -B -q -Dstyle.color=never -f "$here/pom.xml" test -Dassent.lib.dir="$target/debug" \
  -Dassent.relay.bin="$target/debug/assent-relay" "$@"

# Maven is quiet on success: print the count from Surefire's reports.
echo  # ends the line Maven leaves with colour resets
python3 - "$here/target/surefire-reports" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
run = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    s = ET.parse(path).getroot()
    run += int(s.get("tests", 0)); skipped += int(s.get("skipped", 0))
    failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
print(f"kotlin: {run - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
