/**
 * Live publish-and-consume: the measured process consumes while a publisher runs in a child process of the
 * same runtime, so the consumer's CPU per message is its own. The consumer tells the publisher how far it
 * got (a line on the child's stdin every {@linkcode REPORT_EVERY} messages) and the publisher stays at most
 * {@linkcode AHEAD} messages ahead, so brokers without flow control (core NATS, Redis Pub/Sub) never drop a
 * slow consumer and every arm sees the same steady stream.
 *
 * @module
 */

import process from "node:process";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { begin, end } from "./_measure.ts";

/** How often the consumer reports its progress to the publisher. */
export const REPORT_EVERY = 5000;
/** How far the publisher may run ahead of the consumer. */
export const AHEAD = 20_000;
/** How many messages the publisher sends between two flushes. */
const BURST = 2000;

/** The command that runs `script` under the current runtime. */
export function runtimeCommand(script: string): string[] {
  if ("Deno" in globalThis) return [process.execPath, "run", "-A", script];
  return [process.execPath, script];
}

/** A consumer under test: counts each message it handled through `seen`. */
export interface LiveConsumer {
  /** Resolves once the subscription is live. */
  start(seen: () => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `consumer` against a child publisher (`script publish <count> <channel>`) and returns the timed section's
 * seconds, from the first message to the last.
 */
export async function consumeLive(
  script: string,
  count: number,
  channel: string,
  consumer: LiveConsumer,
): Promise<number> {
  let seen = 0;
  let start = 0;
  let stop = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const [command, ...args] = runtimeCommand(script);
  const publisher = spawn(command!, [...args, "publish", String(count), channel], {
    stdio: ["pipe", "inherit", "inherit"],
  });
  // The publisher exits once it sent everything; progress written after that goes nowhere.
  publisher.stdin!.on("error", () => undefined);
  const exited = new Promise((resolve) => publisher.once("exit", resolve));
  await consumer.start(() => {
    if (seen++ === 0) start = begin();
    if (seen % REPORT_EVERY === 0) publisher.stdin!.write(`${seen}\n`);
    if (seen === count) {
      stop = end();
      done();
    }
  });
  publisher.stdin!.write("0\n"); // the subscription is live: start publishing
  await finished;
  await consumer.stop();
  publisher.stdin!.end();
  await exited;
  return (stop - start) / 1000;
}

/**
 * The publisher's side: waits for the consumer's go, then calls `send(i)` for every message, pausing while
 * it is {@linkcode AHEAD} messages ahead; `flush` runs after each burst.
 */
export async function publishLive(
  count: number,
  send: (i: number) => void,
  flush: () => Promise<unknown>,
): Promise<void> {
  let consumed = -1;
  let wake: (() => void) | undefined;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    consumed = Number(line);
    wake?.();
  });
  const progress = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  while (consumed < 0) await progress();
  let sent = 0;
  while (sent < count) {
    const until = Math.min(count, consumed + AHEAD, sent + BURST);
    if (sent >= until) {
      await progress();
      continue;
    }
    for (; sent < until; sent++) send(sent);
    await flush();
  }
  lines.close();
}
