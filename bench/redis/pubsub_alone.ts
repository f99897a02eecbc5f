/**
 * Redis Pub/Sub without Redis: the shared connection's listener fed ready-made messages in a loop, as ioredis
 * emits them, so the plugin's and the core's cost per message shows without the network's and ioredis's,
 * which are most of a live run's and scatter between runs (`pubsub.ts`). One arm a run, in a fresh process:
 *
 *   <runtime> bench/redis/pubsub_alone.ts <raw|read|driver|sluice> [messages]
 *
 *   raw     decodeBytes and JSON.parse in an ioredis-style `messageBuffer` listener (the live raw arm's work)
 *   read    the same through the plugin's readMessage (envelope and standard headers into fields)
 *   driver  the plugin's Pub/Sub subscription (channel name, message object, hand-over, ack), JSON.parse
 *   sluice  a Sluice subscriber on that subscription, its handler a no-op
 *
 * Prints one JSON line: CPU and wall nanoseconds a message, after 200,000 untimed ones.
 *
 * @module
 */

import process from "node:process";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { Broker, type Driver, silentLogger } from "@sluice/core";
import { decodeBytes, redisRules } from "../../plugins/redis/mod.ts";
import { readMessage } from "../../plugins/redis/message.ts";
import type { Client } from "../../plugins/redis/_client.ts";
import { clientConnection, PubSub } from "../../plugins/redis/_pubsub.ts";
import { envelope } from "./_common.ts";

const [arm = "raw", countText = "2000000"] = process.argv.slice(2);
const count = Number(countText);
const CHANNEL = "bench-alone";
// Distinct messages, reused: the client's buffers are fresh per read, but making one per message here would
// measure the allocator.
const messages = Array.from({ length: 1024 }, (_, i) => envelope(i));
const channel = Buffer.from(CHANNEL);
const client = Object.assign(new EventEmitter(), { status: "ready", subscribe: () => Promise.resolve() });
const decoder = new TextDecoder();
let seen = 0;

if (arm === "raw") {
  client.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
    const decoded = decodeBytes(message);
    if (decoded.headers["content-type"] === "application/json") JSON.parse(decoder.decode(decoded.body));
    seen++;
  });
} else if (arm === "read") {
  client.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
    const fields = readMessage(message);
    if (fields.contentType === "application/json") JSON.parse(decoder.decode(fields.body));
    seen++;
  });
} else {
  const pubsub = new PubSub(clientConnection(client as unknown as Client), silentLogger);
  if (arm === "driver") {
    await pubsub.subscribe(CHANNEL, (message) => {
      if (message.contentType === "application/json") JSON.parse(decoder.decode(message.body));
      seen++;
      return message.ack();
    });
  } else {
    const driver: Driver = {
      name: "redis",
      url: "redis://alone",
      rules: redisRules,
      connect: () => Promise.resolve(),
      close: () => Promise.resolve(),
      publish: () => Promise.resolve(),
      subscribe: (spec, deliver) => pubsub.subscribe(spec.channel, deliver, spec.prefetch),
    };
    const broker = new Broker(driver, { logLevel: "error" });
    broker.subscriber(CHANNEL).handle(() => void seen++);
    await broker.start();
  }
}

const emit = (n: number): void => {
  for (let i = 0; i < n; i++) client.emit("messageBuffer", channel, messages[i & 1023]);
};
emit(200_000);
await new Promise((resolve) => setTimeout(resolve, 50));
const cpu = process.cpuUsage();
const start = performance.now();
emit(count);
const used = process.cpuUsage(cpu);
const wall = performance.now() - start;
if (seen !== count + 200_000) throw new Error(`${seen} messages handled of ${count + 200_000}`);
console.log(JSON.stringify({
  arm,
  count,
  cpu_ns: Math.round(((used.user + used.system) * 1000) / count),
  wall_ns: Math.round((wall * 1e6) / count),
}));
process.exit(0);
