/**
 * The options of the Redis plugin — of the broker, of subscribers and of publishes — with their schemas.
 * The connection options and the parsing of `redis://` / `rediss://` URLs are in `_endpoint.ts`. A bad
 * option fails at once with an {@linkcode OptionError} naming it and what is allowed (an unknown one with the
 * closest known name); credentials never appear in messages.
 *
 * @module
 */

import {
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISH_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  type Logger,
  OptionError,
  type SubscriptionEvents,
} from "@sluice/core";
import {
  didYouMean,
  type OptionsSchema,
  optionsSchema,
  parseOptions,
  type PendingLimits,
  pendingLimits,
  REPLY_CHANNEL_PREFIX,
  SlowConsumer,
} from "@sluice/core/kit";
import { type } from "arktype";
import type { Envelope } from "./message.ts";
import {
  checkConnection,
  type Endpoint,
  endpoint,
  parseUrl,
  type RedisConnectionOptions,
} from "./_endpoint.ts";

export {
  type Address,
  type Endpoint,
  endpoint,
  parseUrl,
  type RedisConnectionOptions,
  type SentinelOptions,
  type TlsOptions,
  type Topology,
} from "./_endpoint.ts";

/** The three kinds of Redis channel a subscriber can consume and a publish can target. */
export type RedisKind = "pubsub" | "list" | "stream";

/** Options of the Redis broker. */
export interface RedisOptions extends BrokerOptions, RedisConnectionOptions {
  /**
   * The kind a subscriber or publish uses when it names none (`list`, `stream` or `pubsub` option);
   * `pubsub` by default. It also decides the broker's `features()`, since Pub/Sub, lists and streams differ
   * (no redelivery on Pub/Sub, no fan-out on lists, no wildcards on lists and streams).
   */
  readonly kind?: RedisKind;
  /** How messages are written: FastStream's binary envelope (default) or `none` (the bare body, no headers). */
  readonly envelope?: Envelope;
  /** Milliseconds to wait for the connection; 10 000 by default. */
  readonly connectTimeout?: number;
  /**
   * Milliseconds of silence on the Pub/Sub connection after which it sends a `PING`, and waits as long again
   * for anything to arrive before it drops the connection and reconnects: a server gone without closing is
   * noticed within three times this. 30 000 by default; `0` turns the check off. It belongs to Sluice's own
   * Pub/Sub connection, which serves a single server without `client`: ioredis's connections, used through
   * Sentinel, a Cluster or `client`, check nothing, and setting it there is refused.
   */
  readonly pingInterval?: number;
  /** Extra options for every ioredis client (advanced). */
  readonly client?: Record<string, unknown>;
}

/** Options of a list consumer. */
export interface ListSubscribeOptions {
  /** The list's name; the subscriber's channel by default. */
  readonly name?: string;
  /**
   * Reliable consumption (default `true`): each message is moved (`BLMOVE`) to a processing list of this
   * consumer and removed (`LREM`) only when settled, so a consumer that dies mid-handler loses nothing: its
   * processing list is moved back when its heartbeat expires. `false` pops (`BLPOP`), at-most-once.
   */
  readonly reliable?: boolean;
  /** This consumer's name (its processing list is `<list>:processing:<consumer>`); random by default. */
  readonly consumer?: string;
  /** Milliseconds of heartbeat after which a silent consumer's processing list is recovered; 15 000 by default. */
  readonly recoverAfter?: number;
}

/** Options of a stream consumer. */
export interface StreamSubscribeOptions {
  /** The stream's key; the subscriber's channel by default. */
  readonly name?: string;
  /** The consumer group; the subscriber's `group` by default, else a private group removed on stop. */
  readonly group?: string;
  /** This consumer's name in the group; random by default. Give a stable one to resume its own pending entries. */
  readonly consumer?: string;
  /** Create the group (with `MKSTREAM`) when it is missing; `true` by default. */
  readonly createGroup?: boolean;
  /** Where a new group starts: `$` (only new entries, the default) or `0` (the whole stream). */
  readonly startId?: string;
  /** Milliseconds one `XREADGROUP ... BLOCK` waits; 2 000 by default. */
  readonly block?: number;
  /**
   * Milliseconds after which an entry left pending by another consumer (dead, or too slow) is claimed with
   * `XAUTOCLAIM` and handled here; 30 000 by default; `false` never claims.
   */
  readonly claimIdle?: number | false;
  /** Milliseconds between claim scans; `min(claimIdle, 5000)` by default. */
  readonly claimInterval?: number;
}

/**
 * Options of a Pub/Sub consumer. Redis keeps nothing for a subscriber that falls behind, so the messages
 * beyond the subscriber's `prefetch` wait in this process; past these bounds new ones are dropped, with a
 * warning that says how many, until the handler catches up — as NATS clients treat a slow consumer. The
 * defaults are theirs: 65 536 messages, 64 MiB.
 */
export interface PubSubSubscribeOptions {
  /** Messages that may wait for the handler beyond the prefetch; 65 536 by default. */
  readonly maxPending?: number;
  /** Bytes of bodies that may wait for the handler beyond the prefetch; 64 MiB by default. */
  readonly maxPendingBytes?: number;
}

/** Redis-specific subscriber options, beside the core's. */
export interface RedisSubscribeOptions {
  /**
   * Consume a Pub/Sub channel (the default kind unless the broker's `kind` says otherwise): `true`, or
   * options bounding what waits for a slow handler.
   */
  readonly pubsub?: true | PubSubSubscribeOptions;
  /** Consume a list as a queue: `true`, the list's name, or options. */
  readonly list?: true | string | ListSubscribeOptions;
  /** Consume a stream with a consumer group: `true`, the stream's key, or options. */
  readonly stream?: true | string | StreamSubscribeOptions;
}

/** Options of a publish to a stream. */
export interface StreamPublishOptions {
  /** The stream's key; the channel by default. */
  readonly name?: string;
  /** Trims the stream to about this many entries (`XADD ... MAXLEN ~ n`). */
  readonly maxLen?: number;
  /** `~` trimming (default `true`, cheaper) or exact (`false`). */
  readonly approximate?: boolean;
}

/** Redis-specific publish options, beside the core's. */
export interface RedisPublishOptions {
  /** `PUBLISH` to a Pub/Sub channel. */
  readonly pubsub?: true;
  /** `RPUSH` to a list: `true` or the list's name. */
  readonly list?: true | string;
  /** `XADD` to a stream: `true`, the key, or options. */
  readonly stream?: true | string | StreamPublishOptions;
  /** Shorthand for `stream: { maxLen }`. */
  readonly maxLen?: number;
}

const positive = "number.integer > 0";

/** What these helpers read of an arktype object schema: the keys it declares. */
interface Declared {
  readonly props: readonly { readonly key: PropertyKey }[];
}

function keysOf(shape: type.Any<object>): string[] {
  return (shape as unknown as Declared).props.map((prop) => String(prop.key));
}

/** An object schema that also refuses keys it does not declare, naming the closest declared one. */
function closed<S extends type.Any<object>>(shape: S): S {
  const keys = keysOf(shape);
  return (shape as type.Any<object>).narrow((value: object, ctx) => {
    for (const key of Object.keys(value)) {
      if (keys.includes(key)) continue;
      const hint = didYouMean(key, keys);
      return ctx.reject({
        problem: `has an unknown option "${key}"${hint ? `: did you mean "${hint}"?` : ""} Allowed: ${
          keys.join(", ")
        }`,
      });
    }
    return true;
  }) as unknown as S;
}

/** The options schema of an arktype object schema, whose keys are the plugin's option names. */
function schemaOf<T>(what: string, shape: type.Any<object>, core: readonly string[]): OptionsSchema<T> {
  return optionsSchema<T>({ what, keys: keysOf(shape), schema: shape, core });
}

const BrokerShape = type({
  "url?": "string",
  "username?": "string",
  "password?": "string",
  "db?": "0 <= number.integer <= 65535",
  "tls?": "boolean | object",
  "kind?": "'pubsub' | 'list' | 'stream'",
  "envelope?": "'binary' | 'none'",
  "connectTimeout?": positive,
  "pingInterval?": "number.integer >= 0",
  "client?": "object",
  "cluster?": ["true", "|", "string[] > 0"],
  "sentinel?": [
    "string > 0",
    "|",
    closed(type({
      name: "string > 0",
      "sentinels?": "string[] > 0",
      "username?": "string",
      "password?": "string",
    })),
  ],
});

const ListShape = closed(type({
  "name?": "string > 0",
  "reliable?": "boolean",
  "consumer?": "string > 0",
  "recoverAfter?": positive,
}));

const StreamSubscribeShape = closed(type({
  "name?": "string > 0",
  "group?": "string > 0",
  "consumer?": "string > 0",
  "createGroup?": "boolean",
  "startId?": "string > 0",
  "block?": positive,
  "claimIdle?": `${positive} | false`,
  "claimInterval?": positive,
}));

const PubSubShape = closed(type({
  "maxPending?": positive,
  "maxPendingBytes?": positive,
}));

const SubscribeShape = type({
  "pubsub?": ["true", "|", PubSubShape],
  "list?": ["true | string > 0", "|", ListShape],
  "stream?": ["true | string > 0", "|", StreamSubscribeShape],
});

const StreamPublishShape = closed(type({
  "name?": "string > 0",
  "maxLen?": positive,
  "approximate?": "boolean",
}));

const PublishShape = type({
  "pubsub?": "true",
  "list?": "true | string > 0",
  "stream?": ["true | string > 0", "|", StreamPublishShape],
  "maxLen?": positive,
});

/** The Redis broker's options, beside the core's. */
export const brokerOptions: OptionsSchema<RedisOptions> = schemaOf<RedisOptions>(
  "Redis broker",
  BrokerShape,
  CORE_BROKER_OPTIONS,
);

/** A Redis subscriber's own options (the core's go beside them). */
export const subscribeOptions: OptionsSchema<RedisSubscribeOptions> = schemaOf<RedisSubscribeOptions>(
  "Redis subscriber",
  SubscribeShape,
  CORE_SUBSCRIBER_OPTIONS,
);

/** A Redis publish's own options (the core's go beside them). */
export const publishOptions: OptionsSchema<RedisPublishOptions> = schemaOf<RedisPublishOptions>(
  "Redis publish",
  PublishShape,
  CORE_PUBLISH_OPTIONS,
);

/** Validates the broker options, the URL included; throws an OptionError naming the bad one. */
export function parseBrokerOptions(options: RedisOptions): RedisOptions {
  const parsed = parseOptions(brokerOptions, options);
  checkConnection(options);
  if (options.pingInterval !== undefined && !ownPubSubConnection(endpoint(options), options)) {
    throw new OptionError(
      "Redis option pingInterval is for Sluice's own Pub/Sub connection to a single server: not with " +
        "Sentinel, a Cluster or client options, whose ioredis connections have no such check",
    );
  }
  return parsed;
}

/**
 * Whether Pub/Sub runs on Sluice's own connection (`_subscriber.ts`): to a single server, with no ioredis
 * options of the user's, which it would not honour. Sentinel and a Cluster need ioredis's discovery.
 */
export function ownPubSubConnection(at: Endpoint, options: RedisOptions): boolean {
  return at.topology.kind === "single" && options.client === undefined;
}

/**
 * The broker options a `redis://` or `rediss://` URL gives: the URL itself, which carries the host, the port,
 * the credentials, the database (its path) and TLS (`rediss:`). Throws an OptionError, without the
 * password, when it is not such a URL.
 */
export function optionsFromUrl(url: URL | string): RedisOptions {
  const text = url.toString();
  parseUrl(text);
  return { url: text };
}

/** A subscription, resolved to one kind. */
export type Resolved =
  | { readonly kind: "pubsub"; readonly channel: string; readonly pending: PendingLimits }
  | { readonly kind: "list"; readonly key: string; readonly options: ListSubscribeOptions }
  | { readonly kind: "stream"; readonly key: string; readonly options: StreamSubscribeOptions };

/** What warns of a Pub/Sub subscriber that falls behind its `maxPending` bounds and drops messages. */
export function slowConsumer(channel: string, logger: Logger, events?: SubscriptionEvents): SlowConsumer {
  return new SlowConsumer(
    `Redis Pub/Sub subscriber ${channel}`,
    "Redis keeps none for a slow subscriber; raise pubsub.maxPending or pubsub.maxPendingBytes, or consume a " +
      "list or stream",
    logger,
    events,
  );
}

/**
 * Decides what a subscription consumes from its options and the broker's default kind; the core's reply
 * subscription (`reply`) is always a Pub/Sub channel.
 */
export function resolveSubscription(
  channel: string,
  options: RedisSubscribeOptions,
  fallback: RedisKind,
  reply = false,
): Resolved {
  const o = parseOptions(subscribeOptions, options, channel);
  const chosen = [o.pubsub && "pubsub", o.list && "list", o.stream && "stream"].filter(Boolean);
  if (chosen.length > 1) {
    throw new OptionError(
      `Invalid Redis subscriber option of ${channel}: choose one of pubsub, list and stream, not ${
        chosen.join(" and ")
      }`,
    );
  }
  if (reply) return { kind: "pubsub", channel, pending: pendingLimits({}) };
  const kind = (chosen[0] as RedisKind | undefined) ?? fallback;
  if (kind === "pubsub") {
    return { kind, channel, pending: pendingLimits(typeof o.pubsub === "object" ? o.pubsub : {}) };
  }
  const raw = kind === "list" ? o.list : o.stream;
  const named = typeof raw === "string" ? { name: raw } : typeof raw === "object" ? raw : {};
  const key = named.name ?? channel;
  if (/[*?[{]/.test(key)) {
    throw new OptionError(
      `Redis ${kind}s cannot be consumed by pattern (${key}): wildcards and {params} work on Pub/Sub channels only`,
    );
  }
  return kind === "list"
    ? { kind, key, options: named as ListSubscribeOptions }
    : { kind, key, options: named as StreamSubscribeOptions };
}

/**
 * The publish options of a dead letter of a subscriber with these options: the same kind as the subscriber,
 * so a stream or list subscriber's dead letters wait in a stream or list instead of going to Pub/Sub, where
 * nobody may be listening.
 */
export function deadLetterOptions(options: RedisSubscribeOptions, fallback: RedisKind): RedisPublishOptions {
  const kind = options.pubsub ? "pubsub" : options.list ? "list" : options.stream ? "stream" : fallback;
  return kind === "pubsub" ? { pubsub: true } : kind === "list" ? { list: true } : { stream: true };
}

/** The prefix of the core's reply channels: publishes there default to Pub/Sub whatever the broker's kind. */
export const REPLY_PREFIX: string = REPLY_CHANNEL_PREFIX;

/** A publish, resolved to one kind. */
export type PublishTarget =
  | { readonly kind: "pubsub"; readonly key: string }
  | { readonly kind: "list"; readonly key: string }
  | {
    readonly kind: "stream";
    readonly key: string;
    readonly maxLen?: number;
    readonly approximate: boolean;
  };

/** Decides where a publish goes from its options and the broker's default kind. */
export function resolvePublish(
  channel: string,
  options: RedisPublishOptions,
  fallback: RedisKind,
): PublishTarget {
  // Most publishes carry no Redis option: the core hands over one shared empty object then.
  for (const _ in options) {
    return resolveWith(channel, parseOptions(publishOptions, options, channel), fallback);
  }
  return plainTarget(channel, fallback);
}

/** Where a publish that names no kind goes. */
function plainTarget(channel: string, fallback: RedisKind): PublishTarget {
  // Replies of the core's request/reply go to its reply subscription, always a Pub/Sub channel.
  const kind = channel.startsWith(REPLY_PREFIX) ? "pubsub" : fallback;
  return kind === "stream" ? { kind, key: channel, approximate: true } : { kind, key: channel };
}

function resolveWith(channel: string, o: RedisPublishOptions, fallback: RedisKind): PublishTarget {
  const chosen = [o.pubsub && "pubsub", o.list && "list", o.stream && "stream"].filter(Boolean);
  if (chosen.length > 1) {
    throw new OptionError(
      `Invalid Redis publish option of ${channel}: choose one of pubsub, list and stream, not ${
        chosen.join(" and ")
      }`,
    );
  }
  const kind = (chosen[0] as RedisKind | undefined) ?? (o.maxLen !== undefined ? "stream" : undefined);
  if (kind === undefined) return plainTarget(channel, fallback);
  if (kind === "pubsub") return { kind, key: channel };
  if (kind === "list") return { kind, key: typeof o.list === "string" ? o.list : channel };
  const s = typeof o.stream === "string" ? { name: o.stream } : typeof o.stream === "object" ? o.stream : {};
  return {
    kind,
    key: s.name ?? channel,
    maxLen: s.maxLen ?? o.maxLen,
    approximate: s.approximate ?? true,
  };
}
