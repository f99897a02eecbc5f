// Lists as queues: messages wait for a consumer, batch publishing (one RPUSH) and batch pops, competing
// consumers, and reliable consumption — a consumer killed mid-handler loses nothing.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { consumerProcess, emulation, raw, server, targets, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

for (const target of targets) {
  describe(`redis lists (${target.name})`, () => {
    it("keeps messages published before anyone listens, and pops them in batches", async () => {
      const key = unique("tasks");
      const publisher = target.broker();
      await using pub = await testBroker(publisher, { real: target.real });
      await pub.broker.publishBatch([1, 2, 3, 4, 5, 6, 7], key, { list: true });
      if (!target.real) {
        // Each emulation is its own Redis: check what waits, then consume from the same one.
        assert.equal(emulation(pub.broker).listLength(key), 7);
      }
      const consumerBroker = target.real ? target.broker() : publisher;
      const batches: number[][] = [];
      const sub = consumerBroker.subscriber(key, { list: true, batch: { size: 3, timeout: 50 } });
      sub.handle((rows) => {
        batches.push(rows as number[]);
      });
      if (target.real) {
        await using br = await testBroker(consumerBroker, { real: true });
        await until(() => batches.flat().length === 7, "seven rows");
        await br.close();
      } else {
        await sub.start();
        await until(() => batches.flat().length === 7, "seven rows");
        await sub.stop();
      }
      assert.deepEqual(batches.flat(), [1, 2, 3, 4, 5, 6, 7]);
      assert.ok(batches.some((b) => b.length > 1), "at least one batch of several");
      assert.ok(batches.every((b) => b.length <= 3));
    });

    it("returns a nacked message to the head of the list, counting the delivery", async () => {
      const key = unique("retry");
      const broker = target.broker();
      const seen: [unknown, boolean, number | undefined][] = [];
      broker.subscriber(key, { list: { consumer: "w1" }, onError: "nack", retry: { delay: 20 } })
        .handle((body, ctx) => {
          seen.push([body, ctx.message.redelivered, ctx.message.deliveryCount]);
          if (seen.length === 1) throw new Error("once");
        });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("job", key, { list: true });
      await until(() => seen.length === 2, "the redelivery");
      assert.deepEqual(seen, [["job", false, 1], ["job", true, 2]]);
      if (target.real) {
        const client = raw();
        await until(
          async () => (await client.llen(`${key}:processing:w1`)) === 0,
          "an empty processing list",
        );
        client.disconnect();
      }
    });
  });
}

describe("redis lists (real, killed process)", { skip: server ? false : "no real redis" }, () => {
  it("a consumer killed mid-handler loses nothing: its processing list is recovered", async () => {
    const key = unique("reliable");
    const victim = consumerProcess({
      REDIS_URL: server!.url,
      KIND: "list",
      KEY: key,
      CONSUMER: "victim",
      RECOVER_AFTER: "600",
    });
    const client = raw();
    try {
      await until(() => victim.output().includes("ready"), "the consumer process to start", 20_000);
      const publisher = targets[1]!.broker();
      await using pub = await testBroker(publisher, { real: true });
      await pub.broker.publishBatch([1, 2, 3], key, { list: true });
      await until(() => victim.output().includes("got ["), "the victim to take messages");
      await victim.kill();
      assert.ok(
        (await client.llen(`${key}:processing:victim`)) > 0,
        "messages wait in the dead consumer's list",
      );
      const done: number[] = [];
      const rescuer = targets[1]!.broker();
      rescuer.subscriber(key, { list: { consumer: "rescuer", recoverAfter: 600 } }).handle((n) => {
        done.push(n as number);
      });
      await using br = await testBroker(rescuer, { real: true });
      await until(() => done.length === 3, "all three handled after recovery", 10_000);
      assert.deepEqual(done.sort(), [1, 2, 3]);
      assert.equal(await client.llen(`${key}:processing:victim`), 0);
      await br.close();
      await client.del(key);
    } finally {
      client.disconnect();
      await victim.kill();
    }
  });
});
