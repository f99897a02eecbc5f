// Dead-lettering by SQS's redrive policy, and reject on a queue that has one.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { brokerFor, pause, targets, unique, until } from "./_helpers.ts";

for (const target of targets) {
  describe(`sqs redrive (${target.name})`, () => {
    it("moves a message whose handler keeps failing to the dead-letter queue after maxReceiveCount receives", async () => {
      const queue = unique("work");
      const dlq = `${queue}-dlq`;
      const { broker } = brokerFor(target, {
        queues: { [queue]: { deadLetter: { queue: dlq, maxReceiveCount: 3 } } },
      });
      const counts: (number | undefined)[] = [];
      broker.subscriber(queue, { onError: "nack", retry: { delay: 1 } }).handle((_body, ctx) => {
        counts.push(ctx.message.deliveryCount);
        throw new Error("always fails");
      });
      // ElasticMQ does not wake a long poll of the dead-letter queue when it moves a message there (SQS
      // does): poll it briefly.
      const dead = broker.subscriber(dlq, { waitTimeSeconds: 1 }).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish({ id: 1 }, queue, { headers: { "x-tenant": "acme" } });
      await until(() => dead.mock.calls.length === 1, 15_000, "the dead letter");
      assert.deepEqual(counts, [1, 2, 3]);
      assert.deepEqual(dead.mock.calls[0]?.body, { id: 1 });
      assert.equal(dead.mock.calls[0]?.headers["x-tenant"], "acme");
      await pause(target.real ? 1500 : 100);
      assert.equal(counts.length, 3);
    });

    it("moves a rejected message to the dead-letter queue at once when the queue has a redrive policy", async () => {
      const queue = unique("rej");
      const dlq = `${queue}-dlq`;
      const { broker } = brokerFor(target, {
        queues: { [queue]: { deadLetter: { queue: dlq, maxReceiveCount: 5 } } },
      });
      let calls = 0;
      broker.subscriber(queue).handle(() => {
        calls++;
        throw new Error("bad order");
      });
      const dead = broker.subscriber(dlq).handle(() => {});
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish("order", queue);
      await until(() => dead.mock.calls.length === 1, 10_000, "the dead letter");
      assert.equal(calls, 1);
      assert.equal(dead.mock.calls[0]?.body, "order");
    });
  });
}
