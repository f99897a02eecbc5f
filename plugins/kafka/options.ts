/**
 * Options of the Kafka plugin — of the broker, of a subscriber and of a publish — with their schemas, and the
 * broker options a `kafka://` URL carries. Broker options are checked when the broker is created, a
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

/** TLS settings; `true` uses the runtime's default trust store. */
export interface KafkaTlsOptions {
  /** PEM certificate(s) of the authorities to trust. */
  readonly ca?: string | readonly string[];
  /** PEM client certificate, for mutual TLS. */
  readonly cert?: string;
  /** PEM private key of the client certificate. */
  readonly key?: string;
  /** Refuse servers whose certificate does not verify; true by default. */
  readonly rejectUnauthorized?: boolean;
  /** The server name to verify, when it differs from the host. */
  readonly servername?: string;
}

/** SASL authentication. Credentials are never logged. */
export interface KafkaSaslOptions {
  /** `plain`, `scram-sha-256` or `scram-sha-512`. */
  readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  /** The user name. */
  readonly username: string;
  /** The password. */
  readonly password: string;
}

/** How a topic is created when the app declares it. */
export interface KafkaTopicOptions {
  /** Number of partitions; the broker's `num.partitions` by default. */
  readonly partitions?: number;
  /** Replication factor; the broker's `default.replication.factor` by default. */
  readonly replicationFactor?: number;
  /** Topic configuration entries, e.g. `{ "retention.ms": "60000" }`. */
  readonly config?: Readonly<Record<string, string>>;
}

/** Consumer settings shared by every subscriber of a broker (each can override them). */
export interface KafkaConsumerOptions {
  /** Milliseconds without heartbeat after which the group coordinator drops a member; 30 000 by default. */
  readonly sessionTimeout?: number;
  /** Milliseconds between heartbeats; 3000 by default. */
  readonly heartbeatInterval?: number;
  /** Milliseconds members get to rejoin during a rebalance; 60 000 by default. */
  readonly rebalanceTimeout?: number;
  /** Longest a fetch waits on the broker for data, in ms; 1000 by default. */
  readonly maxWaitTime?: number;
  /** Bytes fetched per partition at most; 1 MiB by default. */
  readonly maxBytesPerPartition?: number;
}

/**
 * Options of a Kafka broker: the core's `BrokerOptions` and Kafka's own. The core's `requestTimeout` also
 * bounds how long kafkajs waits for a broker's answer (30 000 ms by default).
 */
export interface KafkaOptions extends BrokerOptions {
  /** Bootstrap brokers, `host:port`; or a `kafka://host:port[,host2:port]` URL. Default `localhost:9092`. */
  readonly brokers?: string | readonly string[];
  /** The client id the brokers see; `sluice` by default. */
  readonly clientId?: string;
  /** TLS: `true` or settings. */
  readonly ssl?: boolean | KafkaTlsOptions;
  /** SASL authentication (use it with `ssl` outside a trusted network). */
  readonly sasl?: KafkaSaslOptions;
  /** Milliseconds to wait for a TCP connection; 3000 by default. */
  readonly connectionTimeout?: number;
  /** How often kafkajs retries a failed request or connection (back-off from 100 ms, doubling); 8 by default. */
  readonly retries?: number;
  /** Consumer settings for every subscriber. */
  readonly consumer?: KafkaConsumerOptions;
  /** `acks` of publishes: -1 (all in-sync replicas, the default), 1 (leader) or 0 (none). */
  readonly acks?: -1 | 0 | 1;
  /** Compression of publishes: `none` (the default) or `gzip`. */
  readonly compression?: "none" | "gzip";
  /** How topics the app declares are created when missing (a subscriber's or publish's `topic` overrides it). */
  readonly topic?: KafkaTopicOptions;
  /** Milliseconds between checks for new topics matching a pattern subscription; 5000 by default. */
  readonly discoveryInterval?: number;
  /** Milliseconds a `nack()` without a delay waits before the message is delivered again; 100 by default. */
  readonly nackDelay?: number;
  /**
   * Milliseconds settled offsets wait before they are committed, in one commit request per subscriber; 100 by
   * default, 0 commits each settlement at once. A process that dies redelivers what settled in its last
   * interval too; stopping or closing commits at once.
   */
  readonly commitInterval?: number;
}

/** Kafka options of a subscriber, beside the core's `SubscriberOptions`. */
export interface KafkaSubscribeOptions extends KafkaConsumerOptions {
  /**
   * Where a group without committed offsets starts: `latest` (the default: messages published after the
   * subscriber started) or `earliest` (everything the topic holds).
   */
  readonly from?: "earliest" | "latest";
  /** Creates the subscribed topic(s) with these settings when missing. */
  readonly topic?: KafkaTopicOptions;
  /** Treat the channel as a regular expression over topic names, even without `{param}`. */
  readonly pattern?: boolean;
  /**
   * Consume only these partitions of the (single) topic. The subscriber's group (a unique one by default)
   * gets exactly them; a named group shared by several subscribers must use `partitions` in all of them.
   */
  readonly partitions?: readonly number[];
}

/** Kafka options of a publish, beside the core's `PublishOptions`. */
export interface KafkaPublishOptions {
  /** The record key: picks the partition (murmur2, as Kafka's Java client) and keeps order per key. */
  readonly key?: string | Uint8Array;
  /** An explicit partition. */
  readonly partition?: number;
  /** The record timestamp (ms since the epoch or a Date); the producer's clock by default. */
  readonly timestamp?: number | Date;
  /** Overrides the broker's `acks`. */
  readonly acks?: -1 | 0 | 1;
  /** Overrides the broker's `compression`. */
  readonly compression?: "none" | "gzip";
  /** Creates the topic with these settings before the first publish to it when missing. */
  readonly topic?: KafkaTopicOptions;
}

const positive = "number.integer > 0";
const topicShape = type({
  "partitions?": positive,
  "replicationFactor?": positive,
  "config?": "Record<string, string>",
});
const consumerFields = {
  "sessionTimeout?": positive,
  "heartbeatInterval?": positive,
  "rebalanceTimeout?": positive,
  "maxWaitTime?": "number.integer >= 0",
  "maxBytesPerPartition?": positive,
} as const;
const acks = "-1 | 0 | 1";
const compression = "'none' | 'gzip'";

const brokerShape = type({
  "brokers?": "string | string[]",
  "clientId?": "string > 0",
  "ssl?": type("boolean").or({
    "ca?": "string | string[]",
    "cert?": "string",
    "key?": "string",
    "rejectUnauthorized?": "boolean",
    "servername?": "string",
  }),
  "sasl?": {
    mechanism: "'plain' | 'scram-sha-256' | 'scram-sha-512'",
    username: "string",
    password: "string",
  },
  "connectionTimeout?": positive,
  "retries?": "number.integer >= 0",
  "consumer?": type(consumerFields),
  "acks?": acks,
  "compression?": compression,
  "topic?": topicShape,
  "discoveryInterval?": positive,
  "nackDelay?": "number >= 0",
  "commitInterval?": "number >= 0",
});

const subscribeShape = type({
  ...consumerFields,
  "from?": "'earliest' | 'latest'",
  "topic?": topicShape,
  "pattern?": "boolean",
  "partitions?": type("number.integer >= 0").array().atLeastLength(1),
});

const publishShape = type({
  "key?": type("string").or(type.instanceOf(Uint8Array)),
  "partition?": "number.integer >= 0",
  "timestamp?": type("number").or(type.instanceOf(Date)),
  "acks?": acks,
  "compression?": compression,
  "topic?": topicShape,
});

/** The option names of an object schema, so that each name is written in the schema only. */
function keysOf(shape: { readonly props: readonly { readonly key: string | symbol }[] }): string[] {
  return shape.props.map((prop) => String(prop.key));
}

/** The schema of a Kafka broker's options; the core's broker options are accepted beside them. */
export const brokerOptions: OptionsSchema<KafkaOptions> = optionsSchema<KafkaOptions>({
  what: "Kafka broker",
  keys: keysOf(brokerShape),
  schema: brokerShape,
  core: CORE_BROKER_OPTIONS,
});

/** The schema of a Kafka subscriber's options; the core's subscriber options are accepted beside them. */
export const subscribeOptions: OptionsSchema<KafkaSubscribeOptions> = optionsSchema<KafkaSubscribeOptions>({
  what: "Kafka subscriber",
  keys: keysOf(subscribeShape),
  schema: subscribeShape,
  core: CORE_SUBSCRIBER_OPTIONS,
});

/** The schema of a Kafka publish's options; the core's publish, publisher and request options beside them. */
export const publishOptions: OptionsSchema<KafkaPublishOptions> = optionsSchema<KafkaPublishOptions>({
  what: "Kafka publish",
  keys: keysOf(publishShape),
  schema: publishShape,
  core: [...new Set([...CORE_REQUEST_OPTIONS, ...CORE_PUBLISHER_OPTIONS])],
});

const NO_PUBLISH_OPTIONS: KafkaPublishOptions = Object.freeze({});

/**
 * A publish's Kafka options, validated. Most publishes have none (the core hands a driver only the plugin's
 * options), and those cost no schema run.
 */
export function parsePublishOptions(options: KafkaPublishOptions, channel: string): KafkaPublishOptions {
  for (const key in options) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      return parseOptions(publishOptions, options, channel);
    }
  }
  return NO_PUBLISH_OPTIONS;
}

/** `host:port` entries from the `brokers` option; a bare host gets port 9092. */
export function brokerList(brokers: string | readonly string[] | undefined): string[] {
  const list = brokers === undefined ? ["localhost:9092"] : typeof brokers === "string" ? hostsOf(brokers) : [
    ...brokers,
  ];
  if (list.length === 0) {
    throw new OptionError("Invalid Kafka broker option: brokers must name at least one host:port");
  }
  return list.map((entry) => {
    const hostPort = entry.replace(/^kafka:\/\//, "");
    if (!/^[^\s,/@]+$/.test(hostPort)) {
      throw new OptionError(
        `Invalid Kafka broker option: brokers entry "${redactUrl(entry)}" is not host:port`,
      );
    }
    return /:\d+$/.test(hostPort) ? hostPort : `${hostPort}:9092`;
  });
}

/** The hosts of `kafka://[user:password@]host:port[,host2:port][?…]`; a bare host gets port 9092. */
function hostsOf(url: string): string[] {
  const rest = url.replace(/^kafka:\/\//, "").replace(/^[^@/]*@/, "").replace(/[/?].*$/, "");
  return rest.split(",").filter(Boolean).map((
    hostPort,
  ) => (/:\d+$/.test(hostPort) ? hostPort : `${hostPort}:9092`));
}

/**
 * The broker options a `kafka://[user:password@]host:port[,host2:port][?sasl=scram-sha-256&ssl=true&clientId=x]`
 * URL carries: brokers, SASL credentials (mechanism `plain` unless `sasl` says), `ssl` (or `tls`), `clientId`.
 *
 * @example
 * ```ts
 * import { optionsFromUrl } from "@sluice/kafka";
 * const options = optionsFromUrl("kafka://app:secret@k1:9093,k2?sasl=scram-sha-512&ssl=1");
 * console.log(options.brokers); // ["k1:9093", "k2:9092"]
 * ```
 */
export function optionsFromUrl(url: URL | string): KafkaOptions {
  const text = String(url);
  if (!/^kafka:\/\//.test(text)) {
    throw new OptionError(`"${redactUrl(text)}" is not a Kafka URL: write it like kafka://localhost:9092`);
  }
  const brokers = hostsOf(text);
  const credentials = /^kafka:\/\/([^@/]*)@/.exec(text)?.[1];
  const query = new URLSearchParams(/\?(.*)$/.exec(text)?.[1] ?? "");
  const options: Record<string, unknown> = { brokers };
  if (credentials) {
    const [user, password = ""] = credentials.split(":");
    options.sasl = {
      mechanism: query.get("sasl") ?? "plain",
      username: decodeURIComponent(user ?? ""),
      password: decodeURIComponent(password),
    };
  }
  const ssl = query.get("ssl") ?? query.get("tls");
  if (ssl !== null) options.ssl = ssl === "" || ssl === "1" || ssl === "true";
  const clientId = query.get("clientId");
  if (clientId) options.clientId = clientId;
  return options as KafkaOptions;
}

/** The broker's URL for logs and docs: brokers only, never credentials. */
export function displayUrl(brokers: readonly string[]): string {
  return `kafka://${brokers.join(",")}`;
}
