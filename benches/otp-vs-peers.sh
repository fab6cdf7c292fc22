#!/usr/bin/env bash
# BENCHMARKS.md, OTP section: `assent code --window 1000000` against
# `oathtool --totp -w 1000000` and pyotp, as whole processes, in one run.
# Needs: oathtool, hyperfine (Debian), pyotp (pip). Usage: bash benches/otp-vs-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p assent-cli
bin=$target_dir/release/assent
secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
at=1111111109
n=${N:-1000000}
uri="otpauth://totp/bench?secret=$secret"
# The three must agree before they are timed.
a=$($bin code "$uri" --at $at --window $n | sha256sum)
o=$(oathtool --totp -b -N @$at -w $n $secret | sha256sum)
p=$(python3 benches/otp_vs_peers.py $secret $at $n | sha256sum)
[ "$a" = "$o" ] && [ "$a" = "$p" ] || { echo "outputs differ: $a / $o / $p" >&2; exit 1; }
echo "outputs agree ($((n + 1)) codes, sha256 ${a%% *})"
hyperfine -N --warmup 1 --runs ${RUNS:-5} \
  -n assent "$bin code $uri --at $at --window $n" \
  -n oathtool "oathtool --totp -b -N @$at -w $n $secret" \
  -n pyotp "python3 benches/otp_vs_peers.py $secret $at $n" \
  --export-markdown "${OUT:-/dev/null}" --output=pipe
