/**
 * The options the core understands — of a broker, a subscriber and a publisher — and their names. A plugin
 * accepts these beside its own; the core keeps them and hands the driver only the rest, so no plugin keeps
 * a copy of these lists.
 *
 * @module
 */

import type { Codec } from "./codec.ts";
import type { Needs } from "./dependency.ts";
import type { IncomingMessage } from "./driver.ts";
import type { LogFormat, Logger, LogLevel } from "./logger.ts";
import type { Middleware } from "./middleware.ts";
import type { StandardSchemaV1 } from "./schema.ts";

/** Options of a broker; every plugin's factory accepts these beside its own. */
export interface BrokerOptions {
  /** The logger; a console logger at `logLevel` by default. */
  readonly logger?: Logger;
  /** The level of the default logger; `info` by default. */
  readonly logLevel?: LogLevel;
  /** How the default logger writes: `pretty` (the default) or `json`, one object per line. */
  readonly logFormat?: LogFormat;
  /** Extra codecs, looked up by content type. */
  readonly codecs?: readonly Codec[];
  /** Middlewares around every subscriber and publish. */
  readonly middlewares?: readonly Middleware[];
  /** The largest body a subscriber accepts, in bytes, unless it sets its own; no limit by default. */
  readonly maxBodySize?: number;
  /** Milliseconds `close()` waits for messages in flight; 30 000 by default. */
  readonly drainTimeout?: number;
  /** Milliseconds `request()` waits for a reply by default; 30 000 by default. */
  readonly requestTimeout?: number;
}

/** Retrying a failed handler in the process, with exponential back-off, before the error policy applies. */
export interface RetryPolicy {
  /** Tries in all, the first included; 1 by default (no retry). */
  readonly attempts?: number;
  /** Milliseconds before the first retry; 100 by default. */
  readonly delay?: number;
  /** Each retry waits this many times longer; 2 by default. */
  readonly factor?: number;
  /** The longest wait; 30 000 ms by default. */
  readonly maxDelay?: number;
}

/** Options of a batch subscriber. */
export interface BatchOptions {
  /** The largest batch. */
  readonly size: number;
  /** Milliseconds to wait for a batch to fill before handling what there is; 100 by default. */
  readonly timeout?: number;
}

/**
 * Options of a subscriber that every broker understands. A plugin's own (consumer group settings, exchanges,
 * QoS …) go beside these, typed by the broker's driver.
 */
export interface SubscriberOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /** Validates every body; the handler's argument type is its output type. */
  readonly schema?: S;
  /** Subscribers in one group compete for messages; without a group each gets every message. */
  readonly group?: string;
  /**
   * When the message is acknowledged: `auto` after the handler and its publishes succeeded (the default,
   * at-least-once), `first` before the handler runs (at-most-once), `manual` only when the handler calls
   * `ctx.message.ack()`.
   */
  readonly ack?: "auto" | "first" | "manual";
  /**
   * What happens when the handler fails for good: `reject` (the default) gives the message up — the broker
   * dead-letters it where configured —, `nack` returns it for redelivery with back-off. Bodies that cannot
   * be decoded or fail their schema are never redelivered: they are dead-lettered or rejected.
   */
  readonly onError?: "reject" | "nack";
  /** Retries in the process before the error policy applies. A number is the attempts in all. */
  readonly retry?: number | RetryPolicy;
  /** A channel that receives messages that failed for good, with `x-sluice-error` saying why; then acked. */
  readonly deadLetter?: string;
  /** How many messages are handled at once; 1 by default. */
  readonly concurrency?: number;
  /** Keeps messages with the same key in order while others run in parallel: `key` uses the broker's key. */
  readonly orderBy?: "key" | ((message: IncomingMessage) => string);
  /** Hands the handler a batch of bodies instead of one: a size, or size and wait. */
  readonly batch?: number | BatchOptions;
  /** Unsettled messages the broker may hand over; from `concurrency` and `batch` by default. */
  readonly prefetch?: number;
  /**
   * The largest body accepted, in bytes; a larger one is not decoded but dead-lettered or rejected with a
   * logged error. The broker's `maxBodySize` by default (no limit unless set).
   */
  readonly maxBodySize?: number;
  /** Extra codecs for this subscriber, beside the broker's. */
  readonly codecs?: readonly Codec[];
  /** Middlewares around this subscriber's handling. */
  readonly middlewares?: readonly Middleware[];
  /** A description for the generated docs. */
  readonly description?: string;
  /**
   * The dependencies its handlers use, by the name they have on `ctx.deps`: `{ db: Db }`. Each must be
   * provided by the app, the broker or a router above, or the start fails naming it.
   */
  readonly needs?: Needs;
}

/** Options of a publisher that every broker understands; a plugin's publish options go beside these. */
export interface PublisherOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Validates every body before it is sent; its input type is the publisher's body type. */
  readonly schema?: S;
  /** Middlewares around this publisher's publishes. */
  readonly middlewares?: readonly Middleware[];
  /** Headers on every message. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A description for the generated docs. */
  readonly description?: string;
}

// Objects rather than arrays, so that the compiler proves each list names every option and nothing else.
const BROKER = {
  logger: true,
  logLevel: true,
  logFormat: true,
  codecs: true,
  middlewares: true,
  maxBodySize: true,
  drainTimeout: true,
  requestTimeout: true,
} satisfies Record<keyof BrokerOptions, true>;

const SUBSCRIBER = {
  schema: true,
  group: true,
  ack: true,
  onError: true,
  retry: true,
  deadLetter: true,
  concurrency: true,
  orderBy: true,
  batch: true,
  prefetch: true,
  maxBodySize: true,
  codecs: true,
  middlewares: true,
  description: true,
  needs: true,
} satisfies Record<keyof SubscriberOptions, true>;

const PUBLISHER = {
  schema: true,
  middlewares: true,
  headers: true,
  description: true,
} satisfies Record<keyof PublisherOptions, true>;

/** The names of {@linkcode BrokerOptions}. */
export const CORE_BROKER_OPTIONS: readonly (keyof BrokerOptions)[] = Object.freeze(
  Object.keys(BROKER) as (keyof BrokerOptions)[],
);

/** The names of {@linkcode SubscriberOptions}. */
export const CORE_SUBSCRIBER_OPTIONS: readonly (keyof SubscriberOptions)[] = Object.freeze(
  Object.keys(SUBSCRIBER) as (keyof SubscriberOptions)[],
);

/** The names of {@linkcode PublisherOptions}. */
export const CORE_PUBLISHER_OPTIONS: readonly (keyof PublisherOptions)[] = Object.freeze(
  Object.keys(PUBLISHER) as (keyof PublisherOptions)[],
);

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The options that are not in `core`: what a driver receives. Returns `options` itself when it holds no core
 * option, and one shared empty object when it holds nothing else, so the publish path rarely allocates.
 */
export function withoutCore(
  options: object,
  core: readonly string[],
): Readonly<Record<string, unknown>> {
  let hasCore = false;
  let hasOther = false;
  for (const key in options) {
    if ((options as Record<string, unknown>)[key] === undefined) continue;
    if (core.includes(key)) hasCore = true;
    else hasOther = true;
  }
  if (!hasCore) return hasOther ? options as Record<string, unknown> : EMPTY;
  if (!hasOther) return EMPTY;
  const rest: Record<string, unknown> = {};
  for (const key in options) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && !core.includes(key)) rest[key] = value;
  }
  return rest;
}
