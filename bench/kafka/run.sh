#!/usr/bin/env bash
# Interleaved rounds of raw kafkajs (A) vs Sluice (C), each run a fresh process, under Deno and Bun.
# Usage: bench/kafka/run.sh [rounds=3] [drain count=100000] [publish count=10000]  (from the repo root)
set -euo pipefail
ROUNDS=${1:-3}
DRAIN=${2:-100000}
PUBLISH=${3:-10000}
OUT=${OUT:-bench/kafka/results.jsonl}
: >"$OUT"
for round in $(seq 1 "$ROUNDS"); do
  for runtime in deno bun; do
    for workload in drain publish; do
      count=$([ "$workload" = drain ] && echo "$DRAIN" || echo "$PUBLISH")
      arms="raw sluice"; [ "$workload" = drain ] && arms="raw driver sluice"
      for arm in $arms; do
        if [ "$runtime" = deno ]; then cmd=(./node_modules/.bin/deno run -A bench/kafka/bench.ts)
        else cmd=(./node_modules/.bin/bun bench/kafka/bench.ts); fi
        line=$("${cmd[@]}" "$arm" "$workload" "$count" 2>/dev/null | grep '^{')
        echo "{\"round\":$round,\"runtime\":\"$runtime\",${line#\{}" | tee -a "$OUT"
      done
    done
  done
done
