#!/usr/bin/env bash
# Interleaved rounds of every arm, workload and runtime, each run a fresh process; JSON lines to
# bench/rabbitmq/results.jsonl, then a summary table.
# Usage: bench/rabbitmq/run.sh [rounds] [count] [window]   (needs SLUICE_AMQP_URL or RabbitMQ on 127.0.0.1:5672)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
COUNT=${2:-100000}
WINDOW=${3:-256}
OUT=bench/rabbitmq/results.jsonl
: >"$OUT"
for round in $(seq "$ROUNDS"); do
  for runtime in deno bun; do
    for workload in drain publish; do
      for arm in raw sluice; do
        if [ "$runtime" = deno ]; then cmd=(./node_modules/.bin/deno run -A); else cmd=(./node_modules/.bin/bun); fi
        timeout 300 "${cmd[@]}" bench/rabbitmq/bench.ts "$arm" "$workload" "$COUNT" "$WINDOW" | tail -1 | tee -a "$OUT" ||
          echo "{\"arm\":\"$arm\",\"workload\":\"$workload\",\"runtime\":\"$runtime\",\"failed\":true}" | tee -a "$OUT"
      done
    done
  done
done
./node_modules/.bin/deno run -A bench/rabbitmq/summary.ts "$OUT"
