// The process of warnings_test.ts: connects to a real Kafka, subscribes to a new topic, publishes one
// record to it, waits for it and closes. Argument: the Kafka URL.
import process from "node:process";
import { setTimeout } from "node:timers";
import { createLogger } from "@sluice/core";
import { kafka } from "../mod.ts";

const url = process.argv.at(-1)!;
const topic = `sluice-warnings-${crypto.randomUUID()}`;
const broker = kafka({
  brokers: url,
  consumer: { sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTime: 100 },
  logger: createLogger({ level: "error" }),
});
const received = Promise.withResolvers<unknown>();
broker.subscriber(topic, { group: `${topic}-group`, from: "earliest" }).handle((body) =>
  received.resolve(body)
);
setTimeout(() => {
  console.error("No record within 30 s");
  process.exit(1);
}, 30_000).unref();
await broker.start();
await broker.publish("hello", topic);
console.log(`received ${await received.promise}`);
await broker.close();
