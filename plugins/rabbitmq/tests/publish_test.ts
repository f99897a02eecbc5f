// Publishing: AMQP properties, mandatory, confirms with a window, unknown exchanges, and request/reply over
// direct reply-to; on the emulation and the real broker.
import { it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { TimeoutError } from "@sluice/core";
import { TopologyError, UnroutableError } from "../mod.ts";
import { describeBoth, unique, until } from "./_targets.ts";

describeBoth("publishing", (t) => {
  it("fails a mandatory publish that no queue receives, and delivers a routable one", async () => {
    const { broker } = t.broker();
    const ch = unique("mandatory.");
    const got = broker.subscriber(ch).handle(() => {});
    await using br = await t.start(broker);
    await assert.rejects(br.publish("lost", unique("nobody."), { mandatory: true }), UnroutableError);
    await br.publish("kept", ch, { mandatory: true });
    await until(() => got.mock.calls.length === 1, "the routable message");
  });

  it("fails a publish to an exchange that does not exist, and keeps publishing afterwards", async () => {
    const { broker } = t.broker();
    const ch = unique("after.");
    const got = broker.subscriber(ch).handle(() => {});
    await using br = await t.start(broker);
    await assert.rejects(br.publish("x", "k", { exchange: unique("x-none-") }), TopologyError);
    await br.publish("still works", ch);
    await until(() => got.mock.calls.length === 1, "the next message");
  });

  it("publishes many messages at once through a small window of unconfirmed ones", async () => {
    const { broker } = t.broker({ publishWindow: 8 });
    const ch = unique("window.");
    let count = 0;
    broker.subscriber(ch, { prefetch: 100 }).handle(() => {
      count++;
    });
    await using br = await t.start(broker);
    await Promise.all(Array.from({ length: 2000 }, (_, i) => br.publish({ i, pad: "x".repeat(100) }, ch)));
    await until(() => count === 2000, "2000 messages", 20_000);
  });

  it("publishes a batch", async () => {
    const { broker } = t.broker();
    const ch = unique("batch.");
    const got = broker.subscriber(ch).handle(() => {});
    await using br = await t.start(broker);
    await br.broker.publishBatch([1, 2, 3], ch);
    await until(() => got.mock.calls.length === 3, "three messages");
    assert.deepEqual(got.mock.calls.map((c) => c.body), [1, 2, 3]);
  });

  it("rejects bad publish options naming the option", async () => {
    const { broker } = t.broker();
    await using br = await t.start(broker);
    await assert.rejects(br.publish("x", "k", { priority: 300 }), /priority must be .*255/);
  });

  it("answers 100 concurrent requests on one connection over direct reply-to, typed", async () => {
    const { broker } = t.broker();
    const ch = unique("square.");
    broker.subscriber(ch, { concurrency: 16 }).handle((n) => ({ square: (n as number) ** 2 }));
    await using br = await t.start(broker);
    const Square = type({ square: "number" });
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => br.broker.request(i, ch, { schema: Square, timeout: 10_000 })),
    );
    assert.deepEqual(replies.map((r) => r.body.square), Array.from({ length: 100 }, (_, i) => i * i));
    assert.ok(replies.every((r, i) => r.correlationId !== undefined && r.body.square === i * i));
  });

  it("times out a request nobody answers", async () => {
    const { broker } = t.broker();
    await using br = await t.start(broker);
    await assert.rejects(br.broker.request(1, unique("nobody."), { timeout: 200 }), TimeoutError);
  });

  it("replies to a reply-to queue through the default exchange, as FastStream and AMQP expect", async () => {
    const { broker } = t.broker();
    const ch = unique("rpc.");
    const replyQueue = unique("replies-");
    broker.subscriber(ch).handle((n) => (n as number) + 1);
    const replies = broker.subscriber(replyQueue, {
      exchange: "",
      queue: { name: replyQueue, durable: false, autoDelete: true },
    }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish(41, ch, { replyTo: replyQueue, correlationId: "c-1" });
    await until(() => replies.mock.calls.length === 1, "the reply in the reply-to queue");
    assert.equal(replies.mock.calls[0]!.body, 42);
    assert.equal(replies.mock.calls[0]!.correlationId, "c-1");
  });
});
