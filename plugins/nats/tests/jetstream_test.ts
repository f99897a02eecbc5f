// JetStream features, each on the emulation and on a real nats-server: nak with delay and max deliver,
// ack wait and working(), term, de-duplication by message id, stream limits and replay, the three consumer
// modes.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats, working } from "../mod.ts";
import { removeTestStreams, targets, unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(async () => {
  if (server) await removeTestStreams(server.url, /^js[0-9a-z]+/);
  await server?.stop();
});

for (const target of targets(server?.url)) {
  describe(`nats jetstream (${target.name})`, () => {
    const make = () => nats({ servers: target.servers, logLevel: "error" });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it("sees a nacked message again after the delay, and no more after max deliver", async () => {
      const name = unique("js");
      const broker = make();
      const seen: number[] = [];
      broker.subscriber(`${name}.jobs`, {
        stream: { name, subjects: [`${name}.>`], storage: "memory" },
        consumer: { maxDeliver: 3 },
        ack: "manual",
      }).handle(async (_body, ctx) => {
        seen.push(Date.now());
        await ctx.message.nack({ delay: 300 });
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish({ job: 1 }, `${name}.jobs`);
      await until(() => seen.length === 3, 5000, "three deliveries");
      await pause(800);
      assert.equal(seen.length, 3, "delivered again after max deliver");
      assert.ok(seen[1]! - seen[0]! >= 250, `redelivered after ${seen[1]! - seen[0]!} ms, before the delay`);
      assert.ok(seen[2]! - seen[1]! >= 250);
    });

    it("redelivers a message not acked within the ack wait, unless the handler says it is working", async () => {
      const name = unique("js");
      const broker = make();
      const deliveries: { body: string; redelivered: boolean }[] = [];
      broker.subscriber(`${name}.slow`, {
        stream: { name, subjects: [`${name}.>`], storage: "memory" },
        consumer: { ackWait: 1000 },
        ack: "manual",
        concurrency: 2,
      }).handle(async (body: unknown, ctx) => {
        deliveries.push({ body: body as string, redelivered: ctx.message.redelivered });
        if (body === "forgotten") {
          if (ctx.message.redelivered) await ctx.message.ack();
          return; // first delivery: never acked
        }
        for (let i = 0; i < 4; i++) {
          await pause(400);
          working(ctx.message);
        }
        await ctx.message.ack();
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("forgotten", `${name}.slow`);
      await br.publish("long", `${name}.slow`);
      await until(
        () => deliveries.filter((d) => d.body === "forgotten").length === 2,
        5000,
        "the redelivery",
      );
      await pause(1200);
      assert.deepEqual(deliveries.filter((d) => d.body === "forgotten").map((d) => d.redelivered), [
        false,
        true,
      ]);
      assert.equal(
        deliveries.filter((d) => d.body === "long").length,
        1,
        "a working handler lost its message",
      );
    });

    it("terminates a rejected message: it is not delivered again", async () => {
      const name = unique("js");
      const broker = make();
      let calls = 0;
      broker.subscriber(`${name}.bad`, { stream: { name, subjects: [`${name}.>`], storage: "memory" } })
        .handle(() => {
          calls++;
          throw new Error("poison");
        });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("x", `${name}.bad`);
      await until(() => calls === 1);
      await pause(500);
      assert.equal(calls, 1);
    });

    it("drops a repeated message id within the duplicate window", async () => {
      const name = unique("js");
      const broker = make();
      const bodies: unknown[] = [];
      broker.subscriber(`${name}.orders`, {
        stream: { name, subjects: [`${name}.>`], duplicateWindow: 60_000 },
      })
        .handle((body) => void bodies.push(body));
      await using br = await testBroker(broker, { real: target.real });
      await br.publish({ n: 1 }, `${name}.orders`, { msgId: "order-1" });
      await br.publish({ n: 1 }, `${name}.orders`, { msgId: "order-1" });
      await br.publish({ n: 2 }, `${name}.orders`, { msgId: "order-2" });
      await until(() => bodies.length === 2);
      await pause(300);
      assert.deepEqual(bodies, [{ n: 1 }, { n: 2 }]);
    });

    it("declares a stream with limits, and a new consumer replays what it kept", async () => {
      const name = unique("js");
      const publisher = nats({
        servers: target.servers,
        logLevel: "error",
        streams: [{ name, subjects: [`${name}.*`], maxMsgs: 2, storage: "memory" }],
      });
      const late: unknown[] = [];
      const broker = publisher;
      const sub = broker.subscriber(`${name}.events`, { stream: name, consumer: { deliverPolicy: "all" } });
      sub.handle((body) => void late.push(body));
      // Publish before the subscriber starts: the stream keeps the last two.
      await using br = await testBroker(broker, { real: target.real });
      await sub.stop();
      for (let i = 1; i <= 3; i++) await br.publish({ i }, `${name}.events`);
      const replay = broker.subscriber(`${name}.events`, {
        stream: name,
        consumer: { deliverPolicy: "all" },
      });
      const replayed: unknown[] = [];
      replay.handle((body) => void replayed.push(body));
      await replay.start();
      await until(() => replayed.length === 2, 5000, "the replay");
      await pause(200);
      assert.deepEqual(replayed, [{ i: 2 }, { i: 3 }]);
      await replay.stop();
    });

    it("sends the acks of handled messages even when the broker closes at once: none comes again", async () => {
      // Acks are queued to the end of the macrotask and written together; closing must not lose them.
      const name = unique("js");
      const stream = { name, subjects: [`${name}.>`], storage: "memory" as const };
      const consumer = { durable: "once", ackWait: 500 };
      const count = 200;
      let handled = 0;
      let closing: Promise<void> | undefined;
      const broker = make();
      broker.subscriber(`${name}.once`, { stream, consumer, prefetch: 64 }).handle(() => {
        if (++handled === count) closing = br.close();
      });
      const br = await testBroker(broker, { real: target.real });
      await br.broker.publishBatch(Array.from({ length: count }, (_, i) => i), `${name}.once`);
      await until(() => closing !== undefined, 8000, `${count} messages handled`);
      await closing;
      const again: unknown[] = [];
      const second = make();
      second.subscriber(`${name}.once`, { stream, consumer }).handle((n: unknown) => void again.push(n));
      await using _br2 = await testBroker(second, { real: target.real });
      await pause(1200);
      assert.deepEqual(again, [], "acked messages were delivered again");
    });

    for (const mode of ["pull", "fetch", "push"] as const) {
      it(`consumes with a ${mode} consumer`, async () => {
        const name = unique("js");
        const broker = make();
        const got: number[] = [];
        broker.subscriber(`${name}.rows`, {
          stream: { name, subjects: [`${name}.>`], storage: "memory" },
          consumer: { mode, durable: "rows" },
          concurrency: 4,
        }).handle((n: unknown) => void got.push(n as number));
        await using br = await testBroker(broker, { real: target.real });
        await br.broker.publishBatch(Array.from({ length: 25 }, (_, i) => i), `${name}.rows`);
        await until(() => got.length === 25, 8000, "25 rows");
        await pause(200);
        assert.deepEqual(got.sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
      });
    }
  });
}
