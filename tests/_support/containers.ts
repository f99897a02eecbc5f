/**
 * Brokers in Docker containers for integration tests, started with testcontainers.
 *
 * One recipe per broker (image, port, command, wait strategy), the official image unless
 * `SLUICE_<NAME>_IMAGE` names another (`scripts/images build` makes local ones). Every container:
 * - publishes its port on 127.0.0.1 only, on a host port chosen up front, so its URL survives a restart
 *   of the container (Kafka must advertise that port anyway);
 * - is ready only when the log line of its wait strategy appeared **and** a real request made with the
 *   client library the tests use succeeded (`scripts/brokers.d/ping.mjs`, the same probe as the native path);
 * - carries labels: `dev.sluice.broker=<name>`, `dev.sluice.scope` (`run`: started by `scripts/containers`
 *   for a whole test run and found by label from every test process; `process`: started by one test
 *   process for itself), `dev.sluice.owner` (host, pid and start time of the process whose life bounds the
 *   container's) and `dev.sluice.url`.
 *
 * The testcontainers reaper (Ryuk) is not used: it cannot be pulled on machines without a registry, and it
 * would remove a run's containers as soon as the process that started them exits. Instead, whoever starts
 * containers first removes the leftovers of dead owners (a run killed with SIGKILL), by label.
 *
 * The Docker API calls that need no testcontainers (list, remove) go over the engine's socket directly, so
 * finding a run's containers costs a test process one small request and works under Node too.
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import net from "node:net";
import os from "node:os";
import fs from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BrokerName } from "./brokers.ts";

export const LABEL_BROKER = "dev.sluice.broker";
export const LABEL_SCOPE = "dev.sluice.scope";
export const LABEL_OWNER = "dev.sluice.owner";
export const LABEL_URL = "dev.sluice.url";

export type Scope = "run" | "process";

/** The official image of each broker, used unless `SLUICE_<NAME>_IMAGE` is set. */
export const OFFICIAL_IMAGES: Readonly<Record<BrokerName, string>> = {
  kafka: "apache/kafka:3.9.1",
  amqp: "rabbitmq:3.13-alpine",
  nats: "nats:2.10-alpine",
  redis: "redis:7-alpine",
  mqtt: "eclipse-mosquitto:2",
  sqs: "softwaremill/elasticmq-native:latest",
};

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/** The variable that names the image of a broker: `SLUICE_REDIS_IMAGE`. */
export function imageEnvVar(name: BrokerName): string {
  return `SLUICE_${name.toUpperCase()}_IMAGE`;
}

/** The image a broker's container runs: `SLUICE_<NAME>_IMAGE`, else the official one. */
export function brokerImage(name: BrokerName, env: Env = process.env): string {
  return env[imageEnvVar(name)]?.trim() || OFFICIAL_IMAGES[name];
}

/** How to run one broker in a container. */
export interface Recipe {
  image: string;
  /** The port the broker listens on inside the container. */
  port: number;
  command?: string[];
  environment?: Record<string, string>;
  files?: Array<{ content: string; target: string }>;
  /** A log line that says the broker started (checked again after a restart). */
  ready: RegExp;
  url: string;
}

/**
 * The recipe of a broker published on 127.0.0.1:`hostPort`. The commands and files work with the official
 * images and with the images of `scripts/images build` alike (those accept the same interface).
 */
export function recipe(name: BrokerName, hostPort: number, env: Env = process.env): Recipe {
  const image = brokerImage(name, env);
  const at = `127.0.0.1:${hostPort}`;
  switch (name) {
    case "redis":
      return { image, port: 6379, ready: /Ready to accept connections/, url: `redis://${at}` };
    case "amqp":
      // The official image lets guest log in from outside the container (loopback_users.guest = false);
      // so does the local one. Clients come in through Docker's port proxy, never from the loopback.
      return {
        image,
        port: 5672,
        environment: { RABBITMQ_LOGS: "-" },
        ready: /Server startup complete/,
        url: `amqp://guest:guest@${at}`,
      };
    case "nats":
      return {
        image,
        port: 4222,
        command: ["-js", "-sd", "/tmp/nats"],
        ready: /Server is ready/,
        url: `nats://${at}`,
      };
    case "mqtt":
      // /mosquitto-no-auth.conf ships with the official image: `listener 1883` and `allow_anonymous true`.
      return {
        image,
        port: 1883,
        command: ["mosquitto", "-c", "/mosquitto-no-auth.conf"],
        ready: /mosquitto version \S+ running/,
        url: `mqtt://${at}`,
      };
    case "sqs":
      // Queue URLs name the address clients reach, so the host port goes into node-address; queue
      // definitions are stored, so queues survive a restart of the container as they do on AWS.
      return {
        image,
        port: 9324,
        files: [{
          target: "/opt/elasticmq.conf",
          content: [
            'include classpath("application.conf")',
            `node-address { protocol = http, host = "127.0.0.1", port = ${hostPort}, context-path = "" }`,
            'rest-sqs { enabled = true, bind-port = 9324, bind-hostname = "0.0.0.0", sqs-limits = strict }',
            "rest-stats { enabled = false }",
            "generate-node-address = false",
            'queues-storage { enabled = true, path = "/tmp/queues.conf" }',
            "aws { region = elasticmq, accountId = 000000000000 }",
            "",
          ].join("\n"),
        }],
        ready: /ElasticMQ server .*started/,
        url: `sqs://${at}`,
      };
    case "kafka":
      // The official image turns KAFKA_* variables into server.properties (KAFKA_NODE_ID → node.id); the
      // local image does the same. Clients are handed the advertised address: the host port itself.
      return {
        image,
        port: 9092,
        environment: {
          KAFKA_NODE_ID: "1",
          KAFKA_PROCESS_ROLES: "broker,controller",
          KAFKA_LISTENERS: "PLAINTEXT://:9092,CONTROLLER://:9093",
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${at}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
          KAFKA_INTER_BROKER_LISTENER_NAME: "PLAINTEXT",
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
          KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
          KAFKA_NUM_PARTITIONS: "3",
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
          KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: "3",
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: "true",
          KAFKA_HEAP_OPTS: "-Xms256m -Xmx512m",
        },
        ready: /Kafka Server started/,
        url: `kafka://${at}`,
      };
  }
}

// ---------------------------------------------------------------------------------------------
// The Docker engine

/** Where the Docker engine is, as a `DOCKER_HOST` value (`unix:///…` or `tcp://…`). */
export type Endpoint = string;

function connectOptions(endpoint: Endpoint): net.NetConnectOpts {
  if (endpoint.startsWith("unix://")) return { path: endpoint.slice("unix://".length) };
  const u = new URL(endpoint.replace(/^tcp:/, "http:"));
  return { host: u.hostname, port: Number(u.port || 2375) };
}

/** One request to the Docker API over HTTP/1.0 (the engine then ends the response by closing). */
export function dockerApi(
  endpoint: Endpoint,
  method: string,
  path: string,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const socket = net.connect(connectOptions(endpoint));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Docker at ${endpoint}: no answer to ${method} ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(`${method} ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
    socket.on("data", (chunk: Uint8Array) => void chunks.push(chunk));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`Docker at ${endpoint}: ${err.message}`));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = new TextDecoder().decode(Buffer.concat(chunks));
      const split = text.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: split < 0 ? "" : text.slice(split + 4) });
    });
  });
}

/** What the Docker API says about a container in a list. */
export interface ContainerSummary {
  Id: string;
  Image: string;
  State: string;
  Labels: Record<string, string>;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
}

/** The containers (running or not) carrying every one of `labels` (`key` or `key=value`). */
export async function listContainers(endpoint: Endpoint, labels: string[]): Promise<ContainerSummary[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: labels }));
  const { status, body } = await dockerApi(endpoint, "GET", `/containers/json?all=1&filters=${filters}`);
  if (status !== 200) {
    throw new Error(`Docker at ${endpoint}: listing containers answered ${status}: ${body}`);
  }
  return JSON.parse(body) as ContainerSummary[];
}

/** Removes a container, running or not, with its anonymous volumes; a missing one is not an error. */
export async function removeContainer(endpoint: Endpoint, id: string): Promise<void> {
  const { status, body } = await dockerApi(endpoint, "DELETE", `/containers/${id}?force=1&v=1`, 60_000);
  if (status !== 204 && status !== 404) {
    throw new Error(
      `Docker at ${endpoint}: removing container ${id.slice(0, 12)} answered ${status}: ${body}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Owners

/** The start time of a process in clock ticks since boot (Linux), so a recycled pid is not mistaken. */
function startTicks(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

/** The owner label of process `pid` on this host: `host:pid:start`. */
export function ownerLabel(pid: number): string {
  return `${os.hostname()}:${pid}:${startTicks(pid)}`;
}

/**
 * Whether the owner named by a label is gone. An owner on another host is never declared gone: its
 * containers are not ours to judge.
 */
export function ownerGone(label: string | undefined): boolean {
  const [host, pidText, ticks] = (label ?? "").split(":");
  if (host !== os.hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code === "ESRCH") return true;
  }
  return Boolean(ticks) && startTicks(pid) !== "" && startTicks(pid) !== ticks;
}

/** Removes every labelled container whose owner is gone (what a killed run left); returns them. */
export async function removeLeftovers(endpoint: Endpoint): Promise<ContainerSummary[]> {
  const gone = (await listContainers(endpoint, [LABEL_BROKER])).filter((c) =>
    ownerGone(c.Labels[LABEL_OWNER])
  );
  await Promise.all(gone.map((c) => removeContainer(endpoint, c.Id)));
  return gone;
}

/** The parent of a process (Linux), or undefined. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** The owner labels of this process and its ancestors, nearest first. */
function ancestry(): string[] {
  const labels: string[] = [];
  for (let pid: number | undefined = process.pid; pid && labels.length < 64; pid = parentOf(pid)) {
    labels.push(ownerLabel(pid));
  }
  return labels;
}

/**
 * The running container a test run started for `name` (scope `run`, live owner), if any. When several runs
 * share the engine, the one started by this process or its nearest ancestor wins (the `scripts/containers
 * run` or the shell that called `scripts/containers up` around this test process).
 */
export async function findRunContainer(
  endpoint: Endpoint,
  name: BrokerName,
  owner?: string,
): Promise<ContainerSummary | undefined> {
  const found = (await listContainers(endpoint, [`${LABEL_BROKER}=${name}`, `${LABEL_SCOPE}=run`]))
    .filter((c) => c.State === "running" && !ownerGone(c.Labels[LABEL_OWNER]));
  if (owner !== undefined) return found.find((c) => c.Labels[LABEL_OWNER] === owner);
  const lineage = ancestry();
  const rank = (c: ContainerSummary) => {
    const i = lineage.indexOf(c.Labels[LABEL_OWNER] ?? "");
    return i < 0 ? lineage.length : i;
  };
  return found.sort((a, b) => rank(a) - rank(b))[0];
}

// ---------------------------------------------------------------------------------------------
// Starting containers (testcontainers)

/** A broker container this process started. */
export interface BrokerContainer {
  readonly name: BrokerName;
  readonly id: string;
  readonly image: string;
  readonly url: string;
  /** `127.0.0.1:<host port>-><container port>/tcp` */
  readonly ports: string;
  /** Stops and starts the container (same host port, same data), then waits until the broker serves. */
  restart(): Promise<void>;
  /** Stops and removes the container. */
  remove(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => typeof address === "object" && address ? resolve(address.port) : reject());
    });
  });
}

const pingScript = fileURLToPath(new URL("../../scripts/brokers.d/ping.mjs", import.meta.url));

/** Waits until `url` serves a real request (the probe of `scripts/brokers`), run with this runtime. */
export function waitServing(name: BrokerName, url: string, timeoutSeconds = 120): Promise<void> {
  const runtime = process.execPath;
  const args = "Deno" in globalThis ? ["run", "--allow-all", pingScript] : [pingScript];
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, [...args, name, url, String(timeoutSeconds)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let errors = "";
    child.stderr!.on("data", (chunk: Uint8Array) => void (errors += new TextDecoder().decode(chunk)));
    child.on("error", reject);
    child.on(
      "close",
      (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`${name} container at ${url} does not serve: ${errors.trim()}`)),
    );
  });
}

/**
 * Starts a container for broker `name` through testcontainers, labelled with `scope` and `owner`, and waits
 * until it serves. The engine is the one testcontainers finds (`DOCKER_HOST`, then the usual sockets).
 */
export async function startBrokerContainer(
  name: BrokerName,
  options: { scope: Scope; owner: string; env?: Env; startupTimeoutMs?: number },
): Promise<BrokerContainer> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const hostPort = await freePort();
  const r = recipe(name, hostPort, options.env);

  // testcontainers publishes on every interface; the port bindings are narrowed to 127.0.0.1 just before
  // the container is created (the builder's documented extension point).
  class LoopbackContainer extends GenericContainer {
    protected override beforeContainerCreated(): Promise<void> {
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
        for (const binding of bindings as Array<{ HostIp?: string }>) binding.HostIp = "127.0.0.1";
      }
      return Promise.resolve();
    }
  }

  let builder = new LoopbackContainer(r.image)
    .withExposedPorts({ container: r.port, host: hostPort })
    .withLabels({
      [LABEL_BROKER]: name,
      [LABEL_SCOPE]: options.scope,
      [LABEL_OWNER]: options.owner,
      [LABEL_URL]: r.url,
    })
    .withAutoCleanup(false)
    .withWaitStrategy(Wait.forLogMessage(r.ready))
    .withStartupTimeout(options.startupTimeoutMs ?? 180_000);
  if (r.command) builder = builder.withCommand(r.command);
  if (r.environment) builder = builder.withEnvironment(r.environment);
  if (r.files) builder = builder.withCopyContentToContainer(r.files);
  let started;
  try {
    started = await builder.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`could not start a ${name} container from ${r.image}: ${message}`);
  }
  const container = started;
  try {
    await waitServing(name, r.url);
  } catch (err) {
    await container.stop({ remove: true }).catch(() => {});
    throw err;
  }
  return {
    name,
    id: container.getId(),
    image: r.image,
    url: r.url,
    ports: `127.0.0.1:${hostPort}->${r.port}/tcp`,
    async restart() {
      await container.restart({ timeout: 10 });
      await waitServing(name, r.url);
    },
    async remove() {
      await container.stop({ remove: true, timeout: 10 });
    },
  };
}

/** `redis  3f2a1b4c5d6e  sluice/redis:local  127.0.0.1:40123->6379/tcp  redis://127.0.0.1:40123` */
export function describeContainer(
  c: { name: string; id: string; image: string; ports: string; url: string },
): string {
  return `${c.name.padEnd(6)} ${c.id.slice(0, 12)}  ${c.image.padEnd(38)} ${c.ports.padEnd(28)} ${c.url}`;
}
