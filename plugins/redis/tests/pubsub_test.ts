// Pub/Sub: channels and patterns. `logs.{level}` subscribes with PSUBSCRIBE logs.* and captures the level;
// a raw glob works too; a message on a deeper channel does not match a one-level wildcard.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import {
  createLogger,
  type DroppedMessage,
  type IncomingMessage,
  type Middleware,
  SETTLED,
  silentLogger,
} from "@sluice/core";
import { encodeMessage, redisRules } from "../mod.ts";
import { PubSub, type PubSubConnection, type Receiver } from "../_pubsub.ts";
import { server, targets, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

describe("redis channel rules", () => {
  it("turns {params} into a one-level * and matches within a level", () => {
    assert.equal(redisRules.pattern("logs.{level}"), "logs.*");
    assert.ok(redisRules.matches("logs.*", "logs.info"));
    assert.ok(!redisRules.matches("logs.*", "logs.x.deep"));
    assert.ok(redisRules.matches("logs.?rror", "logs.error"));
    assert.ok(redisRules.matches("logs.[ew]*", "logs.warn"));
    assert.ok(!redisRules.matches("logs.[ew]*", "logs.info"));
    assert.ok(redisRules.matches("a.b", "a.b"));
  });
});

describe("redis pub/sub channel names", () => {
  it("reads a channel's name again when the client reuses the bytes it named one with", async () => {
    // The shared connection compares each channel's bytes with the last one's instead of decoding them; the
    // last ones must be a copy, or a client that fills the same memory with another name is not noticed.
    let receiver: Receiver | undefined;
    const connection: PubSubConnection = {
      ready: true,
      listen: (r) => void (receiver = r),
      subscribe: () => Promise.resolve(),
      unsubscribe: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const pubsub = new PubSub(connection, silentLogger);
    const seen: string[] = [];
    const deliver = (message: IncomingMessage) => (seen.push(message.channel), SETTLED);
    await pubsub.subscribe("aaa", deliver);
    await pubsub.subscribe("bbb", deliver);
    const body = encodeMessage({ body: new Uint8Array([1]), headers: {} });
    const channel = new TextEncoder().encode("aaa");
    receiver!.message(channel, body);
    channel.set(new TextEncoder().encode("bbb"));
    receiver!.message(channel, body);
    assert.deepEqual(seen, ["aaa", "bbb"]);
  });
});

for (const target of targets) {
  describe(`redis pub/sub (${target.name})`, () => {
    it("a pattern subscriber receives logs.* with the captured parameter", async () => {
      const root = unique("app");
      const broker = target.broker();
      const seen: [string, unknown][] = [];
      broker.subscriber(`${root}.logs.{level}`).handle((line, ctx) => {
        seen.push([ctx.path.level, line]);
      });
      const globbed: string[] = [];
      broker.subscriber(`${root}.logs.e*`).handle((_line, ctx) => void globbed.push(ctx.message.channel));
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("disk full", `${root}.logs.error`);
      await br.publish("started", `${root}.logs.info`);
      await br.publish("nested", `${root}.logs.x.deep`);
      await until(() => seen.length === 2 && globbed.length === 1, "two log lines");
      await new Promise((resolve) => setTimeout(resolve, target.real ? 200 : 20));
      assert.deepEqual(seen.sort(), [["error", "disk full"], ["info", "started"]]);
      assert.deepEqual(globbed, [`${root}.logs.error`]);
    });

    it("names each message's channel when messages on channels of one length alternate", async () => {
      const root = unique("ch");
      const broker = target.broker();
      const seen: [string, unknown][] = [];
      for (const name of ["a1", "a2", "b1"]) {
        broker.subscriber(`${root}.${name}`).handle((n, ctx) => void seen.push([ctx.message.channel, n]));
      }
      await using br = await testBroker(broker, { real: target.real });
      const order = ["a1", "a1", "a2", "a1", "b1", "b1", "a2"];
      for (const [i, name] of order.entries()) await br.publish(i, `${root}.${name}`);
      await until(() => seen.length === order.length, "every message");
      assert.deepEqual(seen, order.map((name, i) => [`${root}.${name}`, i]));
    });

    it("drops new messages past pubsub.maxPending while the handler is behind, and says how many", async () => {
      const channel = unique("flood");
      const warnings: string[] = [];
      const broker = target.broker({
        logger: createLogger({ level: "warn", sink: (record) => void warnings.push(record.message) }),
      });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: number[] = [];
      const buffers: ArrayBufferLike[] = [];
      const dropped: DroppedMessage[] = [];
      const counting: Middleware = { dropped: (message) => void dropped.push(message) };
      broker.subscriber(channel, { pubsub: { maxPending: 5 }, middlewares: [counting] }).handle(
        async (n, ctx) => {
          handled.push(n as number);
          buffers.push(ctx.message.raw.buffer);
          await gate;
        },
      );
      // A second subscriber of the channel, unbounded, on the same connection: once it has seen all 20, so has
      // the bounded one.
      let seen = 0;
      broker.subscriber(channel, { concurrency: 100 }).handle(() => void seen++);
      await using br = await testBroker(broker, { real: target.real });
      await broker.publishBatch(Array.from({ length: 20 }, (_, i) => i), channel);
      await until(() => seen === 20, "all 20 messages on the connection");
      // One in the handler, five waiting, fourteen dropped, each told to the subscriber's middlewares.
      assert.deepEqual(handled, [0]);
      assert.equal(dropped.length, 14);
      assert.deepEqual(dropped[0], { broker: "redis", subscriber: channel, channel });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, new RegExp(`subscriber ${channel} is 5 messages .* behind its handler`));
      release();
      await until(() => handled.length === 6, "the five that waited");
      // Caught up as the last one that waited was handed over.
      assert.equal(
        warnings.at(-1),
        `Redis Pub/Sub subscriber ${channel} caught up after dropping 14 messages`,
      );
      await br.publish(20, channel);
      await until(() => handled.length === 7, "a message after the handler caught up");
      assert.deepEqual(handled, [0, 1, 2, 3, 4, 5, 20]);
      assert.equal(warnings.length, 2);
      // Those that waited hold bytes of their own, not views of the chunk they came in with the dropped ones.
      assert.equal(new Set(buffers.slice(1, 6)).size, 5);
    });

    it("bounds the bytes that wait with pubsub.maxPendingBytes", async () => {
      const channel = unique("flood");
      const broker = target.broker();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: number[] = [];
      const body = (n: number): Uint8Array => new Uint8Array(1000).fill(n);
      // Room for two bodies of 1,000 bytes beyond the one in the handler, not three.
      broker.subscriber(channel, { pubsub: { maxPendingBytes: 2500 } }).handle(async (bytes) => {
        handled.push((bytes as Uint8Array)[0]!);
        await gate;
      });
      let seen = 0;
      broker.subscriber(channel, { concurrency: 100 }).handle(() => void seen++);
      await using _br = await testBroker(broker, { real: target.real });
      await broker.publishBatch(Array.from({ length: 6 }, (_, i) => body(i)), channel);
      await until(() => seen === 6, "all 6 messages on the connection");
      release();
      await until(() => handled.length === 3, "the two that waited");
      await new Promise((resolve) => setTimeout(resolve, target.real ? 100 : 20));
      assert.deepEqual(handled, [0, 1, 2]);
    });

    it("nack hands a Pub/Sub message to the handler again, in the process", async () => {
      const channel = unique("events");
      const broker = target.broker();
      const attempts: (number | undefined)[] = [];
      broker.subscriber(channel, { onError: "nack", retry: { delay: 10 } }).handle((_b, ctx) => {
        attempts.push(ctx.message.deliveryCount);
        if (attempts.length === 1) throw new Error("once");
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("x", channel);
      await until(() => attempts.length === 2, "the local redelivery");
      assert.deepEqual(attempts, [1, 2]);
    });
  });
}
