#!/usr/bin/env bash
# Runs the MQTT benchmark: a private Mosquitto on 127.0.0.1:1885 (no limit on queued messages, so a
# persistent session can hold the whole backlog), each arm in a fresh process, interleaved over ROUNDS
# rounds, under Deno and Bun; appends to bench/mqtt/results.jsonl and prints the summary table.
#   bench/mqtt/run.sh [count] [window] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-20000}
WINDOW=${2:-64}
ROUNDS=${3:-3}
DIR=$(mktemp -d)
printf 'listener 1885 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\n' >"$DIR/mosquitto.conf"
mosquitto -c "$DIR/mosquitto.conf" >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 0.5
export SLUICE_MQTT_BENCH_URL=mqtt://127.0.0.1:1885
OUT=bench/mqtt/results.jsonl
for round in $(seq "$ROUNDS"); do
  for workload in drain publish; do
    for runtime in deno bun; do
      for arm in raw sluice; do
        if [ "$runtime" = deno ]; then
          ./node_modules/.bin/deno run -A bench/mqtt/bench.ts "$arm" "$workload" "$COUNT" "$WINDOW" | tee -a "$OUT"
        else
          ./node_modules/.bin/bun bench/mqtt/bench.ts "$arm" "$workload" "$COUNT" "$WINDOW" | tee -a "$OUT"
        fi
      done
    done
  done
done
./node_modules/.bin/deno run -A bench/summary.ts "$OUT"
