// Redis Cluster: the broker reaches every slot through one seed node — Pub/Sub, lists (reliable, with the
// processing lists in the list's slot, recovered after a consumer dies), streams with consumer groups, and
// request/reply — against the three-master cluster of scripts/brokers.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "ioredis";
import { OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { redis, type RedisOptions } from "../mod.ts";
import { consumerProcess, unique, until } from "./_support.ts";
import { topologyUrl } from "./_topologies.ts";

const { url, skip } = topologyUrl("cluster");
const options = (more: RedisOptions = {}): RedisOptions => ({
  url,
  cluster: true,
  logLevel: "error",
  ...more,
});

describe("redis cluster (real)", { skip }, () => {
  let client: Cluster | undefined;
  const raw = (): Cluster => {
    const { hostname, port } = new URL(url!);
    return (client ??= new Cluster([{ host: hostname, port: Number(port) }], {
      redisOptions: { protocol: 2 },
    }));
  };
  after(() => client?.disconnect());

  /** Keys whose slots live on different masters (`CLUSTER KEYSLOT` spread over the slot range). */
  async function spread(prefix: string, count: number): Promise<string[]> {
    const masters = new Set<string>();
    const keys: string[] = [];
    const slots = await raw().cluster("SLOTS");
    const owner = (slot: number) => {
      const [, , node] = slots.find(([from, to]) => slot >= from && slot <= to)!;
      return `${node![0]}:${node![1]}`;
    };
    for (let i = 0; keys.length < count && i < 1000; i++) {
      const key = unique(`${prefix}${i}`);
      const node = owner(await raw().cluster("KEYSLOT", key) as number);
      if (masters.has(node) && masters.size < slots.length) continue;
      masters.add(node);
      keys.push(key);
    }
    assert.equal(masters.size, 3, "the keys spread over the three masters");
    return keys;
  }

  it("publishes to and consumes from Pub/Sub channels and patterns on any node", async () => {
    const channel = unique("events");
    const broker = redis(options());
    const exact: unknown[] = [];
    const pattern: string[] = [];
    broker.subscriber(channel).handle((body) => void exact.push(body));
    broker.subscriber(`${channel}.{kind}`).handle((_, ctx) => void pattern.push(ctx.path.kind));
    await using br = await testBroker(broker, { real: true });
    await br.publish({ n: 1 }, channel);
    await br.publish({}, `${channel}.created`);
    await br.publish({}, `${channel}.deleted`);
    await until(() => exact.length === 1 && pattern.length === 2, "both subscribers");
    assert.deepEqual(exact, [{ n: 1 }]);
    assert.deepEqual(pattern.sort(), ["created", "deleted"]);
  });

  it("consumes lists on every master reliably, with processing lists in each list's slot", async () => {
    const keys = await spread("jobs", 3);
    const broker = redis(options({ kind: "list" }));
    const seen = new Map<string, number[]>();
    const processing: string[] = [];
    for (const key of keys) {
      broker.subscriber(key, { list: { consumer: "c1" } }).handle(async (n) => {
        // EXISTS is routed by the key's slot (KEYS would ask one random master): the message being handled
        // waits in this list's processing list, on the list's own master.
        if (await raw().exists(`{${key}}:processing:c1`)) processing.push(key);
        seen.set(key, [...(seen.get(key) ?? []), n as number]);
      });
    }
    await using br = await testBroker(broker, { real: true });
    for (const key of keys) await br.broker.publishBatch([1, 2, 3, 4, 5], key);
    await until(() => keys.every((key) => seen.get(key)?.length === 5), "five messages on each list");
    for (const key of keys) assert.deepEqual(seen.get(key)!.sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual(
      [...new Set(processing)].sort(),
      [...keys].sort(),
      "a processing list in each list's slot",
    );
    await until(async () => (await raw().llen(`{${keys[0]}}:processing:c1`)) === 0, "every message settled");
    for (const key of keys) await raw().del(key);
  });

  it("recovers the processing list of a consumer killed mid-handler", async () => {
    const key = unique("reliable");
    const victim = consumerProcess({
      REDIS_URL: url!,
      CLUSTER: "1",
      KIND: "list",
      KEY: key,
      CONSUMER: "victim",
      RECOVER_AFTER: "600",
    });
    try {
      await until(() => victim.output().includes("ready"), "the consumer process to start", 20_000);
      const publisher = redis(options());
      await using pub = await testBroker(publisher, { real: true });
      await pub.broker.publishBatch([1, 2, 3], key, { list: true });
      await until(() => victim.output().includes("got ["), "the victim to take messages");
      await victim.kill();
      assert.ok(
        (await raw().llen(`{${key}}:processing:victim`)) > 0,
        "messages wait in the dead consumer's list",
      );
      const done: number[] = [];
      const rescuer = redis(options());
      rescuer.subscriber(key, { list: { consumer: "rescuer", recoverAfter: 600 } }).handle((n) => {
        done.push(n as number);
      });
      await using br = await testBroker(rescuer, { real: true });
      await until(() => done.length === 3, "all three handled after recovery", 10_000);
      assert.deepEqual(done.sort(), [1, 2, 3]);
      assert.equal(await raw().llen(`{${key}}:processing:victim`), 0);
      await br.close();
      await raw().del(key);
    } finally {
      await victim.kill();
    }
  });

  it("consumes streams on every master in one consumer group, and answers requests", async () => {
    const keys = await spread("orders", 3);
    const broker = redis(options({ kind: "stream" }));
    const seen: string[] = [];
    for (const key of keys) {
      broker.subscriber(key, { group: "billing", stream: { block: 200 } }).handle((body) => {
        seen.push((body as { key: string }).key);
        return { ok: true };
      });
    }
    await using br = await testBroker(broker, { real: true });
    for (const key of keys) await br.publish({ key }, key);
    await until(() => seen.length === 3, "one entry per stream");
    assert.deepEqual(seen.sort(), [...keys].sort());
    const reply = await br.broker.request({ key: keys[1] }, keys[1]!, { timeout: 5000 });
    assert.deepEqual(reply.body, { ok: true });
    for (const key of keys) await raw().del(key);
  });
});

describe("redis cluster options", () => {
  it("refuses a database other than 0, cluster with sentinel, and credentials in seed URLs", () => {
    assert.throws(() => redis({ url: "redis://127.0.0.1:7000/2", cluster: true }), (error: unknown) => {
      assert.ok(error instanceof OptionError);
      assert.match(error.message, /only database 0/);
      return true;
    });
    assert.throws(
      () => redis({ cluster: true, sentinel: "sluice" }),
      /choose cluster or sentinel, not both/,
    );
    assert.throws(
      () => redis({ cluster: ["redis://admin:s3cret-seed@127.0.0.1:7001"] }),
      (error: unknown) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, /give only host and port/);
        assert.doesNotMatch(error.message, /s3cret-seed/);
        return true;
      },
    );
    assert.throws(() => redis({ cluster: [] }), OptionError);
  });

  it("names the first seed node in its URL", () => {
    const broker = redis({ cluster: ["redis://127.0.0.1:7001", "redis://127.0.0.1:7002"], password: "p" });
    assert.equal(broker.driver.url, "redis://127.0.0.1:7001/0");
  });
});
