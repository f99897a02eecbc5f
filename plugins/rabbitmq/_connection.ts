/**
 * One AMQP connection that comes back after it drops: it reconnects with back-off, then runs every
 * registered restorer (declarations, the publish channel, consumers, the reply consumer) in order.
 *
 * @module
 */

import { ConnectionError, type Logger, StateError } from "@sluice/core";
import { describeError, sleep } from "@sluice/core/kit";
import type { Channel, ChannelModel } from "amqplib";
import type { ReconnectOptions } from "./options.ts";
import { coalesceWrites } from "./_writes.ts";

/** What amqplib's module gives us: just `connect`. */
export interface AmqpClient {
  connect(url: string, socketOptions?: Record<string, unknown>): Promise<ChannelModel>;
}

/** How long close() waits for the channels being closed before it closes the connection anyway. */
const CHANNEL_CLOSE_TIMEOUT = 2000;

/** Runs after every (re)connection, with the new connection. */
export type Restorer = (model: ChannelModel) => Promise<void>;

/** A connection that reconnects. */
export class AmqpConnection {
  readonly #client: AmqpClient;
  readonly #url: string;
  readonly #display: string;
  readonly #socketOptions: Record<string, unknown>;
  readonly #reconnect: false | ReconnectOptions;
  readonly #logger: Logger;
  readonly #restorers: Restorer[] = [];
  #model: ChannelModel | undefined;
  #closing = false;
  #waiters: { resolve: (model: ChannelModel) => void; reject: (error: Error) => void }[] = [];
  #reconnecting: Promise<void> | undefined;
  readonly #closingChannels = new Set<Promise<void>>();

  /** Prepares a connection; `display` is the URL without credentials. */
  constructor(options: {
    readonly client: AmqpClient;
    readonly url: string;
    readonly display: string;
    readonly socketOptions: Record<string, unknown>;
    readonly reconnect: false | ReconnectOptions;
    readonly logger: Logger;
  }) {
    this.#client = options.client;
    this.#url = options.url;
    this.#display = options.display;
    this.#socketOptions = options.socketOptions;
    this.#reconnect = options.reconnect;
    this.#logger = options.logger;
  }

  /** The live connection, if there is one. */
  get model(): ChannelModel | undefined {
    return this.#model;
  }

  /** Whether it is closing or closed for good. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Opens the first connection; throws a {@linkcode ConnectionError} naming the URL without credentials. */
  async open(): Promise<void> {
    const model = await this.#connectOnce();
    this.#adopt(model);
  }

  /** Registers a restorer, run after every reconnection; returns its removal. */
  onRestore(restorer: Restorer): () => void {
    this.#restorers.push(restorer);
    return () => {
      const i = this.#restorers.indexOf(restorer);
      if (i !== -1) this.#restorers.splice(i, 1);
    };
  }

  /** The live connection, waiting for a reconnection if there is none right now. */
  ready(): Promise<ChannelModel> {
    if (this.#model) return Promise.resolve(this.#model);
    if (this.#closing) return Promise.reject(new StateError(`The connection to ${this.#display} is closed`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Closes a channel of this connection; {@linkcode close} waits for it. amqplib writes a channel's frames to
   * the socket in a later tick, one channel after another, so acks sent just before the connection closes
   * could follow the connection's Close, and RabbitMQ drops them and redelivers their messages. The broker
   * answers a channel's Close only after what was sent before on that channel, so once it did, those acks
   * have arrived.
   */
  closeChannel(channel: Channel): Promise<void> {
    const closing = new Promise<void>((resolve) => {
      // "close" also comes when the connection drops, when no answer to the Close will come.
      channel.once("close", () => resolve());
      channel.close().then(() => resolve(), () => resolve());
    }).finally(() => this.#closingChannels.delete(closing));
    this.#closingChannels.add(closing);
    return closing;
  }

  /** Closes the connection for good, after the channels being closed (see {@linkcode closeChannel}). */
  async close(): Promise<void> {
    this.#closing = true;
    const error = new StateError(`The connection to ${this.#display} was closed`);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    const model = this.#model;
    this.#model = undefined;
    if (this.#closingChannels.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(this.#closingChannels),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CHANNEL_CLOSE_TIMEOUT))),
      ]);
      clearTimeout(timer);
    }
    if (model) await model.close().catch(() => undefined);
  }

  async #connectOnce(): Promise<ChannelModel> {
    try {
      return await this.#open();
    } catch (error) {
      throw new ConnectionError(
        `Cannot connect to ${this.#display}: ${this.#scrub(describeError(error))}. ${hint(error)}`,
        { cause: error },
      );
    }
  }

  /** A new amqplib connection, writing each muxer pass to the socket at once. */
  async #open(): Promise<ChannelModel> {
    const model = await this.#client.connect(this.#url, this.#socketOptions);
    coalesceWrites(model);
    return model;
  }

  /** amqplib's errors can quote the URL; never let the password through. */
  #scrub(text: string): string {
    return text.split(this.#url).join(this.#display);
  }

  #adopt(model: ChannelModel): void {
    this.#model = model;
    model.on("error", (error: Error) => {
      this.#logger.warn(`Connection error on ${this.#display}: ${this.#scrub(describeError(error))}`);
    });
    model.on("blocked", (reason: string) => {
      this.#logger.warn(`RabbitMQ blocked publishing on ${this.#display}: ${reason}`);
    });
    model.on("unblocked", () => this.#logger.info(`RabbitMQ unblocked publishing on ${this.#display}`));
    model.on("close", (error?: Error) => {
      if (this.#model !== model) return;
      this.#model = undefined;
      if (this.#closing) return;
      const why = error ? this.#scrub(describeError(error)) : "closed by the server";
      if (this.#reconnect === false) {
        this.#logger.error(`Lost the connection to ${this.#display} (${why}); reconnect is off`);
        this.#closing = true;
        const lost = new ConnectionError(`Lost the connection to ${this.#display}: ${why}`);
        for (const waiter of this.#waiters.splice(0)) waiter.reject(lost);
        return;
      }
      this.#logger.warn(`Lost the connection to ${this.#display} (${why}); reconnecting`);
      this.#reconnecting ??= this.#reconnectLoop(this.#reconnect).finally(
        () => (this.#reconnecting = undefined),
      );
    });
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(model);
  }

  async #reconnectLoop(options: ReconnectOptions): Promise<void> {
    let delay = options.initialDelay ?? 100;
    const started = Date.now();
    for (let attempt = 1; !this.#closing; attempt++) {
      await sleep(delay);
      if (this.#closing) return;
      let model: ChannelModel;
      try {
        model = await this.#open();
      } catch (error) {
        this.#logger.warn(
          `Reconnect attempt ${attempt} to ${this.#display} failed: ${this.#scrub(describeError(error))}`,
        );
        delay = Math.min(delay * (options.factor ?? 2), options.maxDelay ?? 5000);
        continue;
      }
      if (this.#closing) {
        await model.close().catch(() => undefined);
        return;
      }
      let dropped = false;
      model.once("close", () => (dropped = true));
      model.on("error", () => undefined);
      // Restore before anyone else gets the connection: declarations first, then channels and consumers.
      for (const restore of [...this.#restorers]) {
        if (dropped) break;
        try {
          await restore(model);
        } catch (error) {
          this.#logger.error(`Restoring after reconnect failed: ${describeError(error)}`);
        }
      }
      if (dropped) continue; // It dropped again while restoring: go round once more.
      this.#adopt(model);
      this.#logger.info(
        `Reconnected to ${this.#display} after ${Date.now() - started} ms (attempt ${attempt})`,
      );
      return;
    }
  }
}

function hint(error: unknown): string {
  const text = describeError(error);
  if (/ECONNREFUSED/.test(text)) return "Is RabbitMQ running and listening there?";
  if (/ACCESS_REFUSED|403|authentication/i.test(text)) return "Check the user name and password.";
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return "Check the host name.";
  if (/vhost|NOT_ALLOWED|530/i.test(text)) return "Check the virtual host and the user's permissions on it.";
  if (/certificate|SSL|TLS/i.test(text)) return "Check the tls options (ca, cert, key, servername).";
  return "Is the broker running?";
}
