/**
 * The RabbitMQ plugin's options — broker, subscriber and publish — as types and schemas, and the options an
 * `amqp://` URL carries. A bad option fails at once with an {@linkcode OptionError} naming the option and
 * what is allowed; an unknown one with a hint at the option meant.
 *
 * @module
 */

import { type } from "arktype";
import {
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISH_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  OptionError,
} from "@sluice/core";
import {
  optionNames,
  type OptionsSchema,
  optionsSchema,
  type OptionsShape,
  parseOptions,
  redactUrl,
} from "@sluice/core/kit";

/** The exchange types RabbitMQ routes with. */
export type ExchangeType = "direct" | "fanout" | "topic" | "headers";

/** The queue types: classic, quorum (replicated, counts deliveries) and stream (append-only log). */
export type QueueType = "classic" | "quorum" | "stream";

/** An exchange to declare (or, with `passive`, only check). */
export interface ExchangeOptions {
  /** The exchange's name. */
  readonly name: string;
  /** How it routes; `topic` by default. */
  readonly type?: ExchangeType;
  /** Survives a broker restart; true by default. */
  readonly durable?: boolean;
  /** Deleted when its last binding goes; false by default. */
  readonly autoDelete?: boolean;
  /** Only other exchanges may publish to it; false by default. */
  readonly internal?: boolean;
  /** Where messages go that nothing here routes (`alternate-exchange`). */
  readonly alternateExchange?: string;
  /** Extra arguments. */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** Only check that it exists (fails if not); never declare it. */
  readonly passive?: boolean;
}

/** A queue to declare (or, with `passive`, only check). */
export interface QueueOptions {
  /** The queue's name; empty or absent for a server-named queue. */
  readonly name?: string;
  /** `classic` (the default), `quorum` or `stream` (`x-queue-type`). */
  readonly type?: QueueType;
  /** Survives a broker restart; true for named queues, false for server-named ones. */
  readonly durable?: boolean;
  /** Only this connection may use it, and it goes with the connection; true for server-named queues. */
  readonly exclusive?: boolean;
  /** Deleted when its last consumer goes; true for server-named queues. */
  readonly autoDelete?: boolean;
  /** Milliseconds a message may wait before it expires (`x-message-ttl`). */
  readonly messageTtl?: number;
  /** Milliseconds an unused queue lives (`x-expires`). */
  readonly expires?: number;
  /** The most messages it holds (`x-max-length`); the oldest are dropped or dead-lettered. */
  readonly maxLength?: number;
  /** The highest message priority it honours (`x-max-priority`). */
  readonly maxPriority?: number;
  /** Where rejected and expired messages go (`x-dead-letter-exchange`); `""` is the default exchange. */
  readonly deadLetterExchange?: string;
  /** The routing key of dead letters (`x-dead-letter-routing-key`); the message's own by default. */
  readonly deadLetterRoutingKey?: string;
  /**
   * Deliveries after which a nacked message is dead-lettered (or dropped) instead of requeued. Quorum queues
   * enforce it natively (`x-delivery-limit`); on classic queues the plugin counts deliveries itself.
   */
  readonly deliveryLimit?: number;
  /** Extra arguments (`x-…`), passed as they are. */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** Only check that it exists (fails if not); never declare it. */
  readonly passive?: boolean;
}

/** A binding to declare at startup. */
export interface BindingOptions {
  /** The queue that receives. */
  readonly queue: string;
  /** The exchange that routes to it. */
  readonly exchange: string;
  /** The binding key; `""` by default. */
  readonly routingKey?: string;
  /** Binding arguments: for a headers exchange `{ "x-match": "all" | "any", header: value, … }`. */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** Declarations made when the broker connects, and again after every reconnection. */
export interface Topology {
  /** Exchanges, declared first. */
  readonly exchanges?: readonly ExchangeOptions[];
  /** Queues. */
  readonly queues?: readonly (QueueOptions & { readonly name: string })[];
  /** Bindings of queues to exchanges, declared last. */
  readonly bindings?: readonly BindingOptions[];
}

/** TLS settings for `amqps://` URLs. */
export interface TlsOptions {
  /** Trusted certificate authorities (PEM). */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** The client certificate (PEM), for mutual TLS. */
  readonly cert?: string | Uint8Array;
  /** The client key (PEM). */
  readonly key?: string | Uint8Array;
  /** The key's passphrase. */
  readonly passphrase?: string;
  /** The server name to check the certificate against; the URL's host by default. */
  readonly servername?: string;
  /** Check the server's certificate; true by default. Never turn it off in production. */
  readonly rejectUnauthorized?: boolean;
}

/** Reconnection after the connection drops. */
export interface ReconnectOptions {
  /** Milliseconds before the first attempt; 100 by default. */
  readonly initialDelay?: number;
  /** The longest wait between attempts; 5000 ms by default. */
  readonly maxDelay?: number;
  /** Each wait is this many times longer than the last; 2 by default. */
  readonly factor?: number;
}

/** Options of {@linkcode rabbitmq}: the core's broker options and these. */
export interface RabbitmqOptions extends BrokerOptions {
  /** `amqp://user:password@host:5672/vhost?heartbeat=30` or `amqps://…`; `amqp://localhost` by default. */
  readonly url?: string;
  /** The user name, if not in the URL. */
  readonly username?: string;
  /** The password, if not in the URL. Never logged. */
  readonly password?: string;
  /** TLS settings, for `amqps://`. */
  readonly tls?: TlsOptions;
  /**
   * The exchange of subscribers and publishes that name none; `amq.topic` by default, so channels are topic
   * routing keys: groups, fan-out and `{param}` wildcards all work. `""` makes it the default exchange
   * (channel = queue name), as Python FastStream does.
   */
  readonly exchange?: string;
  /** Heartbeat interval in seconds; the server's suggestion by default. */
  readonly heartbeat?: number;
  /** Reconnect after the connection drops (the default), with these delays; `false` to give up instead. */
  readonly reconnect?: false | ReconnectOptions;
  /** Publisher confirms: `publish()` resolves once RabbitMQ has the message; true by default. */
  readonly confirms?: boolean;
  /** The most unconfirmed publishes in flight on the connection; later ones wait. 1024 by default. */
  readonly publishWindow?: number;
  /** Exchanges, queues and bindings declared at startup and after every reconnection. */
  readonly declare?: Topology;
  /** Only check every exchange and queue the app names (they must exist); declare nothing. */
  readonly passive?: boolean;
  /** The connection's name in the RabbitMQ management UI. */
  readonly connectionName?: string;
  /**
   * The largest body in bytes: a bigger publish fails with {@linkcode MessageTooLargeError}, and a bigger
   * incoming message is logged and rejected (dead-lettered where the queue says) without reaching a handler.
   * RabbitMQ's own `max_message_size` (128 MiB by default) still applies. No limit by default.
   */
  readonly maxMessageSize?: number;
}

/** RabbitMQ options of a subscriber, beside the core's (`group`, `prefetch`, `ack` …). */
export interface RabbitmqSubscribeOptions {
  /**
   * The exchange the queue is bound to: a name (declared as a topic exchange unless it is built in), a full
   * declaration, or `""` for none (consume the queue as it is). The broker's `exchange` by default.
   */
  readonly exchange?: string | ExchangeOptions;
  /**
   * The queue to consume: a name or a declaration. By default the `group` names it (subscribers of a group
   * compete), and without a group each subscriber gets a server-named exclusive queue (fan-out).
   */
  readonly queue?: string | QueueOptions;
  /** The binding key; the channel (with `{param}` → `*`) by default. */
  readonly routingKey?: string;
  /** Binding arguments, e.g. `{ "x-match": "any", kind: "created" }` on a headers exchange. */
  readonly bindArguments?: Readonly<Record<string, unknown>>;
  /** The consumer's priority among consumers of the same queue (`x-priority`). */
  readonly consumerPriority?: number;
  /** The largest body this subscriber accepts; bigger ones are logged and rejected. The broker's by default. */
  readonly maxMessageSize?: number;
}

/** RabbitMQ options of a publish, beside the core's (`headers`, `correlationId` …). */
export interface RabbitmqPublishOptions {
  /** The exchange to publish to; the broker's `exchange` by default, `""` to send straight to a queue. */
  readonly exchange?: string;
  /** Written to disk by durable queues (delivery mode 2); true by default. */
  readonly persistent?: boolean;
  /** The message's priority (0–255), honoured by queues with `maxPriority`. */
  readonly priority?: number;
  /** Milliseconds after which the message expires in a queue. */
  readonly expiration?: number;
  /** Fail the publish if no queue receives the message (instead of dropping it silently). */
  readonly mandatory?: boolean;
  /** The message's type property. */
  readonly type?: string;
  /** The publishing application's id. */
  readonly appId?: string;
  /** The user id; RabbitMQ checks it against the connection's user. */
  readonly userId?: string;
  /** The timestamp property; now by default. */
  readonly timestamp?: Date;
}

const record = type("Record<string, unknown>");
const bytes = type("string").or(type.instanceOf(Uint8Array));
const exchangeSchema = type({
  name: "string",
  "type?": "'direct' | 'fanout' | 'topic' | 'headers'",
  "durable?": "boolean",
  "autoDelete?": "boolean",
  "internal?": "boolean",
  "alternateExchange?": "string",
  "arguments?": record,
  "passive?": "boolean",
  "+": "reject",
});
const queueShape = {
  "name?": "string",
  "type?": "'classic' | 'quorum' | 'stream'",
  "durable?": "boolean",
  "exclusive?": "boolean",
  "autoDelete?": "boolean",
  "messageTtl?": "number.integer >= 0",
  "expires?": "number.integer > 0",
  "maxLength?": "number.integer >= 0",
  "maxPriority?": "1 <= number.integer <= 255",
  "deadLetterExchange?": "string",
  "deadLetterRoutingKey?": "string",
  "deliveryLimit?": "number.integer >= 1",
  "arguments?": record,
  "passive?": "boolean",
  "+": "reject",
} as const;
const queueSchema = type(queueShape);
const bindingSchema = type({
  queue: "string",
  exchange: "string",
  "routingKey?": "string",
  "arguments?": record,
  "+": "reject",
});

/** What is wrong with a connection URL, if anything; the message never shows the password. */
function urlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${redactUrl(raw)}" is not a URL; write it like amqp://user:password@localhost:5672/vhost`;
  }
  if (url.protocol !== "amqp:" && url.protocol !== "amqps:") {
    return `the scheme must be amqp: or amqps:, got ${url.protocol} (${redactUrl(url)})`;
  }
  return undefined;
}

const BROKER = {
  "url?": type("string").narrow((url, ctx) => {
    const problem = urlProblem(url);
    return problem === undefined ? true : ctx.reject({ message: problem });
  }),
  "username?": "string",
  "password?": "string",
  "tls?": {
    "ca?": bytes.or(bytes.array()),
    "cert?": bytes,
    "key?": bytes,
    "passphrase?": "string",
    "servername?": "string",
    "rejectUnauthorized?": "boolean",
    "+": "reject",
  },
  "exchange?": "string",
  "heartbeat?": "number.integer >= 0",
  "reconnect?": type("false").or({
    "initialDelay?": "number >= 0",
    "maxDelay?": "number >= 0",
    "factor?": "number >= 1",
    "+": "reject",
  }),
  "confirms?": "boolean",
  "publishWindow?": "number.integer >= 1",
  "declare?": {
    "exchanges?": exchangeSchema.array(),
    "queues?": queueSchema.and({ name: "string" }).array(),
    "bindings?": bindingSchema.array(),
    "+": "reject",
  },
  "passive?": "boolean",
  "connectionName?": "string",
  "maxMessageSize?": "number.integer >= 1",
} as const satisfies OptionsShape<Omit<RabbitmqOptions, keyof BrokerOptions>>;

const SUBSCRIBE = {
  "exchange?": type("string").or(exchangeSchema),
  "queue?": type("string").or(queueSchema),
  "routingKey?": "string",
  "bindArguments?": record,
  "consumerPriority?": "number.integer",
  "maxMessageSize?": "number.integer >= 1",
} as const satisfies OptionsShape<RabbitmqSubscribeOptions>;

const PUBLISH = {
  "exchange?": "string",
  "persistent?": "boolean",
  "priority?": "0 <= number.integer <= 255",
  "expiration?": "number.integer >= 0",
  "mandatory?": "boolean",
  "type?": "string",
  "appId?": "string",
  "userId?": "string",
  "timestamp?": "Date",
} as const satisfies OptionsShape<RabbitmqPublishOptions>;

/** The RabbitMQ broker options beside the core's: checked when `rabbitmq()` is called. */
export const brokerOptions: OptionsSchema<RabbitmqOptions> = optionsSchema<RabbitmqOptions>({
  what: "RabbitMQ broker",
  keys: optionNames(BROKER),
  schema: type(BROKER),
  core: CORE_BROKER_OPTIONS,
});

/** The RabbitMQ options of a subscriber beside the core's: checked when the subscriber starts. */
export const subscribeOptions: OptionsSchema<RabbitmqSubscribeOptions> = optionsSchema<
  RabbitmqSubscribeOptions
>({
  what: "RabbitMQ subscriber",
  keys: optionNames(SUBSCRIBE),
  schema: type(SUBSCRIBE),
  core: CORE_SUBSCRIBER_OPTIONS,
});

/** The RabbitMQ options of a publish beside the core's: checked when a message is published. */
export const publishOptions: OptionsSchema<RabbitmqPublishOptions> = optionsSchema<RabbitmqPublishOptions>({
  what: "RabbitMQ publish",
  keys: optionNames(PUBLISH),
  schema: type(PUBLISH),
  core: CORE_PUBLISH_OPTIONS,
});

const PUBLISH_NAMES: ReadonlySet<string> = new Set(optionNames(PUBLISH));

/**
 * Whether a publish's options are surely valid, checked by hand: the hot path skips the schema, which only
 * words the errors (and names unknown options).
 */
function plainPublishOptions(options: RabbitmqPublishOptions): boolean {
  for (const key in options) {
    if (!PUBLISH_NAMES.has(key) && (options as Record<string, unknown>)[key] !== undefined) return false;
  }
  const { exchange, persistent, priority, expiration, mandatory, type, appId, userId, timestamp } = options;
  return (exchange === undefined || typeof exchange === "string") &&
    (persistent === undefined || typeof persistent === "boolean") &&
    (mandatory === undefined || typeof mandatory === "boolean") &&
    (priority === undefined || (Number.isInteger(priority) && priority >= 0 && priority <= 255)) &&
    (expiration === undefined || (Number.isInteger(expiration) && expiration >= 0)) &&
    (type === undefined || typeof type === "string") &&
    (appId === undefined || typeof appId === "string") &&
    (userId === undefined || typeof userId === "string") &&
    (timestamp === undefined || timestamp instanceof Date);
}

/** Checks a publish's RabbitMQ options; cheap when they are fine. */
export function checkPublishOptions(options: RabbitmqPublishOptions, channel: string): void {
  if (!plainPublishOptions(options)) parseOptions(publishOptions, options, channel);
}

/** The broker options a `amqp://` or `amqps://` URL carries: the URL itself, credentials included. */
export function optionsFromUrl(url: URL): Partial<RabbitmqOptions> {
  return { url: url.toString() };
}

/** A parsed connection URL: the one to connect with (credentials included) and the one to show. */
export interface ParsedUrl {
  /** The URL amqplib connects to, with credentials. Never log it. */
  readonly connect: string;
  /** The URL without the password, for logs, errors and docs. */
  readonly display: string;
  /** Whether it is `amqps://`. */
  readonly tls: boolean;
}

/** Parses and checks the connection URL; merges `username`/`password` into it. */
export function parseUrl(options: Pick<RabbitmqOptions, "url" | "username" | "password">): ParsedUrl {
  const raw = options.url ?? "amqp://localhost";
  const problem = urlProblem(raw);
  if (problem !== undefined) throw new OptionError(`Invalid RabbitMQ broker option: url: ${problem}`);
  const url = new URL(raw);
  if (options.username !== undefined) url.username = encodeURIComponent(options.username);
  if (options.password !== undefined) url.password = encodeURIComponent(options.password);
  return { connect: url.toString(), display: redactUrl(url), tls: url.protocol === "amqps:" };
}
