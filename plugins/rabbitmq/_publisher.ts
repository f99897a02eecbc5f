/**
 * Publishing on one channel per connection, in confirm mode by default: a publish resolves once RabbitMQ
 * confirmed it, at most `window` publishes wait for their confirm at once, and when amqplib's buffer is
 * full (`publish` returned false) later publishes wait for `drain`. A publish caught by a dropped
 * connection is sent again once the connection is back, so nothing the caller awaited is lost.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { ConnectionError, type Logger, NotSupportedError, StateError } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import type { Channel, ChannelModel, ConfirmChannel } from "amqplib";
import type { AmqpConnection } from "./_connection.ts";
import { TopologyError, UnroutableError } from "./_topology.ts";
import type { AmqpPublishProperties } from "./message.ts";
import { DrainGate } from "./_drain.ts";

const RETRIES = 3;

/** A window of outstanding publishes. */
class Window {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  tryAcquire(): boolean {
    if (this.#free <= 0 || this.#waiting.length > 0) return false;
    this.#free--;
    return true;
  }
  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** The publishing side of a connection. */
export class AmqpPublisher {
  readonly #connection: AmqpConnection;
  readonly #confirms: boolean;
  readonly #window: Window;
  readonly #logger: Logger;
  #channel: Promise<Channel | ConfirmChannel> | undefined;
  /** The open channel, once it is open; undefined while (re)opening. */
  #live: Channel | ConfirmChannel | undefined;
  readonly #drain = new DrainGate();
  #lastError: Error | undefined;
  /** Mandatory publishes waiting for their confirm, by message id: set when RabbitMQ returned them. */
  readonly #mandatory = new Map<string, { returned: boolean }>();

  /** Publishes on `connection`, with confirms and at most `window` of them outstanding. */
  constructor(connection: AmqpConnection, options: { confirms: boolean; window: number; logger: Logger }) {
    this.#connection = connection;
    this.#confirms = options.confirms;
    this.#window = new Window(options.window);
    this.#logger = options.logger;
    connection.onRestore((model) => this.#open(model).then(() => undefined));
  }

  /** Publishes one message; resolves once confirmed (or written, without confirms). */
  publish(
    exchange: string,
    routingKey: string,
    body: Uint8Array,
    properties: AmqpPublishProperties,
  ): Promise<void> {
    const channel = this.#live;
    if (
      !channel || !this.#confirms || this.#drain.blocked || properties.mandatory || !this.#window.tryAcquire()
    ) {
      return this.#publishWithRetries(exchange, routingKey, body, properties);
    }
    // The common case without awaits: an open confirm channel, a free slot, no back-pressure.
    return new Promise<void>((resolve, reject) => {
      const fallBack = (error: unknown): void => {
        const lost = new ChannelLost(this.#lastError ?? error);
        if (refused(lost) || this.#connection.closing) return reject(unwrap(lost));
        this.#publishWithRetries(exchange, routingKey, body, properties).then(resolve, reject);
      };
      let written: boolean;
      try {
        written = (channel as ConfirmChannel).publish(
          exchange,
          routingKey,
          toBuffer(body),
          properties,
          (error) => {
            this.#window.release();
            if (error) fallBack(error);
            else resolve();
          },
        );
      } catch (error) {
        this.#window.release();
        if (error instanceof RangeError) return reject(unencodable(error, exchange, routingKey, properties));
        return fallBack(error);
      }
      if (!written) this.#drain.block(channel);
    });
  }

  async #publishWithRetries(
    exchange: string,
    routingKey: string,
    body: Uint8Array,
    properties: AmqpPublishProperties,
  ): Promise<void> {
    const wait = this.#window.acquire();
    if (wait) await wait;
    try {
      for (let attempt = 1;; attempt++) {
        try {
          return await this.#publishOnce(exchange, routingKey, body, properties);
        } catch (error) {
          if (
            !(error instanceof ChannelLost) || refused(error) || this.#connection.closing ||
            attempt >= RETRIES
          ) {
            throw unwrap(error);
          }
          this.#logger.warn(
            `Publish to ${exchange || "(default)"}/${routingKey} interrupted; sending again`,
            {
              messageId: properties.messageId,
            },
          );
        }
      }
    } finally {
      this.#window.release();
    }
  }

  async #publishOnce(
    exchange: string,
    routingKey: string,
    body: Uint8Array,
    properties: AmqpPublishProperties,
  ): Promise<void> {
    const channel = await this.#current();
    await this.#drain.pass();
    const content = toBuffer(body);
    const tracked = properties.mandatory && properties.messageId !== undefined
      ? { returned: false }
      : undefined;
    if (tracked) this.#mandatory.set(properties.messageId!, tracked);
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (error: unknown): void => {
          if (error) reject(new ChannelLost(this.#lastError ?? error));
          else resolve();
        };
        let written: boolean;
        try {
          written = this.#confirms
            ? (channel as ConfirmChannel).publish(exchange, routingKey, content, properties, done)
            : channel.publish(exchange, routingKey, content, properties);
        } catch (error) {
          if (error instanceof RangeError) {
            return reject(unencodable(error, exchange, routingKey, properties));
          }
          // amqplib throws synchronously on a closed channel.
          return reject(new ChannelLost(error));
        }
        if (!written) this.#drain.block(channel);
        if (!this.#confirms) resolve();
      });
    } finally {
      if (tracked) this.#mandatory.delete(properties.messageId!);
    }
    if (tracked?.returned) {
      throw new UnroutableError(
        `No queue is bound to ${exchange || "the default exchange"} for routing key "${routingKey}": ` +
          `the mandatory message ${properties.messageId} was returned`,
      );
    }
  }

  #current(): Promise<Channel | ConfirmChannel> {
    this.#channel ??= this.#connection.ready().then((model) => this.#open(model));
    return this.#channel;
  }

  #open(model: ChannelModel): Promise<Channel | ConfirmChannel> {
    const opening = (async () => {
      const channel = this.#confirms ? await model.createConfirmChannel() : await model.createChannel();
      this.#lastError = undefined;
      channel.on("error", (error: Error) => {
        this.#lastError = error;
        this.#logger.warn(`The publish channel failed: ${describeError(error)}`);
      });
      channel.on("close", () => {
        if (this.#channel === opening) this.#channel = undefined;
        if (this.#live === channel) this.#live = undefined;
      });
      channel.on("return", (message: { properties: { messageId?: unknown } }) => {
        const id = message.properties.messageId;
        const tracked = typeof id === "string" ? this.#mandatory.get(id) : undefined;
        if (tracked) tracked.returned = true;
      });
      this.#live = channel;
      return channel;
    })();
    opening.catch(() => {
      if (this.#channel === opening) this.#channel = undefined;
    });
    this.#channel = opening;
    return opening;
  }
}

/**
 * amqplib encodes a message's properties (its headers among them) into one 64 KiB buffer and throws a
 * RangeError, with the channel still open, when they do not fit. Sending again cannot help: the publish fails
 * at once with an error naming the message, and later publishes go through.
 */
function unencodable(
  error: RangeError,
  exchange: string,
  routingKey: string,
  properties: AmqpPublishProperties,
): NotSupportedError {
  return new NotSupportedError(
    `Cannot publish message ${properties.messageId ?? "(no id)"} to ${
      exchange || "(default)"
    }/${routingKey}: ` +
      `its properties do not fit in the 64 KiB amqplib encodes them into (${error.message}); ` +
      "carry large values in the body",
    { cause: error },
  );
}

/** The channel went away under a publish; the publish may be sent again. */
class ChannelLost extends Error {
  readonly reason: unknown;

  constructor(reason: unknown) {
    super(describeError(reason));
    this.reason = reason;
  }
}

/** RabbitMQ closed the channel over this publish (unknown exchange, no permission): sending again won't help. */
function refused(error: ChannelLost): boolean {
  return /NOT_FOUND|PRECONDITION|ACCESS_REFUSED|NOT_ALLOWED/.test(describeError(error.reason));
}

function unwrap(error: unknown): Error {
  if (!(error instanceof ChannelLost)) return error as Error;
  const reason = error.reason;
  const text = describeError(reason);
  if (/NOT_FOUND/.test(text)) {
    return new TopologyError(`RabbitMQ refused the publish: ${text}`, { cause: reason });
  }
  if (refused(error)) {
    return new StateError(`RabbitMQ refused the publish: ${text}`, { cause: reason });
  }
  return new ConnectionError(`The publish was not confirmed: ${text}`, { cause: reason });
}

/** amqplib wants a Buffer; wrap the bytes without copying where the runtime has Buffer. */
export function toBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
