// One benchmark run in a fresh process: `<runtime> bench.ts <arm> <workload> <count>`.
//   arm:      raw (ioredis by hand) | sluice (@sluice/redis)
//   workload: drain (a pre-filled list of <count> messages, reliable consumption: BLMOVE to a processing
//             list, decode envelope + JSON, LREM as the ack, 100 in flight) | publish (RPUSH <count>
//             messages, 100 outstanding)
// Both arms use the same ioredis settings (RESP2, auto-pipelining on the command connection), the same
// ~100-byte JSON payload in FastStream's binary envelope, the same ack position (after the handler) and
// the same decoding. Prints one JSON line.
// To profile the timed drain alone: `<arm> fill <count>` leaves a filled list named by SLUICE_BENCH_LIST, and a
// drain with that variable set drains it without filling (and deletes it after).
import process from "node:process";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { decodeBytes, encodeMessage, redis } from "../../plugins/redis/mod.ts";
import { begin, cpuPerMessage, end, rssMiB } from "../_measure.ts";

const [arm, workload, countText] = process.argv.slice(2);
const count = Number(countText ?? 100_000);
const url = process.env.SLUICE_REDIS_URL ?? "redis://127.0.0.1:6379";
const named = process.env.SLUICE_BENCH_LIST;
const key = named ?? `bench-${workload}-${arm}-${Date.now()}`;
const WINDOW = 100;
const payload = { id: 0, item: "tea", note: "a payload of about one hundred bytes for the benchmark ok" };
const settings = { protocol: 2 as const, enableAutoPipelining: true, maxRetriesPerRequest: 20 };

function envelope(i: number): Buffer {
  const bytes = encodeMessage({
    body: new TextEncoder().encode(JSON.stringify({ ...payload, id: i })),
    headers: {},
    contentType: "application/json",
    correlationId: `c${i}`,
    messageId: `m${i}`,
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function fill(client: Redis): Promise<void> {
  if (named && workload !== "fill") return;
  for (let i = 0; i < count; i += 1000) {
    const chunk = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) chunk.push(envelope(j));
    await client.rpush(key, ...chunk);
  }
}

const MOVE_MANY = `local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not v then break end
  out[i] = v
end
return out`;

async function rawDrain(): Promise<number> {
  const commands = new Redis(url, settings);
  const blocking = new Redis(url, { ...settings, enableAutoPipelining: false, maxRetriesPerRequest: null });
  await fill(commands);
  const processing = `${key}:processing:raw`;
  const start = begin();
  let done = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let sum = 0;
  while (done < count) {
    if (inFlight >= WINDOW) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    const first = await blocking.blmoveBuffer(key, processing, "LEFT", "RIGHT", 1);
    if (!first) continue;
    const room = WINDOW - inFlight;
    const more = room > 1
      ? await blocking.callBuffer("EVAL", MOVE_MANY, 2, key, processing, room - 1) as Buffer[]
      : [];
    for (const item of [first, ...more]) {
      inFlight++;
      const decoded = decodeBytes(item);
      sum += JSON.parse(new TextDecoder().decode(decoded.body)).id;
      commands.lrem(processing, 1, item).then(() => {
        inFlight--;
        done++;
        const w = wake;
        wake = undefined;
        w?.();
      });
    }
  }
  const seconds = (end() - start) / 1000;
  if (sum < 0) console.error(sum);
  await commands.del(key, processing);
  commands.disconnect();
  blocking.disconnect();
  return seconds;
}

async function sluiceDrain(): Promise<number> {
  const filler = new Redis(url, settings);
  await fill(filler);
  const broker = redis({ url, logLevel: "error", kind: "list" });
  let done = 0;
  let sum = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  broker.subscriber(key, { list: { consumer: "sluice" }, concurrency: WINDOW, prefetch: WINDOW }).handle(
    (body) => {
      sum += (body as { id: number }).id;
      if (++done === count) setTimeout(finish, 0);
    },
  );
  await broker.connect(); // connecting is not part of the measurement, as in the raw arm
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

async function windowed(send: (i: number) => Promise<unknown>): Promise<number> {
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

async function rawPublish(): Promise<number> {
  const client = new Redis(url, settings);
  await client.ping();
  const seconds = await windowed((i) => client.rpush(key, envelope(i)));
  await client.del(key);
  client.disconnect();
  return seconds;
}

async function sluicePublish(): Promise<number> {
  const broker = redis({ url, logLevel: "error", kind: "list" });
  await broker.connect();
  const seconds = await windowed((i) =>
    broker.publish({ ...payload, id: i }, key, { correlationId: `c${i}`, messageId: `m${i}` })
  );
  const client = new Redis(url, settings);
  await client.del(key);
  client.disconnect();
  await broker.close();
  return seconds;
}

if (workload === "fill") {
  if (!named) throw new Error("fill needs SLUICE_BENCH_LIST, the list to leave filled");
  const client = new Redis(url, settings);
  await fill(client);
  client.disconnect();
  process.exit(0);
}

const runs: Record<string, () => Promise<number>> = {
  "raw drain": rawDrain,
  "sluice drain": sluiceDrain,
  "raw publish": rawPublish,
  "sluice publish": sluicePublish,
};
const seconds = await runs[`${arm} ${workload}`]!();
const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "deno" : "bun";
console.log(
  JSON.stringify({
    runtime,
    arm,
    workload,
    count,
    seconds,
    rate: Math.round(count / seconds),
    cpu_us: cpuPerMessage(count),
    rss_mib: rssMiB(),
  }),
);
process.exit(0);
