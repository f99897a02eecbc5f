// A record whose producer gave no content type arrives with `contentType` undefined, never "". Python
// FastStream publishes bytes with an empty `content-type` header (`content_type or ""`); a raw producer often
// sends no header at all. Both, on the emulation and on a real broker.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Kafka, logLevel } from "kafkajs";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { patience, targets, unique, until } from "./_helpers.ts";

const server = await realBroker("kafka");

interface Seen {
  body: unknown;
  contentType: string | undefined;
}

/** Bytes as an array of numbers: the client may hand over a Buffer. */
const plain = (body: unknown): unknown => body instanceof Uint8Array ? [...body] : body;

for (const target of targets) {
  describe(`kafka without a content type (${target.name})`, () => {
    it("reports contentType undefined for no content-type header and for an empty one", async () => {
      const broker = target.cluster()();
      const topic = unique("no-content-type");
      const seen: Seen[] = [];
      broker.subscriber(topic, { from: "earliest", topic: { partitions: 1 } }).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await broker.start();
      try {
        await broker.publish(null, topic);
        await broker.publish(null, topic, { headers: { "content-type": "" } });
        await until(() => seen.length === 2, patience(target), "two records");
      } finally {
        await broker.close();
      }
      assert.deepEqual(seen, [
        { body: undefined, contentType: undefined },
        { body: undefined, contentType: undefined },
      ]);
    });
  });
}

const real = targets.find((t) => t.real);

describe(
  "kafka raw producer without a content type (real)",
  { skip: real ? false : "no real kafka" },
  () => {
    it("hands over FastStream's bytes (empty content-type header) as bytes, contentType undefined", async () => {
      const target = real!;
      const broker = target.cluster()();
      const topic = unique("raw-no-content-type");
      const seen: Seen[] = [];
      broker.subscriber(topic, { from: "earliest", topic: { partitions: 1 } }).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await broker.start();
      const url = server!.url;
      const producer = new Kafka({ brokers: [url.replace(/^kafka:\/\//, "")], logLevel: logLevel.NOTHING })
        .producer();
      await producer.connect();
      try {
        await producer.send({
          topic,
          messages: [
            { value: Buffer.from([0, 1, 2]), headers: { "content-type": "", correlation_id: "corr-1" } },
            { value: Buffer.from([3, 4]) },
          ],
        });
        await until(() => seen.length === 2, patience(target), "two records");
      } finally {
        await producer.disconnect();
        await broker.close();
      }
      assert.deepEqual(seen, [
        { body: [0, 1, 2], contentType: undefined },
        { body: [3, 4], contentType: undefined },
      ]);
    });
  },
);
