import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { memory, StateError, TimeoutError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

describe("request/reply", () => {
  it("returns a reply typed by its schema and validated", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("sum").handle((numbers: unknown) => ({
      total: (numbers as number[]).reduce((a, b) => a + b),
    }));
    await using br = await testBroker(broker);
    const reply = await br.request([1, 2, 3], "sum", { schema: type({ total: "number" }), timeout: 1000 });
    const total: number = reply.body.total;
    assert.equal(total, 6);
    await assert.rejects(
      br.request([1], "sum", { schema: type({ total: "string" }), timeout: 1000 }),
      /The reply from sum failed its schema/,
    );
  });

  it("lets a handler send its own request while it answers one", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("inner").handle((n: unknown) => (n as number) + 1);
    broker.subscriber("outer").handle(async (n: unknown, ctx) => {
      const inner = await ctx.request(n, "inner", { timeout: 500 });
      return (inner.body as number) * 10;
    });
    await using br = await testBroker(broker);
    const reply = await br.request(4, "outer", { correlationId: "trace-1", timeout: 1000 });
    assert.equal(reply.body, 50);
    assert.equal(reply.correlationId, "trace-1");
  });

  it("times out with the channel and correlation id in the message", async () => {
    const broker = memory({ logLevel: "error" });
    await using br = await testBroker(broker);
    await assert.rejects(br.request("x", "void", { timeout: 50, correlationId: "c-9" }), (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /No reply from void within 50 ms \(correlation id c-9\)/);
      return true;
    });
  });

  it("refuses to publish before the broker is connected, saying what to call", async () => {
    const broker = memory();
    await assert.rejects(broker.publish("x", "y"), (error: unknown) => {
      assert.ok(error instanceof StateError);
      assert.match(error.message, /call broker\.connect\(\) or app\.start\(\) first/);
      return true;
    });
  });
});
