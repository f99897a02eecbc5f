// Summarises bench/mqtt/results.jsonl: median and spread (min – max) of msgs/s per arm, and Sluice/raw.
import { readFileSync } from "node:fs";
import process from "node:process";

interface Run {
  arm: string;
  workload: string;
  runtime: string;
  rate: number;
}
const runs: Run[] = readFileSync(process.argv[2] ?? "bench/mqtt/results.jsonl", "utf8").trim().split("\n")
  .filter(Boolean).map((line) => JSON.parse(line));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
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
