/**
 * The app: one or several brokers, lifecycle hooks and graceful shutdown.
 *
 * @module
 */

import type { AsyncApiInfo } from "./asyncapi/types.ts";
import type { Broker } from "./broker.ts";
import { createLogger, type Logger } from "./logger.ts";
import type { Dependency, Provider } from "./dependency.ts";
import { Scope } from "./_scope.ts";

/** A lifecycle hook. */
export type Hook = () => void | Promise<void>;

/** Options of an app. */
export interface AppOptions {
  /** The app's logger; by default the first broker's, without its `broker` field. */
  readonly logger?: Logger;
  /** What its AsyncAPI document says of it: title, version, description … (`@sluice/core/asyncapi`). */
  readonly info?: AsyncApiInfo;
}

/**
 * An app: starts its brokers after the startup hooks, and on stop drains what is in flight before closing
 * connections.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * const broker = memory();
 * const app = new App(broker);
 * app.afterStartup(() => broker.publish("hi", "greetings"));
 * await app.start();
 * await app.stop();
 * ```
 */
export class App {
  /** The brokers, in the order they start. */
  readonly brokers: readonly Broker[];
  /** What its AsyncAPI document says of it. */
  readonly info: AsyncApiInfo;
  readonly #logger: Logger | undefined;
  readonly #hooks = {
    onStartup: [] as Hook[],
    afterStartup: [] as Hook[],
    onShutdown: [] as Hook[],
    afterShutdown: [] as Hook[],
  };
  #running = false;
  readonly #scope = new Scope("the app");

  /** Creates an app over one or more brokers. */
  constructor(brokers: Broker | readonly Broker[], options: AppOptions = {}) {
    this.brokers = Array.isArray(brokers) ? [...brokers] : [brokers as Broker];
    this.#logger = options.logger;
    this.info = options.info ?? {};
    for (const broker of this.brokers) broker.scope.parent = this.#scope;
  }

  /**
   * Provides a dependency to every subscriber of every broker of the app: a value, a startup value (made
   * after the `onStartup` hooks, before the brokers start, and closed after they stopped) or a per-message
   * value. A later call for the same dependency replaces the provider, so a test can provide a fake.
   *
   * @example
   * ```ts
   * import { App, dependency, memory } from "@sluice/core";
   * interface Pool { query(sql: string): Promise<number>; end(): Promise<void> }
   * const Db = dependency<Pool>("database pool");
   * const broker = memory();
   * broker.subscriber("orders", { needs: { db: Db } })
   *   .handle((order, ctx) => ctx.deps.db.query(`insert ${order}`));
   * const app = new App(broker).provide(Db, {
   *   startup: () => ({ query: async () => 1, end: async () => {} }),
   *   shutdown: (pool) => pool.end(),
   * });
   * await app.start();
   * await app.stop();
   * ```
   */
  provide<T>(dependency: Dependency<T>, provider: Provider<T>): this {
    this.#scope.provide(dependency, provider);
    return this;
  }

  /**
   * The app's logger: the one given, else the first broker's without its `broker` field (the app's lines are
   * about all of its brokers), else a console logger.
   */
  get logger(): Logger {
    if (this.#logger) return this.#logger;
    const first = this.brokers[0]?.logger;
    if (!first) return (this.#fallback ??= createLogger());
    // Follows the first broker's logger, which may be replaced until it connects (the CLI's --log-level).
    // A child cannot drop a field, but an undefined one is left out of every line.
    if (this.#borrowed?.from !== first) {
      this.#borrowed = { from: first, logger: first.child({ broker: undefined }) };
    }
    return this.#borrowed.logger;
  }
  #fallback: Logger | undefined;
  #borrowed: { readonly from: Logger; readonly logger: Logger } | undefined;

  /** Runs before the brokers connect (load config, open databases). */
  onStartup(hook: Hook): this {
    this.#hooks.onStartup.push(hook);
    return this;
  }
  /** Runs once every broker consumes (publish a first message, warm caches). */
  afterStartup(hook: Hook): this {
    this.#hooks.afterStartup.push(hook);
    return this;
  }
  /** Runs before the brokers stop. */
  onShutdown(hook: Hook): this {
    this.#hooks.onShutdown.push(hook);
    return this;
  }
  /** Runs after every broker closed (close databases). */
  afterShutdown(hook: Hook): this {
    this.#hooks.afterShutdown.push(hook);
    return this;
  }

  /** Whether the app is started. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Runs the startup hooks, makes the app's startup dependencies, starts every broker (which first checks
   * that every dependency a subscriber needs is provided), then runs the after-startup hooks.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    for (const hook of this.#hooks.onStartup) await hook();
    await this.#scope.start();
    try {
      for (const broker of this.brokers) await broker.start();
    } catch (error) {
      await Promise.all(this.brokers.map((b) => b.close().catch(() => undefined)));
      await this.#scope.stop().catch(() => undefined);
      throw error;
    }
    this.#running = true;
    this.logger.info("App started");
    for (const hook of this.#hooks.afterStartup) await hook();
  }

  /**
   * Runs the shutdown hooks, stops consuming, lets in-flight handlers finish (up to each broker's
   * `drainTimeout`), closes connections, then runs the after-shutdown hooks.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const hook of this.#hooks.onShutdown) await hook();
    try {
      await Promise.all(this.brokers.map((b) => b.close()));
    } finally {
      await this.#scope.stop();
    }
    for (const hook of this.#hooks.afterShutdown) await hook();
    this.logger.info("App stopped");
  }

  /** Starts, then stops when `signal` aborts; resolves after the stop. */
  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    await this.stop();
  }
}
