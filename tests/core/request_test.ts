import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { Broker, type Driver, type IncomingMessage, memory, StateError, TimeoutError } from "@sluice/core";
import { memoryDriver } from "@sluice/core/kit";
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

  it("hands a reply to its request without waiting for the reply's ack", async () => {
    // A driver without request() of its own, whose acks of replies never end: the reply channel must not wait
    // for them (an SQS deletion is a round trip of its own).
    const inner = memoryDriver();
    const acks: string[] = [];
    const stalled = (message: IncomingMessage): IncomingMessage =>
      new Proxy(message, {
        get: (target, key) =>
          key === "ack"
            ? () => {
              acks.push(target.correlationId ?? "");
              return new Promise<void>(() => {});
            }
            : Reflect.get(target, key, target),
      });
    const driver: Driver = {
      ...inner,
      subscribe: (spec, deliver, events) =>
        inner.subscribe(spec, (message) => deliver(spec.reply ? stalled(message) : message), events),
    };
    const broker = new Broker(driver, { logLevel: "error" });
    broker.subscriber("double").handle((n) => 2 * (n as number));
    await broker.start();
    try {
      const reply = await broker.request(21, "double", { timeout: 2000, correlationId: "c-21" });
      assert.equal(reply.body, 42);
      assert.deepEqual(acks, ["c-21"]);
    } finally {
      await broker.close();
    }
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
