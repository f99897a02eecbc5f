/**
 * The port: the few things a subscriber, a publisher and a handler's context need from their broker —
 * its driver, codecs, logger and limits, a way to send and to request, and the observer a test broker sets.
 * They reach their broker only through it, so none of them imports the broker, and a subscriber can be
 * built and tested with a port of its own.
 *
 * @module
 */

import type { Codecs } from "./codec.ts";
import type { Context } from "./context.ts";
import type { Driver } from "./driver.ts";
import type { Logger } from "./logger.ts";
import type { Middleware } from "./middleware.ts";
import type { Mock, MockCall } from "./mock.ts";
import type { PublishOptions, Reply, ReplyBody, RequestCallOptions } from "./publish_options.ts";
import type { StandardSchemaV1 } from "./schema.ts";
import type { Scope } from "./_scope.ts";

/** Watches what handlers receive and publishers send; the test broker sets one to fill the mocks. */
export interface Observer {
  /** A handler received, or a publisher sent, `call`. */
  record(mock: Mock<unknown>, call: MockCall<unknown>): void;
}

/** What subscribers, publishers and contexts use of their broker. */
export interface BrokerPort {
  /** The driver in use (an emulation while a test broker is active). */
  readonly driver: Driver;
  /** The broker's codecs. */
  readonly codecs: Codecs;
  /** The broker's logger. */
  readonly logger: Logger;
  /** The largest body subscribers accept by default. */
  readonly maxBodySize: number | undefined;
  /** The observer of a test broker, while one is active. */
  readonly observer: Observer | undefined;
  /**
   * Publishes through `middlewares` (outermost first). Options may hold the driver's own publish options
   * beside the core's; `mock`, when given, records the publish while an observer is set; `origin` is the
   * context of the consumed message it is sent for.
   */
  send(
    body: unknown,
    channel: string,
    options: PublishOptions,
    middlewares: readonly Middleware[],
    mock?: Mock<unknown>,
    origin?: Context,
  ): Promise<void>;
  /** Publishes many bodies to one channel, at once where the driver can. */
  sendBatch(
    bodies: readonly unknown[],
    channel: string,
    options?: PublishOptions,
    mock?: Mock<unknown>,
  ): Promise<void>;
  /** Publishes through the broker's own middlewares, for `origin` where given. */
  publish(body: unknown, channel: string, options?: PublishOptions, origin?: Context): Promise<void>;
  /** Publishes a handler's reply to the message of `origin` through the broker's own middlewares. */
  reply(body: unknown, channel: string, options: PublishOptions, origin: Context): Promise<void>;
  /** Sends a request through the broker's own middlewares, for `origin` where given, and waits for its reply. */
  request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options?: RequestCallOptions<S>,
    origin?: Context,
  ): Promise<Reply<ReplyBody<S>>>;
}

/** Where a router, subscriber or publisher sits: its broker's port, its full prefix and middleware chain. */
export interface Mount {
  /** The broker's port. */
  readonly port: BrokerPort;
  /** The prefixes of every router above, joined. */
  readonly prefix: string;
  /** The middlewares of the broker and every router above, outermost first. */
  readonly middlewares: readonly Middleware[];
  /** Where the dependencies of its level are provided; undefined above a broker. */
  readonly scope?: Scope;
}
