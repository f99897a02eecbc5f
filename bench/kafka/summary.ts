/** Summarises bench/kafka/results.jsonl: median and spread (min–max) of msgs/s per runtime, workload and arm. */
import process from "node:process";
import { readFileSync } from "node:fs";
import { median } from "../_stats.ts";

const rows = readFileSync(process.argv[2] ?? "bench/kafka/results.jsonl", "utf8").trim().split("\n").map((
  l,
) => JSON.parse(l) as { runtime: string; workload: string; arm: string; rate: number });
console.log("| runtime | workload | raw kafkajs (A) msgs/s | driver only msgs/s | Sluice (C) msgs/s | C/A |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const runtime of ["deno", "bun"]) {
  for (const workload of ["drain", "publish"]) {
    const pick = (arm: string) =>
      rows.filter((r) => r.runtime === runtime && r.workload === workload && r.arm === arm)
        .map((r) => r.rate);
    const a = pick("raw");
    const c = pick("sluice");
    const d = pick("driver");
    if (!a.length || !c.length) continue;
    const cell = (xs: number[]) => `${median(xs)} (${Math.min(...xs)}–${Math.max(...xs)})`;
    console.log(
      `| ${runtime} | ${workload} | ${cell(a)} | ${d.length ? cell(d) : "—"} | ${cell(c)} | ${
        (median(c) / median(a)).toFixed(2)
      } |`,
    );
  }
}
