/**
 * The broker-driver contract: the one interface a plugin implements. It is deliberately small — connect,
 * close, subscribe, publish — and three optional operations: publishBatch, request, ping, with one optional
 * description for the generated AsyncAPI document: `docs`. Everything else
 * (decoding, validation, filters, ack policy, retries, request/reply on top of publish, batching,
 * concurrency, middlewares) is done once, in the core, for every broker.
 *
 * @module
 */

import type { DecodeError } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** The options of a driver that has none of its own beyond the core's. */
export type NoOptions = Readonly<Record<never, never>>;

/** A message as the core hands it to a driver to publish. */
export interface OutgoingMessage {
  /** The encoded body. */
  readonly body: Uint8Array;
  /** User headers; the standard fields below are not repeated here. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body's content type, e.g. `application/json`; undefined for an empty body. */
  readonly contentType?: string;
  /** Ties a reply (and every message a handler publishes) to the message that caused it. */
  readonly correlationId?: string;
  /** A unique id of this message. */
  readonly messageId?: string;
  /** Where a reply to this message should be published. */
  readonly replyTo?: string;
}

/** A message as a driver hands it to the core. */
export interface IncomingMessage {
  /** The concrete channel (topic, subject, routing key, queue) the message arrived on. */
  readonly channel: string;
  /** The raw body. */
  readonly body: Uint8Array;
  /** User headers, without the standard fields below. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body's content type, if the producer said. */
  readonly contentType?: string;
  /** The correlation id, if any. */
  readonly correlationId?: string;
  /** The message id, if any; the core makes one up for logs when the broker has none. */
  readonly messageId?: string;
  /** Where a reply should go, if the producer asked for one. */
  readonly replyTo?: string;
  /** The message was delivered before. */
  readonly redelivered?: boolean;
  /** How many times the broker delivered it, this time included, when the broker counts. */
  readonly deliveryCount?: number;
  /** The ordering key (Kafka key, FIFO group), used by `orderBy: "key"` subscribers. */
  readonly key?: string;
  /** The client library's own message object, for broker-specific needs. */
  readonly raw?: unknown;
  /**
   * Set when the driver could not read the message it received (a malformed envelope): `body` then holds the
   * bytes as they arrived, and the core does not decode them but applies the subscriber's error policy with
   * this error, as for a body no codec can read.
   */
  readonly decodeError?: DecodeError;
  /**
   * Settles the message as processed. Return {@linkcode SETTLED} when the settlement is done by the time the
   * method returns (nothing to ack, or an ack written without a reply to wait for).
   */
  ack(): Promise<void>;
  /** Returns the message to the broker for redelivery, after `delay` ms where the broker supports it. */
  nack(options?: { readonly delay?: number }): Promise<void>;
  /** Gives up on the message: the broker dead-letters it where configured, or drops it. */
  reject(): Promise<void>;
}

/**
 * The resolved promise a settle method (`ack`, `nack`, `reject`) returns when the settlement was done
 * synchronously. The core recognises it: a handler that returns a plain value and a message whose ack
 * returns `SETTLED` complete in the same turn, so the next message runs at once instead of after a promise
 * reaction (about a third of the core's cost per message; `bench/memory/consume.ts`). `deliver` returns it
 * too for a message settled that way, and a driver may then skip waiting for it. Any other promise works as
 * before.
 */
export const SETTLED: Promise<void> = Promise.resolve();

/**
 * What a promise reaction returns for a step that ended in `done`: nothing when it is {@linkcode SETTLED}. A
 * promise returned from a reaction is adopted two microtasks later (a job that calls its `then`, then that
 * reaction), so a reaction returning `SETTLED` cost every message whose async handler settled it two more turns
 * (`bench/memory/consume.ts`'s `sluice-async` arm at a concurrency of 1: 6–7 % of Sluice's CPU a message under
 * Deno and Node 24).
 */
export function unlessSettled(done: Promise<void>): Promise<void> | undefined {
  return done === SETTLED ? undefined : done;
}

/** What the core asks a driver to consume. `Options` are the plugin's own subscriber options. */
export interface SubscriptionSpec<Options = NoOptions> {
  /** The channel in the broker's own syntax, path parameters already replaced by wildcards. */
  readonly channel: string;
  /** The channel as the user wrote it, e.g. `logs.{level}`. */
  readonly template: string;
  /** Subscribers in one group compete for messages; undefined means the broker's default. */
  readonly group?: string;
  /**
   * How many unsettled messages the driver may hand over at once. The driver must keep handing over
   * messages while fewer than this are unsettled (never wait for one to settle before the next), and set
   * the broker's prefetch or window from it where there is one.
   */
  readonly prefetch: number;
  /**
   * This is the core's own reply subscription (request/reply without a native `request`): make it private
   * and temporary (exclusive, auto-deleted, one partition) where the broker can.
   */
  readonly reply?: boolean;
  /** The subscriber's plugin options as the user gave them; the core's own options are not repeated here. */
  readonly options: Options;
}

/** A running subscription. */
export interface SubscriptionHandle {
  /** Stops handing over new messages. Unsettled ones stay with the core, which settles them. */
  stop(): Promise<void>;
}

/**
 * Called by a driver for every message; resolves once the core has settled it, and is {@linkcode SETTLED}
 * when the message was settled before `deliver` returned.
 */
export type Deliver = (message: IncomingMessage) => Promise<void>;

/** What a driver tells the core of a subscription besides its messages. */
export interface SubscriptionEvents {
  /**
   * A message that arrived on `channel` was dropped before it was handed over: the subscription fell behind
   * the bounds of a transport without flow control (Redis Pub/Sub, core NATS; `@sluice/core/kit`'s
   * `PendingQueue`). The core tells the middlewares (a Prometheus counter); the driver logs it.
   */
  dropped(channel: string): void;
}

/** How a broker names channels: the core turns templates into subscriptions and extracts path parameters. */
export interface ChannelRules {
  /** The separator of levels in a channel name: `.` for NATS, RabbitMQ, Redis; `/` for MQTT. */
  readonly separator: string;
  /** Turns a template with `{name}` parameters into a subscription pattern: `logs.{level}` → `logs.*`. */
  pattern(template: string): string;
}

/** Channel rules with the broker's matching, as a plugin's `rules.ts` exports them for its emulation. */
export interface RoutingRules extends ChannelRules {
  /** Whether a message published on `channel` reaches a subscription on `pattern`. */
  matches(pattern: string, channel: string): boolean;
}

/** What the core gives a driver when it connects. */
export interface DriverContext {
  /** The broker's logger, for outages, reconnects and other events the user should see. */
  readonly logger: Logger;
}

/** Options of a request. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply. */
  readonly timeout: number;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/**
 * A subscriber or a publish as the generated AsyncAPI document sees it, handed to a driver's
 * {@linkcode DriverDocs} for its bindings. `receive` is a subscriber; `send` is a publisher, the channel a
 * handler's return value goes to, or a dead-letter channel.
 */
export type DocsEndpoint<Sub = NoOptions, Pub = NoOptions> =
  | {
    readonly action: "receive";
    /** The channel as declared, router prefixes included: `logs.{level}`. */
    readonly channel: string;
    /** The subscriber's group, if it has one. */
    readonly group?: string;
    /** The subscriber's plugin options as the user gave them, without the core's. */
    readonly options: Sub;
  }
  | {
    readonly action: "send";
    /** The channel as declared, router prefixes included. */
    readonly channel: string;
    /** The publisher's plugin options (empty for a handler's result or a dead letter). */
    readonly options: Pub;
  };

/** AsyncAPI binding objects keyed by protocol: `{ kafka: { groupId: …, bindingVersion: "0.5.0" } }`. */
export type DocsBindings = Readonly<Record<string, unknown>>;

/**
 * How a driver appears in the generated AsyncAPI document (`asyncapi()` from `@sluice/core/asyncapi`): the
 * protocol of its server and the AsyncAPI bindings of its server, channels, operations and messages, read
 * from the options alone (nothing is connected). Every member is optional; none may return a credential.
 * Endpoints on one address whose channel bindings disagree (two RabbitMQ exchanges) are two channels.
 */
export interface DriverDocs<Sub = NoOptions, Pub = NoOptions> {
  /** The server's protocol as AsyncAPI names it (`amqp`, `kafka` …); the URL's scheme by default. */
  readonly protocol?: string;
  /** The server's host and port, without credentials; the driver URL's by default. */
  readonly host?: string;
  /** The protocol's version, e.g. `5` for MQTT 5. */
  readonly protocolVersion?: string;
  /** Bindings of the server. */
  server?(): DocsBindings | undefined;
  /** Bindings of the channel an endpoint uses. */
  channel?(endpoint: DocsEndpoint<Sub, Pub>): DocsBindings | undefined;
  /** Bindings of an endpoint's operation. */
  operation?(endpoint: DocsEndpoint<Sub, Pub>): DocsBindings | undefined;
  /** Bindings of an endpoint's messages. */
  message?(endpoint: DocsEndpoint<Sub, Pub>): DocsBindings | undefined;
}

/**
 * A broker driver: a plain object made by a plugin's factory. `Sub` and `Pub` are the plugin's own subscriber
 * and publish options, which users pass flat beside the core's options; the core hands the driver only these.
 */
export interface Driver<Sub = NoOptions, Pub = NoOptions> {
  /** The broker kind, e.g. `kafka`. */
  readonly name: string;
  /** Where it connects, without credentials; used in logs, errors and docs. */
  readonly url: string;
  /** How it names channels. */
  readonly rules: ChannelRules;
  /** Opens connections; throws a {@linkcode ConnectionError} that names the URL and the likely cause. */
  connect(context: DriverContext): Promise<void>;
  /** Closes connections. Called after every subscription stopped and every message settled. */
  close(): Promise<void>;
  /**
   * Starts consuming; every message goes to `deliver`. Resolves only once the subscription is live: a
   * message published after it resolves must reach it (join the consumer group, bind the queue, wait for
   * the SUBACK first). A driver that can drop messages tells `events` of each; the core always passes them,
   * a caller using the driver alone (a benchmark's driver arm) may not.
   */
  subscribe(
    spec: SubscriptionSpec<Sub>,
    deliver: Deliver,
    events?: SubscriptionEvents,
  ): Promise<SubscriptionHandle>;
  /** Publishes one message; resolves once the broker has it (as far as the broker confirms). */
  publish(channel: string, message: OutgoingMessage, options: Pub): Promise<void>;
  /** Publishes many messages to one channel at once. Without it the core publishes one by one. */
  publishBatch?(channel: string, messages: readonly OutgoingMessage[], options: Pub): Promise<void>;
  /**
   * Native request/reply (NATS, RabbitMQ direct reply-to). Without it the core builds request/reply on a
   * reply subscription (`spec.reply`) and `replyTo`.
   */
  request?(
    channel: string,
    message: OutgoingMessage,
    options: Pub & RequestOptions,
  ): Promise<IncomingMessage>;
  /** Checks the connection is alive; throws if not. */
  ping?(): Promise<void>;
  /** How the driver appears in the generated AsyncAPI document; without it, only the URL's scheme and host. */
  readonly docs?: DriverDocs<Sub, Pub>;
  /**
   * The publish options of a dead letter sent for a subscriber with these plugin options, where the
   * subscriber's own options decide where messages live (a Redis stream subscriber's dead letters go to a
   * stream, not to Pub/Sub). Without it, dead letters are published with no plugin options.
   */
  deadLetterOptions?(options: Sub): Pub;
}

/**
 * An in-memory driver that behaves like a broker — routing, groups, redelivery — for `testBroker()`. A plugin
 * makes one per test session from its `mod.ts`; the driver itself never imports it.
 */
export interface Emulation<Sub = NoOptions, Pub = NoOptions> extends Driver<Sub, Pub> {
  /** Whether a message published on `channel` reaches a subscription on `pattern`, as the broker decides. */
  matches(pattern: string, channel: string): boolean;
  /** Resolves once no message is queued for a consumer, unsettled or scheduled for redelivery. */
  idle(): Promise<void>;
}

/** The subscriber options of a driver type. */
export type SubscribeOptionsOf<D> = D extends Driver<infer S, unknown> ? S : never;

/** The publish options of a driver type. */
export type PublishOptionsOf<D> = D extends Driver<unknown, infer P> ? P : never;
