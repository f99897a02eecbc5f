// Smoke test against a real Kafka broker with the raw client (kafkajs): produce one record to a new
// topic and consume it with a new consumer group.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { kafkaBrokers, realBroker } from "../_support/brokers.ts";

const broker = await realBroker("kafka");

describe("kafka smoke", { skip: broker ? false : "no real kafka" }, () => {
  after(() => broker!.stop());

  it("produces and consumes one message", { timeout: 60_000 }, async () => {
    const kafka = new Kafka({
      clientId: "sluice-smoke",
      brokers: kafkaBrokers(broker!.url),
      logLevel: logLevel.WARN,
    });
    const topic = `sluice-smoke-${crypto.randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    try {
      await admin.connect();
      assert.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }));
      await producer.connect();
      await producer.send({ topic, messages: [{ key: "k", value: "hello kafka" }] });

      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<string>((resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => {
            resolve(message.value?.toString() ?? "");
            return Promise.resolve();
          },
        });
      });
      assert.equal(await received, "hello kafka");
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});
