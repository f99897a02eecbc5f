/**
 * The context a handler receives, bound to one consumed message (or the first of a batch).
 *
 * @module
 */

import type { Context } from "./context.ts";
import type { NoDependencies } from "./dependency.ts";
import type { Logger } from "./logger.ts";
import type { ConsumedMessage } from "./message.ts";
import type { PublishOptions, Reply, ReplyBody, RequestCallOptions } from "./publish_options.ts";
import type { StandardSchemaV1 } from "./schema.ts";
import type { BrokerPort } from "./port.ts";

const NO_DEPENDENCIES: NoDependencies = Object.freeze({});

/** A context bound to one message. */
export class MessageContext implements Context<Readonly<Record<string, string>>> {
  message: ConsumedMessage;
  readonly subscriber: string;
  /** The messages of a batch, for batch handlers. */
  batch: readonly ConsumedMessage[] | undefined;
  /** Set by the dependencies' middleware of a subscriber that needs some. */
  deps: NoDependencies = NO_DEPENDENCIES;
  readonly #port: BrokerPort;
  readonly #base: Logger;
  #logger: Logger | undefined;
  #state: Map<string, unknown> | undefined;

  constructor(
    port: BrokerPort,
    base: Logger,
    subscriber: string,
    message: ConsumedMessage,
    batch?: readonly ConsumedMessage[],
  ) {
    this.#port = port;
    this.#base = base;
    this.subscriber = subscriber;
    this.message = message;
    this.batch = batch;
  }
  /**
   * Keeps only the batch's messages that decoded and passed the schema: the handler sees these, and a
   * {@linkcode BatchFailure}'s indexes count in them.
   */
  narrow(valid: readonly ConsumedMessage[]): void {
    this.batch = valid;
    if (valid.length > 0) this.message = valid[0]!;
  }
  get broker(): string {
    return this.#port.driver.name;
  }
  get path(): Readonly<Record<string, string>> {
    return this.message.path;
  }
  get logger(): Logger {
    return (this.#logger ??= this.#base.child({
      messageId: this.message.messageId,
      correlationId: this.message.correlationId,
    }));
  }
  set logger(logger: Logger) {
    this.#logger = logger;
  }
  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }
  publish(body: unknown, channel: string, options: PublishOptions = {}): Promise<void> {
    return this.#port.publish(body, channel, {
      correlationId: this.message.correlationId ?? this.message.messageId,
      ...options,
    }, this);
  }
  reply(body: unknown, options: PublishOptions = {}): Promise<void> {
    const replyTo = this.message.replyTo;
    if (replyTo === undefined) return Promise.resolve();
    return this.#port.reply(body, replyTo, {
      correlationId: this.message.correlationId ?? this.message.messageId,
      ...options,
    }, this);
  }
  request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options: RequestCallOptions<S> = {},
  ): Promise<Reply<ReplyBody<S>>> {
    // A request gets a correlation id of its own: replies are matched by it, so it must be unique.
    return this.#port.request(body, channel, options, this);
  }
}
