#!/usr/bin/env bash
# The store's engines side by side in one run: `ssm-get-secure`, `sqs-send` and `sqs-receive`
# against one `spcred serve` on SQLite, one on PostgreSQL, and two nodes on one PostgreSQL
# database (the load split over both, half the connections each).
# Usage: scripts/bench-store.sh [DIR] [connections] [seconds], DIR holding release builds of
# `spcred` and `spcred-loadgen` (default target/release). PostgreSQL is a throwaway cluster with
# its durable defaults (fsync and synchronous_commit on), as SQLite keeps its own.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release}
CONNS=${2:-32} SECS=${3:-10}
SCENARIOS=(ssm-get-secure sqs-send sqs-receive)
WORK=$(mktemp -d)
PG_DURABLE=1 scripts/pg.sh start "$WORK/pg" >"$WORK/pg.url"
trap 'kill $(jobs -p) 2>/dev/null; scripts/pg.sh stop "$WORK/pg"; rm -rf "$WORK"' EXIT
SERVER=$(cat "$WORK/pg.url")
printf '%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >"$WORK/master.key"
chmod 600 "$WORK/master.key"

start() { # name port [database-url]
    local args=(serve --listen "127.0.0.1:$2" --data-dir "$WORK/$1")
    [ -n "${3:-}" ] && args+=(--database-url "$3")
    SPCRED_MASTER_KEY_FILE="$WORK/master.key" "$BIN/spcred" "${args[@]}" >/dev/null 2>"$WORK/$1.log" &
    until curl -sf "http://127.0.0.1:$2/_spcred/health" >/dev/null; do sleep 0.05; done
}

load() { # label conns port...
    local label=$1 conns=$2 ports=("${@:3}")
    for scenario in "${SCENARIOS[@]}"; do
        local pids=()
        for port in "${ports[@]}"; do
            "$BIN/spcred-loadgen" --endpoint "http://127.0.0.1:$port" --credentials "$WORK/$label-$port.credentials" \
                --connections "$conns" --duration "$SECS" --json "$scenario" >"$WORK/$label-$port-$scenario.json" &
            pids+=($!)
        done
        wait "${pids[@]}"
        python3 - "$label" "$scenario" "$WORK/$label"-*-"$scenario".json <<'PY'
import json, sys
label, scenario, files = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [json.loads(line) for f in files for line in open(f) if line.strip()]
rps = sum(r["ops_per_sec"] for r in runs)
p99 = max(r["p99_us"] for r in runs) / 1000
errors = sum(r["errors"] for r in runs)
print(f"{label:<22} {scenario:<16} {rps:>10,.0f} req/s  p99 {p99:6.2f} ms  errors {errors}")
PY
    done
}

start sqlite 45701
cp "$WORK/sqlite/credentials" "$WORK/sqlite-1-45701.credentials"
load sqlite-1 "$CONNS" 45701
kill %1 2>/dev/null || true

createdb() { # name -> url
    psql -q "$SERVER" -c "CREATE DATABASE $1" && echo "${SERVER%/*}/$1"
}
one=$(createdb bench_one)
start pg-one 45702 "$one"
cp "$WORK/pg-one/credentials" "$WORK/postgresql-1-45702.credentials"
load postgresql-1 "$CONNS" 45702

two=$(createdb bench_two)
start pg-two-a 45703 "$two"
start pg-two-b 45704 "$two"
cp "$WORK/pg-two-a/credentials" "$WORK/postgresql-2-45703.credentials"
cp "$WORK/pg-two-b/credentials" "$WORK/postgresql-2-45704.credentials"
load postgresql-2 $((CONNS / 2)) 45703 45704
