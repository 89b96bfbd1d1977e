#!/usr/bin/env bash
# Benchmarks: release builds, the real server binary, baselines measured in the same run.
#   bash tests/bench.sh auth              # sign-in on SQLite
#   bash tests/bench.sh auth postgres     # sign-in on a fresh PostgreSQL database
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-auth}
backend=${2:-sqlite}
PG_ADMIN_URL=${EGOV_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release -q -p egov-server -p egov-e2e --bin egov-server --bin "bench-$what"
if [ "$backend" = postgres ]; then
  db="egov_bench_$(date +%s)_$$"
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db"
  trap 'psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  export EGOV_TEST_DATABASE="${PG_ADMIN_URL%/*}/$db"
else
  unset EGOV_TEST_DATABASE
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
"target/release/bench-$what"
