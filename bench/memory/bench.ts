/**
 * Micro benchmark of the core's own cost: publish → no-op handler on the in-memory broker, in one process,
 * bare and with three pass-through middlewares (one consume, one publish, one of both), with a ~100-byte
 * JSON body (encoded and decoded on every message) and with the same bytes as a raw body (no codec work).
 *
 *   deno run -A bench/memory/bench.ts [messages] [rounds]
 *   bun bench/memory/bench.ts [messages] [rounds]
 *
 * Prints messages/s per round and the median, as a Markdown table row per variant.
 *
 * @module
 */

import process from "node:process";
import { memory, type Middleware } from "@sluice/core";
import { runtimeName } from "../_measure.ts";
import { median } from "../_stats.ts";

const messages = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);
const CHUNK = 1000;

const passThrough: Middleware[] = [
  { name: "consume", consume: (_ctx, next) => next() },
  { name: "publish", publish: (p, next) => next(p) },
  { name: "both", consume: (_ctx, next) => next(), publish: (p, next) => next(p) },
];

const JSON_BODY = { id: 1, name: "a message of about one hundred bytes", tags: ["x", "y"], ok: true };
const BYTES_BODY = new TextEncoder().encode(JSON.stringify(JSON_BODY));

async function once(middlewares: Middleware[], body: unknown): Promise<number> {
  const broker = memory({ logLevel: "error", middlewares });
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  broker.subscriber("bench", { concurrency: 64 }).handle(() => {
    if (++handled === messages) done();
  });
  await broker.start();
  const start = performance.now();
  for (let sent = 0; sent < messages; sent += CHUNK) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < CHUNK && sent + i < messages; i++) batch.push(broker.publish(body, "bench"));
    await Promise.all(batch);
  }
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await broker.close();
  return messages / seconds;
}

const runtime = runtimeName();
const variants: [string, Middleware[], unknown][] = [
  ["bare, JSON body", [], JSON_BODY],
  ["bare, bytes body", [], BYTES_BODY],
  ["3 middlewares, JSON body", passThrough, JSON_BODY],
];
const results: Record<string, number[]> = Object.fromEntries(variants.map(([name]) => [name, []]));
await once([], JSON_BODY); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, middlewares, body] of variants) results[name]!.push(await once(middlewares, body));
}
for (const [variant, values] of Object.entries(results)) {
  const m = median(values);
  const spread = `${Math.round(Math.min(...values)).toLocaleString("en")}–${
    Math.round(Math.max(...values)).toLocaleString("en")
  }`;
  console.log(
    `| ${runtime} | ${variant} | ${Math.round(m).toLocaleString("en")} | ${spread} | ${
      messages.toLocaleString("en")
    } × ${rounds} |`,
  );
}
