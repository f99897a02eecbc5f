// Core NATS, live publish-and-consume, one run in a fresh process; prints one JSON line.
//   <runtime> bench/nats/core.ts <raw|driver|sluice> [count]
// A child process publishes `count` JSON messages of ~100 bytes with the headers Sluice's wire convention
// carries (content-type, correlation_id, message_id), staying at most 20,000 ahead of the consumer
// (bench/_live.ts). Every arm decodes each body as its content type says:
//   raw     nats.js subscription callback, reads content-type, JSON.parse
//   driver  the plugin's driver alone (no core): JSON.parse, ack
//   sluice  a subscriber with a handler
// The consumer's CPU per message (process.cpuUsage) over the timed section is the primary figure.
import process from "node:process";
import { connect, headers } from "@nats-io/transport-node";
import { nats } from "@sluice/nats";
import { type LiveConsumer, publishLive, runLive } from "../_live.ts";

const [arm = "raw", countArg = "100000", channel] = process.argv.slice(2);
const count = Number(countArg);
const url = process.env.SLUICE_NATS_URL ?? "nats://127.0.0.1:4222";
const subject = channel ?? `bench.core.${process.pid}`;
const payload = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};

if (arm === "publish") {
  const nc = await connect({ servers: url });
  const body = new TextEncoder().encode(JSON.stringify(payload));
  await publishLive(count, (i) => {
    const h = headers();
    h.set("content-type", "application/json");
    h.set("correlation_id", `c${i}`);
    h.set("message_id", `m${i}`);
    nc.publish(subject, body, { headers: h });
  }, () => nc.flush());
  await nc.drain();
  process.exit(0);
}

const consumers: Record<string, () => LiveConsumer> = {
  raw() {
    let nc: Awaited<ReturnType<typeof connect>>;
    return {
      async start(seen) {
        nc = await connect({ servers: url });
        nc.subscribe(subject, {
          callback: (error, m) => {
            if (error) throw error;
            if (m.headers?.get("content-type") === "application/json") JSON.parse(m.string());
            seen();
          },
        });
        await nc.flush();
      },
      stop: () => nc.close(),
    };
  },
  driver() {
    const broker = nats({ servers: url, logLevel: "error" });
    const decoder = new TextDecoder();
    return {
      async start(seen) {
        await broker.connect();
        await broker.driver.subscribe(
          { channel: subject, template: subject, prefetch: 256, options: {} },
          (m) => {
            if (m.contentType === "application/json") JSON.parse(decoder.decode(m.body));
            seen();
            return m.ack();
          },
        );
      },
      stop: () => broker.close(),
    };
  },
  sluice() {
    const broker = nats({ servers: url, logLevel: "error" });
    return {
      async start(seen) {
        broker.subscriber(subject).handle(() => seen());
        await broker.start();
      },
      stop: () => broker.close(),
    };
  },
};

await runLive(new URL(import.meta.url).pathname, arm, count, subject, consumers[arm]!());
process.exit(0);
