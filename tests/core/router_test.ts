import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memory, type Middleware, Router, StateError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

function tracing(name: string, trail: string[]): Middleware {
  return {
    name,
    async consume(_ctx, next) {
      trail.push(`${name}>`);
      try {
        return await next();
      } finally {
        trail.push(`<${name}`);
      }
    },
    async publish(publication, next) {
      publication.headers[`x-${name}`] = "1";
      trail.push(`pub:${name}`);
      await next(publication);
    },
  };
}

describe("routers and middlewares", () => {
  it("prefixes channels through nested routers", async () => {
    const broker = memory({ logLevel: "error" });
    const shop = new Router({ prefix: "shop." });
    const orders = new Router({ prefix: "orders." });
    const created = orders.subscriber("created").handle(() => {});
    shop.include(orders);
    broker.include(shop);
    assert.equal(created.subscriber.channel, "shop.orders.created");
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "shop.orders.created");
    await br.settled();
    assert.equal(created.mock.calls.length, 1);
  });

  it("runs consume middlewares as an onion: broker, router, subscriber", async () => {
    const trail: string[] = [];
    const broker = memory({ logLevel: "error", middlewares: [tracing("broker", trail)] });
    const router = new Router({ middlewares: [tracing("router", trail)] });
    router.subscriber("in", { middlewares: [tracing("sub", trail)] }).handle(() => {
      trail.push("handler");
    });
    broker.include(router);
    await using br = await testBroker(broker);
    await br.publish("x", "in");
    await br.settled();
    assert.deepEqual(trail.filter((t) => !t.startsWith("pub:")), [
      "broker>",
      "router>",
      "sub>",
      "handler",
      "<sub",
      "<router",
      "<broker",
    ]);
  });

  it("lets publish middlewares change headers before the message is sent", async () => {
    const trail: string[] = [];
    const broker = memory({ logLevel: "error", middlewares: [tracing("broker", trail)] });
    const audit = broker.publisher("audit", { middlewares: [tracing("publisher", trail)] });
    const seen = broker.subscriber("audit").handle(() => {});
    await using br = await testBroker(broker);
    await audit.publish({ event: "login" });
    await br.settled();
    assert.deepEqual(trail.filter((t) => t.startsWith("pub:")), ["pub:broker", "pub:publisher"]);
    assert.equal(seen.mock.calls[0]?.headers["x-broker"], "1");
    assert.equal(seen.mock.calls[0]?.headers["x-publisher"], "1");
  });

  it("lets a consume middleware see the handler's result and the error", async () => {
    const results: unknown[] = [];
    const broker = memory({
      logLevel: "error",
      middlewares: [{
        async consume(_ctx, next) {
          try {
            results.push(await next());
          } catch (error) {
            results.push((error as Error).message);
            throw error;
          }
        },
      }],
    });
    broker.subscriber("double").handle((n: unknown) => {
      if (n === 0) throw new Error("zero");
      return (n as number) * 2;
    });
    await using br = await testBroker(broker);
    await br.publish(21, "double");
    await br.publish(0, "double");
    await br.settled();
    assert.deepEqual(results, [42, "zero"]);
  });

  it("says how to fix a router that was never included", async () => {
    const loose = new Router();
    const publisher = loose.publisher("x");
    await assert.rejects(publisher.publish("hi"), (error: unknown) => {
      assert.ok(error instanceof StateError);
      assert.match(error.message, /call broker\.include\(router\)/);
      return true;
    });
  });

  it("validates what a publisher with a schema sends", async () => {
    const { type } = await import("arktype");
    const broker = memory({ logLevel: "error" });
    const prices = broker.publisher("prices", { schema: type({ cents: "number.integer" }) });
    await using _br = await testBroker(broker);
    await prices.publish({ cents: 100 });
    await assert.rejects(
      prices.publish({ cents: 1.5 }),
      /A body published to prices failed its schema: cents/,
    );
    assert.deepEqual(prices.mock.calls.map((c) => c.body), [{ cents: 100 }]);
  });
});
