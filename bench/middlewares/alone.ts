/**
 * The middlewares alone, without a broker: their `consume` and `publish` called in a loop with a message
 * context and a publication made once, and a `next` that resolves at once, against a pass-through
 * middleware. What a middleware itself adds per message, apart from the core's cost of running middlewares.
 *
 *   deno run -A bench/middlewares/alone.ts [calls]
 *   bun bench/middlewares/alone.ts [calls]
 *
 * @module
 */

import process from "node:process";
import type { Context, Middleware, Publication } from "@sluice/core";
import { prometheusMiddleware } from "@sluice/prometheus";
import { telemetryMiddleware } from "@sluice/opentelemetry";

const calls = Number(process.argv[2] ?? 500_000);

const message = {
  channel: "bench",
  raw: new Uint8Array(100),
  headers: {},
  messageId: "m-1",
  correlationId: "m-1",
  settlement: undefined,
};
const context = {
  broker: "memory",
  subscriber: "bench",
  message,
  batch: undefined,
  state: new Map(),
  logger: undefined,
} as unknown as Context;
const publication = (): Publication => ({
  broker: "memory",
  kind: "publish",
  origin: undefined,
  channel: "bench",
  body: undefined,
  headers: {},
  correlationId: "m-1",
  messageId: "m-1",
  replyTo: undefined,
  contentType: undefined,
  options: {},
});
const handled = () => Promise.resolve(undefined);
const sent = () => Promise.resolve();

const middlewares: [string, Middleware][] = [
  ["pass-through", { consume: (_ctx, next) => next(), publish: (p, next) => next(p) }],
  ["prometheus", prometheusMiddleware()],
  ["opentelemetry, no-op tracer", telemetryMiddleware()],
];

/** Microseconds per call of `consume` and of `publish`, CPU time. */
async function measure(middleware: Middleware): Promise<[number, number]> {
  let cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) await middleware.consume!(context, handled);
  let used = process.cpuUsage(cpu);
  const consume = (used.user + used.system) / calls;
  cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) await middleware.publish!(publication(), sent);
  used = process.cpuUsage(cpu);
  return [consume, (used.user + used.system) / calls];
}

for (const [, middleware] of middlewares) await measure(middleware); // warm-up
const [baseConsume, basePublish] = await measure(middlewares[0]![1]);
console.log("| middleware | consume µs | publish µs | both, over pass-through µs |");
console.log("| ---------- | ---------- | ---------- | -------------------------- |");
for (const [name, middleware] of middlewares) {
  const [consume, publish] = await measure(middleware);
  const over = consume + publish - baseConsume - basePublish;
  console.log(`| ${name} | ${consume.toFixed(2)} | ${publish.toFixed(2)} | ${over.toFixed(2)} |`);
}
