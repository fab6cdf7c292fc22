#!/usr/bin/env bash
# Builds the demo and runs its browser test (headless Chromium through
# playwright-core). Needs /usr/bin/chromium and `npm ci` done here (.ci/run
# does both). Screenshots are written to docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")"
cargo build -p assent-demo --locked
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
ASSENT_DEMO_BIN="${CARGO_TARGET_DIR:-../../../target}/debug/assent-demo" timeout 180 node test.mjs
