// A failed login must not leak the password: not in the error's message or stack, not in its cause chain
// (ioredis attaches the failed command, AUTH and its arguments, to its errors), not in what util.inspect,
// console.error or JSON.stringify print, and not in the logs. The tests run against a private redis-server
// with `requirepass` on a free loopback port, started and stopped here, and against the shared Redis.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { ConnectionError, createLogger } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";
import { Redis } from "ioredis";
import { redis, type RedisOptions } from "../mod.ts";
import { scrub, secretsOf } from "../_secrets.ts";
import { server, unique } from "./_support.ts";

if (server) after(() => server!.stop());

const PASSWORD = "the-right-pa55word";

const haveRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
if (!haveRedisServer) {
  console.warn("SKIP: redis password tests: no redis-server binary to start a private server");
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

/** Starts `redis-server --requirepass`; resolves once it accepts connections. */
async function startPrivateRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-redis-auth-"));
  const port = await freePort();
  const child: ChildProcess = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--requirepass",
    PASSWORD,
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.on("data", (chunk) => {
      output += String(chunk);
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited: ${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every way the error can be printed: its own text, each cause's, and the inspectors of the runtime. */
function renderings(error: unknown): string[] {
  const out: string[] = [String(error), inspect(error, { depth: 10, showHidden: true })];
  type Inspector = { inspect(value: unknown, options?: { depth?: number }): string };
  const runtime = globalThis as { Deno?: Inspector; Bun?: Inspector };
  if (runtime.Deno) out.push(runtime.Deno.inspect(error, { depth: 10 }));
  if (runtime.Bun) out.push(runtime.Bun.inspect(error, { depth: 10 }));
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    out.push(String(e), JSON.stringify(e) ?? "", inspect(e, { depth: 10 }));
    if (e instanceof Error) {
      out.push(e.message, e.stack ?? "", JSON.stringify(Object.getOwnPropertyDescriptors(e), replacer));
    }
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? String(value) : value;
}

/** Connects with `options`, expecting a failed login; returns the error and everything that was logged. */
async function failedLogin(options: RedisOptions): Promise<{ error: unknown; printed: string[] }> {
  const logs = captureLogs();
  const printed: string[] = [];
  const original = { error: console.error, warn: console.warn, log: console.log, info: console.info };
  for (const level of ["error", "warn", "log", "info"] as const) {
    console[level] = (...args: unknown[]) =>
      void printed.push(args.map((a) => inspect(a, { depth: 10 })).join(" "));
  }
  const broker = redis({
    connectTimeout: 2000,
    logger: createLogger({ level: "debug", sink: logs.sink }),
    ...options,
  });
  let error: unknown;
  try {
    await broker.connect();
  } catch (caught) {
    error = caught;
  } finally {
    Object.assign(console, original);
    await broker.close();
  }
  return { error, printed: [...printed, JSON.stringify(logs.records)] };
}

function assertSecret(planted: string, error: unknown, printed: string[]): void {
  assert.ok(error instanceof ConnectionError, `a ConnectionError, got ${inspect(error)}`);
  assert.match(error.message, /Check the username and password/);
  for (const text of [...renderings(error), ...printed]) {
    assert.ok(!text.includes(planted), `the password shows in: ${text}`);
  }
}

describe("scrubbing credentials from errors", () => {
  it("redacts AUTH arguments and a password quoted in the message, the stack or a cause", () => {
    // Built at run time: Bun prints the source line where an error was made, literals included.
    const secret = ["s3", "cr%t"].join("");
    const inner = Object.assign(new Error(`ERR AUTH ${secret} called without any password configured`), {
      command: { name: "AUTH", args: [secret] },
    });
    const outer = new Error(`login failed for ${encodeURIComponent(secret)}`, { cause: inner });
    scrub(outer, secretsOf(secret));
    assert.equal(outer.message, "login failed for [redacted]");
    assert.equal(inner.message, "ERR AUTH [redacted] called without any password configured");
    assert.deepEqual(inner.command, { name: "AUTH", args: ["[redacted]"] });
    for (const text of renderings(outer)) {
      assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), text);
    }
  });
});

describe("redis passwords stay secret (private redis-server)", {
  skip: haveRedisServer ? false : "no redis-server binary",
}, () => {
  let privateRedis: { url: string; stop(): Promise<void> };
  before(async () => (privateRedis = await startPrivateRedis()));
  after(() => privateRedis?.stop());

  it("keeps a wrong password from the URL out of the error, its causes and the logs", async () => {
    const planted = "planted-in-the-url-7f3a";
    const url = privateRedis.url.replace("redis://", `redis://:${planted}@`);
    const { error, printed } = await failedLogin({ url });
    assert.match((error as Error).message, new RegExp(privateRedis.url.replace(/[/.]/g, "\\$&")));
    assertSecret(planted, error, printed);
  });

  it("keeps a wrong password from the options out of the error, its causes and the logs", async () => {
    const planted = "planted-in-options-91bc";
    const { error, printed } = await failedLogin({ url: privateRedis.url, password: planted });
    assertSecret(planted, error, printed);
  });

  it("keeps a wrong password with a user name out of the error, its causes and the logs", async () => {
    const planted = "planted-with-user-44d0";
    const { error, printed } = await failedLogin({
      url: privateRedis.url,
      username: "default",
      password: planted,
    });
    assertSecret(planted, error, printed);
  });

  it("keeps the password out of the errors of publishes caught by a failed re-login", {
    timeout: 30_000,
  }, async () => {
    const logs = captureLogs();
    const broker = redis({
      url: privateRedis.url,
      password: PASSWORD,
      logger: createLogger({ level: "debug", sink: logs.sink }),
    });
    await broker.connect();
    const admin = new Redis(privateRedis.url, { password: PASSWORD, maxRetriesPerRequest: 1 });
    const changed = "the-new-pa55word";
    try {
      await broker.publish("before", unique("secret"), { list: true });
      // The password changes and the connection drops: the broker logs in again with the old password.
      await admin.call("CONFIG", "SET", "requirepass", changed);
      await admin.call("AUTH", changed);
      await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      let error: unknown;
      for (let i = 0; i < 50 && error === undefined; i++) {
        await broker.publish("after", unique("secret"), { list: true }).catch((e) => (error = e));
      }
      assert.ok(error !== undefined, "a publish failed once the password changed");
      for (const text of [...renderings(error), JSON.stringify(logs.records)]) {
        assert.ok(!text.includes(PASSWORD), `the password shows in: ${text}`);
      }
    } finally {
      await admin.call("CONFIG", "SET", "requirepass", PASSWORD).catch(() => undefined);
      admin.disconnect();
      await broker.close();
    }
  });
});

describe("redis passwords stay secret (real)", { skip: server ? false : "no real redis" }, () => {
  it("keeps the password of an unknown ACL user out of the error, its causes and the logs", async () => {
    const planted = "planted-for-a-ghost-c2e1";
    const { error, printed } = await failedLogin({
      url: server!.url,
      username: unique("ghost"),
      password: planted,
    });
    assertSecret(planted, error, printed);
  });
});
