/**
 * ioredis clients: loaded lazily, created with one set of settings, and watched so that an outage and the
 * reconnection show in the broker's log. ioredis reconnects by itself and re-subscribes Pub/Sub channels;
 * the consumers resume their loops.
 *
 * @module
 */

import { ConnectionError, type Logger } from "@sluice/core";
import { describeError, importClient } from "@sluice/core/kit";
import type { Cluster, Redis } from "ioredis";
import type { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import type { Endpoint } from "./options.ts";
import { scrub, secretsOf } from "./_secrets.ts";

/**
 * An ioredis client: one server (directly or through Sentinel), or a Redis Cluster. Both speak the same
 * commands; a cluster routes each one to the node owning its key's slot.
 */
export type Client = Redis | Cluster;

/** The two ioredis constructors. */
export interface ClientClass {
  readonly Redis: typeof Redis;
  readonly Cluster: typeof Cluster;
}

/** Loads ioredis, with an error that says how to install it. */
export async function loadClient(): Promise<ClientClass> {
  const module = await importClient("ioredis", () => import("ioredis"));
  return { Redis: module.Redis, Cluster: module.Cluster };
}

/**
 * A client as the event emitter both kinds are: their own `on` overloads differ, so the union of the two
 * cannot call them directly.
 */
export function events(client: Client): EventEmitter {
  return client;
}

/** Whether a client is a Redis Cluster client. */
export function isCluster(client: Client): client is Cluster {
  return "nodes" in client && typeof client.nodes === "function";
}

/**
 * The keys matching a pattern (`SCAN ... MATCH`). In a cluster every master holds its own share of the
 * keys, so each one is scanned.
 */
export async function scanKeys(client: Client, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of isCluster(client) ? client.nodes("master") : [client]) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "MATCH", pattern, "COUNT", 100);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
  }
  return keys;
}

/** What a client is for: the name shows in `CLIENT LIST` and in logs. */
export type Role = "commands" | "pubsub" | "consumer";

/** Milliseconds before reconnection attempt `times` (from 1): doubling from 200 ms up to 5 s. */
export function retryDelay(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 6), 5000);
}

/** Creates a client (not yet connected) that logs its outages. */
export function createClient(
  library: ClientClass,
  at: Endpoint,
  role: Role,
  logger: Logger,
  extra: Record<string, unknown> = {},
): Client {
  const server = {
    username: at.username,
    password: at.password,
    tls: at.tls as never,
    protocol: 2 as const,
    connectionName: `sluice-${role}`,
    // Commands wait for a reconnection rather than fail after a few tries; blocking reads must never fail.
    maxRetriesPerRequest: role === "commands" ? 20 : null,
    retryStrategy: retryDelay,
  };
  const { topology } = at;
  const client: Client = topology.kind === "cluster"
    ? new library.Cluster(topology.nodes.map(({ host, port }) => ({ host, port })), {
      redisOptions: server,
      lazyConnect: true,
      enableAutoPipelining: role === "commands",
      clusterRetryStrategy: retryDelay,
      ...extra,
    })
    : new library.Redis({
      ...server,
      ...(topology.kind === "sentinel"
        ? {
          name: topology.name,
          sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
          sentinelUsername: topology.username,
          sentinelPassword: topology.password,
          sentinelTLS: at.tls as never,
          enableTLSForSentinelMode: at.tls !== undefined,
        }
        : { host: at.host, port: at.port }),
      db: at.db,
      lazyConnect: true,
      enableAutoPipelining: role === "commands",
      // The Pub/Sub connection renews its subscriptions itself after a reconnect (`_pubsub.ts`).
      autoResubscribe: role !== "pubsub",
      ...extra,
    });
  // The first listener. ioredis rejects the waiting commands with the error of a failed login, then emits it
  // here; their callers run later, so the error is clean before they, or the listeners below, see it.
  const secrets = secretsIn(client, at);
  events(client).on("error", (error: Error) => void scrub(error, secrets));
  let down = false;
  let ready = false;
  events(client).on("ready", () => {
    if (down) logger.info(`Reconnected to ${at.safeUrl} (${role} connection)`);
    down = false;
    ready = true;
  });
  events(client).on("error", (error: Error) => {
    if (!ready || down) return;
    logger.warn(`Redis ${role} connection to ${at.safeUrl} failed: ${describeError(error)}`);
  });
  events(client).on("close", () => {
    if (!ready || down || client.status === "end") return;
    down = true;
    logger.warn(`Lost the ${role} connection to ${at.safeUrl}; reconnecting`);
  });
  return client;
}

/** The passwords a client was given: the endpoint's, the Sentinels', and any set through `client` options. */
function secretsIn(client: Client, at: Endpoint): string[] {
  const options = isCluster(client) ? client.options.redisOptions : client.options;
  return secretsOf(
    at.password,
    at.topology.kind === "sentinel" ? at.topology.password : undefined,
    options?.password,
    isCluster(client) ? undefined : client.options.sentinelPassword,
  );
}

/** Connects a client; on failure disconnects it and throws a ConnectionError naming the likely cause. */
export async function open(client: Client, at: Endpoint): Promise<Client> {
  // The reason (a refused connection, WRONGPASS …) comes as an "error" event; connect() only says "closed".
  let reason: unknown;
  const remember = (error: unknown): void => void (reason = error);
  events(client).on("error", remember);
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    throw connectionFailure(at, scrub(reason ?? error, secretsIn(client, at)));
  } finally {
    events(client).off("error", remember);
  }
}

/** The error of a first connection that failed, naming the likely cause; `cause` is free of credentials. */
export function connectionFailure(at: Endpoint, cause: unknown): ConnectionError {
  const text = describeError(cause).replace(/\.+$/, "");
  const hint = /WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text)
    ? "Check the username and password"
    : /certificate|SSL|TLS|EPROTO/i.test(text)
    ? "Check the TLS settings (rediss:// and tls options)"
    : "Is Redis running and reachable there?";
  return new ConnectionError(`Cannot connect to ${at.safeUrl}: ${text}. ${hint}`, { cause });
}

/** Closes a client without waiting for a server that may be gone. */
export async function shut(client: Client | undefined): Promise<void> {
  if (!client || client.status === "end") return;
  try {
    if (client.status === "ready") {
      await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 1000))]);
    }
  } catch {
    // Already closing.
  }
  client.disconnect();
}

/** A Node Buffer as a plain Uint8Array over the same memory. */
export function bytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Bytes as a Node Buffer over the same memory: ioredis sends Buffers as they are but stringifies other arrays. */
export function buffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * `callBuffer` that survives auto-pipelining: ioredis 6 drops the command name when an auto-pipelined
 * client runs `callBuffer` (it re-adds it for `call` only), so this goes through an explicit pipeline.
 */
export async function callBuffer(
  client: Client,
  command: string,
  ...args: (string | number | Uint8Array)[]
): Promise<unknown> {
  const results = await client.pipeline().callBuffer(command, ...(args as string[])).exec();
  const [error, value] = results?.[0] ?? [new Error(`No reply to ${command}`), undefined];
  if (error) throw error;
  return value;
}
