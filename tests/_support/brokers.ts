/**
 * Real brokers for integration tests, runtime-neutral (Deno and Bun).
 *
 * Where a broker comes from, in order:
 *   1. `SLUICE_<NAME>_URL` (KAFKA, AMQP, NATS, REDIS, MQTT, SQS), e.g. after
 *      `scripts/brokers up && eval "$(scripts/brokers env)"`;
 *   2. else, when a Docker engine answers (DOCKER_HOST or /var/run/docker.sock): the broker's container of
 *      the current test run, found by its label (`scripts/containers up` or `run` started it), or else a
 *      container of this process started with testcontainers (tests/_support/containers.ts; image from
 *      `SLUICE_<NAME>_IMAGE` or the official one); `SLUICE_BROKERS_DOCKER=0` turns this step off;
 *   3. else `undefined`, after one loud line on stderr:
 *      `SKIP: no real redis: set SLUICE_REDIS_URL (or run scripts/brokers up)`.
 *      With `SLUICE_REQUIRE_BROKERS=1` (CI sets it) it throws instead, so the test file fails.
 *
 * Usage (top-level await works under `deno test` and `bun test`):
 *
 * ```ts
 * import { after, describe, it } from "node:test";
 * import { realBroker } from "../_support/brokers.ts";
 *
 * const redis = await realBroker("redis");
 * describe("redis smoke", { skip: redis ? false : "no real redis" }, () => {
 *   after(() => redis!.stop());
 *   it("round-trips", async () => {
 *     // connect a client to redis!.url ...
 *   });
 * });
 * ```
 *
 * Checked with Deno 2.9.6 and Bun 1.4.5: a suite with `{ skip: "reason" }` runs neither its body nor
 * its hooks in either runtime, so `redis!` inside it is safe. Deno reports the suite as "ignored";
 * Bun leaves it out of its counts silently (it prints `(skip)` only for a skipped `it`/`test`), which
 * is why realBroker prints its SKIP line.
 *
 * Calls are cached per broker name: a test process starts at most one container per broker. Each
 * call returns its own handle; `stop()` is idempotent and a container of this process is removed when
 * the last handle is stopped (one left by a killed process is removed by the next one that starts a
 * container). `stop()` on a broker from the environment or from the run's containers does nothing: it
 * belongs to whoever started it.
 */
import process from "node:process";
import net from "node:net";

export type BrokerName = "kafka" | "amqp" | "nats" | "redis" | "mqtt" | "sqs";

export interface RealBroker {
  readonly name: BrokerName;
  readonly url: string;
  stop(): Promise<void>;
}

export const BROKER_NAMES: readonly BrokerName[] = ["kafka", "amqp", "nats", "redis", "mqtt", "sqs"];

/** The environment variable that names the URL of a real `name` broker. */
export function brokerEnvVar(name: BrokerName): string {
  return `SLUICE_${name.toUpperCase()}_URL`;
}

/** What realBroker shares between the handles it returns for one broker. */
export interface Shared {
  url: string;
  refs: number;
  stopContainer?: () => Promise<void>;
}

const cache = new Map<BrokerName, Promise<Shared | undefined>>();

/**
 * The URL of a real broker for integration tests: from SLUICE_<NAME>_URL; else, if a Docker engine
 * answers, a testcontainers container; else undefined after printing one loud line naming the
 * variable ("SKIP: no real redis: set SLUICE_REDIS_URL (or run scripts/brokers up)"); with
 * SLUICE_REQUIRE_BROKERS=1 it throws instead.
 */
export async function realBroker(name: BrokerName): Promise<RealBroker | undefined> {
  if (!BROKER_NAMES.includes(name)) throw new TypeError(`unknown broker ${JSON.stringify(name)}`);
  let pending = cache.get(name);
  if (!pending) {
    pending = locateBroker(name, process.env);
    cache.set(name, pending);
    // A failure is not cached: a later call may try again (e.g. after the variable was set).
    pending.catch(() => cache.delete(name));
  }
  const shared = await pending;
  if (!shared) return undefined;
  shared.refs++;
  let stopped = false;
  return {
    name,
    url: shared.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      shared.refs--;
      if (shared.refs > 0 || !shared.stopContainer) return;
      if (cache.get(name) === pending) cache.delete(name);
      await shared.stopContainer();
    },
  };
}

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/**
 * The uncached lookup behind {@link realBroker}, reading `env` instead of `process.env`: exported for
 * this module's own tests. Test files should call realBroker.
 */
export async function locateBroker(name: BrokerName, env: Env): Promise<Shared | undefined> {
  const variable = brokerEnvVar(name);
  const fromEnv = env[variable]?.trim();
  if (fromEnv) return { url: fromEnv, refs: 0 };

  let why = "";
  if (env.SLUICE_BROKERS_DOCKER !== "0") {
    const docker = await dockerEndpoint(env);
    if (docker) {
      try {
        return await fromDocker(name, docker);
      } catch (err) {
        why = ` (a Docker engine answers at ${docker}, but no container could be started: ${
          err instanceof Error ? err.message : String(err)
        })`;
      }
    }
  }
  const hint = `set ${variable} (or run scripts/brokers up)${why}`;
  if (env.SLUICE_REQUIRE_BROKERS === "1") {
    throw new Error(`SLUICE_REQUIRE_BROKERS=1 but there is no real ${name}: ${hint}`);
  }
  console.warn(`SKIP: no real ${name}: ${hint}`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Docker detection

/** Where a Docker engine answers `GET /_ping` within a short time, else undefined. */
export async function dockerEndpoint(env: Env): Promise<string | undefined> {
  const candidates: Array<net.NetConnectOpts & { label: string }> = [];
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) {
    if (dockerHost.startsWith("unix://")) {
      candidates.push({ path: dockerHost.slice("unix://".length), label: dockerHost });
    } else if (dockerHost.startsWith("tcp://")) {
      const u = new URL(dockerHost.replace(/^tcp:/, "http:"));
      candidates.push({ host: u.hostname, port: Number(u.port || 2375), label: dockerHost });
    }
  } else {
    const home = env.HOME;
    const runtimeDir = env.XDG_RUNTIME_DIR;
    for (
      const path of [
        "/var/run/docker.sock",
        runtimeDir && `${runtimeDir}/docker.sock`,
        home && `${home}/.docker/run/docker.sock`,
      ]
    ) {
      if (path) candidates.push({ path, label: `unix://${path}` });
    }
  }
  for (const c of candidates) {
    if (await dockerPing(c)) return c.label;
  }
  return undefined;
}

function dockerPing(options: net.NetConnectOpts, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = "";
    let settled = false;
    const socket = net.connect(options);
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("connect", () => socket.write("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"));
    socket.on("data", (chunk: Uint8Array) => {
      answer += new TextDecoder().decode(chunk);
      if (/^HTTP\/1\.[01] 200/.test(answer)) done(true);
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(/^HTTP\/1\.[01] 200/.test(answer)));
  });
}

// ---------------------------------------------------------------------------------------------
// Containers (tests/_support/containers.ts; testcontainers is only loaded when one must be started)

/** Leftovers of killed runs are removed once per process, before its first container starts. */
let leftoversRemoved: Promise<unknown> | undefined;

async function fromDocker(name: BrokerName, docker: string): Promise<Shared> {
  const containers = await import("./containers.ts");
  const running = await containers.findRunContainer(docker, name);
  if (running) return { url: running.Labels[containers.LABEL_URL]!, refs: 0 };
  leftoversRemoved ??= containers.removeLeftovers(docker);
  await leftoversRemoved;
  const started = await containers.startBrokerContainer(name, {
    scope: "process",
    owner: containers.ownerLabel(process.pid),
  });
  console.warn(`started a ${name} container for this test process: ${containers.describeContainer(started)}`);
  return { url: started.url, refs: 0, stopContainer: () => started.remove() };
}

// ---------------------------------------------------------------------------------------------
// URL helpers for the raw clients

/** `kafka://host:port[,host:port...]` → `["host:port", ...]` as kafkajs wants its `brokers`. */
export function kafkaBrokers(url: string): string[] {
  return url.replace(/^kafka:\/\//, "").replace(/\/.*$/, "").split(",").filter(Boolean)
    .map((hostPort) => (/:\d+$/.test(hostPort) ? hostPort : `${hostPort}:9092`));
}

/**
 * `sqs://[key:secret@]host:port[?region=...&tls=1]` → an @aws-sdk/client-sqs configuration for an
 * SQS-compatible endpoint such as ElasticMQ (region "elasticmq", credentials "x"/"x" by default).
 */
export function sqsClientConfig(url: string): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  const u = new URL(url);
  const tls = u.searchParams.get("tls") === "1" || u.protocol === "sqss:";
  return {
    endpoint: `${tls ? "https" : "http"}://${u.hostname}:${u.port || (tls ? 443 : 9324)}`,
    region: u.searchParams.get("region") ?? "elasticmq",
    credentials: {
      accessKeyId: decodeURIComponent(u.username) || "x",
      secretAccessKey: decodeURIComponent(u.password) || "x",
    },
  };
}
