// Summarises bench/rabbitmq/results.jsonl: msgs/s median and spread per runtime × workload × arm, CPU µs per
// message, and the ratio sluice/raw of the medians, as a Markdown table.
import { readFileSync } from "node:fs";
import process from "node:process";
import { median } from "../_stats.ts";

interface Run {
  arm: string;
  workload: string;
  runtime: string;
  rate?: number;
  cpuUsPerMsg?: number;
  failed?: boolean;
}

const file = process.argv[2] ?? "bench/rabbitmq/results.jsonl";
const runs = readFileSync(file, "utf8").split("\n").filter((l) => l.trim().startsWith("{")).map((l) =>
  JSON.parse(l) as Run
);

const groups = new Map<string, Run[]>();
for (const run of runs) {
  const runtime = run.runtime.split(" ")[0]!;
  const key = `${runtime}|${run.workload}|${run.arm}`;
  groups.set(key, [...(groups.get(key) ?? []), { ...run, runtime: run.runtime }]);
}

const lines = [
  "| runtime | workload | arm | runs | msgs/s median | min – max | CPU µs/msg median | sluice/raw |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
];
for (const runtime of ["deno", "bun"]) {
  for (const workload of ["drain", "publish"]) {
    const rate = (arm: string): number | undefined => {
      const ok = (groups.get(`${runtime}|${workload}|${arm}`) ?? []).filter((r) => r.rate);
      return ok.length ? median(ok.map((r) => r.rate!)) : undefined;
    };
    for (const arm of ["raw", "sluice"]) {
      const all = groups.get(`${runtime}|${workload}|${arm}`) ?? [];
      const ok = all.filter((r) => r.rate);
      if (all.length === 0) continue;
      const rates = ok.map((r) => r.rate!);
      const version = ok[0]?.runtime ?? runtime;
      const ratio = arm === "sluice" && rate("raw") && rate("sluice")
        ? (rate("sluice")! / rate("raw")!).toFixed(2)
        : "";
      lines.push(
        `| ${version} | ${workload} | ${arm} | ${ok.length}/${all.length} | ${
          rates.length ? Math.round(median(rates)) : "-"
        } | ${rates.length ? `${Math.min(...rates)} – ${Math.max(...rates)}` : "-"} | ${
          ok.length ? median(ok.map((r) => r.cpuUsPerMsg ?? 0)).toFixed(1) : "-"
        } | ${ratio} |`,
      );
    }
  }
}
console.log(lines.join("\n"));
