#!/usr/bin/env bash
# Interleaved rounds: every (runtime, workload, arm) in a fresh process, ROUNDS times; JSON lines to
# results.jsonl, then a summary table. Usage: bench/redis/run.sh [count] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-100000}
ROUNDS=${2:-3}
OUT=bench/redis/results.jsonl
: > "$OUT"
for round in $(seq "$ROUNDS"); do
  for workload in drain publish; do
    for runtime in deno bun; do
      for arm in raw sluice; do
        if [ "$runtime" = deno ]; then
          ./node_modules/.bin/deno run -A bench/redis/bench.ts "$arm" "$workload" "$COUNT" | tee -a "$OUT"
        else
          ./node_modules/.bin/bun bench/redis/bench.ts "$arm" "$workload" "$COUNT" | tee -a "$OUT"
        fi
      done
    done
  done
done
./node_modules/.bin/deno run -A bench/redis/summarize.ts "$OUT"
