#!/usr/bin/env bash
# The mobile library: its size as the apps ship it (cargo profile `mobile`: opt-level s, fat LTO, one
# codegen unit, stripped) for the host, and the overhead of calling it from Kotlin through uniffi + JNA,
# against the same facade functions called natively in the same run. Run by `bash tests/bench.sh mobile`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d)
source tests/dev-server.sh
DEV_PID=
trap 'kill $DEV_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
cargo build -q --profile mobile -p egov-mobile --lib
cargo build -q -p egov-mobile --lib
cargo build -q --release -p egov-server --bin egov-server -p egov-e2e --bin bench-mobile
(cd android-sample/jvm-tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F); $(rustc --version)"

size() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN {printf "%.2f MiB", b / 1048576}'; }
echo
echo "| library (x86_64-unknown-linux-gnu) | size |"
echo "|---|---|"
echo "| libegov_mobile.so, profile mobile (opt-level s, fat LTO, stripped) | $(mib "$(size target/mobile/libegov_mobile.so)") |"
echo "| libegov_mobile.a, profile mobile (what the XCFramework links; the app's linker keeps what it uses) | $(mib "$(size target/mobile/libegov_mobile.a)") |"
gzip -9 -c target/mobile/libegov_mobile.so > "$WORK/lib.gz"
echo "| libegov_mobile.so, profile mobile, gzip -9 (roughly its share of a download) | $(mib "$(size "$WORK/lib.gz")") |"

bash tests/bindings.sh "$WORK/bindings" >/dev/null
KOTLIN=android-sample/jvm-tests/node_modules/kotlin-compiler
JAVA_OPTS="-Xmx1g" "$KOTLIN/bin/kotlinc" "$WORK"/bindings/kotlin/uniffi/*/*.kt android-sample/jvm-tests/src/*.kt \
  -cp /usr/share/java/jna.jar -d "$WORK/bench.jar" 2>"$WORK/kotlinc.log" || { cat "$WORK/kotlinc.log"; exit 1; }
start_dev_server target/release/egov-server "$WORK"
EGOV_URL="$DEV_URL" EGOV_BENCH_OUT="$WORK" java -Djna.library.path="$ROOT/target/mobile" \
  -cp "$WORK/bench.jar:/usr/share/java/jna.jar:$KOTLIN/lib/kotlin-stdlib.jar" BenchKt | tee "$WORK/kotlin.txt"
target/release/bench-mobile "$WORK/copy.jws" "$WORK/jwks.json" | tee "$WORK/native.txt"
echo
echo "| call | native mean µs | Kotlin mean µs | native p99 µs | Kotlin p99 µs | Kotlin ÷ native (mean) | overhead per call µs |"
echo "|---|---|---|---|---|---|---|"
for call in verifyDocumentCopy isValidIin; do
  k=$(grep "^KOTLIN $call " "$WORK/kotlin.txt"); n=$(grep "^NATIVE $call " "$WORK/native.txt")
  val() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
  awk -v km="$(val "$k" mean_ns)" -v nm="$(val "$n" mean_ns)" -v kp="$(val "$k" p99_ns)" -v np="$(val "$n" p99_ns)" -v c="$call" \
    'BEGIN {printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", c, nm/1000, km/1000, np/1000, kp/1000, km/nm, (km-nm)/1000}'
done
