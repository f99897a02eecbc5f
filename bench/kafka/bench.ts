/**
 * One benchmark run in a fresh process: `bench.ts <arm> <workload> <count>`, arm `raw` (kafkajs) or
 * `sluice`, workload `drain` (consume a pre-filled backlog; the fill is not timed) or `publish` (publish with
 * a window of 100 outstanding messages). Prints one JSON line with msgs/s. A drain is timed from the first
 * record handled to the last (group join and connection set-up excluded in both arms).
 *
 * Both arms use the same kafkajs settings (client, consumer maxWaitTime 100 ms, producer acks -1, no
 * compression), the same ~100-byte JSON payload, decode every body with JSON.parse and commit after the
 * handler (raw: kafkajs auto-commit after each batch; Sluice: its coalesced commits). Arm `driver` runs the
 * plugin's driver without the core (drain only), to split the gap between the driver and the core.
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { createLogger } from "@sluice/core";
import { kafka } from "@sluice/kafka";
import { begin, cpuPerMessage, end, rssMiB } from "../_measure.ts";

const [arm = "raw", workload = "drain", countText = "100000"] = process.argv.slice(2);
const count = Number(countText);
const url = process.env.SLUICE_KAFKA_URL ?? "kafka://127.0.0.1:9092";
const brokers = url.replace(/^kafka:\/\//, "").split(",");
const payload = {
  id: 0,
  name: "benchmark payload",
  tags: ["a", "b", "c"],
  at: "2026-01-01T00:00:00.000Z",
  n: 0.5,
};
const topic = `bench-${workload}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const WINDOW = 100;

const client = new Kafka({ clientId: "sluice-bench", brokers, logLevel: logLevel.NOTHING });
const admin = client.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

async function fill(): Promise<void> {
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const headers = { "content-type": "application/json" };
  for (let i = 0; i < count; i += 1000) {
    const messages = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      messages.push({ value: Buffer.from(JSON.stringify({ ...payload, id: j })), headers });
    }
    await producer.send({ topic, messages, acks: -1 });
  }
  await producer.disconnect();
}

async function windowed(publish: (i: number) => Promise<void>): Promise<void> {
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    const p = publish(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

let seconds = 0;
if (workload === "drain") {
  await fill();
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  if (arm === "raw") {
    const consumer = client.consumer({ groupId: topic, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let start = 0;
    await consumer.run({
      eachMessage: ({ message }) => {
        // Same decoding work as Sluice: read the content type, then parse the body it names.
        if (String(message.headers?.["content-type"]) === "application/json") {
          JSON.parse(message.value!.toString());
        }
        if (seen++ === 0) start = begin();
        if (seen === count) done();
        return Promise.resolve();
      },
    });
    await finished;
    seconds = (end() - start) / 1000;
    await consumer.disconnect();
  } else if (arm === "platformatic") {
    // The same drain with @platformatic/kafka (a raw arm beside kafkajs; the plugin keeps kafkajs).
    const { Consumer, MessagesStreamModes, stringDeserializer } = await import("@platformatic/kafka");
    const consumer = new Consumer({
      groupId: topic,
      clientId: "sluice-bench",
      bootstrapBrokers: brokers,
      maxWaitTime: 100,
      deserializers: { headerKey: stringDeserializer, headerValue: stringDeserializer },
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: true,
    });
    let start = 0;
    stream.on("data", (message) => {
      if (message.headers.get("content-type") === "application/json") JSON.parse(message.value.toString());
      if (seen++ === 0) start = begin();
      if (seen === count) done();
    });
    await finished;
    seconds = (end() - start) / 1000;
    await stream.close();
    await consumer.close(true);
  } else if (arm === "driver") {
    // The plugin's driver alone, without the core (decode with JSON.parse, then ack): splits the gap.
    const broker = kafka({
      brokers,
      consumer: { maxWaitTime: 100 },
      logger: createLogger({ level: "error" }),
    });
    await broker.connect();
    const decoder = new TextDecoder();
    let start = 0;
    await broker.driver.subscribe(
      { channel: topic, template: topic, group: topic, prefetch: 512, options: { from: "earliest" } },
      (message) => {
        JSON.parse(decoder.decode(message.body));
        if (seen++ === 0) start = begin();
        if (seen === count) done();
        return message.ack();
      },
    );
    await finished;
    seconds = (end() - start) / 1000;
    await broker.close();
  } else {
    const broker = kafka({
      brokers,
      consumer: { maxWaitTime: 100 },
      logger: createLogger({ level: "error" }),
    });
    broker.subscriber(topic, { from: "earliest", group: topic, prefetch: 512 }).handle((body) => {
      void body;
      if (seen++ === 0) start = begin();
      if (seen === count) done();
    });
    let start = 0;
    await broker.start();
    await finished;
    seconds = (end() - start) / 1000;
    await broker.close();
  }
} else {
  if (arm === "raw") {
    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const start = begin();
    await windowed(async (i) => {
      await producer.send({
        topic,
        acks: -1,
        messages: [{
          value: Buffer.from(JSON.stringify({ ...payload, id: i })),
          headers: { "content-type": "application/json" },
        }],
      });
    });
    seconds = (end() - start) / 1000;
    await producer.disconnect();
  } else {
    const broker = kafka({ brokers, logger: createLogger({ level: "error" }) });
    await broker.connect();
    const start = begin();
    await windowed((i) => broker.publish({ ...payload, id: i }, topic));
    seconds = (end() - start) / 1000;
    await broker.close();
  }
}
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
console.log(
  JSON.stringify({
    arm,
    workload,
    count,
    seconds,
    rate: Math.round(count / seconds),
    cpu_us: cpuPerMessage(count),
    rss_mib: rssMiB(),
  }),
);
process.exit(0);
