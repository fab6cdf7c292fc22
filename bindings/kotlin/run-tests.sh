#!/usr/bin/env bash
# Builds the assent-ffi cdylib, generates its Kotlin bindings into
# target/generated/kotlin (never committed) and runs the JUnit tests on the
# JVM with Maven. Needs cargo, a JDK 17+ and Maven (which fetches Kotlin,
# coroutines, JNA and JUnit from Maven Central on first run). PushRelayTest
# starts the relay built here (-Dassent.relay.bin).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../build-ffi.sh
source "$here/../build-ffi.sh"
generate_bindings kotlin "$here/target/generated/kotlin"

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
