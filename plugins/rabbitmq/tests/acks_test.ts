// Coalesced acks: a consumer's in-order acks leave as one `basic.ack` with `multiple` per turn of the event
// loop, never covering a delivery the core still holds. First the batching rules on a channel that records
// what it is asked to send, then the real broker: handlers that finish out of order, nacks among acks, and a
// second consumer that finds nothing left (every ack arrived, none covered an unsettled message).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import type { Channel, ConsumeMessage } from "amqplib";
import { silentLogger } from "@sluice/core";
import { rabbitmq } from "../mod.ts";
import { type Delivery, Settlements } from "../_acks.ts";
import { leftOver, pause, realUrl, targets, unique, until } from "./_targets.ts";

/** What a recording channel was asked to send: `ack 3+` is a multiple ack up to tag 3. */
function recorder(): { channel: Channel; sent: string[] } {
  const sent: string[] = [];
  const tag = (m: ConsumeMessage) => m.fields.deliveryTag;
  const channel = {
    ack: (m: ConsumeMessage, allUpTo = false) => void sent.push(`ack ${tag(m)}${allUpTo ? "+" : ""}`),
    nack: (m: ConsumeMessage) => void sent.push(`nack ${tag(m)}`),
    reject: (m: ConsumeMessage) => void sent.push(`reject ${tag(m)}`),
  } as unknown as Channel;
  return { channel, sent };
}

class Held implements Delivery {
  readonly raw: ConsumeMessage;
  settled = false;
  constructor(tag: number) {
    this.raw = { fields: { deliveryTag: tag } } as ConsumeMessage;
  }
}

function deliveries(on: Settlements, count: number): Held[] {
  const all = Array.from({ length: count }, (_, i) => new Held(i + 1));
  for (const d of all) on.track(d);
  return all;
}

function settle(on: Settlements, d: Held, how: "ack" | "nack" | "reject" = "ack"): void {
  d.settled = true;
  if (how === "ack") on.ack(d);
  else on.refuse(d, how === "nack");
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("coalesced acks", () => {
  it("sends acks settled in order as one multiple ack on the next turn of the event loop", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 10, (error) => assert.fail(String(error)));
    const [a, b, c] = deliveries(on, 3);
    settle(on, a!);
    settle(on, b!);
    settle(on, c!);
    assert.deepEqual(sent, [], "nothing is sent before the turn ends");
    await nextTurn();
    assert.deepEqual(sent, ["ack 3+"]);
    await nextTurn();
    assert.deepEqual(sent, ["ack 3+"], "sent once");
  });

  it("acks at once at a prefetch of 1, where no batch can form before the ack", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 1, (error) => assert.fail(String(error)));
    const [a] = deliveries(on, 1);
    settle(on, a!);
    assert.deepEqual(sent, ["ack 1"], "sent in the same turn");
    const b = new Held(2);
    on.track(b);
    settle(on, b);
    await nextTurn();
    assert.deepEqual(sent, ["ack 1", "ack 2"], "each alone, none again on the next turn");
  });

  it("acks a message at once, alone, while an older one is still held", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 10, (error) => assert.fail(String(error)));
    const [a, b, c] = deliveries(on, 3);
    settle(on, b!);
    assert.deepEqual(sent, ["ack 2"]);
    settle(on, a!);
    settle(on, c!);
    await nextTurn();
    assert.deepEqual(sent, ["ack 2", "ack 3+"], "the multiple ack covers 1 and 3; 2 was already settled");
  });

  it("sends nacks and rejects at once, and keeps batching the acks around them", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 10, (error) => assert.fail(String(error)));
    const [a, b, c, d] = deliveries(on, 4);
    settle(on, a!);
    settle(on, b!, "nack");
    settle(on, c!, "reject");
    settle(on, d!);
    assert.deepEqual(sent, ["nack 2", "reject 3"]);
    await nextTurn();
    assert.deepEqual(sent, ["nack 2", "reject 3", "ack 4+"]);
  });

  it("does not cover a held message with a multiple ack", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 10, (error) => assert.fail(String(error)));
    const [a, b, c] = deliveries(on, 3);
    settle(on, a!);
    settle(on, c!);
    await nextTurn();
    assert.deepEqual(sent, ["ack 3", "ack 1+"]);
    settle(on, b!, "nack");
    assert.deepEqual(sent, ["ack 3", "ack 1+", "nack 2"]);
  });

  it("sends the pending acks at once on flush(), before the channel closes", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 10, (error) => assert.fail(String(error)));
    const [a, b] = deliveries(on, 2);
    settle(on, a!);
    settle(on, b!);
    on.flush();
    assert.deepEqual(sent, ["ack 2+"]);
    await nextTurn();
    assert.deepEqual(sent, ["ack 2+"], "not sent again");
  });

  it("keeps only unsettled deliveries while an old one is held, and batches again once it settles", async () => {
    const { channel, sent } = recorder();
    const on = new Settlements(channel, 2, (error) => assert.fail(String(error)));
    const held = new Held(1);
    on.track(held);
    for (let tag = 2; tag <= 1000; tag++) {
      const d = new Held(tag);
      on.track(d);
      settle(on, d);
    }
    assert.equal(sent.length, 999, "each acked alone while message 1 is held");
    assert.ok(sent.every((s) => !s.endsWith("+")));
    settle(on, held);
    const next = new Held(1001);
    on.track(next);
    settle(on, next);
    await nextTurn();
    assert.deepEqual(sent.slice(999), ["ack 1001+"]);
  });

  it("reports a settlement the channel refuses and keeps going", async () => {
    const errors: unknown[] = [];
    const channel = {
      ack: () => {
        throw new Error("Channel closed");
      },
    } as unknown as Channel;
    const on = new Settlements(channel, 10, (error) => errors.push(error));
    const [a, b] = deliveries(on, 2);
    settle(on, b!);
    settle(on, a!);
    await nextTurn();
    assert.equal(errors.length, 2);
  });
});

describe("coalesced acks (real)", { skip: realUrl ? false : "no real RabbitMQ" }, () => {
  it("settles out-of-order handlers and nacks among acks; a later consumer finds nothing left", {
    timeout: 60_000,
  }, async () => {
    const channel = unique("acks.");
    const group = unique("acks-");
    const subscriber = { group, concurrency: 8, prefetch: 32, queue: { expires: 60_000 } };
    const count = 400;
    const acked = new Map<number, number>();
    const nacked = new Set<number>();

    const first = rabbitmq({ url: realUrl, logger: silentLogger });
    first.subscriber(channel, subscriber).handle(async (id, ctx) => {
      const n = id as number;
      await pause(n % 3); // handlers finish out of order
      if (n % 10 === 3 && !nacked.has(n)) {
        nacked.add(n);
        await ctx.message.nack();
        return;
      }
      acked.set(n, (acked.get(n) ?? 0) + 1);
    });
    await first.start();
    await Promise.all(Array.from({ length: count }, (_, id) => first.publish(id, channel)));
    try {
      await until(() => acked.size === count, `all ${count} messages acked`, 30_000);
    } finally {
      await first.close();
    }
    assert.equal(nacked.size, count / 10);
    const twice = [...acked].filter(([, times]) => times > 1).map(([id]) => id);
    assert.deepEqual(twice, [], "no acked message came back to the first consumer");

    assert.deepEqual(
      await leftOver(channel, subscriber),
      [],
      "every ack reached RabbitMQ before the first consumer closed",
    );
  });

  it("sends a message back to its queue when its delivery to the core rejects, and logs it", {
    timeout: 30_000,
  }, async () => {
    const channel = unique("acks.");
    const { broker, logs } = targets.find((t) => t.real)!.broker();
    // The core settles every message it is handed; a delivery that rejects is a crash between the two. It is
    // made here by wrapping the driver's subscribe: the first delivery rejects before the core sees it.
    const subscribe = broker.driver.subscribe.bind(broker.driver);
    let crashes = 1;
    broker.driver.subscribe = (spec, deliver) =>
      subscribe(spec, (message) => crashes-- > 0 ? Promise.reject(new Error("crashed")) : deliver(message));
    const seen: { body: unknown; redelivered: boolean }[] = [];
    broker.subscriber(channel, { queue: { expires: 60_000 } }).handle((body, ctx) =>
      void seen.push({ body, redelivered: ctx.message.redelivered })
    );
    await broker.start();
    try {
      await broker.publish({ id: 1 }, channel);
      await until(() => seen.length === 1, "the message, back from its queue");
      assert.deepEqual(seen, [{ body: { id: 1 }, redelivered: true }]);
      assert.match(logs.records.map((r) => r.message).join("\n"), /Delivering message .* failed: .*crashed/);
    } finally {
      await broker.close();
    }
  });
});
