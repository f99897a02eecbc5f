// Redis Sentinel: the broker asks the Sentinels for the master (the shared set of scripts/brokers), and when
// the master dies it follows the failover to the promoted replica (a private master, replica and Sentinel
// started here on free ports) — messages published after the failover are consumed, none lost.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { redis, type RedisOptions } from "../mod.ts";
import { unique, until } from "./_support.ts";
import { SENTINEL_MASTER, topologyUrl } from "./_topologies.ts";

const { url, skip } = topologyUrl("sentinel");

describe("redis sentinel (real)", { skip }, () => {
  it("finds the master through the Sentinel and consumes streams and Pub/Sub there", async () => {
    const key = unique("orders");
    const broker = redis({ url, sentinel: SENTINEL_MASTER, kind: "stream", logLevel: "error" });
    const entries: unknown[] = [];
    const events: unknown[] = [];
    broker.subscriber(key, { group: "billing", stream: { block: 200 } }).handle((body) =>
      void entries.push(body)
    );
    broker.subscriber(`${key}.events`, { pubsub: true }).handle((body) => void events.push(body));
    await using br = await testBroker(broker, { real: true });
    await br.publish({ n: 1 }, key);
    await br.publish({ n: 2 }, `${key}.events`, { pubsub: true });
    await until(() => entries.length === 1 && events.length === 1, "the entry and the event");
    assert.deepEqual([entries, events], [[{ n: 1 }], [{ n: 2 }]]);
    const sentinel = new Redis(url!);
    try {
      const [host, port] = await sentinel.call(
        "SENTINEL",
        "get-master-addr-by-name",
        SENTINEL_MASTER,
      ) as string[];
      const master = new Redis({ host, port: Number(port) });
      assert.equal(await master.xlen(key), 1, "the entry is on the master the Sentinel names");
      await master.del(key);
      master.disconnect();
    } finally {
      sentinel.disconnect();
    }
  });
});

describe("redis sentinel failover (real, private servers)", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-sentinel-"));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (args: string[]): ChildProcess => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    children.push(child);
    return child;
  };

  it("follows a failover to the promoted replica, and consumes what is published after it", async () => {
    const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
    // Replication over the socket alone, at once: a sync through the disk waited on a CI machine busy writing
    // images until the test's 20 s ran out (once, under Bun); and 45 s now, which a passing run never waits.
    const diskless = "--repl-diskless-sync yes --repl-diskless-sync-delay 0 --repl-diskless-load on-empty-db";
    const storage = ["--save", "", "--appendonly", "no", "--dir", dir, ...diskless.split(" ")];
    const common = ["--bind", "127.0.0.1", ...storage];
    const master = start(["--port", String(masterPort), ...common]);
    start(["--port", String(replicaPort), "--replicaof", "127.0.0.1", String(masterPort), ...common]);
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `bind 127.0.0.1`,
        `port ${sentinelPort}`,
        `dir ${dir}`,
        `sentinel monitor private 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds private 1000`,
        `sentinel failover-timeout private 5000`,
      ].join("\n"),
    );
    start([conf, "--sentinel"]);
    await until(() => replicaInSync(replicaPort), "the replica to sync with the master", 45_000);
    await until(() => sentinelKnows(sentinelPort, replicaPort), "the Sentinel to find the replica", 45_000);

    const key = unique("jobs");
    const options: RedisOptions = {
      url: `redis://127.0.0.1:${sentinelPort}`,
      sentinel: "private",
      kind: "stream",
      logLevel: "error",
    };
    const broker = redis(options);
    const seen: number[] = [];
    broker.subscriber(key, { group: "workers", stream: { block: 200, consumer: "w1" } }).handle((n) => {
      seen.push(n as number);
    });
    await using br = await testBroker(broker, { real: true });
    for (let n = 1; n <= 5; n++) await br.publish(n, key);
    await until(() => seen.length === 5, "the first five before the failover");
    await until(() => replicaHas(replicaPort, key, 5), "the replica to hold the five entries");

    master.kill("SIGKILL");
    await until(() => isMaster(replicaPort), "the Sentinel to promote the replica", 30_000);
    for (let n = 6; n <= 10; n++) await br.publish(n, key);
    await until(() => seen.length >= 10, "the five published after the failover", 30_000);
    assert.deepEqual([...new Set(seen)].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe("redis sentinel options", () => {
  it("refuses credentials in Sentinel URLs without showing them, and an empty master name", () => {
    assert.throws(
      () => redis({ sentinel: { name: "m", sentinels: ["redis://:hunter2-sentinel@127.0.0.1:26379"] } }),
      (error: unknown) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, /sentinel\.username\/password/);
        assert.doesNotMatch(error.message, /hunter2-sentinel/);
        return true;
      },
    );
    assert.throws(() => redis({ sentinel: "" }), OptionError);
    assert.throws(
      () => redis({ sentinel: { name: "m", sentinal: [] } as never }),
      /did you mean "sentinels"/,
    );
  });

  it("names the first Sentinel in its URL", () => {
    const broker = redis({ sentinel: { name: "m", sentinels: ["redis://127.0.0.1:26380"] }, db: 3 });
    assert.equal(broker.driver.url, "redis://127.0.0.1:26380/3");
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ask<T>(port: number, question: (client: Redis) => Promise<T>): Promise<T | undefined> {
  const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return await question(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function replicaInSync(port: number): Promise<boolean> {
  const info = await ask(port, (c) => c.info("replication"));
  return info?.includes("master_link_status:up") ?? false;
}

async function sentinelKnows(port: number, replicaPort: number): Promise<boolean> {
  const replicas = await ask(port, (c) => c.call("SENTINEL", "replicas", "private") as Promise<string[][]>);
  return replicas?.some((fields) => fields.includes(`127.0.0.1:${replicaPort}`)) ?? false;
}

async function replicaHas(port: number, key: string, length: number): Promise<boolean> {
  return (await ask(port, (c) => c.xlen(key))) === length;
}

async function isMaster(port: number): Promise<boolean> {
  const role = await ask(port, (c) => c.call("ROLE") as Promise<unknown[]>);
  return role?.[0] === "master";
}
