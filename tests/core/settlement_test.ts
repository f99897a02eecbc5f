// How a single message settles on the core's short path (no middleware, no retries, not acked first) — with
// a schema, with manual acks — seen from a driver that records every settlement it is asked for.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, type StandardSchemaV1 } from "@sluice/core";
import { recordingDriver, recordingLogger } from "./_helpers.ts";

/** `{ qty: number }`, answered with a promise, its output marked so that the handler's input shows it. */
const asyncOrder: StandardSchemaV1<unknown, { qty: number; checked: true }> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      Promise.resolve(
        typeof (value as { qty?: unknown }).qty === "number"
          ? { value: { qty: (value as { qty: number }).qty, checked: true as const } }
          : { issues: [{ message: "not a number", path: ["qty"] }] },
      ),
  },
};

describe("settlement of single messages", () => {
  it("hands the output of a schema that answers with a promise to the handler, and rejects a bad body", async () => {
    const { logger, logs } = recordingLogger();
    const { driver, deliver, settled } = recordingDriver();
    const broker = new Broker(driver, { logger });
    const got: unknown[] = [];
    broker.subscriber("orders", { schema: asyncOrder }).handle((order) => void got.push(order));
    await broker.start();
    await deliver("m1", { qty: 2 });
    await deliver("m2", { qty: "two" });
    await broker.close();
    assert.deepEqual(got, [{ qty: 2, checked: true }]);
    assert.deepEqual(settled, ["ack m1", "reject m2"]);
    const failure = logs.find("error", "m2")[0];
    assert.match(failure?.message ?? "", /failed its schema: qty: not a number/);
  });

  it("rejects a body a synchronous schema refuses, before the handler runs, and logs why", async () => {
    const { logger, logs } = recordingLogger();
    const { driver, deliver, settled } = recordingDriver();
    const broker = new Broker(driver, { logger });
    const sync: StandardSchemaV1<unknown, number> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: (value) =>
          typeof value === "number" ? { value } : { issues: [{ message: "not a number" }] },
      },
    };
    let calls = 0;
    broker.subscriber("orders", { schema: sync }).handle(() => void calls++);
    await broker.start();
    await deliver("m1", 1);
    await deliver("m2", "one");
    await broker.close();
    assert.equal(calls, 1);
    assert.deepEqual(settled, ["ack m1", "reject m2"]);
    assert.ok(logs.records.some((r) => r.message.includes("m2") && r.message.includes("not a number")));
  });

  it("leaves a manual subscriber's message to its handler: settled only as the handler settles it", async () => {
    const { logger, logs } = recordingLogger();
    const { driver, deliver, settled } = recordingDriver();
    const broker = new Broker(driver, { logger });
    broker.subscriber("orders", { ack: "manual" }).handle(async (n, ctx) => {
      if (n === 2) await ctx.message.nack();
      if (n === 3) throw new Error("boom");
      return n === 4 ? "a result nobody asked for" : undefined;
    });
    await broker.start();
    for (const [i, n] of [1, 2, 3, 4].entries()) await deliver(`m${i + 1}`, n);
    await broker.close();
    assert.deepEqual(settled, ["nack m2"], "nothing acked for the handler; a failure left to it");
    assert.match(logs.find("error", "m3")[0]?.message ?? "", /boom/);
  });
});
