/**
 * Opening MQTT.js connections: client options from the plugin's, the first connection awaited with a clear
 * error, and every later outage and reconnection reported through the broker's logger.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import process from "node:process";
import type { IClientOptions, MqttClient } from "mqtt";
import { ConnectionError, type Logger } from "@sluice/core";
import { describeError, importClient } from "@sluice/core/kit";
import type { ResolvedOptions } from "./options.ts";

type MqttModule = { connect(options: IClientOptions): MqttClient };

let loading: Promise<MqttModule> | undefined;

/** Loads MQTT.js once, with an error that says how to install it. */
export function loadMqtt(): Promise<MqttModule> {
  loading ??= importClient("mqtt", () => import("mqtt")).then((mod) => {
    const m = mod as unknown as MqttModule & { default?: MqttModule };
    return typeof m.connect === "function" ? m : m.default!;
  });
  return loading;
}

/**
 * Whether bytes are copied into a `Buffer` rather than viewed. In Bun (JavaScriptCore) reading `.buffer` of a
 * small typed array moves its bytes out of the garbage-collected heap, which costs more than a copy from the
 * buffer pool (≈0.6 against 0.3 µs for a 100-byte body, and it showed in the publish profile); in V8 a view
 * is the cheaper.
 */
const COPY = "Bun" in globalThis;

/** Bytes as MQTT.js wants them. */
export function toBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  return COPY ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** What differs between the publishing connection and a subscriber's. */
export interface ConnectionSpec {
  readonly clientId: string;
  readonly clean: boolean;
  /** MQTT 5 Receive Maximum: how many QoS 1/2 messages the broker may send before they are acknowledged. */
  readonly receiveMaximum?: number;
  /** MQTT 5 Session Expiry Interval, seconds. */
  readonly sessionExpiry?: number;
  /** With the will of the broker options. */
  readonly will?: boolean;
  /** Names the connection in logs. */
  readonly label: string;
}

/**
 * The log MQTT.js writes through: its own, `debug`'s `mqttjs:client`, only when `DEBUG` is set in the
 * environment (`DEBUG=mqttjs*` shows its lines as MQTT.js's users know them), else one that does nothing.
 * MQTT.js logs some thirty times a QoS 1 publish, and with nothing enabled each call still pays for
 * `debug`'s check and an array of its arguments: `debug` took 3.0 µs of a 31 µs publish under Node 24
 * (`bench/hot.ts` on `bench/mqtt/bench.ts sluice publish`), half as much with this log (the rest is
 * mqtt-packet's own, which no option reaches). An environment the runtime does not show counts as unset.
 */
export function mqttLog(): IClientOptions["log"] {
  try {
    if (process.env.DEBUG) return undefined;
  } catch {
    // Not shown: unset.
  }
  return quiet;
}

const quiet = (): void => {};

/** MQTT.js options for a connection. */
export function clientOptions(options: ResolvedOptions, spec: ConnectionSpec): IClientOptions {
  const v5 = options.protocolVersion === 5;
  const tls = typeof options.tls === "object" ? options.tls : {};
  const properties: NonNullable<IClientOptions["properties"]> = {};
  if (v5 && spec.receiveMaximum !== undefined) properties.receiveMaximum = spec.receiveMaximum;
  if (v5 && spec.sessionExpiry !== undefined) properties.sessionExpiryInterval = spec.sessionExpiry;
  const will = spec.will ? options.will : undefined;
  return {
    protocol: options.secure ? "mqtts" : "mqtt",
    host: options.hostname,
    port: options.port,
    protocolVersion: options.protocolVersion,
    clientId: spec.clientId,
    clean: spec.clean,
    username: options.username,
    password: options.password,
    keepalive: options.keepalive ?? 30,
    connectTimeout: options.connectTimeout ?? 10_000,
    reconnectPeriod: options.reconnectPeriod ?? 1000,
    resubscribe: true,
    log: mqttLog(),
    properties: v5 && Object.keys(properties).length > 0 ? properties : undefined,
    ...(options.secure
      ? {
        ca: tls.ca as IClientOptions["ca"],
        cert: tls.cert as IClientOptions["cert"],
        key: tls.key as IClientOptions["key"],
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        servername: tls.servername,
      }
      : {}),
    will: will
      ? {
        topic: will.topic,
        payload: typeof will.payload === "string" ? Buffer.from(will.payload) : toBuffer(will.payload),
        qos: will.qos ?? 1,
        retain: will.retain ?? false,
        properties: v5
          ? {
            contentType: will.contentType ??
              (typeof will.payload === "string" ? "text/plain" : "application/octet-stream"),
            ...(will.delay !== undefined ? { willDelayInterval: will.delay } : {}),
          }
          : undefined,
      }
      : undefined,
  };
}

function hint(error: unknown): string {
  const text = describeError(error);
  if (/not authori[sz]ed|bad user name|password/i.test(text)) return "Check the username and password";
  if (/ECONNREFUSED/.test(text)) return "Is the broker running?";
  if (/certificate|self.signed|SSL|TLS/i.test(text)) return "Check the TLS settings (ca, servername)";
  if (/timed out|timeout/i.test(text)) return "Is the host reachable and the port an MQTT listener?";
  return "Is the broker running?";
}

/**
 * Opens a connection and resolves once the broker accepted it (CONNACK); rejects with a
 * {@linkcode ConnectionError} naming the URL without credentials. `prepare` runs before any packet arrives.
 */
export async function openClient(
  options: ResolvedOptions,
  spec: ConnectionSpec,
  logger: Logger,
  prepare?: (client: MqttClient) => void,
): Promise<MqttClient> {
  const mqtt = await loadMqtt();
  const client = mqtt.connect(clientOptions(options, spec));
  prepare?.(client);
  await new Promise<void>((resolve, reject) => {
    let last: unknown;
    const timer = setTimeout(
      () => fail(last ?? new Error(`timed out after ${options.connectTimeout ?? 10_000} ms`)),
      (options.connectTimeout ?? 10_000) + 1000,
    );
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off("connect", onConnect);
      client.off("error", onError);
      client.off("close", onClose);
    };
    const fail = (error: unknown): void => {
      cleanup();
      client.end(true);
      reject(
        new ConnectionError(`Cannot connect to ${options.safeUrl}: ${describeError(error)}. ${hint(error)}`, {
          cause: error,
        }),
      );
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      last = error;
      // Errors that a retry cannot fix end the attempt at once.
      if (
        /not authori[sz]ed|bad user name|identifier rejected|certificate|unsupported protocol/i.test(
          error.message,
        )
      ) {
        fail(error);
      }
    };
    const onClose = (): void => fail(last ?? new Error("the connection was closed"));
    client.on("connect", onConnect);
    client.on("error", onError);
    client.on("close", onClose);
  });
  watch(client, options, spec, logger);
  return client;
}

/** Logs outages and reconnections; MQTT.js reconnects and resubscribes by itself. */
function watch(client: MqttClient, options: ResolvedOptions, spec: ConnectionSpec, logger: Logger): void {
  let lostAt: number | undefined;
  const fields = { url: options.safeUrl, connection: spec.label };
  client.on("error", (error) => {
    logger.warn(`MQTT connection ${spec.label} to ${options.safeUrl}: ${describeError(error)}`, fields);
  });
  client.on("offline", () => {
    if (lostAt !== undefined || client.disconnecting) return;
    lostAt = Date.now();
    logger.warn(
      `Lost the connection ${spec.label} to ${options.safeUrl}; reconnecting every ${
        options.reconnectPeriod ?? 1000
      } ms`,
      fields,
    );
  });
  client.on("connect", (connack) => {
    if (lostAt === undefined) return;
    const outage = Date.now() - lostAt;
    lostAt = undefined;
    logger.info(
      `Reconnected ${spec.label} to ${options.safeUrl} after ${outage} ms${
        connack.sessionPresent ? " (session resumed)" : " (subscriptions renewed)"
      }`,
      { ...fields, outage },
    );
  });
}

/** Closes a connection: politely, then by force if the broker does not answer within `timeout` ms. */
export async function closeClient(client: MqttClient, timeout = 2000): Promise<void> {
  if (client.disconnected) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    client.endAsync(false).catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout))),
  ]);
  clearTimeout(timer);
  if (!client.disconnected) await client.endAsync(true).catch(() => undefined);
}
