#!/usr/bin/env bash
# Interleaved rounds of every arm, workload and runtime, each run a fresh process; JSON lines to
# bench/nats/results.jsonl, then a summary table. Usage: bench/nats/run.sh [rounds] [count]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
COUNT=${2:-100000}
OUT=bench/nats/results.jsonl
: >"$OUT"
for round in $(seq "$ROUNDS"); do
  for runtime in deno bun; do
    for workload in drain publish; do
      arms="raw sluice"
      [ "$workload" = publish ] && arms="raw raw-wire sluice"
      for arm in $arms; do
        if [ "$runtime" = deno ]; then cmd=(./node_modules/.bin/deno run -A); else cmd=(./node_modules/.bin/bun); fi
        timeout 300 "${cmd[@]}" bench/nats/bench.ts "$arm" "$workload" "$COUNT" 256 | tail -1 | tee -a "$OUT"
      done
    done
  done
done
./node_modules/.bin/deno run -A bench/summary.ts "$OUT"
