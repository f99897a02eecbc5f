// Request/reply latency on core NATS, one run in a fresh process; prints one JSON line with p50 and p99.
//   <runtime> bench/nats/rpc.ts <raw|sluice> [count]
// `count` sequential round trips of a ~100-byte JSON request answered with a small JSON reply, responder and
// requester in this process (after 200 untimed warm-up trips):
//   raw     nats.js: nc.request() to a callback subscription that decodes the body and responds
//   sluice  broker.request() to a subscriber whose handler returns the reply
import process from "node:process";
import { connect, headers } from "@nats-io/transport-node";
import { nats } from "@sluice/nats";
import { begin, cpuPerMessage, end, rssMiB } from "../_measure.ts";

const [arm = "raw", countArg = "2000"] = process.argv.slice(2);
const count = Number(countArg);
const url = process.env.SLUICE_NATS_URL ?? "nats://127.0.0.1:4222";
const subject = `bench.rpc.${process.pid}`;
const payload = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};
const WARM_UP = 200;

const times: number[] = [];
let trip: () => Promise<unknown>;
let close: () => Promise<void>;
if (arm === "raw") {
  const nc = await connect({ servers: url });
  const encoder = new TextEncoder();
  nc.subscribe(subject, {
    callback: (_error, m) => {
      const body = JSON.parse(m.string()) as { id: number };
      const h = headers();
      h.set("content-type", "application/json");
      m.respond(encoder.encode(JSON.stringify({ ok: true, id: body.id })), { headers: h });
    },
  });
  await nc.flush();
  trip = async () => {
    const h = headers();
    h.set("content-type", "application/json");
    const reply = await nc.request(subject, encoder.encode(JSON.stringify(payload)), {
      timeout: 5000,
      headers: h,
    });
    return JSON.parse(reply.string());
  };
  close = () => nc.close();
} else {
  const broker = nats({ servers: url, logLevel: "error" });
  broker.subscriber(subject).handle((body) => ({ ok: true, id: (body as { id: number }).id }));
  await broker.start();
  trip = () => broker.request(payload, subject, { timeout: 5000 });
  close = () => broker.close();
}
for (let i = 0; i < WARM_UP; i++) await trip();
const start = begin();
for (let i = 0; i < count; i++) {
  const t = performance.now();
  await trip();
  times.push(performance.now() - t);
}
const seconds = (end() - start) / 1000;
await close();
times.sort((a, b) => a - b);
const at = (q: number): number =>
  Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 1000) / 1000;
console.log(JSON.stringify({
  arm,
  workload: "rpc",
  count,
  seconds,
  rate: Math.round(count / seconds),
  cpu_us: cpuPerMessage(count),
  rss_mib: rssMiB(),
  p50_ms: at(0.5),
  p99_ms: at(0.99),
}));
process.exit(0);
