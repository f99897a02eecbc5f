// Each row of the README's "Emulation limits" table: the emulation refuses the case loudly, naming the
// option and pointing to { real: true }, instead of behaving differently from Kafka.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EmulationLimitError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { kafka } from "../mod.ts";

function refused(option: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof EmulationLimitError && error.message.includes(option) &&
    error.message.includes("{ real: true }");
}

describe("the Kafka emulation refuses what it does not reproduce", () => {
  it("a topic with config entries (retention, compaction)", async () => {
    await using br = await testBroker(kafka());
    await assert.rejects(
      br.publish("hi", "orders", { topic: { partitions: 1, config: { "cleanup.policy": "compact" } } }),
      refused("cleanup.policy"),
    );
  });

  it("a subscriber's topic with config entries", async () => {
    const broker = kafka();
    broker.subscriber("orders", { group: "g", topic: { config: { "retention.ms": "1000" } } }).handle(() =>
      undefined
    );
    await assert.rejects(testBroker(broker), refused("retention.ms"));
  });
});
