// Smoke test against a real RabbitMQ with the raw client (amqplib): queue round trip.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import amqp from "amqplib";
import { realBroker } from "../_support/brokers.ts";

const rabbit = await realBroker("amqp");

describe("amqp smoke", { skip: rabbit ? false : "no real amqp" }, () => {
  after(() => rabbit!.stop());

  it("publishes and consumes one message", { timeout: 30_000 }, async () => {
    const connection = await amqp.connect(rabbit!.url);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
      const received = new Promise<string>((resolve) => {
        channel.consume(queue, (msg) => {
          if (!msg) return;
          channel.ack(msg);
          resolve(msg.content.toString());
        });
      });
      assert.ok(channel.sendToQueue(queue, Buffer.from("hello amqp"), { contentType: "text/plain" }));
      assert.equal(await received, "hello amqp");
      await channel.close();
    } finally {
      await connection.close();
    }
  });
});
