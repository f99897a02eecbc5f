/**
 * Options of the MQTT plugin — of the broker, of a subscriber and of a publish — with their schemas, and URL
 * parsing that keeps credentials out of logs. Broker options are checked when the broker is created, a
 * subscriber's when it starts, a publish's when it is sent; a bad or unknown option fails with an
 * `OptionError` naming it.
 *
 * @module
 */

import { type } from "arktype";
import {
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISHER_OPTIONS,
  CORE_REQUEST_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  OptionError,
} from "@sluice/core";
import { type OptionsSchema, optionsSchema, parseOptions, redactUrl } from "@sluice/core/kit";

/** A quality of service level: 0 at most once, 1 at least once, 2 exactly once (between client and broker). */
export type QoS = 0 | 1 | 2;

/** TLS settings of an `mqtts://` connection (PEM strings or bytes). */
export interface MqttTlsOptions {
  /** Certificate authorities to trust, instead of the system's. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** The client certificate, for mutual TLS. */
  readonly cert?: string | Uint8Array;
  /** The client key, for mutual TLS. */
  readonly key?: string | Uint8Array;
  /** Verify the server certificate; true by default. */
  readonly rejectUnauthorized?: boolean;
  /** The server name to verify, when it differs from the host. */
  readonly servername?: string;
}

/** The last will: a message the broker publishes when the connection is lost without a clean disconnect. */
export interface MqttWill {
  /** Where the will is published. */
  readonly topic: string;
  /** The will's body: text or bytes. */
  readonly payload: string | Uint8Array;
  /** Its QoS; 1 by default. */
  readonly qos?: QoS;
  /** Publish it retained; false by default. */
  readonly retain?: boolean;
  /** MQTT 5: its content type; `text/plain` for a string, `application/octet-stream` for bytes by default. */
  readonly contentType?: string;
  /** MQTT 5: seconds the broker waits before publishing it (Will Delay Interval). */
  readonly delay?: number;
}

/** Options of an MQTT broker: the core's {@linkcode BrokerOptions} and MQTT's own. */
export interface MqttOptions extends BrokerOptions {
  /** `mqtt://[user:password@]host[:1883]` or `mqtts://…[:8883]`; `mqtt://localhost:1883` by default. */
  readonly url?: string;
  /** The protocol version: `"5"` (the default) or `"3.1.1"`, which cannot carry headers or reply topics. */
  readonly protocol?: "5" | "3.1.1";
  /** The client id of the publishing connection; a random one by default. Subscribers have their own. */
  readonly clientId?: string;
  /** The user name; overrides the URL's. */
  readonly username?: string;
  /** The password; overrides the URL's. Never logged. */
  readonly password?: string;
  /** TLS: `true` or settings; implied by `mqtts://`. */
  readonly tls?: boolean | MqttTlsOptions;
  /** Seconds between keep-alive pings; 30 by default. */
  readonly keepalive?: number;
  /** Milliseconds to wait for the first connection; 10 000 by default. */
  readonly connectTimeout?: number;
  /** Milliseconds between reconnection attempts after a connection is lost; 1000 by default. */
  readonly reconnectPeriod?: number;
  /** The QoS of subscriptions and publishes that do not say; 1 (at least once) by default. */
  readonly qos?: QoS;
  /** The last will of the publishing connection. */
  readonly will?: MqttWill;
}

/** Plugin options of an MQTT subscriber, beside the core's. */
export interface MqttSubscribeOptions {
  /** The maximum QoS the broker delivers this subscription with; the broker's `qos` (1) by default. */
  readonly qos?: QoS;
  /** A stable client id for this subscriber's connection; needed for a persistent session (`clean: false`). */
  readonly clientId?: string;
  /**
   * `false` keeps the session (subscription and QoS 1/2 messages) on the broker while the subscriber is
   * away, so it gets what it missed when it comes back; needs `clientId`. `true` by default.
   */
  readonly clean?: boolean;
  /** MQTT 5, with `clean: false`: seconds the broker keeps the session after a disconnect; never expires by default. */
  readonly sessionExpiry?: number;
  /** MQTT 5: 0 sends retained messages on subscribe (default), 1 only for a new subscription, 2 never. */
  readonly retainHandling?: 0 | 1 | 2;
}

/** Plugin options of an MQTT publish, beside the core's. */
export interface MqttPublishOptions {
  /** The QoS of this publish; the broker's `qos` (1) by default. */
  readonly qos?: QoS;
  /** Keep it as the topic's retained message, delivered to every later subscriber; an empty body clears it. */
  readonly retain?: boolean;
  /** MQTT 5: seconds after which the broker drops the message if it is not yet delivered. */
  readonly messageExpiry?: number;
}

const qos = "0 | 1 | 2";
const bytes = type.instanceOf(Uint8Array);
const pem = type("string").or(bytes);

const brokerShape = type({
  "url?": "string",
  "protocol?": "'5' | '3.1.1'",
  "clientId?": "string <= 65535",
  "username?": "string",
  "password?": "string",
  "tls?": type("boolean").or({
    "ca?": pem.or(pem.array()),
    "cert?": pem,
    "key?": pem,
    "rejectUnauthorized?": "boolean",
    "servername?": "string",
  }),
  "keepalive?": "0 <= number.integer <= 65535",
  "connectTimeout?": "number.integer > 0",
  "reconnectPeriod?": "number.integer > 0",
  "qos?": qos,
  "will?": {
    topic: "string > 0",
    payload: pem,
    "qos?": qos,
    "retain?": "boolean",
    "contentType?": "string",
    "delay?": "0 <= number.integer <= 4294967295",
  },
});

const subscribeShape = type({
  "qos?": qos,
  "clientId?": "string > 0",
  "clean?": "boolean",
  "sessionExpiry?": "0 <= number.integer <= 4294967295",
  "retainHandling?": "0 | 1 | 2",
});

const publishShape = type({
  "qos?": qos,
  "retain?": "boolean",
  "messageExpiry?": "0 <= number.integer <= 4294967295",
});

/** The option names of an object schema, so that each name is written in the schema only. */
function keysOf(shape: { readonly props: readonly { readonly key: string | symbol }[] }): string[] {
  return shape.props.map((prop) => String(prop.key));
}

/** The schema of an MQTT broker's options; the core's broker options are accepted beside them. */
export const brokerOptions: OptionsSchema<MqttOptions> = optionsSchema<MqttOptions>({
  what: "MQTT broker",
  keys: keysOf(brokerShape),
  schema: brokerShape,
  core: CORE_BROKER_OPTIONS,
});

/** The schema of an MQTT subscriber's options; the core's subscriber options are accepted beside them. */
export const subscribeOptions: OptionsSchema<MqttSubscribeOptions> = optionsSchema<MqttSubscribeOptions>({
  what: "MQTT subscriber",
  keys: keysOf(subscribeShape),
  schema: subscribeShape,
  core: CORE_SUBSCRIBER_OPTIONS,
});

/** The schema of an MQTT publish's options; the core's publish, publisher and request options beside them. */
export const publishOptions: OptionsSchema<MqttPublishOptions> = optionsSchema<MqttPublishOptions>({
  what: "MQTT publish",
  keys: keysOf(publishShape),
  schema: publishShape,
  core: [...new Set([...CORE_REQUEST_OPTIONS, ...CORE_PUBLISHER_OPTIONS])],
});

/**
 * The broker options an `mqtt://[user:password@]host[:port]` or `mqtts://…` URL carries: the URL itself, from
 * which the host, the port, TLS and the credentials are read (and never shown).
 *
 * @example
 * ```ts
 * import { optionsFromUrl } from "@sluice/mqtt";
 * optionsFromUrl(new URL("mqtts://ada:secret@broker.example:8883")); // { url: "mqtts://ada:secret@…" }
 * ```
 */
export function optionsFromUrl(url: URL | string): MqttOptions {
  return { url: String(url) };
}

/** Broker options after validation, with the URL parsed. */
export interface ResolvedOptions extends MqttOptions {
  /** The protocol version number MQTT.js expects: 5, or 4 for 3.1.1. */
  readonly protocolVersion: 4 | 5;
  /** `mqtt://host:port` or `mqtts://host:port`, without credentials. */
  readonly address: string;
  /** The URL for logs, errors and docs: no user name, no password. */
  readonly safeUrl: string;
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
  readonly qos: QoS;
}

/** Validates broker options and parses the URL; throws an {@linkcode OptionError} naming the bad option. */
export function resolveOptions(options: MqttOptions): ResolvedOptions {
  const valid = parseOptions(brokerOptions, options);
  const raw = valid.url ?? "mqtt://localhost:1883";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionError(
      `Invalid MQTT broker option url: "${redactUrl(raw)}" is not a URL (write mqtt://host:1883)`,
    );
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== "mqtt" && scheme !== "mqtts") {
    throw new OptionError(
      `Invalid MQTT broker option url: the scheme must be mqtt: or mqtts:, got ${scheme}:`,
    );
  }
  const secure = scheme === "mqtts" || valid.tls === true || typeof valid.tls === "object";
  const port = url.port ? Number(url.port) : secure ? 8883 : 1883;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost";
  const username = valid.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = valid.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const host = url.hostname || "localhost";
  return {
    ...valid,
    username,
    password,
    protocolVersion: valid.protocol === "3.1.1" ? 4 : 5,
    address: `${secure ? "mqtts" : "mqtt"}://${host}:${port}`,
    safeUrl: `${secure ? "mqtts" : "mqtt"}://${host}:${port}`,
    hostname,
    port,
    secure,
    qos: valid.qos ?? 1,
  };
}

/**
 * A subscriber's MQTT options, validated: the schema's checks, and `clean: false` only with a `clientId`, by
 * which the broker finds the session again.
 */
export function parseSubscribeOptions(options: MqttSubscribeOptions, channel: string): MqttSubscribeOptions {
  const valid = parseOptions(subscribeOptions, options, channel);
  if (valid.clean === false && valid.clientId === undefined) {
    throw new OptionError(
      `Subscriber ${channel}: clean: false needs a clientId, so the broker can find the session again`,
    );
  }
  return valid;
}

const NO_PUBLISH_OPTIONS: MqttPublishOptions = Object.freeze({});

/**
 * A publish's MQTT options, validated. Most publishes have none (the core hands a driver only the plugin's
 * options), and those cost no schema run.
 */
export function parsePublishOptions(options: MqttPublishOptions, channel: string): MqttPublishOptions {
  for (const key in options) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      return parseOptions(publishOptions, options, channel);
    }
  }
  return NO_PUBLISH_OPTIONS;
}
