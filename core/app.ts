/**
 * The app: one or several brokers, lifecycle hooks and graceful shutdown.
 *
 * @module
 */

import type { AsyncApiInfo } from "./asyncapi/types.ts";
import type { Broker } from "./broker.ts";
import { createLogger, type Logger } from "./logger.ts";

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

  /** Creates an app over one or more brokers. */
  constructor(brokers: Broker | readonly Broker[], options: AppOptions = {}) {
    this.brokers = Array.isArray(brokers) ? [...brokers] : [brokers as Broker];
    this.#logger = options.logger;
    this.info = options.info ?? {};
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

  /** Runs the startup hooks, starts every broker, then runs the after-startup hooks. */
  async start(): Promise<void> {
    if (this.#running) return;
    for (const hook of this.#hooks.onStartup) await hook();
    try {
      for (const broker of this.brokers) await broker.start();
    } catch (error) {
      await Promise.all(this.brokers.map((b) => b.close().catch(() => undefined)));
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
    await Promise.all(this.brokers.map((b) => b.close()));
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
