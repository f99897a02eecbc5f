/**
 * `/ready` through a real broker outage: a redis-server of this test's own, on a free port, stopped and
 * started again (never the shared one).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { App } from "@sluice/core";
import { redis } from "@sluice/redis";
import { http } from "@sluice/http";

const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));

function skipReason(): string | false {
  const why = !process.env.SLUICE_REDIS_URL
    ? "no real Redis configured: set SLUICE_REDIS_URL (or run scripts/brokers up)"
    : REDIS_SERVER === undefined
    ? "no redis-server program (scripts/brokers up installs it)"
    : undefined;
  if (why === undefined) return false;
  if (process.env.SLUICE_REQUIRE_BROKERS === "1") throw new Error(`SLUICE_REQUIRE_BROKERS=1 but ${why}`);
  console.warn(`SKIP: the readiness outage test needs a private redis-server: ${why}`);
  return why;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => typeof address === "object" && address ? resolve(address.port) : reject());
    });
  });
}

/** A redis-server on `port`, started and stopped by the test. */
class PrivateRedis {
  readonly port: number;
  #child: ChildProcess | undefined;
  constructor(port: number) {
    this.port = port;
  }
  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER!, ["--port", String(this.port), "--bind", "127.0.0.1", "--save", ""], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 15_000);
      const look = (chunk: unknown) => {
        output += String(chunk);
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", look);
      child.stderr!.on("data", look);
      child.once("exit", () => reject(new Error(`redis-server exited:\n${output}`)));
    });
  }
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    this.#child = undefined;
  }
}

async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > end) throw new Error(`${what} not within 30 s; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("readiness through a Redis outage", { skip: skipReason() }, () => {
  let server: PrivateRedis;
  before(async () => {
    server = new PrivateRedis(await freePort());
    await server.start();
  });
  after(() => server?.stop());

  it("goes 503 naming the broker while Redis is down, and 200 again once it is back", async () => {
    const broker = redis({ url: `redis://127.0.0.1:${server.port}` });
    broker.subscriber("orders").handle(() => {});
    const app = new App(broker);
    const api = http(app, { readyTimeout: 500 });
    const ready = async () => {
      const response = await api.request("/ready");
      return { status: response.status, body: await response.json() };
    };
    await app.start();
    try {
      assert.equal((await ready()).status, 200);
      await server.stop();
      const down = await eventually(ready, (r) => r.status === 503, "503 after the outage");
      assert.equal(down.body.status, "unavailable");
      assert.equal(down.body.brokers.length, 1);
      const [redisReport] = down.body.brokers;
      assert.equal(redisReport.broker, "redis");
      assert.equal(redisReport.url, `redis://127.0.0.1:${server.port}/0`);
      assert.equal(redisReport.ready, false);
      assert.match(redisReport.reason, /ping/);
      assert.equal((await api.request("/health")).status, 200, "liveness stays up: a restart would not help");
      await server.start();
      await eventually(ready, (r) => r.status === 200, "200 after Redis is back");
    } finally {
      await app.stop();
    }
  });
});
