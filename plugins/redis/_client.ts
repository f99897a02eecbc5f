/**
 * ioredis clients: loaded lazily, created with one set of settings, and watched so that an outage and the
 * reconnection show in the broker's log. ioredis reconnects by itself and re-subscribes Pub/Sub channels;
 * the consumers resume their loops.
 *
 * @module
 */

import { ConnectionError, type Logger } from "@sluice/core";
import { describeError, importClient } from "@sluice/core/kit";
import type { Redis } from "ioredis";
import { Buffer } from "node:buffer";
import type { Endpoint } from "./options.ts";
import { scrub, secretsOf } from "./_secrets.ts";

/** An ioredis client. */
export type Client = Redis;

/** The ioredis constructor. */
export type ClientClass = typeof Redis;

/** Loads ioredis, with an error that says how to install it. */
export async function loadClient(): Promise<ClientClass> {
  const module = await importClient("ioredis", () => import("ioredis"));
  return module.Redis;
}

/** What a client is for: the name shows in `CLIENT LIST` and in logs. */
export type Role = "commands" | "pubsub" | "consumer";

/** Creates a client (not yet connected) that logs its outages. */
export function createClient(
  Redis: ClientClass,
  at: Endpoint,
  role: Role,
  logger: Logger,
  extra: Record<string, unknown> = {},
): Client {
  const client = new Redis({
    host: at.host,
    port: at.port,
    username: at.username,
    password: at.password,
    db: at.db,
    tls: at.tls as never,
    protocol: 2,
    lazyConnect: true,
    connectionName: `sluice-${role}`,
    // Commands wait for a reconnection rather than fail after a few tries; blocking reads must never fail.
    maxRetriesPerRequest: role === "commands" ? 20 : null,
    enableAutoPipelining: role === "commands",
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    ...extra,
  });
  // The first listener. ioredis rejects the waiting commands with the error of a failed login, then emits it
  // here; their callers run later, so the error is clean before they, or the listeners below, see it.
  const secrets = secretsOf(at.password, client.options.password);
  client.on("error", (error: Error) => void scrub(error, secrets));
  let down = false;
  let ready = false;
  client.on("ready", () => {
    if (down) logger.info(`Reconnected to ${at.safeUrl} (${role} connection)`);
    down = false;
    ready = true;
  });
  client.on("error", (error: Error) => {
    if (!ready || down) return;
    logger.warn(`Redis ${role} connection to ${at.safeUrl} failed: ${describeError(error)}`);
  });
  client.on("close", () => {
    if (!ready || down || client.status === "end") return;
    down = true;
    logger.warn(`Lost the ${role} connection to ${at.safeUrl}; reconnecting`);
  });
  return client;
}

/** Connects a client; on failure disconnects it and throws a ConnectionError naming the likely cause. */
export async function open(client: Client, at: Endpoint): Promise<Client> {
  // The reason (a refused connection, WRONGPASS …) comes as an "error" event; connect() only says "closed".
  let reason: unknown;
  const remember = (error: unknown): void => void (reason = error);
  client.on("error", remember);
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    const cause = scrub(reason ?? error, secretsOf(at.password, client.options.password));
    const text = describeError(cause).replace(/\.+$/, "");
    const hint = /WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text)
      ? "Check the username and password"
      : /certificate|SSL|TLS|EPROTO/i.test(text)
      ? "Check the TLS settings (rediss:// and tls options)"
      : "Is Redis running and reachable there?";
    throw new ConnectionError(`Cannot connect to ${at.safeUrl}: ${text}. ${hint}`, { cause });
  } finally {
    client.off("error", remember);
  }
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
