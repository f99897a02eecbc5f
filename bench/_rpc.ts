/**
 * Request/reply latency, the loop every RPC bench shares: {@linkcode WARM_UP} untimed round trips, then
 * `count` sequential ones, each timed; prints one JSON line with the run's p50 and p99 (ms), msg/s and the
 * CPU per round trip of this process (responder and requester together) over the timed section.
 *
 * @module
 */

import process from "node:process";
import type { Deliver, Driver, OutgoingMessage } from "@sluice/core";
import { begin, end, printRun, profiled } from "./_measure.ts";

/** Untimed round trips before the timed ones (connections, JIT, reply subscriptions). */
export const WARM_UP = 200;

/** The ~100-byte JSON request of every RPC bench; the reply is `{ ok: true, id }`. */
export const REQUEST = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON body as a driver arm sends it. */
export function jsonMessage(
  value: unknown,
  correlationId: string | undefined,
  messageId: string,
): OutgoingMessage {
  return {
    body: encoder.encode(JSON.stringify(value)),
    headers: {},
    contentType: "application/json",
    correlationId,
    messageId,
  };
}

/** A JSON body a driver arm received, decoded. */
export function decodeJson(body: Uint8Array): unknown {
  return JSON.parse(decoder.decode(body));
}

/**
 * The responder of a `driver` arm, the plugin's driver without the core: decodes the request, publishes the
 * reply `{ ok: true, id }` to its `replyTo` with its correlation id, then acks it — as a Sluice subscriber
 * whose handler returns the reply does.
 */
export function answerWith(driver: Pick<Driver, "publish">): Deliver {
  return async (request) => {
    const { id } = decodeJson(request.body) as { id: number };
    await driver.publish(
      request.replyTo!,
      jsonMessage({ ok: true, id }, request.correlationId, crypto.randomUUID()),
      {},
    );
    await request.ack();
  };
}

/** One arm of an RPC bench: a round trip (request sent, reply received and decoded) and its clean-up. */
export interface RpcArm {
  trip(): Promise<unknown>;
  close(): Promise<void>;
}

/** The arm and count from `<runtime> <script> <arm> [count]`. */
export function rpcArguments(): { arm: string; count: number } {
  const [arm = "raw", count = "2000"] = process.argv.slice(2);
  return { arm, count: Number(count) };
}

/**
 * Runs the warm-up (whose replies, decoded, must be the expected one) and the timed round trips, closes the
 * arm, prints the JSON line and exits.
 */
export async function measureRpc(arm: string, count: number, rpc: RpcArm): Promise<never> {
  const expected = JSON.stringify({ ok: true, id: REQUEST.id });
  for (let i = 0; i < WARM_UP; i++) {
    const reply = JSON.stringify(await rpc.trip());
    if (reply !== expected) throw new Error(`The reply was ${reply}, not ${expected}`);
  }
  const times: number[] = [];
  const start = begin();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await rpc.trip();
    times.push(performance.now() - t);
  }
  const seconds = (end() - start) / 1000;
  await rpc.close();
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 1000) / 1000;
  printRun(arm, "rpc", count, seconds, { p50_ms: at(0.5), p99_ms: at(0.99) });
  await profiled();
  process.exit(0);
}
