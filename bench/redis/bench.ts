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
import type { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { decodeBytes } from "../../plugins/redis/mod.ts";
import { begin, end, printRun, profiled } from "../_measure.ts";
import { envelope, rawPublish, settings, sluiceDrain, sluicePublish, url, WINDOW } from "./_common.ts";

const [arm, workload, countText] = process.argv.slice(2);
const count = Number(countText ?? 100_000);
const named = process.env.SLUICE_BENCH_LIST;
const key = named ?? `bench-${workload}-${arm}-${Date.now()}`;

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

if (workload === "fill") {
  if (!named) throw new Error("fill needs SLUICE_BENCH_LIST, the list to leave filled");
  const client = new Redis(url, settings);
  await fill(client);
  client.disconnect();
  process.exit(0);
}

const runs: Record<string, () => Promise<number>> = {
  "raw drain": rawDrain,
  "sluice drain": () => sluiceDrain("list", key, count, { list: { consumer: "sluice" } }, fill),
  "raw publish": () => rawPublish(key, count, (client, i) => client.rpush(key, envelope(i))),
  "sluice publish": () => sluicePublish("list", key, count),
};
printRun(arm!, workload!, count, await runs[`${arm} ${workload}`]!());
await profiled();
process.exit(0);
