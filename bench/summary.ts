/**
 * Summarises a `results.jsonl` whose lines carry `runtime`, `workload`, `arm` and `rate` (msgs/s): the median
 * and spread (min – max) per arm, and each arm's ratio of medians to the `raw` arm.
 *
 *   deno run -A bench/summary.ts bench/nats/results.jsonl
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { median } from "./_stats.ts";

interface Run {
  arm: string;
  workload: string;
  runtime: string;
  rate: number;
}

const file = process.argv[2];
if (!file) {
  console.error("usage: deno run -A bench/summary.ts <results.jsonl>");
  process.exit(2);
}
const runs: Run[] = readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) =>
  JSON.parse(line)
);
const groups = new Map<string, number[]>();
for (const r of runs) {
  const key = `${r.runtime}|${r.workload}|${r.arm}`;
  groups.set(key, [...(groups.get(key) ?? []), r.rate]);
}
console.log("| runtime | workload | arm | runs | msgs/s median | min – max | Sluice/raw |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [key, rates] of [...groups].sort()) {
  const [runtime, workload, arm] = key.split("|");
  const raw = groups.get(`${runtime}|${workload}|raw`);
  const ratio = arm === "raw" || !raw ? "" : (median(rates) / median(raw)).toFixed(2);
  console.log(
    `| ${runtime} | ${workload} | ${arm} | ${rates.length} | ${Math.round(median(rates))} | ${
      Math.min(...rates)
    } – ${Math.max(...rates)} | ${ratio} |`,
  );
}
