#!/usr/bin/env bash
# Faults that need control of the machine's PostgreSQL, so they are not in the test command (its
# PostgreSQL suite shares that server): PostgreSQL restarted under load (tests/bench/pg_restart.rs).
# The crash tests (SIGKILL during payments and redemptions) and the dead SMS provider run in the test
# command (tests/e2e/faults.rs).
#   bash tests/faults.sh        EGOV_PG_RESTART_CMD overrides `pg_ctlcluster <version> main restart`
set -euo pipefail
cd "$(dirname "$0")/.."
PG_ADMIN_URL=${EGOV_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -z "${EGOV_PG_RESTART_CMD:-}" ]; then
  version=$(pg_lsclusters -h | awk '$4 == "online" {print $1; exit}')
  [ -n "$version" ] || { echo "no online PostgreSQL cluster (pg_lsclusters)" >&2; exit 1; }
  export EGOV_PG_RESTART_CMD="pg_ctlcluster $version main restart"
fi
cargo build -q -p egov-server -p egov-e2e --bin egov-server --bin fault-pg-restart
db="egov_faults_$(date +%s)_$$"
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db"
trap 'for _ in 1 2 3 4 5; do psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 && break; sleep 1; done' EXIT
EGOV_TEST_DATABASE="${PG_ADMIN_URL%/*}/$db" target/debug/fault-pg-restart
