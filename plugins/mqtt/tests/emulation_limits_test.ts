// Each row of the README's "Emulation limits" table: the emulation refuses the case loudly, naming the
// option and pointing to { real: true }, instead of behaving differently from the broker.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EmulationLimitError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { mqtt } from "../mod.ts";

function refused(option: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof EmulationLimitError && error.message.includes(option) &&
    error.message.includes("{ real: true }");
}

describe("the MQTT emulation refuses what it does not reproduce", () => {
  it("a shared subscription on a $ topic filter", async () => {
    const broker = mqtt();
    broker.subscriber("$x/alerts", { group: "ops" }).handle(() => undefined);
    await assert.rejects(testBroker(broker), refused("shared subscription"));
  });

  it("a publish with messageExpiry", async () => {
    await using br = await testBroker(mqtt({ protocol: "5" }));
    await assert.rejects(br.publish("hi", "alerts", { messageExpiry: 60 }), refused("messageExpiry"));
  });
});
