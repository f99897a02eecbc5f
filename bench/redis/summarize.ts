// Reads results.jsonl and prints a Markdown table: msgs/s median (min–max) per arm, and the ratio C/A.
import { readFileSync } from "node:fs";
import process from "node:process";
import { median } from "../_stats.ts";

type Row = { runtime: string; arm: string; workload: string; rate: number };
const rows: Row[] = readFileSync(process.argv[2] ?? "bench/redis/results.jsonl", "utf8")
  .split("\n").filter(Boolean).map((line) => JSON.parse(line));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(
  "| runtime | workload | raw (A) msgs/s median (min–max) | Sluice (C) msgs/s median (min–max) | C/A |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const runtime of ["deno", "bun"]) {
  for (const workload of ["drain", "publish"]) {
    const pick = (arm: string) =>
      rows.filter((r) => r.runtime === runtime && r.workload === workload && r.arm === arm).map((r) =>
        r.rate
      );
    const a = pick("raw");
    const c = pick("sluice");
    if (!a.length || !c.length) continue;
    const cell = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
    console.log(
      `| ${runtime} | ${workload} | ${cell(a)} | ${cell(c)} | ${(median(c) / median(a)).toFixed(2)} |`,
    );
  }
}
