// Summarises results.jsonl: msgs/s median and spread (min–max) per workload, runtime and arm, and C/A.
import { readFileSync } from "node:fs";
import process from "node:process";
import { median } from "../_stats.ts";

interface Row {
  workload: string;
  arm: string;
  runtime: string;
  rate: number;
}
const rows = readFileSync(process.argv[2] ?? "bench/sqs/results.jsonl", "utf8").trim().split("\n").map((l) =>
  JSON.parse(l) as Row
);
const groups = new Map<string, number[]>();
for (const r of rows) {
  const key = `${r.workload}|${r.runtime}|${r.arm}`;
  groups.set(key, [...(groups.get(key) ?? []), r.rate]);
}
console.log(
  "| workload | runtime | A raw msgs/s (median, min–max) | C Sluice msgs/s (median, min–max) | C/A |",
);
console.log("| --- | --- | --- | --- | --- |");
const seen = new Set<string>();
for (const r of rows) {
  const id = `${r.workload}|${r.runtime}`;
  if (seen.has(id)) continue;
  seen.add(id);
  const a = groups.get(`${id}|A raw`) ?? [];
  const c = groups.get(`${id}|C sluice`) ?? [];
  const cell = (xs: number[]) =>
    `${Math.round(median(xs))} (${Math.min(...xs)}–${Math.max(...xs)}, n=${xs.length})`;
  console.log(
    `| ${r.workload} | ${r.runtime} | ${cell(a)} | ${cell(c)} | ${(median(c) / median(a)).toFixed(2)} |`,
  );
}
