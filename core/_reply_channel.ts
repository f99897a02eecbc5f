/**
 * Request/reply for drivers without a native one: one private reply channel per broker, and requests
 * matched to replies by correlation id.
 *
 * @module
 */

import type { Codecs } from "./codec.ts";
import type { Driver, IncomingMessage, SubscriptionHandle } from "./driver.ts";
import { RemoteError, StateError, TimeoutError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { type Middleware, subscriptionEvents } from "./middleware.ts";
import { AwaitedReplies } from "./kit/replies.ts";
import type { Reply, ReplyBody } from "./publish_options.ts";
import { type StandardSchemaV1, validate } from "./schema.ts";
import { ERROR_HEADER } from "./wire.ts";

/**
 * The start of every reply channel's name. Drivers that must treat replies apart (Redis sends them over
 * Pub/Sub whatever its default kind) recognise them by it.
 */
export const REPLY_CHANNEL_PREFIX = "sluice-reply-";

/** The reply channel of one broker: subscribed on first use, stopped on close. */
export class ReplyChannel {
  readonly #driver: Driver;
  readonly #logger: Logger;
  readonly #middlewares: () => readonly Middleware[];
  readonly #pending = new AwaitedReplies<IncomingMessage>();
  #subscription: { channel: string; handle: Promise<SubscriptionHandle> } | undefined;

  /** `middlewares` are the broker's own, told of replies the driver drops. */
  constructor(driver: Driver, logger: Logger, middlewares: () => readonly Middleware[]) {
    this.#driver = driver;
    this.#logger = logger;
    this.#middlewares = middlewares;
  }

  /**
   * Sends a request through `send` (which publishes it with `replyTo` set to the given channel) and waits
   * for the reply with the same correlation id.
   */
  async request(
    target: string,
    correlationId: string,
    send: (replyTo: string) => Promise<void>,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    const subscription = this.#subscribe();
    await subscription.handle;
    const reply = this.#pending.wait(
      correlationId,
      timeout,
      signal,
      () =>
        new TimeoutError(`No reply from ${target} within ${timeout} ms (correlation id ${correlationId})`),
    );
    try {
      // The timeout may fire while the publish is still under way (a slow first publish to a new Kafka
      // topic): its rejection waits for the await below without counting as unhandled.
      await send(subscription.channel);
    } catch (error) {
      this.#pending.reject(correlationId, error as Error);
      throw error;
    }
    return await reply;
  }

  /** Stops the subscription and fails the requests still waiting. */
  async close(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    if (subscription) await (await subscription.handle).stop();
    this.#pending.close(new StateError("The broker closed before the reply came"));
  }

  #subscribe(): { channel: string; handle: Promise<SubscriptionHandle> } {
    if (this.#subscription) return this.#subscription;
    const channel = REPLY_CHANNEL_PREFIX + crypto.randomUUID();
    const handle = this.#driver.subscribe(
      { channel, template: channel, prefetch: 1024, reply: true, options: {} },
      (message) => {
        // The waiting request gets its reply first, and the reply is acked meanwhile: where an ack is a round
        // trip of its own (an SQS deletion), awaiting it first made every request wait for it too.
        const id = message.correlationId;
        if (id === undefined || !this.#pending.resolve(id, message)) {
          this.#logger.debug("Dropped a reply nobody waits for", { correlationId: id });
        }
        return message.ack();
      },
      subscriptionEvents(this.#middlewares(), this.#driver.name, channel, this.#logger),
    );
    this.#subscription = { channel, handle };
    handle.catch(() => (this.#subscription = undefined));
    return this.#subscription;
  }
}

/**
 * The reply a request resolves with, whichever way it came: a responder's failure (its error header) becomes
 * a {@linkcode RemoteError}, the body is decoded and, given a schema, validated.
 */
export async function readReply<S extends StandardSchemaV1 | undefined>(
  incoming: IncomingMessage,
  channel: string,
  codecs: Codecs,
  schema: S | undefined,
): Promise<Reply<ReplyBody<S>>> {
  const error = incoming.headers[ERROR_HEADER];
  if (error !== undefined) throw new RemoteError(`The handler of ${channel} failed: ${error}`);
  if (incoming.decodeError) throw incoming.decodeError;
  let value = codecs.decode(incoming.body, incoming.contentType);
  if (schema) value = await validate(schema, value, `The reply from ${channel}`);
  return {
    body: value as ReplyBody<S>,
    headers: incoming.headers,
    correlationId: incoming.correlationId,
    contentType: incoming.contentType,
    raw: incoming.body,
  };
}
