// Shared by the feature tests: each runs on the emulation and, when a real Redis is there, on the server.
import process from "node:process";
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { Broker } from "@sluice/core";
import { realBroker } from "../../../tests/_support/brokers.ts";
import {
  redis,
  type RedisDriver,
  redisDriver,
  type RedisEmulation,
  redisEmulation,
  type RedisOptions,
} from "../mod.ts";

/** The real Redis, if any (skips loudly otherwise). */
export const server = await realBroker("redis");

/** Where a feature test runs. */
export interface Target {
  readonly name: string;
  readonly real: boolean;
  broker(options?: RedisOptions): Broker<RedisDriver>;
}

const emulations = new WeakMap<Broker, RedisEmulation>();

/**
 * A broker like `redis(options)` whose emulation, once `testBroker()` made it, {@linkcode emulation} finds:
 * the broker does not show the driver a test put in place.
 */
function emulated(options: RedisOptions): Broker<RedisDriver> {
  const broker: Broker<RedisDriver> = new Broker(redisDriver(options), options, () => {
    const made = redisEmulation(options);
    emulations.set(broker, made);
    return made;
  });
  return broker;
}

/** The emulation, and the real server when there is one. */
export const targets: Target[] = [
  { name: "emulation", real: false, broker: (options = {}) => emulated({ logLevel: "error", ...options }) },
  ...(server
    ? [{
      name: "real",
      real: true,
      broker: (options: RedisOptions = {}) => redis({ logLevel: "error", ...options, url: server.url }),
    }]
    : []),
];

/** A raw ioredis client on the real server. */
export function raw(db = 0): Redis {
  return new Redis(server!.url, { db, maxRetriesPerRequest: 1, protocol: 2 });
}

/** The emulation behind a started test broker of the emulation target. */
export function emulation(broker: Broker): RedisEmulation {
  const found = emulations.get(broker);
  if (!found) throw new Error("No emulation: start the broker with testBroker() first");
  return found;
}

/** A unique name. */
export function unique(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Waits until `condition` holds. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeout = 8000,
): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts `tests/fixtures/consumer.ts` in a fresh process of the same runtime; resolves it with its output. */
export function consumerProcess(env: Record<string, string>): {
  output: () => string;
  kill: () => Promise<void>;
} {
  const script = new URL("./fixtures/consumer.ts", import.meta.url).pathname;
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  const args = isDeno ? ["run", "-A", script] : [script];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk) => (out += String(chunk)));
  child.stderr!.on("data", (chunk) => (out += String(chunk)));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    output: () => out,
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
