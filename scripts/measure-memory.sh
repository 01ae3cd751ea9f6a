#!/usr/bin/env bash
# Peak memory of the pipeline process on a large source (issue: "memory stays bounded").
# Seeds the OLTP at the given scale into a PostgreSQL server (so the database's own memory is
# not counted), then runs `npm run pipeline` (extract, dimension and fact loads and their quality gates, through the queues) under
# /usr/bin/time -v and prints its maximum resident set size.
#   usage: scripts/measure-memory.sh <postgres-admin-url> [scale]   e.g. postgres://postgres@127.0.0.1:5432/postgres 50
set -euo pipefail
ADMIN_URL=${1:?usage: scripts/measure-memory.sh <postgres-admin-url> [scale]}
SCALE=${2:-50}
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
SUFFIX=$$
OLTP_DB=measure_oltp_$SUFFIX
DW_DB=measure_dw_$SUFFIX
WORK=$(mktemp -d)
psql "$ADMIN_URL" -qc "create database $OLTP_DB" -c "create database $DW_DB"
cleanup() { psql "$ADMIN_URL" -qc "drop database if exists $OLTP_DB with (force)" -c "drop database if exists $DW_DB with (force)" || true; rm -rf "$WORK"; }
trap cleanup EXIT
base=${ADMIN_URL%/*}
export OLTP_CONNECTION_STRING="$base/$OLTP_DB" DW_CONNECTION_STRING="$base/$DW_DB"
# Azurite in its own process (on disk), so the measurement is the pipeline's memory only
npx tsx dev/azurite.ts --location "$WORK/azurite" --blob-port 10110 --queue-port 10111 > "$WORK/azurite.log" 2>&1 &
AZURITE_PID=$!
# npx starts Azurite as a grandchild: stop it by its own (unique) command line, not only npx's pid
trap 'kill $AZURITE_PID 2>/dev/null || true; pkill -f -- "--location $WORK/azurite" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 60); do grep -q '^AzureWebJobsStorage=' "$WORK/azurite.log" && break; sleep 0.5; done
export AzureWebJobsStorage=$(sed -n 's/^AzureWebJobsStorage=//p' "$WORK/azurite.log")
echo "seeding scale $SCALE ..."
/usr/bin/time -v -o "$WORK/seed.time" npx tsx scripts/seed.ts --scale "$SCALE" --as-of "$(date -u +%F)" | tail -n 3
echo "running the pipeline ..."
/usr/bin/time -v -o "$WORK/pipeline.time" npm run --silent pipeline | tail -n 20
for step in seed pipeline; do
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$step.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$step.time")
  echo "$step: peak RSS $((rss / 1024)) MB, wall $wall"
done
