// A message whose producer gave no content type arrives with `contentType` undefined, never "". Python
// FastStream publishes bytes without the `content_type` property; a producer that follows FastStream's
// header convention instead may put an empty `content-type` in the headers table. Both, on the emulation and
// on a real broker.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { testBroker } from "@sluice/core/testing";
import { rabbitmq } from "../mod.ts";
import { describeBoth, realUrl, unique, until } from "./_targets.ts";

interface Seen {
  body: unknown;
  contentType: string | undefined;
}

/** Bytes as an array of numbers: the client may hand over a Buffer. */
const plain = (body: unknown): unknown => body instanceof Uint8Array ? [...body] : body;

describeBoth("rabbitmq without a content type", (target) => {
  it("reports contentType undefined for no content type and for an empty content-type header", async () => {
    const key = unique("none.");
    const { broker } = target.broker();
    const seen: Seen[] = [];
    broker.subscriber(key).handle((body, ctx) => {
      seen.push({ body: plain(body), contentType: ctx.message.contentType });
    });
    await using br = await target.start(broker);
    await br.publish(null, key);
    await br.publish(null, key, { headers: { "content-type": "" } });
    await until(() => seen.length === 2, "two messages");
    assert.deepEqual(seen, [
      { body: undefined, contentType: undefined },
      { body: undefined, contentType: undefined },
    ]);
  });
});

describe("rabbitmq raw producer without a content type (real)", {
  skip: realUrl ? false : "no real RabbitMQ",
}, () => {
  it("hands over bytes without the property, or with an empty content-type header, as bytes", async () => {
    const queue = unique("raw-none-");
    const broker = rabbitmq({ url: realUrl, logLevel: "error" });
    const seen: Seen[] = [];
    broker.subscriber(queue, { exchange: "", queue: { durable: false, autoDelete: true } }).handle(
      (body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      },
    );
    await using _br = await testBroker(broker, { real: true });
    const connection = await amqp.connect(realUrl!);
    try {
      const channel = await connection.createChannel();
      // As FastStream sends bytes: no content_type property.
      channel.sendToQueue(queue, Buffer.from([0, 1, 2]), { correlationId: "corr-1" });
      channel.sendToQueue(queue, Buffer.from([3, 4]), { headers: { "content-type": "" } });
      await until(() => seen.length === 2, "two messages");
      await channel.close();
    } finally {
      await connection.close();
    }
    assert.deepEqual(seen, [
      { body: [0, 1, 2], contentType: undefined },
      { body: [3, 4], contentType: undefined },
    ]);
  });
});
