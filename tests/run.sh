#!/usr/bin/env bash
# The one test command: every suite this machine can run, each one's counts printed, and a loud failure
# (never a silent skip) when a suite cannot run.
#
#   1. Rust, SQLite:      cargo test --workspace (unit tests, core property tests, end-to-end on SQLite)
#   2. Rust, PostgreSQL:  the storage and end-to-end suites again on a fresh PostgreSQL database
#   3. Browser:           the web pages in Debian's Chromium driven by playwright-core (node:test)
#   4. Kotlin:            the generated Kotlin bindings on the JVM against the real library (kotlinc, JNA),
#                         EgovClient against a live dev server; Swift generated and checked (tests/bindings.sh)
#   5. conformance:       schemathesis against /openapi.json of a dev server: no 5xx (tests/conformance.sh)
#
# PostgreSQL: uses EGOV_TEST_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres); starts the
# local cluster when it is installed but stopped; installs it with apt-get when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TERM_COLOR=never
LOGDIR=$(mktemp -d)
PG_ADMIN_URL=${EGOV_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

# Runs a cargo test command into a log, echoes the result lines, and fails loudly with the log's tail when
# the command fails. Usage: run_cargo_suite NAME LOG -- cargo test ...
run_cargo_suite() {
  local name=$1 log=$2 status=0
  shift 3
  "$@" --no-fail-fast >"$log" 2>&1 || status=$?
  grep -E '^(test result|test .* FAILED|---- )' "$log" || true
  if [ "$status" != 0 ]; then
    tail -n 120 "$log"
    die "the $name suite failed (exit $status)"
  fi
  count_suite "$name" "$log"
}

# Adds the counts of every "test result:" line of a cargo log to the totals and the summary.
count_suite() {
  local name=$1 log=$2 passed failed
  passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
  failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
  [ "$passed" -gt 0 ] || die "$name ran no test"
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  SUMMARY+=("$name: $passed passed, $failed failed")
  echo "$name: $passed passed, $failed failed"
}

pg_ready() { pg_isready -q -d "$PG_ADMIN_URL" 2>/dev/null; }

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_ready; then return 0; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and this script is not root: install postgresql or set EGOV_TEST_PG_ADMIN_URL"
    say "installing PostgreSQL (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null \
      || die "apt-get could not install postgresql"
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    # Our own throw-away test cluster: trust local TCP connections, as the CI machines are set up.
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' \
      "/etc/postgresql/$ver/main/pg_hba.conf"
  fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_ready && return 0; sleep 1; done
  die "PostgreSQL did not become ready at $PG_ADMIN_URL"
}

say "building (debug, one workspace target directory)"
cargo build --workspace --all-targets 2>&1 | tail -n 3

say "suite 1: Rust on SQLite (cargo test --workspace)"
run_cargo_suite rust-sqlite "$LOGDIR/sqlite.log" -- cargo test --workspace

say "suite 2: Rust on PostgreSQL"
ensure_postgres
command -v psql >/dev/null || die "psql is missing (install postgresql-client)"
PG_DB="egov_ci_$(date +%s)_$$"
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" || die "cannot create the test database $PG_DB"
trap 'psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$LOGDIR"' EXIT
PG_URL="${PG_ADMIN_URL%/*}/$PG_DB"
export EGOV_TEST_DATABASE="$PG_URL"
run_cargo_suite rust-postgres "$LOGDIR/postgres.log" -- cargo test -p egov-server -p egov-e2e

say "suite 3: web pages in headless Chromium (playwright-core)"
# Install only what is missing: a machine with Node.js from another source (NodeSource ships npm inside
# its nodejs) must not get Debian's npm, which conflicts with it.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "the browser suite needs ${missing[*]}: apt-get install ${missing[*]}"
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get could not install ${missing[*]}"
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || die "npm could not install playwright-core"
status=0
EGOV_SERVER_BIN="$ROOT/target/debug/egov-server" node --test --test-reporter=tap tests/browser/ >"$LOGDIR/browser.log" 2>&1 || status=$?
grep -E '^(not ok|ok|# (pass|fail))' "$LOGDIR/browser.log" || true
if [ "$status" != 0 ]; then tail -n 80 "$LOGDIR/browser.log"; die "the browser suite failed (exit $status)"; fi
passed=$(awk '/^# pass/ {print $3}' "$LOGDIR/browser.log")
failed=$(awk '/^# fail/ {print $3}' "$LOGDIR/browser.log")
[ "${passed:-0}" -gt 0 ] || die "the browser suite ran no test"
TOTAL_PASSED=$((TOTAL_PASSED + passed)); TOTAL_FAILED=$((TOTAL_FAILED + ${failed:-0}))
SUMMARY+=("browser: $passed passed, ${failed:-0} failed (screenshots in tests/browser/artifacts)")

say "suite 4: Kotlin bindings on the JVM (kotlinc from npm, Debian's JNA, the real libegov_mobile)"
if [ ! -f /usr/share/java/jna.jar ] || ! command -v java >/dev/null; then
  [ "$(id -u)" = 0 ] || die "the Kotlin suite needs Java and JNA: apt-get install default-jre-headless libjna-java"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjna-java default-jre-headless >/dev/null \
    || die "apt-get could not install libjna-java"
fi
(cd android-sample/jvm-tests && npm ci --no-audit --no-fund --loglevel=error) || die "npm could not install kotlin-compiler"
cargo build -q -p egov-mobile --lib || die "building libegov_mobile failed"
KT="$LOGDIR/kotlin"
bash tests/bindings.sh "$KT/bindings" || die "generating or checking the bindings failed"
KOTLIN=android-sample/jvm-tests/node_modules/kotlin-compiler
JAVA_OPTS="-Xmx1g" "$KOTLIN/bin/kotlinc" "$KT"/bindings/kotlin/uniffi/egov_mobile/*.kt android-sample/jvm-tests/src/*.kt \
  -cp /usr/share/java/jna.jar -d "$KT/tests.jar" 2>"$KT/kotlinc.log" || { cat "$KT/kotlinc.log"; die "kotlinc failed"; }
# A live dev server (embedded SQLite, demo data) on a free port for the EgovClient tests.
source tests/dev-server.sh
DEV_PID=
trap 'kill $DEV_PID 2>/dev/null || true; psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$LOGDIR"' EXIT
start_dev_server "$ROOT/target/debug/egov-server" "$KT" || die "the dev server for the Kotlin tests did not become ready"
status=0
EGOV_URL="$DEV_URL" EGOV_CALENDAR_DIR="$ROOT/core/calendars" java -Djna.library.path="$ROOT/target/debug" \
  -cp "$KT/tests.jar:/usr/share/java/jna.jar:$KOTLIN/lib/kotlin-stdlib.jar" CheckKt >"$LOGDIR/kotlin.log" 2>&1 || status=$?
kill $DEV_PID 2>/dev/null || true
cat "$LOGDIR/kotlin.log"
[ "$status" = 0 ] || { tail -n 30 "$KT/server.log"; die "the Kotlin suite failed (exit $status)"; }
passed=$(awk '/^[0-9]+ passed, [0-9]+ failed$/ {print $1}' "$LOGDIR/kotlin.log")
failed=$(awk '/^[0-9]+ passed, [0-9]+ failed$/ {print $3}' "$LOGDIR/kotlin.log")
[ "${passed:-0}" -gt 0 ] || die "the Kotlin suite ran no test"
TOTAL_PASSED=$((TOTAL_PASSED + passed)); TOTAL_FAILED=$((TOTAL_FAILED + ${failed:-0}))
SUMMARY+=("kotlin: $passed passed, ${failed:-0} failed")

say "suite 5: API conformance (schemathesis from PyPI against /openapi.json of a dev server; no 5xx)"
status=0
bash tests/conformance.sh >"$LOGDIR/conformance.log" 2>&1 || status=$?
grep -E '^(conformance:|Test cases:|  [0-9]+ generated)' "$LOGDIR/conformance.log" || true
[ "$status" = 0 ] || { tail -n 60 "$LOGDIR/conformance.log"; die "the conformance suite failed (exit $status)"; }
cases=$(awk '/generated,/ {print $1; exit}' "$LOGDIR/conformance.log")
[ "${cases:-0}" -gt 0 ] || die "the conformance suite generated no test case"
TOTAL_PASSED=$((TOTAL_PASSED + 1))
SUMMARY+=("conformance: 1 passed ($cases generated requests, no 5xx)")

say "summary"
printf '%s\n' "${SUMMARY[@]}"
echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" = 0 ]
