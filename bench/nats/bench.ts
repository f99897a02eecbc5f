// One benchmark run in a fresh process; prints one JSON line.
//   <runtime> bench/nats/bench.ts <raw|raw-wire|sluice> <drain|publish> [count] [window]
// drain: a stream pre-filled (untimed) with `count` JSON messages of ~100 bytes is drained by a pull
//   consumer that decodes each body and acks it after the handler; timed from start to the last ack.
// publish: `count` JetStream publishes with at most `window` awaiting their ack.
import process from "node:process";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { nats } from "@sluice/nats";
import { begin, cpuPerMessage, end, profiled, rssMiB, runtimeName } from "../_measure.ts";

const [arm = "raw", workload = "drain", countArg = "100000", windowArg = "256"] = process.argv.slice(2);
const count = Number(countArg);
const window = Number(windowArg);
const url = process.env.SLUICE_NATS_URL ?? "nats://127.0.0.1:4222";
const stream = `bench_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const subject = `${stream}.orders`;
const payload = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};

const nc = await connect({ servers: url });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: "memory" as never });
const js = jetstream(nc);

async function windowed(n: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p = send(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

let elapsed = 0;
try {
  if (workload === "drain") {
    const body = new TextEncoder().encode(JSON.stringify(payload));
    const h = (await import("@nats-io/transport-node")).headers();
    h.set("content-type", "application/json");
    await windowed(count, () => js.publish(subject, body, { headers: h }));
    if (arm === "raw") {
      await jsm.consumers.add(stream, {
        durable_name: "drain",
        ack_policy: "explicit" as never,
        filter_subject: subject,
      });
      const consumer = await js.consumers.get(stream, "drain");
      const start = begin();
      const messages = await consumer.consume({ max_messages: window });
      let seen = 0;
      for await (const m of messages) {
        if (m.headers?.get("content-type") === "application/json") JSON.parse(m.string());
        m.ack();
        if (++seen === count) break;
      }
      elapsed = end() - start;
    } else {
      const broker = nats({ servers: url, logLevel: "warn" });
      let seen = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      broker.subscriber(subject, { stream, consumer: { durable: "drain" }, prefetch: window })
        .handle(() => {
          if (++seen === count) done();
        });
      const start = begin();
      await broker.start();
      await finished;
      elapsed = end() - start;
      await broker.close();
    }
  } else {
    if (arm === "raw" || arm === "raw-wire") {
      // raw-wire also sends the headers Sluice's wire convention adds (correlation_id, message_id).
      const body = new TextEncoder();
      const { headers } = await import("@nats-io/transport-node");
      const wire = arm === "raw-wire";
      const start = begin();
      await windowed(count, () => {
        const h = headers();
        h.set("content-type", "application/json");
        if (wire) {
          const id = crypto.randomUUID();
          h.set("correlation_id", id);
          h.set("message_id", id);
        }
        return js.publish(subject, body.encode(JSON.stringify(payload)), { headers: h });
      });
      elapsed = end() - start;
    } else {
      const broker = nats({
        servers: url,
        logLevel: "warn",
        streams: [{ name: stream, subjects: [`${stream}.>`], storage: "memory" }],
      });
      await broker.connect();
      const start = begin();
      await windowed(count, () => broker.publish(payload, subject));
      elapsed = end() - start;
      await broker.close();
    }
  }
} finally {
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
}
const runtime = runtimeName();
console.log(
  JSON.stringify({
    arm,
    workload,
    runtime,
    count,
    window,
    ms: Math.round(elapsed),
    rate: Math.round(count / (elapsed / 1000)),
    cpu_us: cpuPerMessage(count),
    rss_mib: rssMiB(),
  }),
);
await profiled();
process.exit(0);
