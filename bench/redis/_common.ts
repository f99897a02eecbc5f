/**
 * What the Redis benches share: the broker's URL, the payload and its envelope, the plugin's ioredis settings,
 * and the arms the list and stream benches (`bench.ts`, `stream.ts`) run alike — a windowed publish, and a
 * Sluice drain of a filled key with 100 in flight.
 *
 * @module
 */

import process from "node:process";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { encodeMessage, redis, type RedisKind, type RedisSubscribeOptions } from "../../plugins/redis/mod.ts";
import { begin, end } from "../_measure.ts";

export const url = process.env.SLUICE_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Messages in flight in a drain, and publishes outstanding. */
export const WINDOW = 100;
export const payload = {
  id: 0,
  item: "tea",
  note: "a payload of about one hundred bytes for the benchmark ok",
};
/** The plugin's ioredis settings: RESP2, auto-pipelining on the command connection. */
export const settings = { protocol: 2 as const, enableAutoPipelining: true, maxRetriesPerRequest: 20 };

/** Message `i` in FastStream's binary envelope, with a content type, correlation id and message id. */
export function envelope(i: number): Buffer {
  const bytes = encodeMessage({
    body: new TextEncoder().encode(JSON.stringify({ ...payload, id: i })),
    headers: {},
    contentType: "application/json",
    correlationId: `c${i}`,
    messageId: `m${i}`,
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Sends `count` messages with at most {@linkcode WINDOW} outstanding; the seconds of that timed section. */
export async function windowed(count: number, send: (i: number) => Promise<unknown>): Promise<number> {
  const start = begin();
  const open = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    const p: Promise<unknown> = send(i).then(() => open.delete(p));
    open.add(p);
    if (open.size >= WINDOW) await Promise.race(open);
  }
  await Promise.all(open);
  return (end() - start) / 1000;
}

/** The raw publish arm: `send` with a client of the plugin's settings; the key is deleted after. */
export async function rawPublish(
  key: string,
  count: number,
  send: (client: Redis, i: number) => Promise<unknown>,
): Promise<number> {
  const client = new Redis(url, settings);
  await client.ping();
  const seconds = await windowed(count, (i) => send(client, i));
  await client.del(key);
  client.disconnect();
  return seconds;
}

/** The Sluice publish arm: `broker.publish` to a broker of `kind`; the key is deleted after. */
export async function sluicePublish(
  kind: RedisKind,
  key: string,
  count: number,
): Promise<number> {
  const broker = redis({ url, logLevel: "error", kind });
  await broker.connect();
  const seconds = await windowed(
    count,
    (i) => broker.publish({ ...payload, id: i }, key, { correlationId: `c${i}`, messageId: `m${i}` }),
  );
  const client = new Redis(url, settings);
  await client.del(key);
  client.disconnect();
  await broker.close();
  return seconds;
}

/**
 * The Sluice drain arm: `fill` runs untimed, then a subscriber of `kind` with {@linkcode WINDOW} in flight
 * (and `options`) handles every message, timed from its start (connected before, as in the raw arms) to the
 * last one; the key is deleted after.
 */
export async function sluiceDrain(
  kind: RedisKind,
  key: string,
  count: number,
  options: RedisSubscribeOptions & { readonly group?: string },
  fill: (client: Redis) => Promise<void>,
): Promise<number> {
  const filler = new Redis(url, settings);
  await fill(filler);
  const broker = redis({ url, logLevel: "error", kind });
  let done = 0;
  let sum = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  broker.subscriber(key, { ...options, concurrency: WINDOW, prefetch: WINDOW }).handle((body) => {
    sum += (body as { id: number }).id;
    // The last ack is on its way by the time a timer fires: ioredis writes this turn's commands together.
    if (++done === count) setTimeout(finish, 0);
  });
  await broker.connect();
  const start = begin();
  await broker.start();
  await finished;
  const seconds = (end() - start) / 1000;
  if (sum < 0) console.error(sum);
  await broker.close();
  await filler.del(key);
  filler.disconnect();
  return seconds;
}
