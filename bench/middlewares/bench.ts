/**
 * What the observability middlewares cost per message: publish → no-op handler on the in-memory broker
 * (~100-byte JSON body, 64 in flight), bare and with each middleware, measured as CPU time per message
 * (`process.cpuUsage`, user + system) so that the machine's other work counts less than in wall time. The
 * overhead of a middleware is its variant's CPU per message minus the bare one's in the same round, both
 * halves included (its publish and its consume), as the median over the rounds. Each variant runs in a
 * fresh process per round (a warm-up run, then the measured one), so that no variant shapes the JIT's view
 * of the core's code for another; variants are interleaved, in alternating order from round to round.
 *
 *   deno run -A bench/middlewares/bench.ts [messages] [rounds]
 *   bun bench/middlewares/bench.ts [messages] [rounds]
 *   SLUICE_BENCH_VARIANTS="prometheus;opentelemetry, no-op tracer" deno run -A bench/middlewares/bench.ts
 *
 * `opentelemetry, no-op tracer` is the middleware with no SDK registered (the API's no-op tracer and
 * meter); `opentelemetry, SDK` records every span and metric with the SDK (spans to a processor that drops
 * them), for scale.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import process from "node:process";
import { memory, type Middleware, silentLogger } from "@sluice/core";
import { prometheusMiddleware } from "@sluice/prometheus";
import { telemetryMiddleware } from "@sluice/opentelemetry";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, NoopSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { runtimeName } from "../_measure.ts";
import { median } from "../_stats.ts";

const messages = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 7);
const CHUNK = 1000;
const BODY = { id: 1, name: "a message of about one hundred bytes", tags: ["x", "y"], ok: true };

const allVariants: [string, () => Middleware[]][] = [
  ["bare", () => []],
  // The core's own cost of having a middleware at all (composition, a copy of the headers), for reference.
  ["pass-through middleware", () => [{ consume: (_ctx, next) => next(), publish: (p, next) => next(p) }]],
  ["prometheus", () => [prometheusMiddleware()]],
  ["opentelemetry, no-op tracer", () => [telemetryMiddleware()]],
  ["opentelemetry, SDK", () => [
    telemetryMiddleware({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }),
      meterProvider: new MeterProvider(),
    }),
  ]],
];

// SLUICE_BENCH_VARIANTS="prometheus;opentelemetry, no-op tracer" measures only those; bare is always measured,
// as the overheads need it.
const chosen = process.env.SLUICE_BENCH_VARIANTS?.split(";").map((name) => name.trim());
const variants = chosen
  ? allVariants.filter(([name]) => name === "bare" || chosen.includes(name))
  : allVariants;

/** CPU microseconds per message for one run of `messages` through the broker. */
async function once(middlewares: Middleware[]): Promise<number> {
  const broker = memory({ logger: silentLogger, middlewares });
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  broker.subscriber("bench", { concurrency: 64 }).handle(() => {
    if (++handled === messages) done();
  });
  await broker.start();
  const cpu = process.cpuUsage();
  for (let sent = 0; sent < messages; sent += CHUNK) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < CHUNK && sent + i < messages; i++) batch.push(broker.publish(BODY, "bench"));
    await Promise.all(batch);
  }
  await finished;
  const used = process.cpuUsage(cpu);
  await broker.close();
  return (used.user + used.system) / messages;
}

const runtime = runtimeName();

const only = process.env.SLUICE_BENCH_VARIANT;
if (only !== undefined) {
  // A child: one variant, warmed up, then measured; prints CPU µs per message.
  const make = allVariants.find(([name]) => name === only)![1];
  await once(make());
  console.log(await once(make()));
  process.exit(0);
}

/** Runs one variant in a fresh process of this runtime. */
function child(variant: string): number {
  const args = "Deno" in globalThis ? ["run", "-A"] : [];
  const output = execFileSync(process.execPath, [...args, process.argv[1]!, String(messages)], {
    env: { ...process.env, SLUICE_BENCH_VARIANT: variant },
    encoding: "utf8",
  });
  return Number(output.trim().split("\n").at(-1));
}

const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...variants].reverse() : variants;
  for (const [name] of order) results.get(name)!.push(child(name));
}
const bare = results.get("bare")!;
console.log(
  `| runtime | variant | CPU µs/message, median (min–max) | overhead µs/message, median (min–max) |`,
);
console.log(
  `| ------- | ------- | -------------------------------- | ------------------------------------- |`,
);
const range = (values: number[]) =>
  `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
for (const [name, values] of results) {
  const overhead = name === "bare" ? "" : range(values.map((v, i) => v - bare[i]!));
  console.log(`| ${runtime} | ${name} | ${range(values)} | ${overhead} |`);
}
console.log(`${messages.toLocaleString("en")} messages × ${rounds} rounds`);
