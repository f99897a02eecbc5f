/**
 * The process of the secrets test: it tries each case of `FAULTS_SECRET_CASES` (JSON, see
 * {@linkcode SecretCase}) with debug logs on, and prints every way a user could show the error it got —
 * `console.error(error)`, `String`, `util.inspect` with hidden fields, the runtime's own inspector, JSON, and
 * each cause's message and stack — so that the test, which reads all of its stdout and stderr, finds a
 * planted secret wherever it leaks. One line `case <name>: ok` or `case <name>: failed <class>` per case.
 */
import process from "node:process";
import { inspect } from "node:util";
import { type Broker, type BrokerOptions, connect } from "@sluice/core";
import { kafka } from "@sluice/kafka";
import { mqtt } from "@sluice/mqtt";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { redis } from "@sluice/redis";
import { sqs } from "@sluice/sqs";

/** One way of passing credentials, right or wrong. */
export interface SecretCase {
  readonly name: string;
  /** `connect` goes through the core's `connect(url, options)`; the others call the plugin's factory. */
  readonly via: "connect" | "redis" | "nats" | "mqtt" | "rabbitmq" | "kafka" | "sqs";
  readonly url?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  /** Publish to this channel once connected (with `publish` options). */
  readonly channel: string;
  readonly publish?: Readonly<Record<string, unknown>>;
}

const FACTORIES: Record<Exclude<SecretCase["via"], "connect">, (options: never) => Broker> = {
  redis,
  nats,
  mqtt,
  rabbitmq,
  kafka,
  sqs,
};
const LIMIT = 30_000;

/** Every rendering of `error` a user may print. */
function renderings(error: unknown): string[] {
  const out: string[] = [String(error), inspect(error, { depth: 10, showHidden: true })];
  type Inspector = { inspect(value: unknown, options?: { depth?: number }): string };
  const runtime = globalThis as { Deno?: Inspector; Bun?: Inspector };
  out.push((runtime.Deno ?? runtime.Bun)?.inspect(error, { depth: 10 }) ?? "");
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    let json: string;
    try {
      json = JSON.stringify(e) ?? "";
    } catch (cycle) {
      json = `(not JSON: ${String(cycle)})`;
    }
    out.push(String(e), json);
    if (e instanceof Error) out.push(e.message, e.stack ?? "");
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    const error = new Error(`${what} did not settle in ${LIMIT} ms`);
    error.name = "NotSettled";
    timer = setTimeout(() => reject(error), LIMIT);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function attempt(c: SecretCase): Promise<void> {
  const base: BrokerOptions = { logLevel: "debug" };
  let broker: Broker | undefined;
  const started = performance.now();
  try {
    if (c.via === "connect") {
      broker = await within(connect(c.url!, { ...base, ...c.options }), "connect()");
    } else {
      broker = FACTORIES[c.via]({ ...base, ...c.options } as never);
      await within(broker.connect(), "broker.connect()");
    }
    await within(broker.publish({ hello: c.name }, c.channel, c.publish ?? {}), "publish()");
    console.log(`case ${c.name}: ok`);
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    console.log(`case ${c.name}: failed ${(error as Error)?.name ?? typeof error} in ${ms} ms`);
    console.error(error);
    for (const text of renderings(error)) console.log(text);
  } finally {
    await broker?.close().catch((error) => console.error(error));
  }
}

for (const c of JSON.parse(process.env.FAULTS_SECRET_CASES ?? "[]") as SecretCase[]) await attempt(c);
console.log("all cases done");
process.exit(0);
