// One Redis Streams run in a fresh process: `<runtime> bench/redis/stream.ts <arm> <workload> <count>`;
// prints one JSON line.
//   arm:      raw (ioredis by hand) | sluice (@sluice/redis, a stream subscriber or publish)
//   workload: drain (a stream of <count> entries filled before the timed section and read from its start
//             by a consumer group: XREADGROUP up to the free slots of a window of 100, decode envelope and
//             JSON, XACK each entry after its handler) | publish (XADD <count> entries, 100 outstanding)
// Entries carry FastStream's binary envelope under the `__data__` field, as FastStream and Sluice write them.
// Both arms use the plugin's ioredis settings (RESP2; auto-pipelining on the command connection, a
// connection of its own for the blocking reads).
import process from "node:process";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { decodeBytes, encodeMessage, redis, STREAM_FIELD } from "../../plugins/redis/mod.ts";
import { begin, cpuPerMessage, end, rssMiB } from "../_measure.ts";

const [arm = "raw", workload = "drain", countText] = process.argv.slice(2);
const count = Number(countText ?? 100_000);
const url = process.env.SLUICE_REDIS_URL ?? "redis://127.0.0.1:6379";
const key = `bench-stream-${workload}-${arm}-${process.pid}`;
const GROUP = "bench";
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

/** Fills the stream with `count` entries and creates the group at its start, before the timed section. */
async function fill(client: Redis): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const batch = client.pipeline();
    for (let j = i; j < Math.min(count, i + 1000); j++) batch.xadd(key, "*", STREAM_FIELD, envelope(j));
    await batch.exec();
  }
  await client.xgroup("CREATE", key, GROUP, "0");
}

type Entry = [id: Buffer, fields: Buffer[]];

async function rawDrain(): Promise<number> {
  const commands = new Redis(url, settings);
  const blocking = new Redis(url, { ...settings, enableAutoPipelining: false, maxRetriesPerRequest: null });
  await fill(commands);
  await blocking.ping();
  const decoder = new TextDecoder();
  const start = begin();
  let done = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let sum = 0;
  const acked = () => {
    inFlight--;
    done++;
    const w = wake;
    wake = undefined;
    w?.();
  };
  while (done < count) {
    if (inFlight >= WINDOW) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    const reply = await blocking.callBuffer(
      "XREADGROUP",
      "GROUP",
      GROUP,
      "raw",
      "COUNT",
      WINDOW - inFlight,
      "BLOCK",
      2000,
      "STREAMS",
      key,
      ">",
    ) as [Buffer, Entry[]][] | null;
    for (const [id, fields] of reply?.[0]?.[1] ?? []) {
      inFlight++;
      const index = fields.findIndex((field, i) => i % 2 === 0 && field.toString("latin1") === STREAM_FIELD);
      const decoded = decodeBytes(fields[index + 1]!);
      sum += JSON.parse(decoder.decode(decoded.body)).id;
      commands.xack(key, GROUP, id).then(acked);
    }
  }
  const seconds = (end() - start) / 1000;
  if (sum < 0) console.error(sum);
  await commands.del(key);
  commands.disconnect();
  blocking.disconnect();
  return seconds;
}

async function sluiceDrain(): Promise<number> {
  const filler = new Redis(url, settings);
  await fill(filler);
  const broker = redis({ url, logLevel: "error", kind: "stream" });
  let done = 0;
  let sum = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  broker.subscriber(key, {
    group: GROUP,
    stream: { consumer: "sluice", createGroup: false, claimIdle: false },
    concurrency: WINDOW,
    prefetch: WINDOW,
  }).handle((body) => {
    sum += (body as { id: number }).id;
    // The last ack is written by the time a timer fires: ioredis sends it in this turn's pipeline.
    if (++done === count) setTimeout(finish, 0);
  });
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
  const seconds = await windowed((i) => client.xadd(key, "*", STREAM_FIELD, envelope(i)));
  await client.del(key);
  client.disconnect();
  return seconds;
}

async function sluicePublish(): Promise<number> {
  const broker = redis({ url, logLevel: "error", kind: "stream" });
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

const runs: Record<string, () => Promise<number>> = {
  "raw drain": rawDrain,
  "sluice drain": sluiceDrain,
  "raw publish": rawPublish,
  "sluice publish": sluicePublish,
};
const seconds = await runs[`${arm} ${workload}`]!();
console.log(
  JSON.stringify({
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
