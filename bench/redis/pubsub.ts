// Redis Pub/Sub, live publish-and-consume, one run in a fresh process; prints one JSON line.
//   <runtime> bench/redis/pubsub.ts <raw|raw-resp|driver|sluice> [count]
// A child process publishes `count` messages (~100 bytes of JSON in FastStream's binary envelope, with
// content-type, correlation_id and message_id), staying at most 20,000 ahead of the consumer
// (bench/_live.ts). Every arm decodes the envelope and the JSON body:
//   raw       ioredis `messageBuffer`, decodeBytes, JSON.parse
//   raw-resp  the same work on a plain socket read by redis-parser (ioredis 5's decoder,
//             bench/redis/parsers.ts): the floor of a lean reader, such as the plugin's own Pub/Sub
//             connection (plugins/redis/_subscriber.ts) is (the bench's Redis has no password)
//   driver    the plugin's driver alone (no core), on that connection: JSON.parse, ack
//   sluice    a subscriber with a handler
// The publisher and the raw arm use the plugin's ioredis settings (RESP2). The consumer's CPU per message is the primary figure.
import process from "node:process";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { connect, type Socket } from "node:net";
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
  "raw-resp"() {
    const RedisParser = createRequire(import.meta.url)("redis-parser");
    const at = new URL(url);
    const decoder = new TextDecoder();
    let socket: Socket | undefined;
    return {
      start: (seen) =>
        new Promise<void>((resolve, reject) => {
          const parser = new RedisParser({
            returnBuffers: true,
            // A push is [kind, channel, payload]: `message` (7 bytes) for a message, else the confirmation.
            returnReply(reply: [Buffer, Buffer, Buffer]) {
              if (reply[0].length !== 7) return resolve();
              const decoded = decodeBytes(reply[2]);
              if (decoded.headers["content-type"] === "application/json") {
                JSON.parse(decoder.decode(decoded.body));
              }
              seen();
            },
            returnError: reject,
            returnFatalError: reject,
          });
          socket = connect(Number(at.port || 6379), at.hostname, () => {
            socket!.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${Buffer.byteLength(channel)}\r\n${channel}\r\n`);
          });
          socket.on("data", (data: Buffer) => parser.execute(data));
          socket.on("error", reject);
        }),
      stop: () => Promise.resolve(void socket?.destroy()),
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
