/**
 * The broker: a driver wrapped with everything users touch — subscribers, publishers, publish, request,
 * routers, middlewares, codecs and a logger. The same class serves every plugin.
 *
 * @module
 */

import { type Codec, Codecs } from "./codec.ts";
import type { Driver, IncomingMessage, OutgoingMessage } from "./driver.ts";
import { ConnectionError, describeError, SluiceError, StateError } from "./errors.ts";
import { createLogger, type Logger, type LogLevel } from "./logger.ts";
import { composePublish, type Middleware, type Publication } from "./middleware.ts";
import type { Publisher } from "./publisher.ts";
import { Router } from "./router.ts";
import { ReplyChannel } from "./_reply_channel.ts";
import { type StandardSchemaV1, validate } from "./schema.ts";

/** Options of a broker; every plugin's factory accepts these beside its own. */
export interface BrokerOptions {
  /** The logger; a console logger at `logLevel` by default. */
  readonly logger?: Logger;
  /** The level of the default logger; `info` by default. */
  readonly logLevel?: LogLevel;
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

/** Options of a publish. Plugin publish options (key, exchange, QoS …) go beside these. */
export interface PublishOptions {
  /** User headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The correlation id; a new one by default. */
  readonly correlationId?: string;
  /** The message id; a new one by default. */
  readonly messageId?: string;
  /** Where a reply should go. */
  readonly replyTo?: string;
  /** The content type; chosen from the body by default. */
  readonly contentType?: string;
  /** Plugin-specific options. */
  readonly [option: string]: unknown;
}

/** Options of a request. */
export interface RequestCallOptions<S extends StandardSchemaV1 | undefined = undefined>
  extends PublishOptions {
  /** Milliseconds to wait for the reply; the broker's `requestTimeout` by default. */
  readonly timeout?: number;
  /** Validates the reply's body; its output type is the reply's type. */
  readonly schema?: S;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/** The reply to a request. */
export interface Reply<Body> {
  /** The decoded (and, with a schema, validated) body. */
  readonly body: Body;
  /** The reply's headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The correlation id, the request's. */
  readonly correlationId: string | undefined;
  /** The reply's content type. */
  readonly contentType: string | undefined;
  /** The bytes as they arrived. */
  readonly raw: Uint8Array;
}

/** The responder failed: its error, as the reply's `x-sluice-error` header carried it. */
export class RemoteError extends SluiceError {}

// Message ids: one random UUID per process plus a counter — unique across processes, and far cheaper per
// message than a UUID each (the publish path runs a million times a second).
const ID_PREFIX = `${crypto.randomUUID()}-`;
let idCounter = 0;
function newId(): string {
  return ID_PREFIX + ++idCounter;
}

// Shared empty values: the publish path would otherwise allocate them for every message.
const NO_OPTIONS: PublishOptions = Object.freeze({});
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

let swap: (broker: Broker, driver: Driver) => Driver;
let setTesting: (broker: Broker, on: boolean) => void;

/**
 * Replaces a broker's driver (the test broker swaps in an emulation); returns the previous one. Only while
 * the broker is not connected.
 */
export function replaceDriver(broker: Broker, driver: Driver): Driver {
  return swap(broker, driver);
}

/** Turns mock recording on or off. */
export function setTestingMode(broker: Broker, on: boolean): void {
  setTesting(broker, on);
}

/**
 * A broker. Plugins return one from their factory (`kafka({ … })`), and `connect(url)` from a URL.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * const broker = memory();
 * broker.subscriber("greetings").handle((name) => `hello, ${name}`);
 * await broker.start();
 * const reply = await broker.request("Ada", "greetings", { timeout: 1000 });
 * console.log(reply.body); // "hello, Ada"
 * await broker.close();
 * ```
 */
export class Broker<D extends Driver = Driver> extends Router<D> {
  #logger: Logger;
  /** The broker's codecs. */
  readonly codecs: Codecs;
  readonly #options: BrokerOptions;
  #driver: Driver;
  #state: "idle" | "connecting" | "connected" | "started" | "closing" = "idle";
  #connecting: Promise<void> | undefined;
  #testing = false;
  #replies: ReplyChannel | undefined;
  readonly #pipelines = new WeakMap<readonly Middleware[], (publication: Publication) => Promise<void>>();

  static {
    swap = (broker, driver) => {
      if (broker.#state !== "idle") throw new StateError("The driver can be replaced only before connecting");
      const previous = broker.#driver;
      broker.#driver = driver;
      return previous;
    };
    setTesting = (broker, on) => (broker.#testing = on);
  }

  /** Wraps a driver; plugins call this from their factory. */
  constructor(driver: D, options: BrokerOptions = {}) {
    super({ middlewares: options.middlewares });
    this.#driver = driver;
    this.#options = options;
    this.#logger = options.logger ??
      createLogger({ level: options.logLevel, fields: { broker: driver.name } });
    this.codecs = new Codecs(options.codecs);
  }

  /** The largest body subscribers accept by default, in bytes. */
  get maxBodySize(): number | undefined {
    return this.#options.maxBodySize;
  }

  /** The broker's logger. */
  get logger(): Logger {
    return this.#logger;
  }

  /** Replaces the logger (the CLI's `--log-level` does); only before the broker connects. */
  set logger(logger: Logger) {
    if (this.#state !== "idle") throw new StateError("The logger can be replaced only before connecting");
    this.#logger = logger;
  }

  /** The broker itself: it is the root router. */
  override get broker(): Broker {
    return this as unknown as Broker;
  }

  /** The driver in use (an emulation while a test broker is active). */
  get driver(): D {
    return this.#driver as D;
  }

  /** Whether mocks record (a test broker is active). */
  get testing(): boolean {
    return this.#testing;
  }

  /** Whether it is connected. */
  get connected(): boolean {
    return this.#state === "connected" || this.#state === "started";
  }

  /** Connects the driver; safe to call more than once. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#state === "closing") return Promise.reject(new StateError("The broker is closing"));
    this.#connecting ??= (async () => {
      this.#state = "connecting";
      try {
        await this.#driver.connect({ logger: this.logger });
        this.#state = "connected";
        this.logger.info(`Connected to ${this.#driver.url}`);
      } catch (error) {
        this.#state = "idle";
        if (error instanceof SluiceError) throw error;
        throw new ConnectionError(
          `Cannot connect to ${this.#driver.url}: ${describeError(error)}. Is the broker running?`,
          { cause: error },
        );
      } finally {
        this.#connecting = undefined;
      }
    })();
    return this.#connecting;
  }

  /** Connects and starts every subscriber. */
  async start(): Promise<void> {
    await this.connect();
    if (this.#state === "started") return;
    this.#state = "started";
    await Promise.all(this.allSubscribers().map((s) => s.start()));
  }

  /**
   * Stops consuming, waits for messages in flight (up to `drainTimeout`), fails open requests, then closes
   * the connection.
   */
  async close(): Promise<void> {
    if (this.#state === "idle" || this.#state === "closing") return;
    await this.#connecting?.catch(() => undefined);
    this.#state = "closing";
    try {
      const timeout = this.#options.drainTimeout ?? 30_000;
      await Promise.all(this.allSubscribers().map((s) => s.stop(timeout)));
      const replies = this.#replies;
      this.#replies = undefined;
      await replies?.close();
      await this.#driver.close();
      this.logger.info(`Closed ${this.#driver.url}`);
    } finally {
      this.#state = "idle";
    }
  }

  /** Checks the broker answers; throws a {@linkcode ConnectionError} if not. */
  async ping(): Promise<void> {
    if (!this.connected) throw new StateError(`Not connected to ${this.#driver.url}`);
    await this.#driver.ping?.();
  }

  /**
   * Publishes a body to a channel. Objects are sent as JSON, strings as text, bytes as they are.
   */
  publish(body: unknown, channel: string, options: PublishOptions = NO_OPTIONS): Promise<void> {
    return this.send(body, channel, options, this.middlewareChain());
  }

  /** Publishes many bodies to one channel, at once where the driver can. */
  async publishBatch(
    bodies: readonly unknown[],
    channel: string,
    options: PublishOptions = {},
  ): Promise<void> {
    this.#assertConnected();
    const driver = this.#driver;
    if (!driver.publishBatch) {
      for (const body of bodies) await this.publish(body, channel, options);
      return;
    }
    const messages = bodies.map((body) => this.#outgoing(this.#publication(body, channel, options)));
    await driver.publishBatch(channel, messages, options);
  }

  /**
   * Sends a request and waits for its reply. With a `schema`, the reply is validated and typed.
   */
  async request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options: RequestCallOptions<S> = {},
  ): Promise<Reply<S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown>> {
    this.#assertConnected();
    const timeout = options.timeout ?? this.#options.requestTimeout ?? 30_000;
    const { timeout: _t, schema, signal, ...publishOptions } = options;
    const publication = this.#publication(body, channel, publishOptions);
    publication.correlationId ??= crypto.randomUUID();
    const driver = this.#driver;
    let incoming: IncomingMessage;
    if (driver.request) {
      const outgoing = this.#outgoing(publication);
      try {
        incoming = await driver.request(channel, outgoing, {
          ...options,
          timeout,
          signal,
        });
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        throw new SluiceError(`Request to ${channel} failed: ${describeError(error)}`, { cause: error });
      }
    } else {
      this.#replies ??= new ReplyChannel(driver, this.logger);
      incoming = await this.#replies.request(
        channel,
        publication.correlationId,
        (replyTo) => {
          publication.replyTo = replyTo;
          return this.#publishNow(publication, undefined);
        },
        timeout,
        signal,
      );
    }
    const error = incoming.headers["x-sluice-error"];
    if (error !== undefined) throw new RemoteError(`The handler of ${channel} failed: ${error}`);
    if (incoming.decodeError) throw incoming.decodeError;
    let value = this.codecs.decode(incoming.body, incoming.contentType);
    if (schema) value = await validate(schema, value, `The reply from ${channel}`);
    return {
      body: value as S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown,
      headers: incoming.headers,
      correlationId: incoming.correlationId,
      contentType: incoming.contentType,
      raw: incoming.body,
    };
  }

  /** Creates a router for this broker's driver type; include it with {@linkcode Broker.include}. */
  router(options: { prefix?: string; middlewares?: readonly Middleware[] } = {}): Router<D> {
    return new Router<D>(options);
  }

  /** Publishes through `middlewares`; used by publishers and handlers. @internal */
  send(
    body: unknown,
    channel: string,
    options: PublishOptions,
    middlewares: readonly Middleware[],
    publisher?: Publisher,
  ): Promise<void> {
    // Not async, to spare a promise per message on the hot path; errors still arrive as a rejection.
    try {
      this.#assertConnected();
      if (middlewares.length === 0) {
        return this.#publishNow(this.#publication(body, channel, options, false), publisher);
      }
      const publication = this.#publication(body, channel, options, true);
      if (publisher) return composePublish(middlewares, (p) => this.#publishNow(p, publisher))(publication);
      // Middleware chains are cached arrays (see Router.middlewareChain), so their composition can be too.
      let pipeline = this.#pipelines.get(middlewares);
      if (!pipeline) {
        pipeline = composePublish(middlewares, (p) => this.#publishNow(p, undefined));
        this.#pipelines.set(middlewares, pipeline);
      }
      return pipeline(publication);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #publishNow(publication: Publication, publisher: Publisher | undefined): Promise<void> {
    if (publisher && this.#testing) {
      publisher.mock.record({
        body: publication.body,
        channel: publication.channel,
        headers: publication.headers,
        correlationId: publication.correlationId,
      });
    }
    return this.#driver.publish(publication.channel, this.#outgoing(publication), publication.options);
  }

  /** `ownHeaders` copies the headers, for middlewares that change them; without middlewares none do. */
  #publication(body: unknown, channel: string, options: PublishOptions, ownHeaders = true): Publication {
    const messageId = options.messageId ?? newId();
    return {
      channel,
      body,
      headers: ownHeaders
        ? { ...options.headers }
        : (options.headers as Record<string, string>) ?? NO_HEADERS,
      correlationId: options.correlationId ?? messageId,
      messageId,
      replyTo: options.replyTo,
      contentType: options.contentType,
      options: options,
    };
  }

  #outgoing(publication: Publication): OutgoingMessage {
    const body = publication.body;
    if (body instanceof Uint8Array) {
      return {
        body,
        headers: publication.headers,
        contentType: publication.contentType ?? "application/octet-stream",
        correlationId: publication.correlationId,
        messageId: publication.messageId,
        replyTo: publication.replyTo,
      };
    }
    const encoded = this.codecs.encode(body, publication.contentType);
    return {
      body: encoded.body,
      headers: publication.headers,
      contentType: encoded.contentType,
      correlationId: publication.correlationId,
      messageId: publication.messageId,
      replyTo: publication.replyTo,
    };
  }

  #assertConnected(): void {
    if (!this.connected) {
      throw new StateError(
        `Not connected to ${this.#driver.url}: call broker.connect() or app.start() first`,
      );
    }
  }
}
