// Publishing: per-message delay, batches larger than SQS's 10, many headers, binary bodies, size limit,
// queues used by URL, and queues that keep messages nobody consumes yet.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SluiceError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { brokerFor, pause, targets, unique, until } from "./_helpers.ts";

for (const target of targets) {
  describe(`sqs publish (${target.name})`, () => {
    it("delays a message by delaySeconds", async () => {
      const queue = unique("delay");
      const { broker } = brokerFor(target);
      const arrived: number[] = [];
      broker.subscriber(queue).handle(() => {
        arrived.push(Date.now());
      });
      await using _br = await testBroker(broker, { real: target.real });
      const sent = Date.now();
      await broker.publish("later", queue, { delaySeconds: 1 });
      await until(() => arrived.length === 1, 10_000, "the delayed message");
      assert.ok(arrived[0]! - sent >= 900, `arrived after ${arrived[0]! - sent} ms`);
    });

    it("splits a batch of 25 into calls of at most 10, and every message arrives", async () => {
      const queue = unique("batch");
      const { broker } = brokerFor(target);
      const handler = broker.subscriber(queue, { concurrency: 10 }).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      const bodies = Array.from({ length: 25 }, (_, i) => ({ i }));
      await broker.publishBatch(bodies, queue);
      await until(() => handler.mock.calls.length === 25, 10_000, "25 messages");
      const got = handler.mock.calls.map((c) => (c.body as { i: number }).i).sort((a, b) => a - b);
      assert.deepEqual(got, bodies.map((b) => b.i));
    });

    it("carries more headers than SQS's 10 attributes, and headers attributes cannot hold", async () => {
      const queue = unique("headers");
      const { broker } = brokerFor(target);
      const handler = broker.subscriber(queue).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      const headers: Record<string, string> = { "": "x", "with space": "y", empty: "" };
      for (let i = 0; i < 12; i++) headers[`x-h${i}`] = `v${i}`;
      await broker.publish({ ok: true }, queue, { headers, correlationId: "c-1" });
      await until(() => handler.mock.calls.length === 1, 10_000, "the message");
      assert.deepEqual(handler.mock.calls[0]?.headers, headers);
      assert.equal(handler.mock.calls[0]?.correlationId, "c-1");
    });

    it("sends bytes SQS cannot take as text, and refuses a message over 256 KiB with a clear error", async () => {
      const queue = unique("bytes");
      const { broker } = brokerFor(target);
      const handler = broker.subscriber(queue).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      const bytes = new Uint8Array([0, 0xff, 0xfe, 1, 0x0b]);
      await broker.publish(bytes, queue);
      await until(() => handler.mock.calls.length === 1, 10_000, "the bytes");
      assert.deepEqual([...(handler.mock.calls[0]?.body as Uint8Array)], [...bytes]);
      await assert.rejects(broker.publish("x".repeat(300_000), queue), (error: unknown) => {
        assert.ok(error instanceof SluiceError);
        assert.match(error.message, /at most 262144 \(256 KiB\)/);
        return true;
      });
    });

    it("keeps messages published before anyone subscribed (unlike the memory broker)", async () => {
      const queue = unique("keep");
      const { broker } = brokerFor(target);
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("waiting", queue);
      const handler = broker.subscriber(queue).handle(() => {});
      await handler.subscriber.start();
      await until(() => handler.mock.calls.length === 1, 10_000, "the kept message");
      assert.equal(handler.mock.calls[0]?.body, "waiting");
    });

    it("carries a message group on a standard queue, as SQS fair queues do, as the message's key", async () => {
      const queue = unique("fair");
      const { broker } = brokerFor(target);
      const keys: Record<string, string | undefined> = {};
      broker.subscriber(queue).handle((body, ctx) => {
        keys[body as string] = ctx.message.key;
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("for tenant a", queue, { groupId: "tenant-a" });
      await broker.publish("no tenant", queue);
      await until(() => Object.keys(keys).length === 2, 10_000, "two messages");
      assert.deepEqual(keys, { "for tenant a": "tenant-a", "no tenant": undefined });
    });

    it("does not create queues with createQueues: false unless declared", async () => {
      const declared = unique("declared");
      const { broker } = brokerFor(target, { createQueues: false, queues: { [declared]: { create: true } } });
      const handler = broker.subscriber(declared).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      await assert.rejects(broker.publish("x", unique("missing")), /does not exist: create it/);
      await broker.publish("y", declared);
      await until(() => handler.mock.calls.length === 1, 10_000, "the message");
      await pause(10);
    });
  });
}
