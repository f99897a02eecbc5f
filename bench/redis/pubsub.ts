// Redis Pub/Sub, live publish-and-consume, one run in a fresh process; prints one JSON line.
//   <runtime> bench/redis/pubsub.ts <raw|driver|sluice> [count]
// A child process publishes `count` messages (~100 bytes of JSON in FastStream's binary envelope, with
// content-type, correlation_id and message_id), staying at most 20,000 ahead of the consumer
// (bench/_live.ts). Every arm decodes the envelope and the JSON body:
//   raw     ioredis `messageBuffer`, decodeBytes, JSON.parse
//   driver  the plugin's driver alone (no core): JSON.parse, ack
//   sluice  a subscriber with a handler
// Both sides use the plugin's ioredis settings (RESP2). The consumer's CPU per message is the primary figure.
import process from "node:process";
import type { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { decodeBytes, redis } from "../../plugins/redis/mod.ts";
import { type LiveConsumer, publishLive, runLive } from "../_live.ts";
import { envelope, settings, url } from "./_common.ts";

const [arm = "raw", countArg = "100000", channelArg] = process.argv.slice(2);
const count = Number(countArg);
const channel = channelArg ?? `bench-pubsub-${process.pid}`;

if (arm === "publish") {
  const client = new Redis(url, settings);
  await client.ping();
  await publishLive(count, (i) => void client.publish(channel, envelope(i)), () => client.ping());
  client.disconnect();
  process.exit(0);
}

const consumers: Record<string, () => LiveConsumer> = {
  raw() {
    const client = new Redis(url, { ...settings, enableAutoPipelining: false });
    const decoder = new TextDecoder();
    return {
      async start(seen) {
        client.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
          const decoded = decodeBytes(message);
          if (decoded.headers["content-type"] === "application/json") {
            JSON.parse(decoder.decode(decoded.body));
          }
          seen();
        });
        await client.subscribe(channel);
      },
      stop: () => Promise.resolve(client.disconnect()),
    };
  },
  driver() {
    const broker = redis({ url, logLevel: "error" });
    const decoder = new TextDecoder();
    return {
      async start(seen) {
        await broker.connect();
        await broker.driver.subscribe({ channel, template: channel, prefetch: 256, options: {} }, (m) => {
          if (m.contentType === "application/json") JSON.parse(decoder.decode(m.body));
          seen();
          return m.ack();
        });
      },
      stop: () => broker.close(),
    };
  },
  sluice() {
    const broker = redis({ url, logLevel: "error" });
    return {
      async start(seen) {
        broker.subscriber(channel).handle(() => seen());
        await broker.start();
      },
      stop: () => broker.close(),
    };
  },
};

await runLive(new URL(import.meta.url).pathname, arm, count, channel, consumers[arm]!());
process.exit(0);
