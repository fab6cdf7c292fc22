#!/usr/bin/env bash
# Fuzzes every parser that takes outside input (the cargo-fuzz targets in
# fuzz/, described in docs/fuzzing.md). Builds all targets once, then runs
# each in turn; exits non-zero as soon as one finds a crash (the input is
# kept in fuzz/artifacts/<target>/).
#
#   bash scripts/fuzz.sh                 # CI: a bounded run, about 96 s of fuzzing
#   bash scripts/fuzz.sh --long 600      # each target 600 s (corpus kept in fuzz/work/)
#   bash scripts/fuzz.sh --long 60 offer messages   # only these targets
#
# Needs the nightly toolchain; installs the pinned cargo-fuzz if `cargo fuzz`
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
# Seconds per target in the CI run (96 s in all).
declare -A CI_SECONDS=(
    [otpauth_uri]=8
    [otpauth_build]=8
    [offer]=10
    [messages]=12
    [scalars]=8
    [relay_http]=20
    [phone_replies]=12
    [import]=10
    [backup]=8
)
ALL_TARGETS=(otpauth_uri otpauth_build offer messages scalars relay_http phone_replies import backup)
# No sanitizer: the crates forbid unsafe code, so what fuzzing finds here is
# panics, failed assertions, overflow (debug assertions stay on) and hangs;
# ASan would only slow every run. The CI run builds unoptimised (`--dev`, see
# fuzz/Cargo.toml): a release build of the relay's dependency tree would take
# most of CI's time for a few seconds of faster fuzzing. Long runs build
# optimised, with 16 codegen units to keep that build shorter.
CI_BUILD_FLAGS=(--dev --sanitizer none)
LONG_BUILD_FLAGS=(--sanitizer none --codegen-units 16)

log() { printf '\n== %s\n' "$*"; }

long=""
if [[ "${1:-}" == "--long" ]]; then
    long="${2:?--long needs a number of seconds}"
    shift 2
fi
targets=("$@")
if [[ -n "$long" ]]; then
    BUILD_FLAGS=("${LONG_BUILD_FLAGS[@]}")
else
    BUILD_FLAGS=("${CI_BUILD_FLAGS[@]}")
fi
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${ALL_TARGETS[@]}")
fi

# cargo-fuzz needs a nightly compiler: the machine's rustup must have one (the
# package registries this project installs from do not serve toolchains).
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain; install it with \`rustup toolchain install nightly --profile minimal\`" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

log "fuzz: build"
# cargo fuzz has no --locked: refuse a fuzz/Cargo.lock that would need changes first.
cargo +nightly metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
(cd fuzz && cargo +nightly fuzz build "${BUILD_FLAGS[@]}")

if [[ -n "$long" ]]; then
    work_root="fuzz/work"
    mkdir -p "$work_root"
else
    work_root="$(mktemp -d)"
    trap 'rm -rf "$work_root"' EXIT
fi

summary=()
for target in "${targets[@]}"; do
    seconds="${long:-${CI_SECONDS[$target]:?unknown target $target}}"
    log "fuzz: $target for ${seconds}s"
    mkdir -p "$work_root/$target"
    work="$(cd "$work_root/$target" && pwd)"
    run_log="$work_root/$target.log"
    status=0
    # New inputs go to $work; the committed seeds in fuzz/corpus/ are only read.
    (cd fuzz && cargo +nightly fuzz run "${BUILD_FLAGS[@]}" "$target" \
        "$work" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1) \
        >"$run_log" 2>&1 || status=$?
    grep -E '^#[0-9]+ +DONE|^stat::(number_of_executed_units|average_exec_per_sec)' "$run_log" || true
    if [[ $status -ne 0 ]]; then
        tail -n 60 "$run_log"
        log "fuzz: $target FAILED (exit $status); a crashing input is kept in fuzz/artifacts/$target/"
        exit 1
    fi
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run_log" | tail -n 1)"
    corpus="$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$run_log" | tail -n 1 | cut -d' ' -f2)"
    summary+=("$target ${seconds}s execs=${execs:-?} exec/s=${rate:-?} corpus=${corpus:-?}")
done

log "fuzz: no crashes"
printf '%s\n' "${summary[@]}"
