#!/usr/bin/env bash
# Compares two builds of `spcred serve` in one run with the same load generator: for each round,
# each server in turn on a fresh data directory runs `noop`, `gci` and `ssm-get-secure`.
# Usage: scripts/bench-compare.sh BASELINE_DIR CANDIDATE_DIR [rounds] [connections] [seconds]
# where each DIR holds a `spcred` binary (e.g. target/release); the load generator is the
# candidate's `spcred-loadgen`. Prints one line per scenario, server and round.
set -euo pipefail
BASE=$1 CAND=$2
ROUNDS=${3:-3} CONNS=${4:-32} SECS=${5:-10}
PORT=45671
EP=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

run() { # label dir round
    local data=$WORK/$1-$3
    "$2/spcred" serve --listen 127.0.0.1:$PORT --data-dir "$data" >/dev/null 2>"$WORK/$1.log" &
    local pid=$!
    until curl -sf $EP/_spcred/health >/dev/null; do sleep 0.05; done
    "$CAND/spcred-loadgen" --endpoint $EP --credentials "$data/credentials" --connections "$CONNS" \
        --duration "$SECS" noop gci ssm-get-secure | sed "s/^/$1 round $3: /"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

for round in $(seq 1 "$ROUNDS"); do
    run baseline "$BASE" "$round"
    run candidate "$CAND" "$round"
done
