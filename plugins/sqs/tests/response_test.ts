// A handler's sqsResponse: its SQS publish options (message group, de-duplication id) and headers reach the
// published result, on a FIFO queue, on the emulation and on the real broker (ElasticMQ).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { sqsResponse } from "@sluice/sqs";
import { brokerFor, pause, targets, unique, until } from "./_helpers.ts";

for (const target of targets) {
  describe(`sqs responses (${target.name})`, () => {
    it("publishes the result in the message group, with the de-duplication id and headers it sets", async () => {
      const input = unique("resp-in");
      const output = `${unique("resp-out")}.fifo`;
      const { broker } = brokerFor(target);
      broker.subscriber(input).publisher(output).handle((order: unknown) => {
        const { id, customer } = order as { id: number; customer: string };
        return sqsResponse({ id }, {
          groupId: customer,
          deduplicationId: `order-${id}`,
          headers: { "x-state": "ok" },
        });
      });
      const seen: { body: unknown; group?: string; state?: string }[] = [];
      broker.subscriber(output).handle((body, ctx) => {
        seen.push({ body, group: ctx.message.key, state: ctx.message.headers["x-state"] });
      });
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publish({ id: 1, customer: "c-9" }, input);
      await broker.publish({ id: 1, customer: "c-9" }, input); // the same order again: de-duplicated
      await broker.publish({ id: 2, customer: "c-4" }, input);
      await until(() => seen.length === 2, 15_000, "two results");
      await pause(target.real ? 500 : 50);
      assert.deepEqual(seen.sort((a, b) => (a.body as { id: number }).id - (b.body as { id: number }).id), [
        { body: { id: 1 }, group: "c-9", state: "ok" },
        { body: { id: 2 }, group: "c-4", state: "ok" },
      ]);
    });
  });
}
