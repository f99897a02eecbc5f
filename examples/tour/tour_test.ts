// A tour of Sluice's programming model. Each test is a README section, and runs under deno and bun.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { BatchFailure, memory, type Middleware, Router } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

describe("a tour of Sluice", () => {
  it("path parameters", async () => {
    const broker = memory({ logLevel: "error" });
    const levels: string[] = [];
    broker.subscriber("logs.{level}").handle((_line, ctx) => {
      levels.push(ctx.path.level); // typed: "logs.{level}" declares `level`
    });
    await using br = await testBroker(broker);
    await br.publish("disk full", "logs.error");
    await br.settled();
    assert.deepEqual(levels, ["error"]);
  });

  it("filters", async () => {
    const broker = memory({ logLevel: "error" });
    const orders = broker.subscriber("orders");
    const refunds = orders.handle(() => "refunded", { filter: (m) => m.headers.kind === "refund" });
    const others = orders.handle(() => "processed"); // the catch-all comes last
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders", { headers: { kind: "refund" } });
    await br.publish({ id: 2 }, "orders");
    await br.settled();
    assert.equal(refunds.mock.calls.length, 1);
    assert.equal(others.mock.calls.length, 1);
  });

  it("ack policy, retries and dead-lettering", async () => {
    const broker = memory({ logLevel: "error" });
    let attempts = 0;
    broker
      .subscriber("payments", {
        ack: "auto", //          the default: ack after the handler and its publishes succeeded
        retry: { attempts: 3, delay: 10 }, // in the process, with exponential back-off
        deadLetter: "payments.failed", //    then here, with x-sluice-error saying why
      })
      .handle(() => {
        attempts++;
        throw new Error("card declined");
      });
    const failed = broker.subscriber("payments.failed").handle(() => {});
    await using br = await testBroker(broker);
    await br.publish({ amount: 10 }, "payments");
    await br.settled();
    assert.equal(attempts, 3);
    assert.equal(failed.mock.calls[0]?.headers["x-sluice-error"], "Error: card declined");
  });

  it("request/reply", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("prices").handle((item) => ({ item, cents: 250 }));
    await using br = await testBroker(broker);
    const Price = type({ item: "string", cents: "number" });
    const reply = await br.broker.request("tea", "prices", { schema: Price, timeout: 1000 });
    assert.equal(reply.body.cents, 250); // reply.body is typed { item: string; cents: number }
  });

  it("batches", async () => {
    const broker = memory({ logLevel: "error" });
    const sizes: number[] = [];
    broker
      .subscriber("rows", { batch: { size: 100, timeout: 50 }, schema: type("number") })
      .handle((rows) => {
        sizes.push(rows.length); // rows: number[]
        const bad = rows.findIndex((n) => n < 0);
        if (bad !== -1) throw new BatchFailure([bad]); // only this one fails; the others are acked
      });
    await using br = await testBroker(broker);
    await br.broker.publishBatch([1, 2, -3, 4], "rows");
    await br.settled();
    assert.deepEqual(sizes, [4]);
  });

  it("concurrency and ordering by key", async () => {
    const broker = memory({ logLevel: "error" });
    const seen: string[] = [];
    broker
      .subscriber("events", { concurrency: 10, orderBy: (m) => m.headers.user ?? "" })
      .handle((event: unknown, ctx) => {
        seen.push(`${ctx.message.headers.user}:${event}`);
      });
    await using br = await testBroker(broker);
    for (const [user, event] of [["ann", 1], ["bob", 1], ["ann", 2]] as const) {
      await br.publish(event, "events", { headers: { user } });
    }
    await br.settled();
    assert.deepEqual(seen.filter((s) => s.startsWith("ann")), ["ann:1", "ann:2"]);
  });

  it("routers and middlewares", async () => {
    const timing: Middleware = {
      async consume(ctx, next) {
        const started = performance.now();
        try {
          return await next();
        } finally {
          ctx.logger.debug("handled", { ms: performance.now() - started });
        }
      },
      publish(publication, next) {
        publication.headers["x-app"] = "shop";
        return next(publication);
      },
    };
    const broker = memory({ logLevel: "error", middlewares: [timing] });
    const orders = new Router({ prefix: "orders." });
    const created = orders.subscriber("created").handle((order) => order);
    broker.include(orders);
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders.created");
    await br.settled();
    assert.equal(created.mock.calls[0]?.headers["x-app"], "shop");
  });
});
