// Declarations: exchanges, queues (classic, quorum, stream) and bindings, declared at startup or only
// checked; dead-lettering through x-dead-letter-exchange; delivery limits; on the emulation and the real broker.
import { it } from "node:test";
import assert from "node:assert/strict";
import { TopologyError } from "../mod.ts";
import { describeBoth, pause, unique, until } from "./_targets.ts";

describeBoth("declarations", (t) => {
  it("declares exchanges, queues and bindings at startup, then subscribers only check them", async () => {
    const exchange = unique("x-orders-");
    const queue = unique("q-billing-");
    const { broker } = t.broker({
      declare: {
        exchanges: [{ name: exchange, type: "direct", durable: false, autoDelete: true }],
        queues: [{ name: queue, durable: false, autoDelete: true }],
        bindings: [{ queue, exchange, routingKey: "created" }],
      },
    });
    const billing = broker.subscriber("created", {
      exchange: { name: exchange, passive: true },
      queue: { name: queue, passive: true },
    }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish({ id: 1 }, "created", { exchange });
    await br.publish({ id: 2 }, "deleted", { exchange });
    await br.settled();
    assert.deepEqual(billing.mock.calls.map((c) => c.body), [{ id: 1 }]);
  });

  it("fails a passive subscriber whose exchange does not exist, naming it", async () => {
    const { broker } = t.broker();
    const missing = unique("x-missing-");
    broker.subscriber("k", { exchange: { name: missing, passive: true } }).handle(() => {});
    await assert.rejects(t.start(broker), (error: unknown) => {
      assert.ok(error instanceof TopologyError, String(error));
      assert.match(error.message, new RegExp(`${missing}.*NOT_FOUND.*does not exist`));
      return true;
    });
    await broker.close();
  });

  it("fails a broker-wide passive subscriber whose queue does not exist", async () => {
    const { broker } = t.broker({ passive: true });
    const missing = unique("q-missing-");
    broker.subscriber("k", { queue: missing }).handle(() => {});
    await assert.rejects(t.start(broker), TopologyError);
    await broker.close();
  });

  it("refuses to redeclare an exchange with another type", async () => {
    const name = unique("x-typed-");
    const { broker } = t.broker({ declare: { exchanges: [{ name, type: "fanout", durable: false }] } });
    broker.subscriber("k", { exchange: { name, type: "topic", durable: false } }).handle(() => {});
    await assert.rejects(t.start(broker), /PRECONDITION_FAILED/);
    await broker.close();
  });

  it("dead-letters a rejected message to the queue's x-dead-letter-exchange, with the first death's facts", async () => {
    const { broker } = t.broker();
    const dlx = { name: unique("x-dlx-"), type: "fanout" as const, durable: false, autoDelete: true };
    const work = unique("q-work-");
    broker.subscriber(`${work}.jobs`, {
      queue: { name: work, durable: false, autoDelete: true, deadLetterExchange: dlx.name },
    }).handle(() => {
      throw new Error("cannot do it");
    });
    const dead = broker.subscriber("any", { exchange: dlx }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish({ job: 1 }, `${work}.jobs`);
    await until(() => dead.mock.calls.length === 1, "the dead letter");
    const letter = dead.mock.calls[0]!;
    assert.deepEqual(letter.body, { job: 1 });
    assert.equal(letter.channel, `${work}.jobs`);
    assert.equal(letter.headers["x-first-death-reason"], "rejected");
    assert.equal(letter.headers["x-first-death-queue"], work);
    assert.equal(letter.headers["x-first-death-exchange"], "amq.topic");
  });

  it("dead-letters with x-dead-letter-routing-key", async () => {
    const { broker } = t.broker();
    const dlx = { name: unique("x-dlx-"), type: "direct" as const, durable: false, autoDelete: true };
    const work = unique("q-work-");
    broker.subscriber(`${work}.jobs`, {
      queue: {
        name: work,
        durable: false,
        autoDelete: true,
        deadLetterExchange: dlx.name,
        deadLetterRoutingKey: "parked",
      },
    }).handle(() => {
      throw new Error("no");
    });
    const parked = broker.subscriber("parked", { exchange: dlx }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish("x", `${work}.jobs`);
    await until(() => parked.mock.calls.length === 1, "the parked message");
    assert.equal(parked.mock.calls[0]!.channel, "parked");
  });

  it("requeues a nacked message until its delivery limit, then dead-letters it", async () => {
    const { broker } = t.broker();
    const dlx = { name: unique("x-dlx-"), type: "fanout" as const, durable: false, autoDelete: true };
    const work = unique("q-limit-");
    const counts: (number | undefined)[] = [];
    broker.subscriber(`${work}.jobs`, {
      onError: "nack",
      retry: { delay: 5 },
      queue: { name: work, durable: false, autoDelete: true, deadLetterExchange: dlx.name, deliveryLimit: 3 },
    }).handle((_body, ctx) => {
      counts.push(ctx.message.deliveryCount);
      throw new Error("always");
    });
    const dead = broker.subscriber("any", { exchange: dlx }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish("poison", `${work}.jobs`);
    await until(() => dead.mock.calls.length === 1, "the dead letter after 3 deliveries");
    await pause(t.real ? 200 : 20);
    assert.deepEqual(counts, [1, 2, 3]);
  });

  it("waits for a nack's delay before the message comes back", async () => {
    const { broker } = t.broker();
    const times: number[] = [];
    const ch = unique("delay.");
    broker.subscriber(ch, { ack: "manual" }).handle(async (_body, ctx) => {
      times.push(Date.now());
      if (times.length === 1) await ctx.message.nack({ delay: 300 });
      else await ctx.message.ack();
    });
    await using br = await t.start(broker);
    await br.publish("later", ch);
    await until(() => times.length === 2, "the redelivery");
    assert.ok(times[1]! - times[0]! >= 290, `came back after ${times[1]! - times[0]!} ms`);
  });

  it("consumes a quorum queue named by the group, counting deliveries", async () => {
    const { broker } = t.broker();
    const group = unique("quorum-");
    const counts: (number | undefined)[] = [];
    broker.subscriber(unique("qq."), { group, queue: { type: "quorum", expires: 60_000 }, onError: "nack" })
      .handle((_b, ctx) => {
        counts.push(ctx.message.deliveryCount);
        if (counts.length < 2) throw new Error("once");
      });
    await using br = await t.start(broker);
    await br.publish("q", broker.allSubscribers()[0]!.channel);
    await until(() => counts.length === 2, "the redelivery");
    assert.deepEqual(counts, [1, 2]);
  });

  it("declares and consumes a stream queue", async () => {
    const { broker } = t.broker();
    const group = unique("stream-");
    const ch = unique("st.");
    const got = broker.subscriber(ch, { group, queue: { type: "stream" }, prefetch: 10 })
      .handle(() => {});
    await using br = await t.start(broker);
    await br.publish("s1", ch);
    await br.publish("s2", ch);
    await until(() => got.mock.calls.length === 2, "two stream entries");
    assert.deepEqual(got.mock.calls.map((c) => c.body), ["s1", "s2"]);
  });

  it("drains a queue filled before its subscriber started, acking every message", async () => {
    const queue = unique("q-backlog-");
    const { broker } = t.broker({
      declare: {
        queues: [{ name: queue, durable: false, autoDelete: true }],
        bindings: [{ queue, exchange: "amq.topic", routingKey: queue }],
      },
    });
    await using br = await t.start(broker);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => br.publish(i, queue)));
    // Deliveries right behind consume-ok (a full prefetch of them) must be acked like any other.
    let seen = 0;
    const late = broker.subscriber(queue, { queue: { name: queue, passive: true }, prefetch: 256 });
    late.handle(() => {
      seen++;
    });
    await late.start();
    await until(() => seen === 1000, "all 1000 messages of the backlog", 15_000);
  });
});
