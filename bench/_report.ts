/**
 * The runner's report: a Markdown table per benchmark and runtime (medians and spreads of msg/s and of the
 * consumer's CPU per message, each arm against `raw`) and an SVG chart of msg/s.
 *
 * @module
 */

import type { Breakdown } from "./_profile.ts";
import { median } from "./_stats.ts";

/** One run of one arm, as the runner records it. */
export interface Result {
  readonly bench: string;
  readonly runtime: string;
  readonly arm: string;
  readonly round: number;
  readonly count: number;
  readonly seconds?: number;
  readonly rate?: number;
  readonly cpu_us?: number;
  /** Round-trip latency percentiles of a request/reply bench, in ms. */
  readonly p50_ms?: number;
  readonly p99_ms?: number;
  /** Resident set size in MiB, sampled each second of the timed section. */
  readonly rss_mib?: number[];
  /** Messages a live run never received (a broker without flow control dropped them); the rest count. */
  readonly lost?: number;
  /** The one-minute load average when the run ended. */
  readonly load: number;
  /** The share of the machine's CPU busy in the half-second before the run started (full runs only). */
  readonly busy?: number;
  readonly failed?: string;
  /** With `--profile`: the timed section's CPU µs a message by owner (`_profile.ts`). */
  readonly profile?: Breakdown;
}

interface Group {
  bench: string;
  runtime: string;
  arm: string;
  rates: number[];
  cpus: number[];
  loads: number[];
  rss: number[];
  p50: number[];
  p99: number[];
  failures: number;
  lost: number;
}

function groups(results: readonly Result[]): Group[] {
  const map = new Map<string, Group>();
  for (const r of results) {
    const key = `${r.bench}|${r.runtime}|${r.arm}`;
    let g = map.get(key);
    if (!g) {
      map.set(
        key,
        g = {
          bench: r.bench,
          runtime: r.runtime,
          arm: r.arm,
          rates: [],
          cpus: [],
          loads: [],
          rss: [],
          p50: [],
          p99: [],
          failures: 0,
          lost: 0,
        },
      );
    }
    g.loads.push(r.load);
    g.lost += r.lost ?? 0;
    if (r.failed || r.rate === undefined) g.failures++;
    else {
      g.rates.push(r.rate);
      if (r.cpu_us !== undefined) g.cpus.push(r.cpu_us);
      if (r.rss_mib?.length) g.rss.push(Math.max(...r.rss_mib));
      if (r.p50_ms !== undefined) g.p50.push(r.p50_ms);
      if (r.p99_ms !== undefined) g.p99.push(r.p99_ms);
    }
  }
  return [...map.values()];
}

const spread = (values: number[], digits: number): string =>
  values.length === 0
    ? "–"
    : `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${
      Math.max(...values).toFixed(digits)
    })`;

/**
 * Whether a Sluice arm meets the performance goal against its raw arm: throughput within 5 % (msg/s ÷ raw ≥
 * 0.95) and CPU per message within 15 % (CPU ÷ raw ≤ 1.15); for a request/reply bench, p50 within 50 µs.
 * Empty for other arms and where a figure is missing.
 */
function goal(g: Group, raw: Group | undefined, paired: readonly PairedResult[]): string {
  if (g.arm !== "sluice" || !raw?.rates.length || !g.rates.length) return "";
  const pairs = paired.flatMap((r) =>
    r.bench === g.bench && r.runtime === g.runtime && r.over?.sluice ? [r.over.sluice.p50_us] : []
  );
  if (pairs.length) return median(pairs) <= 50 ? "met (paired)" : "missed: p50 (paired)";
  if (g.p50.length && raw.p50.length) {
    return median(g.p50) - median(raw.p50) <= 0.05 ? "met" : "missed: p50";
  }
  const missed = [];
  if (median(g.rates) / median(raw.rates) < 0.95) missed.push("msg/s");
  if (g.cpus.length && raw.cpus.length && median(g.cpus) / median(raw.cpus) > 1.15) missed.push("CPU");
  return missed.length ? `missed: ${missed.join(", ")}` : "met";
}

/**
 * The Markdown tables of a run. An RPC bench with paired runs has its goal judged on them (`pairedTable`), not
 * on the p50s of runs in separate processes.
 */
export function table(results: readonly Result[], paired: readonly PairedResult[] = []): string {
  const all = groups(results);
  const lines = [
    "| bench | runtime | arm | runs | msg/s median (min–max) | CPU µs/msg median (min–max) | msg/s ÷ raw | CPU ÷ raw | goal | RSS max MiB | p50 / p99 ms | load (1 min) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const g of all) {
    const raw = all.find((o) => o.bench === g.bench && o.runtime === g.runtime && o.arm === "raw");
    const ratio = (mine: number[], theirs: number[] | undefined): string =>
      g.arm === "raw" || !theirs?.length || !mine.length ? "" : (median(mine) / median(theirs)).toFixed(2);
    const failed = (g.failures ? ` (${g.failures} failed)` : "") + (g.lost ? ` (${g.lost} msgs lost)` : "");
    lines.push(
      `| ${g.bench} | ${g.runtime} | ${g.arm} | ${g.rates.length}${failed} | ${spread(g.rates, 0)} | ${
        spread(g.cpus, 2)
      } | ${ratio(g.rates, raw?.rates)} | ${ratio(g.cpus, raw?.cpus)} | ${goal(g, raw, paired)} | ${
        g.rss.length ? Math.max(...g.rss) : "–"
      } | ${g.p50.length ? `${median(g.p50).toFixed(2)} / ${median(g.p99).toFixed(2)}` : ""} | ${
        Math.min(...g.loads).toFixed(1)
      }–${Math.max(...g.loads).toFixed(1)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

const COLORS: Record<string, string> = {
  raw: "#7f8c8d",
  "raw-wire": "#95a5a6",
  "raw-resp": "#b2babb",
  driver: "#5dade2",
  sluice: "#1f618d",
  faststream: "#d35400",
  "raw-python": "#f0b27a",
};

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/**
 * A horizontal bar chart of median msg/s, one block per benchmark, one bar per runtime and arm. Each block is
 * scaled to its own fastest bar (brokers differ by orders of magnitude); the value is written on each bar.
 */
export function chart(results: readonly Result[], title: string): string {
  const all = groups(results).filter((g) => g.rates.length > 0);
  const benches = [...new Set(all.map((g) => g.bench))];
  const bar = 14;
  const labelWidth = 300;
  const plotWidth = 420;
  const rows: string[] = [];
  let y = 40;
  for (const bench of benches) {
    const mine = all.filter((g) => g.bench === bench);
    const top = Math.max(...mine.map((g) => median(g.rates)));
    rows.push(`<text x="8" y="${y + 12}" font-weight="bold">${escape(bench)}</text>`);
    y += 18;
    for (const g of mine) {
      const rate = median(g.rates);
      const width = Math.max(1, (rate / top) * plotWidth);
      rows.push(
        `<text x="${labelWidth - 6}" y="${y + 11}" text-anchor="end">${
          escape(`${g.runtime} · ${g.arm}`)
        }</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${bar}" fill="${
          COLORS[g.arm] ?? "#999"
        }"/>`,
        `<text x="${(labelWidth + width + 4).toFixed(1)}" y="${y + 11}">${
          Math.round(rate).toLocaleString("en-US")
        } msg/s${g.cpus.length ? ` · ${median(g.cpus).toFixed(1)} µs CPU/msg` : ""}</text>`,
      );
      y += bar + 3;
    }
    y += 10;
  }
  const height = y + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    labelWidth + plotWidth + 200
  }" height="${height}" ` +
    `font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n` +
    `<text x="8" y="20" font-size="14" font-weight="bold">${escape(title)}</text>\n${
      rows.join("\n")
    }\n</svg>\n`;
}

/** A breakdown's CPU µs a message in all, and in its libraries (`npm:*`). */
function totals(profile: Breakdown): { all: number; libraries: number } {
  let all = 0;
  let libraries = 0;
  for (const [who, us] of Object.entries(profile)) {
    all += us;
    if (who.startsWith("npm:")) libraries += us;
  }
  return { all, libraries };
}

/** The share of a run's CPU its libraries took, all together. */
const libraryShare = (profile: Breakdown): number => {
  const { all, libraries } = totals(profile);
  return all > 0 ? libraries / all : 0;
};

/**
 * The table of `--profile` runs: where each arm's CPU goes (Sluice's code, the bench script, the client
 * libraries, the runtime; medians of the runs, in µs a message), and two ratios to the raw arm that the
 * host's swings in speed move less than the plain one:
 * - **paired**: the median over rounds of the arm's CPU ÷ the raw arm's in the same round. The arms of a round
 *   run next to each other, so a slow stretch of the host weighs on both.
 * - **library-scaled**: the raw arm's library share of CPU ÷ this arm's. Where both arms make the client
 *   library do the same work (the same requests, the same messages), the library's time is a yardstick that
 *   slows down and speeds up with the host, and this is the CPU ratio with the host's speed taken out. Where
 *   Sluice asks more of the library (headers it sends, say), it understates Sluice's cost; the libraries
 *   column shows by how much.
 */
export function profileTable(results: readonly Result[]): string {
  const profiled = results.filter((r) => r.profile && !r.failed);
  const keys = [...new Set(profiled.map((r) => `${r.bench}|${r.runtime}|${r.arm}`))];
  const lines = [
    "| bench | runtime | arm | runs | CPU µs/msg | Sluice | bench script | libraries (largest) | runtime | CPU ÷ raw, paired | CPU ÷ raw, library-scaled |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const key of keys) {
    const [bench, runtime, arm] = key.split("|") as [string, string, string];
    const mine = profiled.filter((r) => r.bench === bench && r.runtime === runtime && r.arm === arm);
    const raws = profiled.filter((r) => r.bench === bench && r.runtime === runtime && r.arm === "raw");
    const of = (pick: (p: Breakdown) => number) => median(mine.map((r) => pick(r.profile!))).toFixed(2);
    const libraries = new Map<string, number[]>();
    for (const r of mine) {
      for (const [who, us] of Object.entries(r.profile!)) {
        if (who.startsWith("npm:")) libraries.set(who.slice(4), [...libraries.get(who.slice(4)) ?? [], us]);
      }
    }
    const largest = [...libraries].map(([name, values]) => [name, median(values)] as const)
      .sort((a, b) => b[1] - a[1])[0];
    const pairs = mine.flatMap((r) => {
      const raw = raws.find((o) => o.round === r.round);
      return raw?.cpu_us && r.cpu_us ? [r.cpu_us / raw.cpu_us] : [];
    });
    const shares = mine.map((r) => libraryShare(r.profile!));
    const rawShares = raws.map((r) => libraryShare(r.profile!));
    const scaled = arm !== "raw" && rawShares.length && [...shares, ...rawShares].every((share) => share > 0)
      ? (median(rawShares) / median(shares)).toFixed(2)
      : "";
    lines.push(
      `| ${bench} | ${runtime} | ${arm} | ${mine.length} | ${of((p) => totals(p).all)} | ${
        of((p) => p.sluice ?? 0)
      } | ${of((p) => p.bench ?? 0)} | ${of((p) => totals(p).libraries)}${
        largest ? ` (${largest[0]} ${largest[1].toFixed(2)})` : ""
      } | ${of((p) => p.runtime ?? 0)} | ${
        arm === "raw" || !pairs.length ? "" : median(pairs).toFixed(2)
      } | ${scaled} |`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * One paired run of an RPC bench (`measureRpcPaired` in `bench/_rpc.ts`): its arms side by side in one
 * process, each one's p50 over the first arm's (µs, the median of the rounds' differences) and CPU a round
 * trip over the first arm's (the median of the rounds' ratios).
 */
export interface PairedResult {
  readonly bench: string;
  readonly runtime: string;
  readonly round: number;
  readonly count: number;
  /** By arm, the first arm left out. */
  readonly over?: Record<string, { readonly p50_us: number; readonly cpu: number }>;
  readonly load: number;
  readonly busy?: number;
  readonly failed?: string;
}

/**
 * The table of the paired runs: for each arm, its p50 over the first arm's and its CPU ratio, median and
 * spread over the runs, and for the Sluice arm the RPC goal — p50 within 50 µs of raw — judged on the median.
 */
export function pairedTable(results: readonly PairedResult[]): string {
  const lines = [
    "| bench | runtime | arm | runs | p50 over raw, µs median (min–max) | CPU ÷ raw median (min–max) | goal |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  const keys = [...new Set(results.map((r) => `${r.bench}\u0000${r.runtime}`))];
  for (const key of keys) {
    const [bench, runtime] = key.split("\u0000") as [string, string];
    const runs = results.filter((r) => r.bench === bench && r.runtime === runtime);
    const failures = runs.filter((r) => r.failed).length;
    const arms = [...new Set(runs.flatMap((r) => Object.keys(r.over ?? {})))];
    for (const arm of arms) {
      const over = runs.flatMap((r) => (r.over?.[arm] ? [r.over[arm]] : []));
      const p50 = over.map((o) => o.p50_us);
      const goal = arm !== "sluice" || !p50.length ? "" : median(p50) <= 50 ? "met" : "missed: p50";
      lines.push(
        `| ${bench} | ${runtime} | ${arm} | ${over.length}${failures ? ` (${failures} failed)` : ""} | ${
          spread(p50, 0)
        } | ${spread(over.map((o) => o.cpu), 2)} | ${goal} |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
