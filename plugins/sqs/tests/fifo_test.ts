// FIFO queues: order within a message group, parallel across groups, de-duplication.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { brokerFor, pause, targets, unique, until } from "./_helpers.ts";

for (const target of targets) {
  describe(`sqs FIFO (${target.name})`, () => {
    it("keeps order within a message group and runs groups in parallel", async () => {
      const queue = `${unique("fifo")}.fifo`;
      const { broker } = brokerFor(target);
      const seen: Record<string, number[]> = { a: [], b: [] };
      let running = 0;
      let overlap = 0;
      broker.subscriber(queue, { concurrency: 4, orderBy: "key" }).handle(async (n: unknown, ctx) => {
        running++;
        overlap = Math.max(overlap, running);
        await pause(Math.random() * 20);
        seen[ctx.message.key!]!.push(n as number);
        running--;
      });
      await using _br = await testBroker(broker, { real: target.real });
      const bodies = Array.from({ length: 10 }, (_, i) => i);
      await broker.publishBatch(bodies, queue, { groupId: "a" });
      for (const n of bodies) await broker.publish(n, queue, { groupId: "b" });
      await until(() => seen.a!.length === 10 && seen.b!.length === 10, 15_000, "both groups");
      assert.deepEqual(seen.a, bodies);
      assert.deepEqual(seen.b, bodies);
      assert.ok(overlap >= 2, `groups ran in parallel (at most ${overlap} at once)`);
    });

    it("drops a message whose de-duplication id was seen within 5 minutes", async () => {
      const queue = `${unique("dedup")}.fifo`;
      const { broker } = brokerFor(target);
      const handler = broker.subscriber(queue).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("first", queue, { deduplicationId: "order-1" });
      await broker.publish("again", queue, { deduplicationId: "order-1" });
      await broker.publish("other", queue, { deduplicationId: "order-2" });
      await until(() => handler.mock.calls.length === 2, 10_000, "two messages");
      await pause(target.real ? 500 : 50);
      assert.deepEqual(handler.mock.calls.map((c) => c.body), ["first", "other"]);
    });

    it("de-duplicates by body with content-based de-duplication", async () => {
      const queue = `${unique("cbd")}.fifo`;
      const { broker } = brokerFor(target, { queues: { [queue]: { contentBasedDeduplication: true } } });
      const handler = broker.subscriber(queue).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      // The message id differs per publish; the body alone decides.
      await broker.publish("same", queue);
      await broker.publish("same", queue);
      await broker.publish("different", queue);
      await until(() => handler.mock.calls.length === 2, 10_000, "two messages");
      await pause(target.real ? 500 : 50);
      assert.deepEqual(handler.mock.calls.map((c) => c.body), ["same", "different"]);
    });
  });
}
