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
import type { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { decodeBytes, STREAM_FIELD } from "../../plugins/redis/mod.ts";
import { begin, end, printRun, profiled } from "../_measure.ts";
import { envelope, rawPublish, settings, sluiceDrain, sluicePublish, url, WINDOW } from "./_common.ts";

const [arm = "raw", workload = "drain", countText] = process.argv.slice(2);
const count = Number(countText ?? 100_000);
const key = `bench-stream-${workload}-${arm}-${process.pid}`;
const GROUP = "bench";

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

const runs: Record<string, () => Promise<number>> = {
  "raw drain": rawDrain,
  "sluice drain": () =>
    sluiceDrain("stream", key, count, {
      group: GROUP,
      stream: { consumer: "sluice", createGroup: false, claimIdle: false },
    }, fill),
  "raw publish": () =>
    rawPublish(key, count, (client, i) => client.xadd(key, "*", STREAM_FIELD, envelope(i))),
  "sluice publish": () => sluicePublish("stream", key, count),
};
printRun(arm, workload, count, await runs[`${arm} ${workload}`]!());
await profiled();
process.exit(0);
