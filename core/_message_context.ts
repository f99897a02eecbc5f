/**
 * The context a handler receives, bound to one consumed message (or the first of a batch).
 *
 * @module
 */

import type { Broker, PublishOptions, Reply, RequestCallOptions } from "./broker.ts";
import type { Context } from "./context.ts";
import type { Logger } from "./logger.ts";
import type { ConsumedMessage } from "./message.ts";
import type { StandardSchemaV1 } from "./schema.ts";

/** A context bound to one message. */
export class MessageContext implements Context<Readonly<Record<string, string>>> {
  readonly message: ConsumedMessage;
  readonly subscriber: string;
  readonly #broker: Broker;
  readonly #base: Logger;
  #logger: Logger | undefined;
  #state: Map<string, unknown> | undefined;
  /** The messages of a batch, for batch handlers. */
  readonly batch: readonly ConsumedMessage[] | undefined;

  constructor(
    broker: Broker,
    base: Logger,
    subscriber: string,
    message: ConsumedMessage,
    batch?: ConsumedMessage[],
  ) {
    this.#broker = broker;
    this.#base = base;
    this.subscriber = subscriber;
    this.message = message;
    this.batch = batch;
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
  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }
  publish(body: unknown, channel: string, options: PublishOptions = {}): Promise<void> {
    return this.#broker.publish(body, channel, {
      correlationId: this.message.correlationId ?? this.message.messageId,
      ...options,
    });
  }
  request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options: RequestCallOptions<S> = {},
  ): Promise<Reply<S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown>> {
    // A request gets a correlation id of its own: replies are matched by it, so it must be unique.
    return this.#broker.request(body, channel, options);
  }
}
