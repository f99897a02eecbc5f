/**
 * The benchmark runner: every benchmark of `bench/_benches.ts`, each arm in a fresh process, interleaved
 * over rounds (the order of arms rotates each round) and runtimes, with the consumer's CPU per message, the
 * throughput and the one-minute load average of every run. In a full run each arm starts once the machine is
 * quiet (`quiet()`), and its result says how busy the machine was just before.
 *
 *   deno run -A bench/run.ts [--quick] [--record [--append [--round N]]] [--rounds N] [--python-rounds N]
 *     [--runtimes deno,bun,node,python] [--only TEXT]... [--profile]
 *
 * Brokers come from the environment (`eval "$(bash scripts/brokers env)"`); MQTT runs on a private Mosquitto
 * the runner starts, since its backlog must not be capped. `--quick` runs each arm once with a tiny count
 * under Deno, and the scripts of `diagnostics` in `_benches.ts` once (CI's proof that every bench works: no
 * figure is asserted), and fails on any failed run or, with `SLUICE_REQUIRE_BROKERS=1`, on a missing
 * broker. Results go to `bench/results/<time>/` (not tracked), or to `bench/recorded/` with `--record`:
 * `results.jsonl`, `paired.jsonl` (the paired runs of the RPC benches, once a round on each runtime: `paired`
 * in `_benches.ts`), `summary.md` and `chart.svg`. With `SLUICE_PYTHON` set (`bash scripts/python`), the
 * benches that have Python arms (FastStream, the raw Python client) run them too, as runtime `python`, in the
 * first `--python-rounds` rounds (all of them unless given). With `--append` the rounds are numbered on from
 * the highest round already in the folder, so the order of the arms keeps rotating across invocations, or from
 * `--round N`: a round cut short (by a session that ended) is finished with the benches it lacks, numbered as
 * it was (`--record --append --round 2 --only …`); the summary keeps the headers of the invocations before.
 * With `--profile` every run's timed section is also sampled by the runtime's CPU profiler, and the summary
 * adds where the CPU went (`_profile.ts`, `profileTable` in `_report.ts`).
 *
 * @module
 */

import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Bench, benches, diagnostics } from "./_benches.ts";
import { breakdown } from "./_profile.ts";
import { chart, type PairedResult, pairedTable, profileTable, type Result, table } from "./_report.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    record: { type: "boolean", default: false },
    rounds: { type: "string" },
    "python-rounds": { type: "string" },
    runtimes: { type: "string" },
    only: { type: "string", multiple: true },
    append: { type: "boolean", default: false },
    round: { type: "string" },
    profile: { type: "boolean", default: false },
  },
});
const quick = flags.quick!;
const rounds = Number(flags.rounds ?? (quick ? 1 : 3));
const root = new URL("..", import.meta.url).pathname;
const commands: Record<string, string[]> = {
  python: process.env.SLUICE_PYTHON ? [process.env.SLUICE_PYTHON] : [],
  deno: [join(root, "node_modules/.bin/deno"), "run", "-A"],
  bun: [join(root, "node_modules/.bin/bun")],
  node: [
    process.env.SLUICE_NODE ??
      spawnSync("node", [join(root, "scripts/node24.mjs")], { encoding: "utf8" }).stdout.trim(),
  ],
};
// Python arms run as runtime `python` when SLUICE_PYTHON names the virtualenv's interpreter.
const runtimes =
  (flags.runtimes ?? `${quick ? "deno" : "deno,bun"}${process.env.SLUICE_PYTHON ? ",python" : ""}`)
    .split(",");
for (const runtime of runtimes) {
  if (!commands[runtime]?.length) {
    throw new Error(`Unknown runtime ${runtime}: use deno, bun, node, or python with SLUICE_PYTHON set`);
  }
}
/** Whether `--only` picks a bench (by its id) or a diagnostic (by its script's path); all without it. */
const picked = (name: string): boolean =>
  !flags.only?.length || flags.only.some((text) => name.includes(text));
const selected = benches.filter((b) => picked(b.id));

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** A private Mosquitto without a cap on queued messages, so a session can hold a whole backlog. */
async function privateMosquitto(): Promise<() => void> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-mqtt-"));
  writeFileSync(
    join(dir, "mosquitto.conf"),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\n`,
  );
  const child = spawn("mosquitto", ["-c", join(dir, "mosquitto.conf")], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.env.SLUICE_MQTT_BENCH_URL = `mqtt://127.0.0.1:${port}`;
  const stop = (): void => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    // The diagnostics run after it is gone: none of them may be pointed at it.
    delete process.env.SLUICE_MQTT_BENCH_URL;
  };
  // A runner stopped by hand (Ctrl-C, or a session's end) takes its Mosquitto with it.
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      stop();
      process.exit(code);
    });
  }
  return stop;
}

/** Runs one process; resolves with its exit code and output. */
function run(
  argv: string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The machine's CPU time so far, busy and in all, in clock ticks (`/proc/stat`) or ms (`os.cpus()`). */
function cpuTimes(): { busy: number; total: number } {
  if (existsSync("/proc/stat")) {
    // user nice system idle iowait irq softirq steal: stolen time is time this machine could not have.
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return { busy, total: busy + idle! + iowait! };
  }
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { busy, total };
}

/**
 * Waits until the machine is quiet — less than a tenth of its CPU busy over half a second — or `limitMs`
 * passed, and says how busy the last half-second was. A broker is still at work for seconds after a run
 * (deleting a queue, filling one, collecting garbage), and a run started meanwhile shares the machine with
 * it: in the record of 146b374 the same raw memory arm ran at 0.65 and 1.08 µs a message, the slow run right
 * after a bench that left the load average at 4. Full runs only: `--quick` proves the benches work.
 */
async function quiet(limitMs = 30_000): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const before = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = cpuTimes();
    const busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    if (busy < 0.1 || Date.now() >= deadline) return busy;
  }
}

/** The last JSON line a bench process printed, or why there is none (its exit code and its stderr's end). */
function outcome(
  out: { code: number | null; stdout: string; stderr: string },
): { line: string; failed?: undefined } | { line?: undefined; failed: string } {
  const line = out.stdout.split("\n").filter((l) => l.startsWith("{")).at(-1);
  if (out.code === 0 && line) return { line };
  const why = out.code === null ? "timed out" : `exit code ${out.code}`;
  return { failed: `${why}: ${out.stderr.trim().slice(-400)}` };
}

async function runArm(bench: Bench, runtime: string, arm: string, round: number): Promise<Result> {
  const count = quick ? bench.quick : runtime === "python" ? bench.python!.full ?? bench.full : bench.full;
  const around = bench.around?.(arm, count, round);
  const script = join(root, runtime === "python" ? bench.python!.script : bench.script);
  for (const step of around?.before ?? []) await run([...commands.deno!, script, ...step], 120_000);
  const busy = quick ? undefined : await quiet();
  // --profile: the timed section under the runtime's sampling profiler (`_measure.ts`; Bun's `--cpu-prof`).
  const profiled = flags.profile && runtime !== "python"
    ? mkdtempSync(join(tmpdir(), "sluice-bench-profile-"))
    : undefined;
  const [binary, ...options] = commands[runtime]!;
  const out = await run(
    [
      binary!,
      ...options,
      ...(profiled && runtime === "bun" ? ["--cpu-prof", `--cpu-prof-dir=${profiled}`] : []),
      script,
      ...(around?.args ?? bench.args(arm, count)),
    ],
    quick ? 60_000 : 300_000,
    profiled ? { SLUICE_BENCH_PROFILE: profiled } : {},
  );
  for (const step of around?.after ?? []) await run([...commands.deno!, script, ...step], 120_000);
  const load = loadavg()[0]!;
  const { line, failed } = outcome(out);
  if (failed !== undefined) {
    if (profiled) rmSync(profiled, { recursive: true, force: true });
    return { bench: bench.id, runtime, arm, round, count, load, busy, failed };
  }
  const parsed = JSON.parse(line) as {
    rate: number;
    cpu_us?: number;
    seconds?: number;
    ms?: number;
    rss_mib?: number[];
    p50_ms?: number;
    p99_ms?: number;
    lost?: number;
  };
  const seconds = parsed.seconds ?? (parsed.ms !== undefined ? parsed.ms / 1000 : count / parsed.rate);
  const profile = profiled && parsed.cpu_us !== undefined
    ? breakdown(profiled, root, parsed.cpu_us)
    : undefined;
  if (profiled) rmSync(profiled, { recursive: true, force: true });
  return {
    bench: bench.id,
    runtime,
    arm,
    round,
    count,
    seconds,
    rate: parsed.rate,
    rss_mib: parsed.rss_mib,
    p50_ms: parsed.p50_ms,
    p99_ms: parsed.p99_ms,
    cpu_us: parsed.cpu_us,
    ...(parsed.lost ? { lost: parsed.lost } : {}),
    load,
    busy,
    ...(profile ? { profile } : {}),
  };
}

/** One paired run of `bench` (its `paired` mode) on `runtime`: the arms side by side in one process. */
async function runPaired(bench: Bench, runtime: string, round: number): Promise<PairedResult> {
  const count = quick ? bench.quick : bench.full;
  const busy = quick ? undefined : await quiet();
  const out = await run(
    [...commands[runtime]!, join(root, bench.script), bench.arms.join(","), String(count)],
    quick ? 60_000 : 600_000,
  );
  const load = loadavg()[0]!;
  const { line, failed } = outcome(out);
  if (failed !== undefined) return { bench: bench.id, runtime, round, count, load, busy, failed };
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const yardstick = bench.arms[0]!;
  const over = Object.fromEntries(
    bench.arms.slice(1).map((arm) => [arm, {
      p50_us: parsed[`${arm}_p50_over_${yardstick}_us`] as number,
      cpu: parsed[`${arm}_cpu_over_${yardstick}`] as number,
    }]),
  );
  return { bench: bench.id, runtime, round, count, over, load, busy };
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = join(root, flags.record ? "bench/recorded" : `bench/results/${stamp}`);
mkdirSync(dir, { recursive: true });
const versions = Object.fromEntries(
  runtimes.map((runtime) => {
    const out = spawnSync(commands[runtime]![0]!, ["--version"], { encoding: "utf8" });
    return [runtime, `${out.stdout ?? ""}${out.stderr ?? ""}`.split("\n")[0]!.trim()];
  }),
);
const header = `${new Date().toISOString()} · ${quick ? "quick" : "full"} · ${rounds} round(s) · ` +
  `${cpus().length} CPUs · load at start ${loadavg().map((l) => l.toFixed(2)).join(" ")} · ` +
  Object.entries(versions).map(([k, v]) => `${k}: ${v}`).join(", ");
console.log(header);

const stopMosquitto = selected.some((b) => b.id.startsWith("mqtt") && !process.env.SLUICE_MQTT_BENCH_URL)
  ? await privateMosquitto()
  : () => {};
const previous = join(dir, "results.jsonl");
// --append keeps the results already in the folder (e.g. --record --append --runtimes python).
const results: Result[] = flags.append && existsSync(previous)
  ? readFileSync(previous, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Result)
  : [];
const previousPaired = join(dir, "paired.jsonl");
const paired: PairedResult[] = flags.append && existsSync(previousPaired)
  ? readFileSync(previousPaired, "utf8").split("\n").filter(Boolean).map((line) =>
    JSON.parse(line) as PairedResult
  )
  : [];
const previousSummary = join(dir, "summary.md");
// --append keeps the headers of the invocations that made those results too (the text before the table).
const earlier = flags.append && existsSync(previousSummary)
  ? readFileSync(previousSummary, "utf8").split("\n| ")[0]!.trim()
  : "";
const pythonRounds = Number(flags["python-rounds"] ?? rounds);
// Each round starts the arms of a bench one further along, also across appending invocations.
const first = flags.round !== undefined
  ? Number(flags.round)
  : results.reduce((highest, r) => Math.max(highest, r.round), 0) + 1;
if (!Number.isInteger(first) || first < 1 || (flags.round !== undefined && !flags.append)) {
  throw new Error(`--round wants a round number and --append (the rounds it adds to), not ${flags.round}`);
}
let missing = 0;
try {
  for (let round = first; round < first + rounds; round++) {
    for (const bench of selected) {
      if (bench.needs && !process.env[bench.needs]) {
        if (round === first) {
          console.log(`SKIPPED ${bench.id}: ${bench.needs} is not set (eval "$(bash scripts/brokers env)")`);
        }
        missing++;
        continue;
      }
      if (bench.python && !process.env.SLUICE_PYTHON && round === first) {
        console.log(`SKIPPED the Python arms of ${bench.id}: SLUICE_PYTHON is not set (bash scripts/python)`);
      }
      const python = bench.python && commands.python!.length && round < first + pythonRounds;
      for (const runtime of runtimes.filter((r) => r !== "python" || python)) {
        const all = runtime === "python" ? bench.python!.arms : bench.arms;
        const shift = (round - 1) % all.length;
        const arms = [...all.slice(shift), ...all.slice(0, shift)];
        for (const arm of arms) {
          let result = await runArm(bench, runtime, arm, round);
          if (quick && result.failed) {
            // The brokers are shared: one retry tells a passing hiccup from a broken bench.
            console.log(`${bench.id} ${runtime} ${arm} failed once, retrying: ${result.failed}`);
            result = await runArm(bench, runtime, arm, round);
          }
          results.push(result);
          writeFileSync(join(dir, "results.jsonl"), results.map((r) => JSON.stringify(r)).join("\n") + "\n");
          const figures = result.failed
            ? `FAILED ${result.failed}`
            : `${result.rate} msg/s, ${result.cpu_us ?? "–"} µs CPU/msg, ${result.seconds!.toFixed(1)} s, ` +
              `RSS ${result.rss_mib?.length ? Math.max(...result.rss_mib) : "–"} MiB max` +
              (result.p50_ms !== undefined ? `, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms` : "") +
              (!quick && result.seconds! < 5 ? " (shorter than 5 s)" : "");
          const before = result.busy === undefined ? "" : `, ${Math.round(result.busy * 100)} % busy before`;
          const where = result.profile
            ? `, profile µs/msg ${
              Object.entries(result.profile).sort((a, b) => b[1] - a[1]).map(([who, us]) => `${who} ${us}`)
                .join(" · ")
            }`
            : flags.profile && runtime !== "python" && !result.failed
            ? ", no profile written"
            : "";
          console.log(
            `${round} ${bench.id} ${runtime} ${arm}: ${figures}, load ${
              result.load.toFixed(2)
            }${before}${where}`,
          );
        }
        if (bench.paired && runtime !== "python") {
          let result = await runPaired(bench, runtime, round);
          if (quick && result.failed) result = await runPaired(bench, runtime, round);
          paired.push(result);
          writeFileSync(previousPaired, paired.map((r) => JSON.stringify(r)).join("\n") + "\n");
          const figures = result.failed ? `FAILED ${result.failed}` : Object.entries(result.over!)
            .map(([arm, o]) => `${arm} p50 ${o.p50_us} µs, CPU ${o.cpu}`).join(" · ");
          console.log(`${round} ${bench.id} ${runtime} paired, over ${bench.arms[0]}: ${figures}`);
        }
      }
    }
  }
} finally {
  stopMosquitto();
}
// The scripts outside the tables, once each: their output is not a result, only their exit code counts.
let brokenDiagnostics = 0;
for (const { script, args, needs } of quick ? diagnostics.filter((d) => picked(d.script)) : []) {
  if (needs && !process.env[needs]) {
    console.log(`SKIPPED ${script}: ${needs} is not set`);
    missing++;
    continue;
  }
  const out = await run([...commands.deno!, join(root, script), ...args], 120_000);
  const ran = out.code === 0;
  if (!ran) brokenDiagnostics++;
  const outcome = ran ? "ran" : `FAILED, exit code ${out.code}: ${out.stderr.trim().slice(-400)}`;
  console.log(`${script} ${args.join(" ")}: ${outcome}`);
}
const summary = `${earlier ? `${earlier}\n\n` : ""}${header}\n\n${table(results, paired)}${
  paired.length
    ? `\nPaired: each RPC bench's arms side by side in one process (\`bench/_rpc.ts\`):\n\n${
      pairedTable(paired)
    }`
    : ""
}${
  results.some((r) => r.profile) ? `\nWhere the CPU goes (\`--profile\`):\n\n${profileTable(results)}` : ""
}`;
writeFileSync(previousSummary, summary);
writeFileSync(join(dir, "chart.svg"), chart(results, `Sluice vs raw clients, median msg/s (${stamp})`));
// Recorded files are tracked: formatted as `deno fmt --check` (part of `deno task ok`) wants them.
if (flags.record) {
  spawnSync(join(root, "node_modules/.bin/deno"), ["fmt", "--quiet", dir], { stdio: "inherit" });
}
console.log(`\n${summary}\nwritten to ${dir}`);
const failures = results.filter((r) => r.failed).length + paired.filter((r) => r.failed).length +
  brokenDiagnostics;
if (quick && (failures > 0 || (missing > 0 && process.env.SLUICE_REQUIRE_BROKERS === "1"))) {
  console.error(`${failures} run(s) failed, ${missing} bench(es) skipped`);
  process.exit(1);
}
