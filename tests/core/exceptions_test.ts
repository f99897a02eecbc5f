import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, exceptions, memory, ValidationError } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import type { StandardSchemaV1 } from "@sluice/core";

class OutOfStock extends Error {}
class Busy extends Error {}
class Transient extends Busy {}

const Num: StandardSchemaV1<unknown, number> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      typeof value === "number" ? { value } : { issues: [{ message: "must be a number" }] },
  },
};

describe("exception middleware", () => {
  it("answers a request with the reply a rule returns, and acks", async () => {
    const broker = memory({ logLevel: "error" });
    broker.use(
      exceptions().on(
        OutOfStock,
        (error) => ({ reply: { error: error.message }, headers: { "x-error": "stock" } }),
      ),
    );
    broker.subscriber("order").handle((item: unknown) => {
      throw new OutOfStock(`no ${String(item)} left`);
    });
    await using br = await testBroker(broker);
    const reply = await br.request("tea", "order", { timeout: 1000 });
    assert.deepEqual(reply.body, { error: "no tea left" });
    assert.equal(reply.headers["x-error"], "stock");
  });

  it("sends a rule's reply as a reply, which publish middlewares see as one, not as a publish", async () => {
    const kinds: string[] = [];
    const broker = memory({ logLevel: "error" });
    broker.use({ publish: (publication, next) => (kinds.push(publication.kind), next(publication)) });
    broker.use(exceptions().on(OutOfStock, () => ({ reply: { error: "out of stock" } })));
    broker.subscriber("order").handle(() => {
      throw new OutOfStock("none left");
    });
    await using br = await testBroker(broker);
    const reply = await br.request("tea", "order", { timeout: 1000 });
    assert.deepEqual(reply.body, { error: "out of stock" });
    assert.deepEqual(kinds, ["request", "reply"]);
  });

  it("returns a message for redelivery when a rule says nack, after the subscriber's retries", async () => {
    const broker = memory({ logger: createLogger({ sink: () => {} }) });
    const attempts: number[] = [];
    broker.subscriber("jobs", {
      retry: { attempts: 2, delay: 1 },
      middlewares: [exceptions().on(Busy, () => ({ nack: { delay: 5 } }))],
    })
      .handle((_body, ctx) => {
        attempts.push(ctx.message.deliveryCount ?? 1);
        if (attempts.length < 3) throw new Busy("try later");
      });
    await using br = await testBroker(broker);
    await br.publish("j", "jobs");
    await br.settled();
    assert.deepEqual(attempts, [1, 1, 2], "two tries in the process, then a redelivery by the broker");
  });

  it("rejects when a rule says reject: the dead-letter of the subscriber is not used, the broker's rejection is", async () => {
    const logs = captureLogs();
    const broker = memory({ logger: createLogger({ sink: logs.sink }) });
    const dead = broker.subscriber("dead").handle(() => {});
    let calls = 0;
    broker.subscriber("in", {
      deadLetter: "dead",
      middlewares: [exceptions().on(OutOfStock, () => "reject")],
    })
      .handle(() => {
        calls++;
        throw new OutOfStock("gone");
      });
    await using br = await testBroker(broker);
    await br.publish(1, "in");
    await br.settled();
    assert.equal(calls, 1);
    assert.equal(dead.mock.calls.length, 0);
    assert.equal(logs.find("warn", "rejected").length, 1);
  });

  it("leaves errors no rule matches, and rules that rethrow, to the subscriber's error policy", async () => {
    const broker = memory({ logger: createLogger({ sink: () => {} }) });
    const dead = broker.subscriber("dead").handle(() => {});
    broker.subscriber("in", {
      deadLetter: "dead",
      middlewares: [exceptions().on(OutOfStock, () => "rethrow").on(Busy, () => "ack")],
    }).handle((kind: unknown) => {
      throw kind === "stock" ? new OutOfStock("x") : kind === "busy" ? new Busy("y") : new TypeError("z");
    });
    await using br = await testBroker(broker);
    await br.publish("stock", "in");
    await br.publish("busy", "in");
    await br.publish("type", "in");
    await br.settled();
    assert.deepEqual(dead.mock.calls.map((c) => c.body), ["stock", "type"]);
  });

  it("maps bad input too: a schema failure replied to the requester", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("double", {
      schema: Num,
      middlewares: [exceptions().on(ValidationError, (error) => ({ reply: { invalid: error.message } }))],
    }).handle((n) => n * 2);
    await using br = await testBroker(broker);
    assert.equal((await br.request(21, "double", { timeout: 1000 })).body, 42);
    const bad = await br.request("x", "double", { timeout: 1000 });
    assert.match((bad.body as { invalid: string }).invalid, /must be a number/);
  });

  it("uses the first matching rule in the order added, so a subclass listed first wins", async () => {
    const broker = memory({ logger: createLogger({ sink: () => {} }) });
    const seen: string[] = [];
    broker.use(
      exceptions()
        .on(Transient, () => void seen.push("transient"))
        .on(Busy, () => void seen.push("busy")),
    );
    broker.subscriber("x").handle((kind: unknown) => {
      throw kind === "t" ? new Transient("t") : new Busy("b");
    });
    await using br = await testBroker(broker);
    await br.publish("t", "x");
    await br.publish("b", "x");
    await br.settled();
    assert.deepEqual(seen, ["transient", "busy"]);
  });
});
