/**
 * Middlewares wrap consuming and publishing, onion-style: the first registered is the outermost. Broker
 * middlewares wrap router middlewares, which wrap subscriber and publisher ones.
 *
 * @module
 */

import type { Context } from "./context.ts";
import type { SubscriptionEvents } from "./driver.ts";
import { describeError } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** Why a message is sent: a plain publish, a request waiting for its reply, or a handler's reply. */
export type PublicationKind = "publish" | "request" | "reply";

/** A message on its way out, before encoding. Middlewares may change any field. */
export interface Publication {
  /** The kind of broker it goes to: its driver's name (`kafka`, `nats`, `memory` …). */
  readonly broker: string;
  /** A publish, a request (the sending of it), or a handler's reply to a request. */
  readonly kind: PublicationKind;
  /**
   * The context of the consumed message this is sent for — a handler's `ctx.publish` and `ctx.request`,
   * its result and its reply —, so a middleware can tie the two (a trace, a tenant); undefined otherwise.
   */
  readonly origin: Context | undefined;
  /** Where it goes. */
  channel: string;
  /** The body, not yet encoded. */
  body: unknown;
  /** User headers. */
  headers: Record<string, string>;
  /** The correlation id. */
  correlationId: string | undefined;
  /** The message id. */
  messageId: string | undefined;
  /** Where a reply should go. */
  replyTo: string | undefined;
  /** The content type; chosen from the body when undefined. */
  contentType: string | undefined;
  /** The plugin's publish options (key, partition, exchange, QoS …). */
  options: Record<string, unknown>;
}

/** Consuming: runs around decoding, validation, the handler and publishing its result. */
export type ConsumeMiddleware = (context: Context, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * Publishing: runs before the body is encoded and handed to the driver. For a request it runs around the
 * sending; where the driver has a native request (NATS, RabbitMQ) that is the whole round trip.
 */
export type PublishMiddleware = (
  publication: Publication,
  next: (publication: Publication) => Promise<void>,
) => Promise<void>;

/**
 * A message a driver dropped before it was consumed: a subscriber on a transport without flow control (Redis
 * Pub/Sub, core NATS) fell behind its `maxPending` bounds. Nothing of it was decoded, and no handler ran.
 */
export interface DroppedMessage {
  /** The kind of broker: its driver's name. */
  readonly broker: string;
  /**
   * The subscriber's channel as declared, router prefixes included (`logs.{level}`); for the reply channel
   * of requests on a broker without a native request, that channel's name.
   */
  readonly subscriber: string;
  /** The channel the message arrived on (`logs.error`). */
  readonly channel: string;
}

/**
 * Told of each dropped message, in the driver's turn: it has no context and nothing to wrap, and what it
 * throws is logged, never passed to the driver.
 */
export type DroppedMiddleware = (message: DroppedMessage) => void;

/**
 * A middleware: any of its parts.
 *
 * @example
 * ```ts
 * import type { Middleware } from "@sluice/core";
 * const timing: Middleware = {
 *   name: "timing",
 *   async consume(ctx, next) {
 *     const start = performance.now();
 *     try {
 *       return await next();
 *     } finally {
 *       ctx.logger.debug("handled", { ms: performance.now() - start });
 *     }
 *   },
 * };
 * ```
 */
export interface Middleware {
  /** A name for logs. */
  readonly name?: string;
  /** Wraps the processing of each consumed message. */
  readonly consume?: ConsumeMiddleware;
  /** Wraps each publish. */
  readonly publish?: PublishMiddleware;
  /** Counts messages dropped before they were consumed. */
  readonly dropped?: DroppedMiddleware;
}

/** The events of one subscription that tell `middlewares` of every message dropped. */
export function subscriptionEvents(
  middlewares: readonly Middleware[],
  broker: string,
  subscriber: string,
  logger: Logger,
): SubscriptionEvents {
  const hooks = middlewares.flatMap((m) => (m.dropped ? [m] : []));
  return {
    dropped(channel) {
      const message: DroppedMessage = { broker, subscriber, channel };
      for (const middleware of hooks) {
        try {
          middleware.dropped!(message);
        } catch (error) {
          logger.error(
            `Middleware ${middleware.name ?? "(unnamed)"} failed on a dropped message: ${
              describeError(error)
            }`,
          );
        }
      }
    },
  };
}

/** Composes consume middlewares around `inner`; returns `inner` itself when there are none. */
export function composeConsume(
  middlewares: readonly Middleware[],
  inner: (context: Context) => Promise<unknown>,
): (context: Context) => Promise<unknown> {
  const layers = middlewares.flatMap((m) => (m.consume ? [m.consume] : []));
  if (layers.length === 0) return inner;
  // One layer, the common case (a metrics or tracing middleware on the broker): one closure per message.
  if (layers.length === 1) {
    const only = layers[0]!;
    return (context) => only(context, () => inner(context));
  }
  return (context) => {
    const run = (i: number): Promise<unknown> =>
      i === layers.length ? inner(context) : layers[i]!(context, () => run(i + 1));
    return run(0);
  };
}

/** Composes publish middlewares around `inner`; returns `inner` itself when there are none. */
export function composePublish(
  middlewares: readonly Middleware[],
  inner: (publication: Publication) => Promise<void>,
): (publication: Publication) => Promise<void> {
  const layers = middlewares.flatMap((m) => (m.publish ? [m.publish] : []));
  if (layers.length === 0) return inner;
  // One layer: its `next` is `inner` itself, no closure per message.
  if (layers.length === 1) {
    const only = layers[0]!;
    return (publication) => only(publication, inner);
  }
  return (publication) => {
    const run = (i: number, p: Publication): Promise<void> =>
      i === layers.length ? inner(p) : layers[i]!(p, (next) => run(i + 1, next));
    return run(0, publication);
  };
}
