/**
 * Secured brokers for tests: each broker with TLS only (a CA made with openssl for this run) and a user who
 * must log in, on free loopback ports, from the same plans as `scripts/brokers secured`
 * (scripts/brokers.d/secured/). One per test file: RabbitMQ and Kafka take seconds to start.
 *
 * They run where the plain broker is configured (`SLUICE_<NAME>_URL`), as every real-broker test does; where
 * a program is missing the suite skips with one loud line, or fails under `SLUICE_REQUIRE_BROKERS=1`.
 */
import process from "node:process";
import dns from "node:dns/promises";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { inspect } from "node:util";
import net from "node:net";
import { createLogger, type Logger } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";
import { createUser } from "@nats-io/nkeys";
import { makePki, type Pki } from "../../scripts/brokers.d/secured/pki.ts";
import {
  isReady,
  planSecured,
  PORTS_NEEDED,
  type SecuredName,
} from "../../scripts/brokers.d/secured/configs.ts";
import { dataDir, which } from "./private/_files.ts";
import { kafkaJars } from "./private/kafka.ts";
import { privateSkip } from "./private/mod.ts";
import { freePort, poll, Server } from "./private/_server.ts";
import { rmSync } from "node:fs";
import { join } from "node:path";

export type { SecuredName };

/** A secured broker of one test file. */
export interface SecuredBroker {
  readonly name: SecuredName;
  /** The TLS URL, without credentials (`rediss://127.0.0.1:PORT` …). */
  readonly url: string;
  readonly port: number;
  /** The CA certificate that signed the server's (PEM text), and its file. */
  readonly ca: string;
  readonly caFile: string;
  /** A CA certificate that signed nothing here (PEM text). */
  readonly wrongCa: string;
  readonly user: string;
  /** The user's password: a distinctive text, so that a leak of it anywhere is found. */
  readonly password: string;
  /** NATS only: the seed (`SU…`) of a user who logs in with an NKey. */
  readonly nkeySeed?: string;
  /** What the broker wrote last, for failure messages. */
  output(): string;
  /** Stops it and deletes its files. */
  dispose(): Promise<void>;
}

/** The `skip` option of a suite that needs a secured `name` (and openssl). */
export function securedSkip(name: SecuredName): string | false {
  const skip = privateSkip(name, `secured ${name} broker`);
  if (skip) return skip;
  if (!which("openssl")) {
    const why = "no openssl program to make the test CA";
    if (process.env.SLUICE_REQUIRE_BROKERS === "1") throw new Error(`SLUICE_REQUIRE_BROKERS=1 but ${why}`);
    console.warn(`SKIP: no secured ${name} broker: ${why}`);
    return why;
  }
  return false;
}

/** Starts a secured `name` broker; resolves once it serves TLS. */
export async function securedBroker(name: SecuredName): Promise<SecuredBroker> {
  const dir = dataDir(`secured-${name}`);
  const pki: Pki = makePki(join(dir, "pki"));
  const ports: number[] = [];
  while (ports.length < PORTS_NEEDED[name]) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const password = `Pl4nted-${name}-${random}`;
  const nkey = name === "nats" ? createUser() : undefined;
  const plan = planSecured(name, {
    dir: join(dir, "broker"),
    pki,
    ports,
    users: { user: "sluice", password, nkey: nkey?.getPublicKey() },
    which,
    kafkaJars: kafkaJars(),
    root: process.getuid?.() === 0,
  });
  const servers = plan.processes.map((p) =>
    new Server({
      label: p.label,
      command: p.command,
      args: p.args,
      env: p.env,
      readyTimeout: p.readyTimeout,
      stopTimeout: p.stopTimeout,
      ready: (timeout, output) => poll(() => isReady(p.ready, output(), pki.ca), timeout, p.label),
    })
  );
  const started: Server[] = [];
  try {
    for (const server of servers) {
      await server.start();
      started.push(server);
    }
  } catch (error) {
    for (const server of started.reverse()) await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const main = servers[servers.length - 1]!;
  let disposed = false;
  return {
    name,
    url: plan.url,
    port: plan.port,
    ca: readFileSync(pki.ca, "utf8"),
    caFile: pki.ca,
    wrongCa: readFileSync(pki.wrongCa, "utf8"),
    user: "sluice",
    password,
    nkeySeed: nkey ? new TextDecoder().decode(nkey.getSeed()) : undefined,
    output: () => main.output(),
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const server of [...servers].reverse()) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A name of this machine that resolves to 127.0.0.1 but is not in the server's certificate (which names
 * localhost and 127.0.0.1): connecting by it is connecting to the wrong host name. Undefined when there is
 * none (then the caller overrides the TLS server name instead).
 */
export async function wrongHostName(): Promise<string | undefined> {
  const name = hostname();
  if (!name || name === "localhost") return undefined;
  try {
    const { address } = await dns.lookup(name, { family: 4 });
    return address === "127.0.0.1" ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Every way an error can be shown: its text, stack, causes, `util.inspect`, the runtime's inspector, JSON. */
export function renderings(error: unknown): string[] {
  const out: string[] = [String(error), inspect(error, { depth: 10, showHidden: true })];
  type Inspector = { inspect(value: unknown, options?: { depth?: number }): string };
  const runtime = globalThis as { Deno?: Inspector; Bun?: Inspector };
  if (runtime.Deno) out.push(runtime.Deno.inspect(error, { depth: 10 }));
  if (runtime.Bun) out.push(runtime.Bun.inspect(error, { depth: 10 }));
  const seen = new Set<unknown>();
  for (
    let e: unknown = error;
    e !== undefined && e !== null && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    out.push(String(e), safeJson(e), inspect(e, { depth: 10, showHidden: true }));
    if (e instanceof Error) {
      out.push(e.message, e.stack ?? "", safeJson(Object.getOwnPropertyDescriptors(e)));
    }
    if (e instanceof AggregateError) { for (const inner of e.errors) out.push(...renderings(inner)); }
  }
  return out;
}

function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return String(v);
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[circular]";
        seen.add(v);
      }
      return v;
    }) ?? "";
  } catch (error) {
    return `[unserializable: ${(error as Error).message}]`;
  }
}

/** The first rendering of `error` (or of the logs) that contains `secret`, or undefined. */
export function leakOf(secret: string, texts: readonly string[]): string | undefined {
  const forms = [secret, encodeURIComponent(secret), btoa(secret)];
  return texts.find((text) => forms.some((form) => text.includes(form)));
}

/** A TCP relay to a broker that counts the connections made through it: a client that keeps retrying shows. */
export interface CountingProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Starts a relay on a free 127.0.0.1 port to 127.0.0.1:`target`. */
export function countingProxy(target: number): Promise<CountingProxy> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** What a failed connection left: the error, how long it took, what was logged or printed meanwhile. */
export interface Failure {
  readonly error: unknown;
  readonly ms: number;
  /** Log records (JSON) and console output during the attempt. */
  readonly printed: string[];
}

/**
 * Runs `attempt` (which connects and is expected to fail) with the console captured and a logger whose records
 * are kept; the logger is handed to `attempt`.
 */
export async function failure(
  attempt: (logger: Logger) => Promise<unknown>,
): Promise<Failure> {
  const logs = captureLogs();
  const printed: string[] = [];
  const original = { error: console.error, warn: console.warn, log: console.log, info: console.info };
  for (const level of ["error", "warn", "log", "info"] as const) {
    console[level] = (...args: unknown[]) =>
      void printed.push(args.map((a) => inspect(a, { depth: 10 })).join(" "));
  }
  const started = performance.now();
  let error: unknown = undefined;
  try {
    await attempt(createLogger({ level: "debug", sink: logs.sink }));
  } catch (caught) {
    error = caught ?? new Error(`rejected with ${String(caught)}`);
  } finally {
    Object.assign(console, original);
  }
  const ms = performance.now() - started;
  if (error === undefined) throw new Error("the connection succeeded where it should have failed");
  return { error, ms, printed: [...printed, ...logs.records.map((r) => safeJson(r))] };
}
