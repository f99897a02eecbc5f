/**
 * Options of the MQTT plugin — broker, subscriber and publish options — validated with arktype so that a bad
 * option fails at once with a message naming it, and URL parsing that keeps credentials out of logs.
 *
 * @module
 */

import { type } from "arktype";
import { type BrokerOptions, NotSupportedError, OptionError, type SubscriptionSpec } from "@sluice/core";
import { redactUrl } from "@sluice/core/kit";
import { subscriptionFilter } from "./rules.ts";

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

/** Options of the MQTT plugin, beside the core's {@linkcode BrokerOptions}. */
export interface MqttOptions {
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

const tlsSchema = type({
  "ca?": pem.or(pem.array()),
  "cert?": pem,
  "key?": pem,
  "rejectUnauthorized?": "boolean",
  "servername?": "string",
});

const brokerSchema = type({
  "url?": "string",
  "protocol?": "'5' | '3.1.1'",
  "clientId?": "string <= 65535",
  "username?": "string",
  "password?": "string",
  "tls?": type("boolean").or(tlsSchema),
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

const subscribeSchema = type({
  "qos?": qos,
  "clientId?": "string > 0",
  "clean?": "boolean",
  "sessionExpiry?": "0 <= number.integer <= 4294967295",
  "retainHandling?": "0 | 1 | 2",
});

const publishSchema = type({
  "qos?": qos,
  "retain?": "boolean",
  "messageExpiry?": "0 <= number.integer <= 4294967295",
});

function check<T>(schema: (input: unknown) => unknown, input: unknown, what: string): T {
  const out = schema(input);
  if (out instanceof type.errors) throw new OptionError(`Invalid ${what}: ${out.summary}`);
  return out as T;
}

function pick(source: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}

const BROKER_KEYS = [
  "url",
  "protocol",
  "clientId",
  "username",
  "password",
  "tls",
  "keepalive",
  "connectTimeout",
  "reconnectPeriod",
  "qos",
  "will",
] as const;
const SUBSCRIBE_KEYS = ["qos", "clientId", "clean", "sessionExpiry", "retainHandling"] as const;
const PUBLISH_KEYS = ["qos", "retain", "messageExpiry"] as const;

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
export function resolveOptions(options: MqttOptions & BrokerOptions): ResolvedOptions {
  const valid = check<MqttOptions>(
    brokerSchema,
    pick(options as Record<string, unknown>, BROKER_KEYS),
    "mqtt option",
  );
  const raw = valid.url ?? "mqtt://localhost:1883";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionError(
      `Invalid mqtt option url: "${redactUrl(raw)}" is not a URL (write mqtt://host:1883)`,
    );
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== "mqtt" && scheme !== "mqtts") {
    throw new OptionError(`Invalid mqtt option url: the scheme must be mqtt: or mqtts:, got ${scheme}:`);
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

/** Validates the MQTT options among a subscriber's options. */
export function subscribeOptions(
  options: Readonly<Record<string, unknown>>,
  channel: string,
): MqttSubscribeOptions {
  const valid = check<MqttSubscribeOptions>(
    subscribeSchema,
    pick(options, SUBSCRIBE_KEYS),
    `option of subscriber ${channel}`,
  );
  if (valid.clean === false && valid.clientId === undefined) {
    throw new OptionError(
      `Subscriber ${channel}: clean: false needs a clientId, so the broker can find the session again`,
    );
  }
  return valid;
}

const NONE: MqttPublishOptions = Object.freeze({});

/** Validates the MQTT options among a publish's options. */
export function publishOptions(
  options: Readonly<Record<string, unknown>>,
  channel: string,
): MqttPublishOptions {
  // The hot path: most publishes have no MQTT option, and validating nothing still costs a schema run.
  if (options.qos === undefined && options.retain === undefined && options.messageExpiry === undefined) {
    return NONE;
  }
  return check<MqttPublishOptions>(
    publishSchema,
    pick(options, PUBLISH_KEYS),
    `publish option for ${channel}`,
  );
}

/** A subscription as the driver and the emulation make it. */
export interface ResolvedSubscription {
  readonly mqtt: MqttSubscribeOptions;
  /** The filter to subscribe, `$share/<group>/` included. */
  readonly filter: string;
  readonly qos: QoS;
  readonly clean: boolean;
  /** The prefetch, within MQTT's Receive Maximum range. */
  readonly prefetch: number;
}

/** Validates a subscription against the options and the protocol version; throws what cannot be done. */
export function resolveSubscription(
  options: ResolvedOptions,
  spec: SubscriptionSpec<MqttSubscribeOptions>,
): ResolvedSubscription {
  const mqtt = subscribeOptions(spec.options as Record<string, unknown>, spec.template);
  if (options.protocolVersion === 4) {
    if ((spec.options as Record<string, unknown>).deadLetter !== undefined) {
      throw new NotSupportedError(
        `Subscriber ${spec.template}: deadLetter needs MQTT 5 (the reason travels as a user property); use protocol: "5"`,
      );
    }
    if (mqtt.retainHandling !== undefined) {
      throw new NotSupportedError(`Subscriber ${spec.template}: retainHandling needs MQTT 5`);
    }
  }
  return {
    mqtt,
    filter: subscriptionFilter(spec.channel, spec.group),
    qos: mqtt.qos ?? options.qos,
    clean: mqtt.clean ?? true,
    prefetch: Math.max(1, Math.min(spec.prefetch, 65_535)),
  };
}
