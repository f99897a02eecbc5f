// Visibility: a heartbeat keeps a slow handler's message invisible; without it SQS hands the message out
// again once the visibility timeout runs out; nack({ delay }) becomes a visibility change.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { brokerFor, pause, targets, unique, until } from "./_helpers.ts";

for (const target of targets) {
  describe(`sqs visibility (${target.name})`, () => {
    it("does not redeliver a message while a handler slower than the visibility timeout works", async () => {
      const queue = unique("slow");
      const { broker } = brokerFor(target, { queues: { [queue]: { visibilityTimeout: 1 } } });
      let calls = 0;
      let done = 0;
      broker.subscriber(queue, { concurrency: 2 }).handle(async () => {
        calls++;
        await pause(3000);
        done++;
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("slow job", queue);
      await until(() => done === 1, 10_000, "the slow handler");
      await pause(1500);
      assert.equal(calls, 1);
    });

    it("keeps more than ten slow messages invisible at once (extended in batches of ten)", async () => {
      const queue = unique("slow-many");
      const { broker } = brokerFor(target, { queues: { [queue]: { visibilityTimeout: 1 } } });
      const deliveries = new Map<number, number>();
      let done = 0;
      broker.subscriber(queue, { concurrency: 25 }).handle(async (body) => {
        const id = (body as { id: number }).id;
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        await pause(2500);
        done++;
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publishBatch(Array.from({ length: 25 }, (_, id) => ({ id })), queue);
      await until(() => done >= 25, 15_000, "the slow handlers");
      await pause(1500);
      assert.equal(deliveries.size, 25);
      assert.deepEqual([...deliveries.values()].filter((n) => n !== 1), [], "a message was delivered twice");
    });

    it("redelivers a message held past its visibility timeout when the heartbeat is off", async () => {
      const queue = unique("expire");
      const { broker } = brokerFor(target, { queues: { [queue]: { visibilityTimeout: 1 } } });
      const counts: (number | undefined)[] = [];
      broker.subscriber(queue, { concurrency: 2, heartbeat: false }).handle(async (_b, ctx) => {
        counts.push(ctx.message.deliveryCount);
        if (counts.length === 1) await pause(2500);
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("job", queue);
      await until(() => counts.length === 2, 10_000, "the redelivery");
      assert.deepEqual(counts, [1, 2]);
    });

    it("returns a nacked message after its delay, counting the receives", async () => {
      const queue = unique("nack");
      const { broker } = brokerFor(target);
      const seen: { at: number; count: number | undefined }[] = [];
      broker.subscriber(queue, { ack: "manual" }).handle(async (_b, ctx) => {
        seen.push({ at: Date.now(), count: ctx.message.deliveryCount });
        if (seen.length === 1) await ctx.message.nack({ delay: 1500 });
        else await ctx.message.ack();
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("again", queue);
      await until(() => seen.length === 2, 10_000, "the redelivery");
      // Visibility counts whole seconds: 1500 ms becomes 2 s.
      assert.ok(seen[1]!.at - seen[0]!.at >= 1900, `waited ${seen[1]!.at - seen[0]!.at} ms`);
      assert.deepEqual(seen.map((s) => s.count), [1, 2]);
    });
  });
}
