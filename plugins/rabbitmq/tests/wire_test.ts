// FastStream's wire conventions on the real broker, checked with the raw client: the standard fields are
// AMQP's native properties, user headers the headers table, and a raw (FastStream-style) message published
// to a queue through the default exchange reaches a Sluice subscriber with every field.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { testBroker } from "@sluice/core/testing";
import { rabbitmq } from "../mod.ts";
import { realUrl, unique, until } from "./_targets.ts";

describe("wire conventions (real)", { skip: realUrl ? false : "no real RabbitMQ" }, () => {
  it("publishes the standard fields as AMQP properties, as FastStream reads them", async () => {
    const connection = await amqp.connect(realUrl!);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue("", { exclusive: true });
      const key = unique("wire.");
      await channel.bindQueue(queue, "amq.topic", key);
      const received = new Promise<amqp.ConsumeMessage>((resolve) => {
        void channel.consume(queue, (m) => m && resolve(m), { noAck: true });
      });
      const broker = rabbitmq({ url: realUrl, logLevel: "error" });
      await using br = await testBroker(broker, { real: true });
      await br.publish({ id: 1 }, key, {
        headers: { "x-tenant": "acme" },
        correlationId: "corr-1",
        messageId: "msg-1",
        replyTo: "replies",
        priority: 5,
        expiration: 60_000,
        type: "order.created",
        appId: "billing",
      });
      const m = await received;
      assert.deepEqual(JSON.parse(m.content.toString()), { id: 1 });
      assert.equal(m.properties.contentType, "application/json");
      assert.equal(m.properties.correlationId, "corr-1");
      assert.equal(m.properties.messageId, "msg-1");
      assert.equal(m.properties.replyTo, "replies");
      assert.equal(m.properties.priority, 5);
      assert.equal(m.properties.expiration, "60000");
      assert.equal(m.properties.deliveryMode, 2);
      assert.equal(m.properties.type, "order.created");
      assert.equal(m.properties.appId, "billing");
      assert.deepEqual(m.properties.headers, { "x-tenant": "acme" });
      await channel.close();
    } finally {
      await connection.close();
    }
  });

  it("reads a message a FastStream service sent straight to a queue", async () => {
    const queue = unique("fs-");
    const broker = rabbitmq({ url: realUrl, logLevel: "error" });
    const got = broker.subscriber(queue, { exchange: "", queue: { durable: false, autoDelete: true } })
      .handle(() => {});
    await using _br = await testBroker(broker, { real: true });
    const connection = await amqp.connect(realUrl!);
    try {
      const channel = await connection.createChannel();
      channel.sendToQueue(queue, Buffer.from(JSON.stringify({ name: "Ada" })), {
        contentType: "application/json",
        correlationId: "fs-corr",
        messageId: "fs-msg",
        headers: { "x-source": "faststream", count: 3 },
      });
      await until(() => got.mock.calls.length === 1, "the FastStream message");
      const call = got.mock.calls[0]!;
      assert.deepEqual(call.body, { name: "Ada" });
      assert.equal(call.correlationId, "fs-corr");
      assert.deepEqual(call.headers, { "x-source": "faststream", count: "3" });
      await channel.close();
    } finally {
      await connection.close();
    }
  });
});
