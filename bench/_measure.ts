/**
 * The timed section of a benchmark run: wall time and the CPU time (`process.cpuUsage`, user + system) of
 * this process between `begin()` and `end()`. CPU per message is the figure that survives a shared machine:
 * other processes stretch the wall clock but do not add to ours.
 *
 * @module
 */

import process from "node:process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Profiling (`bench/run.ts --profile`): with `SLUICE_BENCH_PROFILE` naming a folder, the timed section runs
 * under V8's sampling profiler through `node:inspector` (Deno, Node), written there as `timed.cpuprofile`.
 * Bun's `node:inspector` has no profiler: the runner starts Bun with `--cpu-prof` instead, and `window.json`
 * bounds the timed section (epoch µs, as Bun's profile stamps its samples) so only its samples count.
 */
const profileDir = process.env.SLUICE_BENCH_PROFILE;
const profiler = profileDir && !("Bun" in globalThis) ? await startProfiler() : undefined;
let profileWritten: Promise<void> = Promise.resolve();

interface Profiler {
  post(method: string, callback?: (error: Error | null, result: { profile?: unknown }) => void): void;
}

async function startProfiler(): Promise<Profiler> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  return session as unknown as Profiler;
}

/**
 * Resolves once the timed section's profile is written (at once when not profiling). Deno's inspector answers
 * on a later turn of the event loop: a script that calls `process.exit` right after `end()`, with nothing
 * awaited in between, awaits this first or leaves no profile (the runner says so).
 */
export function profiled(): Promise<void> {
  return profileWritten;
}

const epochMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;
let windowFrom = 0;

let cpuAtBegin: NodeJS.CpuUsage | undefined;
let cpuMicros = 0;
const rssSamples: number[] = [];
let sampler: ReturnType<typeof setInterval> | undefined;

/** Starts the timed section (and an RSS sample each second); returns `performance.now()`. */
export function begin(): number {
  rssSamples.length = 0;
  rssSamples.push(process.memoryUsage.rss());
  sampler = setInterval(() => rssSamples.push(process.memoryUsage.rss()), 1000);
  profiler?.post("Profiler.start");
  windowFrom = epochMicros();
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
  if (profileDir && !profiler) {
    writeFileSync(join(profileDir, "window.json"), JSON.stringify({ from: windowFrom, to: epochMicros() }));
  }
  if (profiler) {
    profileWritten = new Promise((resolve) =>
      profiler.post("Profiler.stop", (error, result) => {
        if (!error) writeFileSync(join(profileDir!, "timed.cpuprofile"), JSON.stringify(result.profile));
        resolve();
      })
    );
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
