/**
 * The NATS plugin's options — broker (connection, authentication, TLS, JetStream), subscriber (stream,
 * consumer, key-value watch) and publish (JetStream, de-duplication) — with their schemas, which reject a bad
 * or unknown option at once, naming it and what is allowed, and the options a `nats://` URL carries.
 *
 * @module
 */

import { type } from "arktype";
import {
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISH_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  type Logger,
  OptionError,
  type SubscriptionEvents,
  type SubscriptionSpec,
} from "@sluice/core";
import {
  optionNames,
  type OptionsSchema,
  optionsSchema,
  type OptionsShape,
  parseOptions,
  SlowConsumer,
} from "@sluice/core/kit";

/** A JetStream stream to declare (created, or updated when it exists). Durations are milliseconds. */
export interface StreamOptions {
  /** The stream's name: no `.`, `*`, `>`, spaces or slashes. */
  readonly name: string;
  /** The subjects it captures, wildcards allowed; the subscriber's subject by default. */
  readonly subjects?: readonly string[];
  /** `limits` (the default) keeps messages until a limit; `interest` while a consumer needs them; `workqueue` until acked once. */
  readonly retention?: "limits" | "interest" | "workqueue";
  /** `file` (the default) or `memory`. */
  readonly storage?: "file" | "memory";
  /** The most messages kept; -1 (the default) for no limit. */
  readonly maxMsgs?: number;
  /** The most bytes kept; -1 for no limit. */
  readonly maxBytes?: number;
  /** How long a message is kept, in ms; 0 for ever. */
  readonly maxAge?: number;
  /** The largest message accepted, in bytes; -1 for the server's limit. */
  readonly maxMsgSize?: number;
  /** The window within which a repeated message id (`msgId`) is dropped, in ms; 2 minutes by default. */
  readonly duplicateWindow?: number;
  /** `old` (the default) drops old messages at a limit, `new` refuses new ones. */
  readonly discard?: "old" | "new";
  /** Copies in a cluster; 1 by default. */
  readonly replicas?: number;
}

/** A JetStream consumer's settings. Durations are milliseconds. */
export interface ConsumerOptions {
  /**
   * The durable consumer's name. By default the subscriber's `group` (so subscribers of one group share a
   * consumer and compete), else a consumer of this subscriber alone, removed when it stops.
   */
  readonly durable?: string;
  /** How long the server waits for an ack before it redelivers; 30 000 by default. */
  readonly ackWait?: number;
  /** The most deliveries of one message; -1 (the default) for no limit. */
  readonly maxDeliver?: number;
  /** Redelivery delays after an ack timeout, in ms, one per delivery. */
  readonly backoff?: readonly number[];
  /** Where a new consumer starts: `all` (the default), `new`, `last` or `last_per_subject`. */
  readonly deliverPolicy?: "all" | "new" | "last" | "last_per_subject";
  /**
   * `pull` (the default) consumes with `consume()`; `fetch` pulls batches of `prefetch` messages with
   * `fetch()`; `push` lets the server push to a deliver subject (a queue group for a shared consumer).
   */
  readonly mode?: "pull" | "fetch" | "push";
  /** Milliseconds a pull request (`consume`/`fetch`) waits on the server; 30 000 by default. */
  readonly expires?: number;
  /** A consumer of one subscriber (no `durable`, no `group`) is removed after this long without it; 5 s by default. */
  readonly inactiveThreshold?: number;
}

/** A key-value bucket whose keys a subscriber watches: its channel is the key pattern, e.g. `user.*`. */
export interface KeyValueWatchOptions {
  /** The bucket; created when it does not exist. */
  readonly bucket: string;
  /** `updates` (the default) only changes after the watch starts; `last` also each key's current value first; `history` every value kept. */
  readonly include?: "updates" | "last" | "history";
  /** Skip deletes and purges. */
  readonly ignoreDeletes?: boolean;
  /** Values kept per key when the bucket is created; 1 by default. */
  readonly history?: number;
  /** Storage when the bucket is created: `file` (the default) or `memory`. */
  readonly storage?: "file" | "memory";
}

/** An object store bucket whose objects a subscriber watches: its channel is the name pattern, `>` for all. */
export interface ObjectWatchOptions {
  /** The bucket; created when it does not exist. */
  readonly bucket: string;
  /** `updates` (the default) only changes after the watch starts; `last` also each object's current state first. */
  readonly include?: "updates" | "last";
  /** Skip deletes. */
  readonly ignoreDeletes?: boolean;
  /** Storage when the bucket is created: `file` (the default) or `memory`. */
  readonly storage?: "file" | "memory";
}

/** TLS settings. `true` asks for TLS with the system's trust store. */
export interface NatsTlsOptions {
  /** A CA certificate file (PEM) to trust. */
  readonly caFile?: string;
  /** A CA certificate (PEM text). */
  readonly ca?: string;
  /** A client certificate file (PEM), for mutual TLS. */
  readonly certFile?: string;
  /** A client certificate (PEM text). */
  readonly cert?: string;
  /** The client certificate's key file (PEM). */
  readonly keyFile?: string;
  /** The client certificate's key (PEM text). */
  readonly key?: string;
  /** Starts TLS before the NATS INFO (the server must set `handshake_first`). */
  readonly handshakeFirst?: boolean;
  /** Set to false to accept an unverified certificate (tests only). */
  readonly rejectUnauthorized?: boolean;
}

/** Options of the NATS broker, beside the core's. */
export interface NatsOptions extends BrokerOptions {
  /** Server URLs: `nats://host:4222` (or `tls://`); `nats://127.0.0.1:4222` by default. */
  readonly servers?: string | readonly string[];
  /** The connection's name, shown by the server's monitoring. */
  readonly name?: string;
  /** Token authentication. */
  readonly token?: string;
  /** User of user/password authentication. */
  readonly user?: string;
  /** Password of user/password authentication. */
  readonly pass?: string;
  /** NKey authentication: the user's seed (`SU…`). */
  readonly nkeySeed?: string;
  /** JWT authentication with a credentials file (`.creds`, as `nsc` writes it). */
  readonly credentials?: string;
  /** TLS; `true` for the defaults. */
  readonly tls?: boolean | NatsTlsOptions;
  /**
   * JetStream subscribers by default: every subscriber without a `stream` option consumes from a stream
   * found (or created) for its subject, with ack and redelivery. `stream: false` keeps one on core NATS.
   */
  readonly jetstream?: boolean;
  /** Streams declared when the broker connects; publishes to their subjects wait for JetStream's ack. */
  readonly streams?: readonly StreamOptions[];
  /** Reconnect attempts before giving up; -1 (the default) for ever. */
  readonly maxReconnectAttempts?: number;
  /** Milliseconds between reconnect attempts; 1000 by default. */
  readonly reconnectTimeWait?: number;
  /** Milliseconds to wait for the first connection; 5000 by default. */
  readonly connectTimeout?: number;
}

/** NATS options of a subscriber, beside the core's (`group` becomes a queue group, or a shared durable consumer). */
export interface NatsSubscribeOptions {
  /**
   * Consume with JetStream: `true` finds the stream capturing the subject or creates one, a name uses
   * that existing stream, an object declares the stream. `false` forces core NATS when the broker's
   * `jetstream` is on.
   */
  readonly stream?: boolean | string | StreamOptions;
  /** The JetStream consumer's settings. */
  readonly consumer?: ConsumerOptions;
  /** Watch keys of a key-value bucket instead of a subject: a bucket name or options. */
  readonly kv?: string | KeyValueWatchOptions;
  /**
   * Watch the objects of an object store bucket instead of a subject (FastStream's `obj_watch`): a bucket
   * name or options. The channel is a pattern of object names, `>` for all; the body is the object's name.
   */
  readonly objects?: string | ObjectWatchOptions;
  /**
   * Core NATS only: messages that may wait for a slow handler beyond the prefetch; 65 536 by default. The
   * server keeps nothing for a subscriber that falls behind, so past this bound (or `maxPendingBytes`) new
   * messages are dropped, with a warning, as the NATS clients of Go, Java and Python drop a slow consumer's.
   */
  readonly maxPending?: number;
  /** Core NATS only: bytes of bodies that may wait for a slow handler beyond the prefetch; 64 MiB by default. */
  readonly maxPendingBytes?: number;
}

/** NATS options of a publish. */
export interface NatsPublishOptions {
  /**
   * Publish through JetStream and wait for its ack. By default it does when the subject belongs to a
   * stream this broker declared or consumes from.
   */
  readonly jetstream?: boolean;
  /** The `Nats-Msg-Id` header: JetStream drops a repeated id within the stream's duplicate window. */
  readonly msgId?: string;
  /** Fail unless the subject is in this stream. */
  readonly expectStream?: string;
  /** Fail unless the stream's last sequence is this (optimistic concurrency). */
  readonly expectLastSequence?: number;
}

const Name = type(/^[^.*>\s/\\]+$/).describe("a name without '.', '*', '>', spaces or slashes");
const Millis = type("number.integer >= 0");

const StreamSchema = type({
  name: Name,
  "subjects?": "string[]",
  "retention?": "'limits' | 'interest' | 'workqueue'",
  "storage?": "'file' | 'memory'",
  "maxMsgs?": "number.integer >= -1",
  "maxBytes?": "number.integer >= -1",
  "maxAge?": Millis,
  "maxMsgSize?": "number.integer >= -1",
  "duplicateWindow?": Millis,
  "discard?": "'old' | 'new'",
  "replicas?": "number.integer >= 1",
  "+": "reject",
});

const ObjectsSchema = type({
  bucket: type(/^[-\w]+$/).describe("a bucket name of letters, digits, '-' and '_'"),
  "include?": "'updates' | 'last'",
  "ignoreDeletes?": "boolean",
  "storage?": "'file' | 'memory'",
  "+": "reject",
});

const ConsumerSchema = type({
  "durable?": Name,
  "ackWait?": "number.integer >= 1",
  "maxDeliver?": "number.integer >= -1",
  "backoff?": "number[]",
  "deliverPolicy?": "'all' | 'new' | 'last' | 'last_per_subject'",
  "mode?": "'pull' | 'fetch' | 'push'",
  "expires?": "number.integer >= 1000",
  "inactiveThreshold?": "number.integer >= 1000",
  "+": "reject",
});

const KvSchema = type({
  bucket: type(/^[-\w]+$/).describe("a bucket name of letters, digits, '-' and '_'"),
  "include?": "'updates' | 'last' | 'history'",
  "ignoreDeletes?": "boolean",
  "history?": "1 <= number.integer <= 64",
  "storage?": "'file' | 'memory'",
  "+": "reject",
});

const TlsSchema = type({
  "caFile?": "string",
  "ca?": "string",
  "certFile?": "string",
  "cert?": "string",
  "keyFile?": "string",
  "key?": "string",
  "handshakeFirst?": "boolean",
  "rejectUnauthorized?": "boolean",
  "+": "reject",
});

const BROKER = {
  "servers?": "string | string[]",
  "name?": "string",
  "token?": "string > 0",
  "user?": "string > 0",
  "pass?": "string",
  "nkeySeed?": type(/^SU[A-Z2-7]+$/).describe("a user NKey seed starting with SU"),
  "credentials?": "string > 0",
  "tls?": type("boolean").or(TlsSchema),
  "jetstream?": "boolean",
  "streams?": StreamSchema.array(),
  "maxReconnectAttempts?": "number.integer >= -1",
  "reconnectTimeWait?": Millis,
  "connectTimeout?": "number.integer >= 1",
} as const satisfies OptionsShape<Omit<NatsOptions, keyof BrokerOptions>>;

const CORE_ONLY =
  '"maxPending" and "maxPendingBytes" bound core NATS subscriptions; JetStream has flow control ' +
  "(the prefetch bounds a consumer), so give stream: false or drop them";

const SUBSCRIBE = {
  "stream?": type("boolean | string").or(StreamSchema),
  "consumer?": ConsumerSchema,
  "kv?": type("string").or(KvSchema),
  "objects?": type(/^[-\w]+$/).or(ObjectsSchema),
  "maxPending?": "number.integer > 0",
  "maxPendingBytes?": "number.integer > 0",
} as const satisfies OptionsShape<NatsSubscribeOptions>;

const PUBLISH = {
  "jetstream?": "boolean",
  "msgId?": "string > 0",
  "expectStream?": "string",
  "expectLastSequence?": "number.integer >= 0",
} as const satisfies OptionsShape<NatsPublishOptions>;

const AUTHENTICATION = ["token", "user", "nkeySeed", "credentials"] as const;

/** The NATS broker options beside the core's: checked when `nats()` is called. */
export const brokerOptions: OptionsSchema<NatsOptions> = optionsSchema<NatsOptions>({
  what: "NATS broker",
  keys: optionNames(BROKER),
  schema: type(BROKER).narrow((options, ctx) => {
    if ((options.user === undefined) !== (options.pass === undefined)) {
      return ctx.reject({ message: '"user" and "pass" go together; give both or neither' });
    }
    const ways = AUTHENTICATION.filter((key) => options[key] !== undefined);
    if (ways.length > 1) {
      return ctx.reject({ message: `choose one way to authenticate, got ${ways.join(" and ")}` });
    }
    return true;
  }),
  core: CORE_BROKER_OPTIONS,
});

/** The NATS options of a subscriber beside the core's: checked when the subscriber starts. */
export const subscribeOptions: OptionsSchema<NatsSubscribeOptions> = optionsSchema<NatsSubscribeOptions>({
  what: "NATS subscriber",
  keys: optionNames(SUBSCRIBE),
  schema: type(SUBSCRIBE).narrow((options, ctx) => {
    if (options.kv !== undefined && options.stream !== undefined && options.stream !== false) {
      return ctx.reject({ message: '"kv" watches a bucket and cannot be combined with "stream"' });
    }
    if (options.objects !== undefined && (options.kv !== undefined || (options.stream ?? false) !== false)) {
      return ctx.reject({
        message: '"objects" watches an object store and cannot be combined with "kv" or "stream"',
      });
    }
    const bounded = options.maxPending !== undefined || options.maxPendingBytes !== undefined;
    if (bounded && (options.kv !== undefined || options.objects !== undefined || (options.stream ?? false))) {
      return ctx.reject({ message: CORE_ONLY });
    }
    return true;
  }),
  core: CORE_SUBSCRIBER_OPTIONS,
});

/** The NATS options of a publish beside the core's: checked when a message is published with any. */
export const publishOptions: OptionsSchema<NatsPublishOptions> = optionsSchema<NatsPublishOptions>({
  what: "NATS publish",
  keys: optionNames(PUBLISH),
  schema: type(PUBLISH),
  core: CORE_PUBLISH_OPTIONS,
});

/** Checks a publish's NATS options; a publish without any (the usual case) skips the schema. */
export function checkPublishOptions(options: NatsPublishOptions, channel: string): void {
  for (const _ in options) {
    parseOptions(publishOptions, options, channel);
    return;
  }
}

/**
 * Whether a subscriber consumes with JetStream: its `stream` option, else the broker's `jetstream`. The
 * core's reply subscription is always core NATS: replies are not stored.
 */
export function usesJetStream(spec: SubscriptionSpec<NatsSubscribeOptions>, brokerDefault: boolean): boolean {
  if (spec.reply) return false;
  const stream = spec.options.stream;
  const jetstream = stream === undefined ? brokerDefault : stream !== false;
  if (jetstream && (spec.options.maxPending !== undefined || spec.options.maxPendingBytes !== undefined)) {
    throw new OptionError(`Invalid NATS subscriber option of ${spec.template}: ${CORE_ONLY}`);
  }
  return jetstream;
}

/** What warns of a core subscriber that falls behind its `maxPending` bounds and drops messages. */
export function slowConsumer(subject: string, logger: Logger, events?: SubscriptionEvents): SlowConsumer {
  return new SlowConsumer(
    `NATS subscriber ${subject}`,
    "core NATS keeps none for a slow subscriber; raise maxPending or maxPendingBytes, or consume with JetStream",
    logger,
    events,
  );
}

/** The servers and credentials a `nats://user:pass@host:port,host2:port` URL carries. */
export function optionsFromUrl(url: URL): Partial<NatsOptions> {
  const options: { servers?: string[]; user?: string; pass?: string; token?: string; tls?: boolean } = {};
  const hosts = url.host ? url.host.split(",") : [];
  const scheme = url.protocol === "tls:" ? "tls" : "nats";
  // `new URL` keeps only the first host of a comma list in .host for special schemes; nats: is not special.
  options.servers = hosts.length > 0 ? hosts.map((h) => `${scheme}://${h}`) : undefined;
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  if (user && pass) {
    options.user = user;
    options.pass = pass;
  } else if (user) options.token = user;
  if (scheme === "tls" || url.searchParams.get("tls") === "true") options.tls = true;
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) result[k] = v;
  return result as Partial<NatsOptions>;
}
