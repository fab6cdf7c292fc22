#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (unit, property,
# cross-crate flows), then the generated Kotlin (JVM) and Python bindings,
# then the demo site in headless Chromium.
# It first installs what the tests need (scripts/install-test-deps.sh). This is the
# README's test command, and .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo test --workspace --locked
bash bindings/kotlin/run-tests.sh
bash bindings/python/run-tests.sh
bash examples/demo/browser-test/run.sh
