// Each row of the README's "Emulation limits" table: the emulation refuses the case loudly, naming the
// option and pointing to { real: true }, instead of behaving differently from RabbitMQ.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EmulationLimitError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { rabbitmq } from "../mod.ts";

function refused(option: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof EmulationLimitError && error.message.includes(option) &&
    error.message.includes("{ real: true }");
}

describe("the RabbitMQ emulation refuses what it does not reproduce", () => {
  for (const option of ["messageTtl", "maxLength", "maxPriority"]) {
    it(`a queue with ${option}`, async () => {
      const broker = rabbitmq();
      broker.subscriber("orders", { queue: { name: "orders", [option]: 10 } }).handle(() => undefined);
      await assert.rejects(testBroker(broker), refused(option));
    });
  }

  for (const argument of ["x-max-length-bytes", "x-overflow", "x-single-active-consumer"]) {
    it(`a queue with the argument ${argument}`, async () => {
      const broker = rabbitmq();
      broker.subscriber("orders", { queue: { name: "orders", arguments: { [argument]: 1 } } }).handle(() =>
        undefined
      );
      await assert.rejects(testBroker(broker), refused(argument));
    });
  }

  for (const option of ["expiration", "priority"]) {
    it(`a publish with ${option}`, async () => {
      await using br = await testBroker(rabbitmq());
      await assert.rejects(br.publish("hi", "orders", { [option]: 5 }), refused(option));
    });
  }
});
