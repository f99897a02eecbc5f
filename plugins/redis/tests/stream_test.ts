// Streams: consumer groups created when missing (and a clear error when creation is off), claiming of
// entries left pending by a consumer that stopped or died, and trimming by MAXLEN on publish.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { consumerProcess, emulation, raw, server, targets, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

for (const target of targets) {
  describe(`redis streams (${target.name})`, () => {
    it("creates a missing consumer group, and names the group when creation is off", async () => {
      const key = unique("orders");
      const broker = target.broker();
      const seen: unknown[] = [];
      broker.subscriber(key, { stream: { group: "billing", block: 200 } }).handle((body) => {
        seen.push(body);
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish({ id: 1 }, key, { stream: true });
      await until(() => seen.length === 1, "the entry");
      assert.deepEqual(seen, [{ id: 1 }]);

      const strict = target.broker();
      strict.subscriber(key, { stream: { group: "nobody", createGroup: false } }).handle(() => {});
      await assert.rejects(testBroker(strict, { real: target.real }), (error: unknown) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, /consumer group "nobody" does not exist on stream/);
        assert.match(error.message, /XGROUP CREATE/);
        return true;
      });
    });

    it("claims entries left pending by a consumer that stopped mid-batch, nothing lost", async () => {
      const key = unique("jobs");
      const broker = target.broker({ kind: "stream" });
      const stuck: number[] = [];
      const done: number[] = [];
      const dead = broker.subscriber(key, {
        group: "workers",
        stream: { consumer: "a", claimIdle: false, block: 200 },
        batch: { size: 3, timeout: 50 },
      });
      dead.handle(async (bodies) => {
        stuck.push(...(bodies as number[]));
        await new Promise(() => {}); // dies holding the batch
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.broker.publishBatch([1, 2, 3], key);
      await until(() => stuck.length === 3, "the first consumer to take the batch");
      await dead.stop(10);
      const rescuer = broker.subscriber(key, {
        group: "workers",
        stream: { consumer: "b", claimIdle: 300, claimInterval: 50, block: 200 },
      });
      const claimed = rescuer.handle((n, ctx) => {
        assert.equal(ctx.message.redelivered, (n as number) <= 3);
        done.push(n as number);
      });
      await rescuer.start();
      await br.publish(4, key);
      await until(() => done.length === 4, "the claimed entries and the new one");
      assert.deepEqual(done.sort(), [1, 2, 3, 4]);
      assert.equal(claimed.mock.calls.length, 4);
      await rescuer.stop();
    });

    it("trims the stream to maxLen on publish", async () => {
      const key = unique("metrics");
      const broker = target.broker();
      await using br = await testBroker(broker, { real: target.real });
      for (let i = 0; i < 20; i++) {
        await br.publish({ i }, key, { stream: { maxLen: 5, approximate: false } });
      }
      if (target.real) {
        const client = raw();
        assert.equal(await client.xlen(key), 5);
        await client.del(key);
        client.disconnect();
      } else {
        assert.equal(emulation(br.broker).streamInfo(key)?.length, 5);
      }
    });
  });
}

describe("redis streams (real, killed process)", { skip: server ? false : "no real redis" }, () => {
  it("a consumer killed mid-batch leaves its entries pending; a second consumer claims them", async () => {
    const key = unique("killed");
    const victim = consumerProcess({
      REDIS_URL: server!.url,
      KIND: "stream",
      KEY: key,
      GROUP: "g",
      CONSUMER: "victim",
    });
    try {
      await until(() => victim.output().includes("ready"), "the consumer process to start", 20_000);
      // Only the victim is in the group when the batch arrives, so it surely holds it when it dies.
      const publisher = targets[1]!.broker();
      await using pub = await testBroker(publisher, { real: true });
      await pub.broker.publishBatch([1, 2, 3, 4, 5], key, { stream: true });
      await until(() => victim.output().includes("got ["), "the victim to hold a batch");
      await victim.kill();
      const client = raw();
      const pending = await client.xpending(key, "g") as [number, ...unknown[]];
      assert.ok(pending[0] > 0, "entries are pending after the kill");
      const broker = targets[1]!.broker();
      const done: number[] = [];
      broker.subscriber(key, {
        stream: { group: "g", consumer: "rescuer", claimIdle: 500, claimInterval: 100, block: 200 },
      }).handle((n) => {
        done.push(n as number);
      });
      await using _br = await testBroker(broker, { real: true });
      await until(() => done.length >= 5, "all five handled", 10_000);
      assert.deepEqual([...new Set(done)].sort(), [1, 2, 3, 4, 5]);
      await until(async () => ((await client.xpending(key, "g")) as [number])[0] === 0, "nothing pending");
      await client.del(key);
      client.disconnect();
    } finally {
      await victim.kill();
    }
  });
});
