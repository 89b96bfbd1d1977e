#!/usr/bin/env bash
# Fuzzes every parser of outside input in egov-core (fuzz/fuzz_targets: scanned QR text, JWS copies and
# receipts, IIN/BIN/phone, plates, calendar files, short codes/digests/user agents/device keys) with
# cargo-fuzz and libFuzzer, for a bounded time per target:
#   bash tests/fuzz.sh [seconds per target, default 60] [target ...]
# The machine's toolchain is stable; libFuzzer's instrumentation flags are unstable options, so the build
# runs with RUSTC_BOOTSTRAP=1 (the same compiler, its unstable flags unlocked). No sanitizer: core has no
# unsafe code, and the targets assert properties (canonical forms, idempotence, nothing forged verifies)
# besides "no panic". Crashes land in fuzz/artifacts/<target>/ and fail the command.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-60}
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(scanned jws identity plate calendar codes)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for t in "${TARGETS[@]}"; do
  echo "==> fuzzing $t for $SECONDS_PER s"
  status=0
  RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz --sanitizer none "$t" -- \
    -max_total_time="$SECONDS_PER" -rss_limit_mb=2048 -print_final_stats=1 >"$LOG" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs)' "$LOG" || true
  if [ "$status" != 0 ]; then
    tail -n 40 "$LOG"
    echo "fuzzing $t failed (exit $status): the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz: no failure in ${#TARGETS[@]} targets × $SECONDS_PER s"
