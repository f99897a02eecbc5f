/**
 * The timed section of a benchmark run: wall time and the CPU time (`process.cpuUsage`, user + system) of
 * this process between `begin()` and `end()`. CPU per message is the figure that survives a shared machine:
 * other processes stretch the wall clock but do not add to ours.
 *
 * @module
 */

import process from "node:process";

let cpuAtBegin: NodeJS.CpuUsage | undefined;
let cpuMicros = 0;
const rssSamples: number[] = [];
let sampler: ReturnType<typeof setInterval> | undefined;

/** Starts the timed section (and an RSS sample each second); returns `performance.now()`. */
export function begin(): number {
  rssSamples.length = 0;
  rssSamples.push(process.memoryUsage.rss());
  sampler = setInterval(() => rssSamples.push(process.memoryUsage.rss()), 1000);
  cpuAtBegin = process.cpuUsage();
  return performance.now();
}

/** Ends the timed section; returns `performance.now()`. */
export function end(): number {
  const now = performance.now();
  clearInterval(sampler);
  if (cpuAtBegin) {
    const used = process.cpuUsage(cpuAtBegin);
    cpuMicros = used.user + used.system;
  }
  return now;
}

/** CPU microseconds per message over the timed section, for `count` messages. */
export function cpuPerMessage(count: number): number {
  return Math.round((cpuMicros / count) * 100) / 100;
}

/** The resident set size sampled each second of the timed section (and at its start), in MiB. */
export function rssMiB(): number[] {
  return rssSamples.map((bytes) => Math.round(bytes / 1048576));
}

/** The runtime running this process and its version: `deno 2.9.6`, `bun 1.4.5` or `node v24.22.3`. */
export function runtimeName(): string {
  const global = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (global.Deno) return `deno ${global.Deno.version.deno}`;
  if (global.Bun) return `bun ${global.Bun.version}`;
  return `node ${process.version}`;
}

/**
 * Prints a run's one JSON line, the form `bench/run.ts` reads: `count` messages in `seconds`, the CPU per
 * message and the RSS samples of the timed section, and `extra` fields (percentiles, lost messages).
 */
export function printRun(
  arm: string,
  workload: string,
  count: number,
  seconds: number,
  extra: Readonly<Record<string, number>> = {},
): void {
  console.log(JSON.stringify({
    arm,
    workload,
    count,
    ...extra,
    seconds,
    rate: Math.round(count / seconds),
    cpu_us: cpuPerMessage(count),
    rss_mib: rssMiB(),
  }));
}
