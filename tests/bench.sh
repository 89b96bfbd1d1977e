#!/usr/bin/env bash
# Benchmarks: release builds, the real server binary, baselines measured in the same run.
#   bash tests/bench.sh auth [postgres]       # sign-in: OTP and EDS verify
#   bash tests/bench.sh sharing [postgres]    # share create and redeem; with postgres also raw pgbench
#                                             # of the server's redemption statements and a bare UPDATE
#   bash tests/bench.sh journeys [postgres]   # citizens' journeys end to end (EGOV_BENCH_REPLICAS=1|3,
#                                             # EGOV_BENCH_USERS, EGOV_BENCH_ROUNDS), then document lists
#                                             # at a fixed rate (EGOV_BENCH_RATE, default 1000/s)
#   bash tests/bench.sh sse [postgres]        # 10 000 browsers waiting for a website login over SSE:
#                                             # server memory per waiter (EGOV_BENCH_WAITERS)
#   bash tests/bench.sh mobile                # the shipped library's size and the JVM call overhead
# And on its own: bash tests/bench-scale.sh [CITIZENS], a redemption's statements on a database of realistic
# size beside one as small as the sharing benchmark's.
# EGOV_BENCH_PG_CPUS=0 (with postgres, on the machine that runs PostgreSQL) gives PostgreSQL those CPUs and
# everything else (the server, the load generator, pgbench's clients) the others, for the whole run: the
# HTTP run and its pgbench baselines then measure the same database on the same cores.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-auth}
if [ "$what" = mobile ]; then exec bash tests/bench-mobile.sh; fi
if [ "$what" = journeys ]; then export EGOV_BENCH_RATE=${EGOV_BENCH_RATE:-1000}; fi
backend=${2:-sqlite}
PG_ADMIN_URL=${EGOV_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
CONCURRENCY=${EGOV_BENCH_CONCURRENCY:-32}
cores=$(nproc)
cargo build --release -q -p egov-server -p egov-e2e --bin egov-server --bin "bench-$what"
if [ "$backend" = postgres ]; then
  db="egov_bench_$(date +%s)_$$"
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db"
  trap 'psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  export EGOV_TEST_DATABASE="${PG_ADMIN_URL%/*}/$db"
  if [ -n "${EGOV_BENCH_PG_CPUS:-}" ]; then
    pids=$(pgrep -x postgres || true)
    [ -n "$pids" ] || { echo "EGOV_BENCH_PG_CPUS: no local postgres process to pin" >&2; exit 2; }
    others=$(seq 0 $((cores - 1)) | grep -vxF -f <(tr ',' '\n' <<<"$EGOV_BENCH_PG_CPUS") | paste -sd, || true)
    [ -n "$others" ] || { echo "EGOV_BENCH_PG_CPUS=$EGOV_BENCH_PG_CPUS leaves no CPU for the rest" >&2; exit 2; }
    was=$(taskset -pc "$(head -1 <<<"$pids")" | awk '{print $NF}')
    # New backends fork from the postmaster and inherit its CPUs; the trap gives them all back.
    for pid in $pids; do taskset -apc "$EGOV_BENCH_PG_CPUS" "$pid" >/dev/null; done
    trap 'for pid in $(pgrep -x postgres); do taskset -apc "'"$was"'" "$pid" >/dev/null 2>&1; done
          psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
    taskset -pc "$others" $$ >/dev/null
    echo "PostgreSQL on CPUs $EGOV_BENCH_PG_CPUS; the server, the load generator and pgbench's clients on $others"
  fi
else
  unset EGOV_TEST_DATABASE
fi
# The SSE benchmark holds one connection per waiter on each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "machine: $cores cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
out=$(mktemp)
export EGOV_BENCH_PGBENCH_SCRIPTS="$out"
"target/release/bench-$what" | tee "$out"
if [ "$what" = sharing ] && [ "$backend" = postgres ]; then
  # Two database ceilings on the same PostgreSQL, each the best rate of pgbench with as many clients as the
  # server's pool has connections (10) and as many as the HTTP run had workers (EGOV_BENCH_PGBENCH_CLIENTS):
  # 1. the server's own redemption statements (the read, then the claim with the owner's history entry and
  #    notification), prepared as sqlx prepares them, on the run's own schema with fresh live shares
  #    (bench-sharing wrote the script and the shares);
  # 2. a bare single-row conditional UPDATE by key on a two-column table, on fresh rows.
  pg_url=$(awk -F'PGBENCH_URL=' '/^PGBENCH_URL=/ {print $2}' "$out")
  shares=$(awk -F= '/^PGBENCH_SHARES=/ {print $2}' "$out")
  rps=$(awk -F= '/^REDEEM_RPS=/ {print $2}' "$out")
  clients=${EGOV_BENCH_PGBENCH_CLIENTS:-10 $CONCURRENCY}
  # The best tps over the client counts, as "tps (clients)"; every run is logged on stderr.
  pgb() {
    local what=$1; shift
    for c in $clients; do
      tps=$(pgbench -n -c "$c" -j 2 -T 10 "$@" 2>/dev/null | awk '/^tps/ {print int($3)}')
      echo "pgbench $what, $c clients: $tps tps" >&2
      echo "$tps $c"
    done | sort -n | tail -1 | awk '{print $1 " (" $2 ")"}'
  }
  both=$(pgb "read + claim" -M prepared -D shares="$shares" -f "$out.redeem.sql" "$pg_url")
  claim=$(pgb claim -M prepared -D shares="$shares" -f "$out.claim.sql" "$pg_url")
  psql -q "$EGOV_TEST_DATABASE" -c "CREATE TABLE bench_claims (id BIGINT PRIMARY KEY, redeemed_at BIGINT)" \
    -c "INSERT INTO bench_claims SELECT g, NULL FROM generate_series(1, 2000000) g" -c "ANALYZE bench_claims"
  cat > "$out.bare.sql" <<'SQL'
\set id random(1, 2000000)
UPDATE bench_claims SET redeemed_at = 1 WHERE id = :id AND redeemed_at IS NULL RETURNING id;
SQL
  bare=$(pgb "bare UPDATE" -f "$out.bare.sql" "$EGOV_TEST_DATABASE")
  ratio() { awk -v a="$rps" -v b="${1%% *}" 'BEGIN {printf "%.3f", a / b}'; }
  echo
  echo "| pgbench (best of ${clients// /, } clients, 10 s each) | tps (clients) | redemption req/s ÷ tps |"
  echo "|---|---|---|"
  echo "| the server's claim statement (UPDATE with its history and notification inserts), prepared | $claim | $(ratio "$claim") |"
  echo "| the server's two redemption statements (read, then claim), prepared | $both | $(ratio "$both") |"
  echo "| a bare UPDATE ... WHERE id = :id AND redeemed_at IS NULL RETURNING id, simple protocol | $bare | $(ratio "$bare") |"
fi
