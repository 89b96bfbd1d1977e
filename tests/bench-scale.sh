#!/usr/bin/env bash
# A redemption's two statements, the read and the claim, on a PostgreSQL database of realistic size and on
# one as small as the sharing benchmark's, in the same run. The statements are the server's own, written by
# bench-sharing (see tests/bench.sh sharing postgres); tests/bench/scale.sql fills both databases the same
# way. Prints the read's plan on each and pgbench's rates, alternating.
#   bash tests/bench-scale.sh [CITIZENS]     (default 200 000 citizens: 400 000 documents and photos, 3.5 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
CITIZENS=${1:-200000}
CLAIMS=1000000
PG_ADMIN_URL=${EGOV_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
CONCURRENCY=${EGOV_BENCH_CONCURRENCY:-32}
cargo build --release -q -p egov-server -p egov-e2e --bin egov-server --bin bench-sharing
tag="$(date +%s)_$$"
src="egov_scale_src_$tag" small="egov_scale_small_$tag" large="egov_scale_large_$tag"
work=$(mktemp -d)
trap 'for d in $src $small $large; do psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
url() { echo "${PG_ADMIN_URL%/*}/$1"; }
for d in $src $small $large; do psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $d"; done
echo "machine: $(nproc) cores; $(date -u +%F)"

# The server's statements, from a short HTTP run of bench-sharing on a database of its own.
EGOV_BENCH_N=200 EGOV_TEST_DATABASE=$(url $src) EGOV_BENCH_PGBENCH_SCRIPTS="$work/s" target/release/bench-sharing >/dev/null
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
redeem = open(f"{work}/s.redeem.sql").read().split("\n", 1)[1]
claim = open(f"{work}/s.claim.sql").read().split("\n", 1)[1]
read = redeem[: redeem.index(claim)]
open(f"{work}/read.sql", "w").write("\\set id random(1, :n)\n" + read)
open(f"{work}/claim.sql", "w").write("\\set id random(:n + 1, :n + :claims)\n" + claim)
open(f"{work}/explain.sql", "w").write("EXPLAIN (ANALYZE, COSTS OFF) " + read.replace(":id::bigint", "1::bigint"))
PY

for d in $small $large; do
  for f in server/migrations/postgres/*.sql; do psql -q -v ON_ERROR_STOP=1 "$(url $d)" -f "$f" >/dev/null; done
done
psql -q -v ON_ERROR_STOP=1 -v n=5 -v claims=$CLAIMS "$(url $small)" -f tests/bench/scale.sql
psql -q -v ON_ERROR_STOP=1 -v n="$CITIZENS" -v claims=$CLAIMS "$(url $large)" -f tests/bench/scale.sql

for d in $small $large; do
  n=$([ $d = $small ] && echo 5 || echo "$CITIZENS")
  echo; echo "The read's plan with $n citizens:"
  psql -q -v ON_ERROR_STOP=1 "$(url $d)" -f "$work/explain.sql" | grep -E 'Scan|Join|Nested|Execution' | sed 's/ (actual.*//'
done

pgb() { pgbench -n -c "$CONCURRENCY" -j 2 -T 10 -M prepared "$@" 2>/dev/null | awk '/^tps/ {print int($3)}'; }
echo
echo "| round | statement | 5 citizens, tps | $CITIZENS citizens, tps | ratio |"
echo "|---|---|---|---|---|"
for round in 1 2; do
  for what in read claim; do
    a=$(pgb -D n=5 -D claims=$CLAIMS -f "$work/$what.sql" "$(url $small)")
    b=$(pgb -D n="$CITIZENS" -D claims=$CLAIMS -f "$work/$what.sql" "$(url $large)")
    echo "| $round | $what | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}') |"
  done
done
