/**
 * The consumer the fault tests run as a separate process, with `sluice run tests/faults/_consumer_app.ts`: one
 * subscriber of a target whose handler writes `start <id> <ms>` when it begins and `done <id> <ms>` when it
 * ends, synchronously, so a SIGKILL loses no line. Set up by environment variables:
 *
 * - `FAULTS_TARGET`, `FAULTS_URL`, `FAULTS_CHANNEL`, `FAULTS_GROUP`: what to consume, where;
 * - `FAULTS_FILE`: the file the lines go to;
 * - `FAULTS_DELAY` (ms the handler takes, 0), `FAULTS_CONCURRENCY` (1), `FAULTS_PREFETCH`,
 *   `FAULTS_REDELIVER` (ms after which the broker gives a dead consumer's messages to another);
 * - `FAULTS_MEMORY`: every that many ms, a line `memory {"rss":…,"heapUsed":…,"handled":…}` on stdout, and
 *   no file lines (for floods).
 */
import process from "node:process";
import { appendFileSync } from "node:fs";
import { App } from "@sluice/core";
import { type TargetName, TARGETS } from "./_targets.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const number = (name: string): number | undefined =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);

const target = TARGETS[env("FAULTS_TARGET") as TargetName];
const channel = env("FAULTS_CHANNEL");
const file = env("FAULTS_FILE");
const delay = number("FAULTS_DELAY") ?? 0;
const memory = number("FAULTS_MEMORY");
let handled = 0;

/** The consumer's broker. */
export const broker = target.connect(env("FAULTS_URL"), { logLevel: "info" });

broker.subscriber(
  channel,
  target.subscriber(channel, {
    group: env("FAULTS_GROUP"),
    concurrency: number("FAULTS_CONCURRENCY"),
    prefetch: number("FAULTS_PREFETCH"),
    redeliverAfter: number("FAULTS_REDELIVER"),
  }),
).handle(async (id) => {
  if (!memory) appendFileSync(file, `start ${id} ${Date.now()}\n`);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (!memory) appendFileSync(file, `done ${id} ${Date.now()}\n`);
  handled++;
});

/** The app `sluice run` runs. */
export const app = new App(broker);

if (memory) {
  // With FAULTS_GC=1 and a runtime that exposes gc() (deno --v8-flags=--expose-gc), a full collection first:
  // what stays is what the process holds, not garbage waiting for the collector.
  const collect = process.env.FAULTS_GC === "1" ? (globalThis as { gc?: () => void }).gc : undefined;
  const report = () => {
    collect?.();
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    console.log(`memory ${JSON.stringify({ rss, heapUsed, heapTotal, external, handled, at: Date.now() })}`);
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  app.afterStartup(() => void (timer = setInterval(report, memory)));
  app.onShutdown(() => clearInterval(timer));
}
