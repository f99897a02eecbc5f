/**
 * The context a handler and consume middlewares receive beside the body.
 *
 * @module
 */

import type { Logger } from "./logger.ts";
import type { Message } from "./message.ts";
import type { PublishOptions, Reply, ReplyBody, RequestCallOptions } from "./publish_options.ts";
import type { StandardSchemaV1 } from "./schema.ts";

/** No dependencies: the type of `ctx.deps` for a subscriber that needs none. */
// deno-lint-ignore ban-types
export type NoDependencies = {};

/** Everything about the message being handled, and ways to publish in its name. */
export interface Context<Path = Readonly<Record<string, string>>, Deps = NoDependencies> {
  /** The message, with its decoded body once decoding ran. */
  readonly message: Message<unknown, Path>;
  /** Parameters captured from the channel: `logs.{level}` gives `ctx.path.level`. */
  readonly path: Path;
  /**
   * A logger whose lines carry the broker, subscriber, message id and correlation id. A middleware may replace
   * it to add fields, e.g. `ctx.logger = ctx.logger.child({ traceId })`: the handler's lines and the core's
   * own lines about this message (retries, failures) then carry them too.
   */
  logger: Logger;
  /** The subscriber's channel template. */
  readonly subscriber: string;
  /** The kind of broker the message came from: its driver's name (`kafka`, `nats`, `memory` …). */
  readonly broker: string;
  /** The messages of the batch, for a batch subscriber's handler; `message` is the first of them. */
  readonly batch?: readonly Message<unknown, Path>[];
  /**
   * The dependencies the subscriber and its routers `needs`, typed by them: `needs: { db: Db }` gives
   * `ctx.deps.db`. Set before consume middlewares run; empty for a subscriber that needs nothing.
   */
  readonly deps: Deps;
  /** Free space for middlewares to pass values to the handler. */
  readonly state: Map<string, unknown>;
  /** Publishes a message that carries this message's correlation id. */
  publish(body: unknown, channel: string, options?: PublishOptions): Promise<void>;
  /**
   * Answers this message's request: sends `body` to its reply address with its correlation id, as a handler's
   * result is sent — a `reply` to publish middlewares, not a publish. Does nothing for a message that asked
   * for no reply. Meant for middlewares (an exception policy's reply): a handler answers by returning its
   * result, which is sent as the reply after it returns, so a handler calling this sends two replies.
   */
  reply(body: unknown, options?: PublishOptions): Promise<void>;
  /** Sends a request (with a correlation id of its own, since replies are matched by it). */
  request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options?: RequestCallOptions<S>,
  ): Promise<Reply<ReplyBody<S>>>;
}
