#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (unit, property,
# cross-crate flows). This is the README's test command, and .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
