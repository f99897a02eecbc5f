// What a middleware learns about a message beyond its body: where it comes from and where it goes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, type Driver, memory, type Middleware } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

describe("publications and contexts", () => {
  it("name their broker: the driver's name, on the context and on every publication", async () => {
    const seen: string[] = [];
    const watch: Middleware = {
      consume: (ctx, next) => (seen.push(`consume ${ctx.broker}`), next()),
      publish: (p, next) => (seen.push(`publish ${p.broker}`), next(p)),
    };
    const broker = memory({ name: "orders-bus", logLevel: "error", middlewares: [watch] });
    broker.subscriber("orders").handle(() => {});
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders");
    await br.settled();
    assert.deepEqual(seen, ["publish orders-bus", "consume orders-bus"]);
  });
});

describe("publications made for a consumed message", () => {
  it("carry its context and say whether they are a publish, a request or a reply", async () => {
    const seen: string[] = [];
    const watch: Middleware = {
      publish(p, next) {
        const to = p.channel.startsWith("sluice-reply-") ? "the reply channel" : p.channel;
        seen.push(`${p.kind} to ${to} ${p.origin ? `for ${p.origin.message.messageId}` : "from outside"}`);
        return next(p);
      },
    };
    const broker = memory({ logLevel: "error", middlewares: [watch] });
    const audit = broker.publisher("audit");
    broker.subscriber("prices").handle((item) => ({ item, cents: 250 }));
    broker.subscriber("orders").publisher(audit).handle(async (order, ctx) => {
      await ctx.publish(order, "invoices");
      const price = await ctx.request("tea", "prices", { messageId: "p-1" });
      return { order, price: price.body };
    });
    await using br = await testBroker(broker);
    await br.request({ id: 1 }, "orders", { messageId: "o-1", timeout: 1000 });
    await br.settled();
    assert.deepEqual(seen, [
      "request to orders from outside",
      "publish to invoices for o-1",
      "request to prices for o-1",
      "reply to the reply channel for p-1",
      "publish to audit for o-1",
      "reply to the reply channel for o-1",
    ]);
  });

  it("run the broker's publish middlewares around a native request, whose headers they may change", async () => {
    // A driver with a native request, as NATS has: it answers with the request's own body and headers.
    const driver: Driver = {
      ...memory().driver,
      request: (channel, message) =>
        Promise.resolve({
          channel,
          body: message.body,
          headers: message.headers,
          contentType: message.contentType,
          ack: () => Promise.resolve(),
          nack: () => Promise.resolve(),
          reject: () => Promise.resolve(),
        }),
    };
    const broker = new Broker(driver, {
      logLevel: "error",
      middlewares: [{ publish: (p, next) => ((p.headers["x-seen"] = p.kind), next(p)) }],
    });
    await broker.connect();
    try {
      const reply = await broker.request({ hello: 1 }, "anywhere", { timeout: 1000 });
      assert.equal(reply.headers["x-seen"], "request");
      assert.deepEqual(reply.body, { hello: 1 });
    } finally {
      await broker.close();
    }
  });
});

describe("a native batch publish", () => {
  it("passes each message through the publish middlewares, then sends those that went on in one batch", async () => {
    const watch: Middleware = {
      publish(p, next) {
        if (p.body === 2) return Promise.resolve(); // dropped
        p.headers.seen = String(p.body);
        return next(p);
      },
    };
    const broker = memory({ logLevel: "error", middlewares: [watch] });
    const got: string[] = [];
    broker.subscriber("rows").handle((row, ctx) => void got.push(`${row} ${ctx.message.headers.seen}`));
    await using br = await testBroker(broker);
    const batches: number[] = [];
    const publishBatch = broker.driver.publishBatch!.bind(broker.driver);
    broker.driver.publishBatch = (channel, messages, options) => {
      batches.push(messages.length);
      return publishBatch(channel, messages, options);
    };
    await br.broker.publishBatch([1, 2, 3], "rows");
    await br.settled();
    assert.deepEqual(batches, [2]);
    assert.deepEqual(got.sort(), ["1 1", "3 3"]);
  });

  it("fails when a middleware fails one of its messages, and still sends the others", async () => {
    const broker = memory({
      logLevel: "error",
      middlewares: [{ publish: (p, next) => p.body === 2 ? Promise.reject(new Error("no twos")) : next(p) }],
    });
    const got: unknown[] = [];
    broker.subscriber("rows").handle((row) => void got.push(row));
    await using br = await testBroker(broker);
    await assert.rejects(br.broker.publishBatch([1, 2, 3], "rows"), /no twos/);
    await br.settled();
    assert.deepEqual(got.sort(), [1, 3]);
  });

  it("fails every message's publish when the driver refuses the batch", async () => {
    const outcomes: string[] = [];
    const broker = memory({
      logLevel: "error",
      middlewares: [{
        publish: (p, next) =>
          next(p).then(() => void outcomes.push(`${p.body} sent`), (e) => {
            outcomes.push(`${p.body} failed`);
            throw e;
          }),
      }],
    });
    await using br = await testBroker(broker);
    broker.driver.publishBatch = () => Promise.reject(new Error("batch refused"));
    await assert.rejects(br.broker.publishBatch([1, 2], "rows"), /batch refused/);
    assert.deepEqual(outcomes.sort(), ["1 failed", "2 failed"]);
  });
});
