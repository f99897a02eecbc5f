/**
 * Live publish-and-consume: the measured process consumes while a publisher runs in a child process of the
 * same runtime, so the consumer's CPU per message is its own. The consumer tells the publisher how far it
 * got (a line on the child's stdin every {@linkcode REPORT_EVERY} messages) and the publisher stays at most
 * {@linkcode AHEAD} messages ahead, so brokers without flow control (core NATS, Redis Pub/Sub) never drop a
 * slow consumer and every arm sees the same steady stream. A run that lost messages all the same (Redis drops a
 * Pub/Sub client whose output buffer overflows, and a reconnect loses what was in flight) ends when the
 * publisher is done and nothing came for {@linkcode QUIET} ms, and reports what it received.
 *
 * @module
 */

import process from "node:process";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { begin, end, printRun } from "./_measure.ts";

/** How often the consumer reports its progress to the publisher. */
export const REPORT_EVERY = 5000;
/** How far the publisher may run ahead of the consumer. */
export const AHEAD = 20_000;
/** How many messages the publisher sends between two flushes. */
const BURST = 2000;
/** How long a run waits, once the publisher is done, for messages that may never come (ms). */
export const QUIET = 2000;
/** How often a run whose publisher is done looks whether messages still come (ms). */
const LOOK_EVERY = 50;

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

/** The timed section of a live run: from the first message to the last, and how many arrived. */
export interface LiveRun {
  readonly seconds: number;
  readonly received: number;
}

/**
 * Runs `consumer` against a child publisher (`script publish <count> <channel>`) until it received `count`
 * messages, or until the publisher is done and no message came for {@linkcode QUIET} ms. The seconds of a
 * run that ended short count to the last look that saw a message come ({@linkcode LOOK_EVERY} ms late at
 * most); its CPU counts to the end of the quiet wait, which is idle.
 */
export async function consumeLive(
  script: string,
  count: number,
  channel: string,
  consumer: LiveConsumer,
): Promise<LiveRun> {
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
  const quiet = exited.then(() => waitQuiet(() => seen, () => stop !== 0));
  await Promise.race([finished, quiet]);
  if (stop === 0) {
    const last = await quiet;
    end();
    stop = last;
  }
  await consumer.stop();
  publisher.stdin!.end();
  await exited;
  return { seconds: (stop - start) / 1000, received: seen };
}

/** Runs `consumer` as {@linkcode consumeLive} does and prints the run's JSON line (the form the runner reads). */
export async function runLive(
  script: string,
  arm: string,
  count: number,
  channel: string,
  consumer: LiveConsumer,
): Promise<void> {
  const { seconds, received } = await consumeLive(script, count, channel, consumer);
  if (received === 0) throw new Error(`no message of ${count} arrived`);
  printRun(arm, "live", received, seconds, received < count ? { lost: count - received } : {});
}

/**
 * Waits until `received()` stays the same for {@linkcode QUIET} ms (or `over()` holds); returns the time of the
 * last look that saw it grow.
 */
async function waitQuiet(received: () => number, over: () => boolean): Promise<number> {
  let last = received();
  let grew = performance.now();
  while (!over() && performance.now() - grew < QUIET) {
    await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY));
    if (received() !== last) {
      last = received();
      grew = performance.now();
    }
  }
  return grew;
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
