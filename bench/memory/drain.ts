// Memory while 1,000,000 messages (~100 bytes of JSON) flow through the in-memory broker: published in chunks
// of 1,000 (each chunk awaited, then a macrotask turn) to a subscriber with 64 in flight, RSS sampled each second
// (bench/_measure.ts). Bounded means the samples level off instead of growing with the count. Prints one
// JSON line.
//   <runtime> bench/memory/drain.ts sluice [count]
import process from "node:process";
import { memory } from "@sluice/core";
import { begin, end, printRun, profiled } from "../_measure.ts";

const [arm = "sluice", countArg = "1000000"] = process.argv.slice(2);
const count = Number(countArg);
const body = { id: 1, name: "a message of about one hundred bytes", tags: ["x", "y"], ok: true };
const broker = memory({ logLevel: "error" });
let handled = 0;
let done!: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));
broker.subscriber("drain", { concurrency: 64 }).handle(() => {
  if (++handled === count) done();
});
await broker.start();
const start = begin();
for (let sent = 0; sent < count; sent += 1000) {
  const chunk: Promise<void>[] = [];
  for (let i = 0; i < 1000 && sent + i < count; i++) chunk.push(broker.publish(body, "drain"));
  await Promise.all(chunk);
  // Publishing to memory:// settles in microtasks only: without a macrotask turn now and then, the RSS
  // sampler's timer would never run.
  await new Promise((resolve) => setImmediate(resolve));
}
await finished;
const seconds = (end() - start) / 1000;
await broker.close();
printRun(arm, "drain", count, seconds);
await profiled();
process.exit(0);
