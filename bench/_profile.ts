/**
 * Where a run's CPU goes, from the V8/JSC sampling profile of its timed section (`bench/run.ts --profile`):
 * each sample's time goes to the code it ran in — Sluice (`core/`, `plugins/`), the bench script itself
 * (`bench/`), a client library (its npm package), or the runtime. Time in the runtime's own functions (a
 * `JSON.parse`, a `TextDecoder`, a socket write) goes to the nearest caller that is not the runtime's, so
 * "sluice" holds what Sluice's code costs including the built-ins it calls; only what no code of ours or of a
 * library called (the event loop, garbage collection, timers) stays with the runtime.
 *
 * Shares, unlike timings, survive the host's swings in speed: a run on a slow minute is slow in every part
 * alike. The client library doing the same work in both arms of a bench is therefore a yardstick that travels
 * with the run: the library-scaled ratio of `profileTable` in `_report.ts`.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The part of a Chrome `.cpuprofile` read here (V8's and Bun's both have this form). */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** CPU µs a message by owner: `sluice`, `bench`, `runtime`, and `npm:<package>` for each library. */
export type Breakdown = Record<string, number>;

/** The owner of code at `url`, or undefined for the runtime's own (built-ins, `node:`, `ext:`, natives). */
function owner(url: string, root: string): string | undefined {
  if (!url.startsWith("file://")) return undefined;
  const path = decodeURIComponent(new URL(url).pathname);
  const modules = path.lastIndexOf("/node_modules/");
  if (modules !== -1) {
    const parts = path.slice(modules + "/node_modules/".length).split("/");
    const name = parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return name.startsWith("@sluice/") ? "sluice" : `npm:${name}`;
  }
  if (!path.startsWith(root)) return "bench";
  const top = path.slice(root.length).split("/")[0];
  return top === "core" || top === "plugins" ? "sluice" : "bench";
}

/** A profile's nodes by id, and its samples in the timed section: each one's node and the µs it stands for. */
interface Samples {
  readonly profile: CpuProfile;
  readonly byId: ReadonlyMap<number, CpuProfile["nodes"][number]>;
  readonly taken: { readonly id: number; readonly us: number }[];
}

/**
 * The samples of the profile a run left in `dir` (`timed.cpuprofile` from `node:inspector`, or the one
 * `.cpuprofile` Bun's `--cpu-prof` wrote, cut to `window.json`), idle ones left out; undefined when the run
 * left none.
 */
function samples(dir: string): Samples | undefined {
  const file = existsSync(join(dir, "timed.cpuprofile"))
    ? join(dir, "timed.cpuprofile")
    : readdirSync(dir).filter((name) => name.endsWith(".cpuprofile")).map((name) => join(dir, name))[0];
  if (!file) return undefined;
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  // Only Bun's run leaves a window: its profile covers the whole process and stamps samples in epoch µs.
  const window = existsSync(join(dir, "window.json"))
    ? JSON.parse(readFileSync(join(dir, "window.json"), "utf8")) as { from: number; to: number }
    : undefined;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const taken: { id: number; us: number }[] = [];
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    if (window && (time < window.from || time > window.to)) continue;
    const id = profile.samples[i]!;
    if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
    // A sample's time is the gap to the next one: the delta that follows it.
    taken.push({ id, us: profile.timeDeltas[i + 1] ?? 0 });
  }
  return { profile, byId, taken };
}

/**
 * The breakdown of the profile a run left in `dir` (see `samples`): the run's measured CPU µs a message,
 * `cpuMicros`, shared out by the profile's samples; undefined when the run left none. Samples are taken on
 * the wall clock, so they also land where the process waited for a core: only their shares are used, and the
 * CPU of the runtime's other threads (a parallel garbage collector) is shared out with the rest. Idle
 * samples do not count. A script outside the repository counts as the bench's.
 */
export function breakdown(dir: string, root: string, cpuMicros: number): Breakdown | undefined {
  const found = samples(dir);
  if (!found) return undefined;
  const { profile, byId, taken } = found;
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owners = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owners.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const mine = owner(node.callFrame.url, root);
    const up = parent.get(id);
    const result = mine ?? (up === undefined ? "runtime" : ownerOf(up));
    owners.set(id, result);
    return result;
  };
  const spent: Record<string, number> = {};
  let sampled = 0;
  for (const { id, us } of taken) {
    const who = ownerOf(id);
    spent[who] = (spent[who] ?? 0) + us;
    sampled += us;
  }
  if (sampled === 0) return undefined;
  return Object.fromEntries(
    Object.entries(spent).map(([who, us]) => [who, Math.round((us / sampled) * cpuMicros * 100) / 100]),
  );
}

/** A function's own share of a profile's samples (its callees' time not included). */
export interface Hot {
  /** The function's name, file and line (`decode core/codec.ts:58`). */
  readonly where: string;
  /** Its share of the samples, 0–1. */
  readonly share: number;
}

/**
 * The functions the samples of the profile in `dir` fell in most, by their own time, largest first: where a
 * bench's time goes below the owners of `breakdown`. Built-ins are named as the runtime names them (`parse`
 * is `JSON.parse` under Bun); under Deno and Node a built-in the optimiser inlined counts for its caller.
 */
export function hottest(dir: string, root: string, count = 30): Hot[] {
  const found = samples(dir);
  if (!found) return [];
  const spent = new Map<string, number>();
  let sampled = 0;
  for (const { id, us } of found.taken) {
    const { functionName, url, lineNumber } = found.byId.get(id)!.callFrame;
    const file = url.startsWith(`file://${root}`) ? url.slice(`file://${root}`.length) : url.split("/").pop();
    const where = `${functionName || "(anonymous)"} ${file || "(native)"}${url ? `:${lineNumber + 1}` : ""}`;
    spent.set(where, (spent.get(where) ?? 0) + us);
    sampled += us;
  }
  return [...spent].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([where, us]) => ({ where, share: sampled === 0 ? 0 : us / sampled }));
}
