// Each row of the README's "Emulation limits" table: the emulation refuses the case loudly, naming the
// option and pointing to { real: true }, instead of behaving differently from nats-server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EmulationLimitError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { nats } from "../mod.ts";

function refused(option: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof EmulationLimitError && error.message.includes(option) &&
    error.message.includes("{ real: true }");
}

describe("the NATS emulation refuses what it does not reproduce", () => {
  const limits: [string, Record<string, unknown>][] = [
    ["retention", { retention: "workqueue" }],
    ["retention", { retention: "interest" }],
    ["maxBytes", { maxBytes: 1024 }],
    ["maxAge", { maxAge: 60_000 }],
    ["discard", { discard: "new" }],
  ];
  for (const [option, settings] of limits) {
    it(`a stream with ${JSON.stringify(settings)}`, async () => {
      const broker = nats({ streams: [{ name: "ORDERS", subjects: ["orders.>"], ...settings }] });
      await assert.rejects(testBroker(broker), refused(option));
    });
  }
});
