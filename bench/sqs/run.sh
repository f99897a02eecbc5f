#!/usr/bin/env bash
# Runs the SQS benchmark: arms A (raw client) and C (Sluice) interleaved, each run in a fresh process, over
# ROUNDS rounds under Deno and Bun; appends JSON lines to results.jsonl and prints the summary.
#   bench/sqs/run.sh [ROUNDS] [DRAIN_N] [PUBLISH_N] [WINDOW]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
DRAIN_N=${2:-10000}
PUBLISH_N=${3:-5000}
WINDOW=${4:-64}
OUT=bench/sqs/results.jsonl
: >"$OUT"
deno=(./node_modules/.bin/deno run -A bench/sqs/bench.ts)
bun=(./node_modules/.bin/bun bench/sqs/bench.ts)
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which arm goes first, so drift on the shared machine does not favour one arm.
  if ((round % 2)); then arms=(raw sluice); else arms=(sluice raw); fi
  for rt in deno bun; do
    declare -n run="$rt"
    for arm in "${arms[@]}"; do
      q="bench-drain-$rt-$arm-$round-$$"
      "${deno[@]}" fill "$q" "$DRAIN_N"
      "${run[@]}" "drain-$arm" "$q" "$DRAIN_N" | tee -a "$OUT"
      "${deno[@]}" delete "$q"
      q="bench-publish-$rt-$arm-$round-$$"
      "${run[@]}" "publish-$arm" "$q" "$PUBLISH_N" "$WINDOW" | tee -a "$OUT"
      "${deno[@]}" delete "$q"
    done
  done
done
./node_modules/.bin/deno run -A bench/sqs/summary.ts "$OUT"
