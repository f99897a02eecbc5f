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

/** Starts the timed section; returns `performance.now()`. */
export function begin(): number {
  cpuAtBegin = process.cpuUsage();
  return performance.now();
}

/** Ends the timed section; returns `performance.now()`. */
export function end(): number {
  const now = performance.now();
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
