// What a middleware learns about a message beyond its body: where it comes from and where it goes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memory, type Middleware } from "@sluice/core";
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
