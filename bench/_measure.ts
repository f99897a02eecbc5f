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
