/**
 * The broker: a driver wrapped with everything users touch — subscribers, publishers, publish, request,
 * routers, middlewares, codecs and a logger. The same class serves every plugin.
 *
 * @module
 */

import { Codecs } from "./codec.ts";
import type { Driver, Emulation, PublishOptionsOf } from "./driver.ts";
import { ConnectionError, describeError, SluiceError, StateError } from "./errors.ts";
import { createLogger, type LogFormat, type Logger } from "./logger.ts";
import type { BrokerOptions } from "./options.ts";
import type { PublishOptions, Reply, ReplyBody, RequestCallOptions } from "./publish_options.ts";
import { Router, type RouterOptions } from "./router.ts";
import type { NoDependencies } from "./dependency.ts";
import type { StandardSchemaV1 } from "./schema.ts";
import { Outbox } from "./_outbox.ts";
import { notConnected } from "./_publish_errors.ts";
import type { Observer } from "./port.ts";

/** What a test broker puts in place while it runs; see {@linkcode Broker.substitute}. */
export interface Substitution {
  /** The driver to use instead of the broker's own (an emulation); the broker's own when undefined. */
  readonly driver?: Driver;
  /** Sees what handlers receive and publishers send. */
  readonly observer: Observer;
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
  readonly #options: BrokerOptions;
  readonly #driver: D;
  readonly #emulate: (() => Emulation) | undefined;
  #emulation: Emulation | undefined;
  readonly #outbox: Outbox;
  #state: "idle" | "connecting" | "connected" | "started" | "closing" = "idle";
  #connecting: Promise<void> | undefined;
  #substituted = false;

  /**
   * Wraps a driver; plugins call this from their factory, with `emulate` making the in-memory emulation
   * `testBroker()` uses (without it, the core's memory emulation with the driver's separator).
   */
  constructor(driver: D, options: BrokerOptions = {}, emulate?: () => Emulation) {
    super({ middlewares: options.middlewares });
    this.#driver = driver;
    this.#options = options;
    this.#emulate = emulate;
    const logger = options.logger ??
      createLogger({ level: options.logLevel, format: options.logFormat, fields: { broker: driver.name } });
    this.#outbox = new Outbox(driver, logger, {
      codecs: new Codecs(options.codecs),
      maxBodySize: options.maxBodySize,
      requestTimeout: options.requestTimeout ?? 30_000,
      middlewares: () => this.middlewareChain(),
      assertConnected: () => {
        if (!this.connected) notConnected(this.#outbox.driver.url);
      },
    });
    this.mountOn(this.#outbox);
  }

  /** The broker's codecs. */
  get codecs(): Codecs {
    return this.#outbox.codecs;
  }

  /** The largest body subscribers accept by default, in bytes. */
  get maxBodySize(): number | undefined {
    return this.#options.maxBodySize;
  }

  /** The broker's logger. */
  get logger(): Logger {
    return this.#outbox.logger;
  }

  /** Replaces the logger (the CLI's `--log-level` does); only before the broker connects. */
  set logger(logger: Logger) {
    if (this.#state !== "idle") throw new StateError("The logger can be replaced only before connecting");
    this.#outbox.logger = logger;
  }

  /** How the default logger writes; the CLI's `--log-level` keeps it when it replaces the logger. */
  get logFormat(): LogFormat {
    return this.#options.logFormat ?? "pretty";
  }

  /**
   * The driver in use: the broker's own, or the emulation while a test broker is active (so that a plugin's
   * extras, such as NATS key-value buckets, reach what the test runs on).
   */
  get driver(): D {
    return this.#outbox.driver as D;
  }

  /** Whether it is connected. */
  get connected(): boolean {
    return this.#state === "connected" || this.#state === "started";
  }

  /**
   * The in-memory emulation of this broker, as `testBroker()` uses; undefined if its plugin has none. There is
   * one per broker object, made on first use: what the emulated broker keeps (queues and their messages,
   * topics and committed offsets, streams, lists, retained messages) survives from one test session to the
   * next, as it does on a real broker, while what belongs to a connection (subscriptions, exclusive queues)
   * goes when a session closes. `fresh` replaces it with a new, empty one.
   */
  emulate(options: { readonly fresh?: boolean } = {}): Emulation | undefined {
    if (options.fresh || this.#emulation === undefined) this.#emulation = this.#emulate?.();
    return this.#emulation;
  }

  /**
   * Puts a test in place — an emulation instead of the driver, and an observer that fills the mocks — and
   * returns the function that takes it away. Only while the broker is not connected; `testBroker()` uses it.
   */
  substitute(substitution: Substitution): () => void {
    if (this.#state !== "idle") throw new StateError("A test can be put in place only before connecting");
    if (this.#substituted) throw new StateError("A test broker is already active on this broker");
    this.#substituted = true;
    this.#outbox.driver = substitution.driver ?? this.#driver;
    this.#outbox.observer = substitution.observer;
    return () => {
      if (this.#state !== "idle") throw new StateError("Close the broker before taking the test away");
      this.#substituted = false;
      this.#outbox.driver = this.#driver;
      this.#outbox.observer = undefined;
    };
  }

  /** Connects the driver; safe to call more than once. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#state === "closing") return Promise.reject(new StateError("The broker is closing"));
    this.#connecting ??= (async () => {
      this.#state = "connecting";
      const driver = this.#outbox.driver;
      try {
        await driver.connect({ logger: this.logger });
        this.#state = "connected";
        this.logger.info(`Connected to ${driver.url}`, { broker: driver.name });
      } catch (error) {
        this.#state = "idle";
        if (error instanceof SluiceError) throw error;
        throw new ConnectionError(
          `Cannot connect to ${driver.url}: ${describeError(error)}. Is the broker running?`,
          { cause: error },
        );
      } finally {
        this.#connecting = undefined;
      }
    })();
    return this.#connecting;
  }

  /**
   * Connects and starts every subscriber. Before it connects, it checks that every dependency a subscriber
   * needs is provided, and makes the startup values of its own and its routers' providers.
   */
  async start(): Promise<void> {
    if (this.#state === "started") return;
    const subscribers = this.allSubscribers();
    for (const subscriber of subscribers) subscriber.checkDependencies();
    const scopes = this.allScopes();
    for (const scope of scopes) await scope.start();
    try {
      await this.connect();
      // Another start() may have finished while this one connected.
      if (this.#started()) return;
      this.#state = "started";
      await Promise.all(subscribers.map((s) => s.start()));
    } catch (error) {
      for (const scope of scopes.reverse()) await scope.stop().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Stops consuming, waits for messages in flight (up to `drainTimeout`), fails open requests, then closes
   * the connection.
   */
  async close(): Promise<void> {
    if (this.#state === "idle" || this.#state === "closing") return;
    await this.#connecting?.catch(() => undefined);
    this.#state = "closing";
    const driver = this.#outbox.driver;
    try {
      const timeout = this.#options.drainTimeout ?? 30_000;
      await Promise.all(this.allSubscribers().map((s) => s.stop(timeout)));
      await this.#outbox.close();
      await driver.close();
      this.logger.info(`Closed ${driver.url}`, { broker: driver.name });
    } finally {
      this.#state = "idle";
      // Startup values close after the last handler finished and the connection closed.
      for (const scope of this.allScopes().reverse()) {
        await scope.stop().catch((error) => this.logger.error(describeError(error)));
      }
    }
  }

  #started(): boolean {
    return this.#state === "started";
  }

  /** Checks the broker answers; throws a {@linkcode ConnectionError} if not. */
  async ping(): Promise<void> {
    const driver = this.#outbox.driver;
    if (!this.connected) throw new StateError(`Not connected to ${driver.url}`);
    await driver.ping?.();
  }

  /** Publishes a body to a channel. Objects are sent as JSON, strings as text, bytes as they are. */
  publish(body: unknown, channel: string, options?: PublishOptions & PublishOptionsOf<D>): Promise<void> {
    return this.#outbox.publish(body, channel, options);
  }

  /** Publishes many bodies to one channel, at once where the driver can. */
  publishBatch(
    bodies: readonly unknown[],
    channel: string,
    options?: PublishOptions & PublishOptionsOf<D>,
  ): Promise<void> {
    return this.#outbox.sendBatch(bodies, channel, options);
  }

  /** Sends a request and waits for its reply. With a `schema`, the reply is validated and typed. */
  request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options?: RequestCallOptions<S> & PublishOptionsOf<D>,
  ): Promise<Reply<ReplyBody<S>>> {
    return this.#outbox.request(body, channel, options);
  }

  /**
   * Creates a router for this broker's driver type; include it with {@linkcode Broker.include}. Its `needs`
   * type `ctx.deps` in every handler of the router.
   */
  router<Deps = NoDependencies>(options: RouterOptions<Deps> = {}): Router<D, Deps> {
    return new Router<D, Deps>(options);
  }
}
