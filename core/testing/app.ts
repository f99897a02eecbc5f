/**
 * Testing a whole app: its brokers in memory (or real), its lifecycle hooks and its dependencies, as
 * FastStream's `TestApp` does — `onStartup` and `afterStartup` run when the test starts, `onShutdown` and
 * `afterShutdown` when it is disposed.
 *
 * @module
 */

import type { App } from "../app.ts";
import type { Broker } from "../broker.ts";
import type { Dependency, Provider } from "../dependency.ts";
import type { PublishOptions } from "../publish_options.ts";
import { type PutInPlace, putInPlace, type TestBrokerOptions } from "./_put_in_place.ts";

/** Options of {@linkcode testApp}: those of a test broker, for every broker of the app, and fakes. */
export interface TestAppOptions extends TestBrokerOptions {
  /**
   * Providers that replace the app's for this test (FastStream's dependency overrides): a fake pool, a
   * fixed clock, each made with {@linkcode override}. They stay in place after the test.
   */
  readonly overrides?: readonly Override[];
}

/** A provider that replaces an app's for a test; make one with {@linkcode override}. */
export interface Override {
  /** Puts it in place on `app`. */
  apply(app: App): void;
}

/**
 * A provider for `dependency` that replaces the app's in {@linkcode testApp}, typed like `app.provide()`.
 *
 * @example
 * ```ts
 * import { dependency } from "@sluice/core";
 * import { override } from "@sluice/core/testing";
 * const Clock = dependency<() => number>("clock");
 * const fixed = override(Clock, { value: () => 0 });
 * ```
 */
export function override<T>(dependency: Dependency<T>, provider: Provider<T>): Override {
  return { apply: (app) => void app.provide(dependency, provider) };
}

/** An app under test. Dispose it (`await using`) to stop it and restore its brokers. */
export interface TestApp extends AsyncDisposable {
  /** The app itself, started. */
  readonly app: App;
  /** Publishes through the app's first broker. */
  publish(body: unknown, channel: string, options?: PublishOptions): Promise<void>;
  /** Resolves once every handler triggered on any of the app's brokers has finished. */
  settled(options?: { readonly timeout?: number }): Promise<void>;
  /** Stops the app (running its shutdown hooks) and restores its brokers. */
  close(): Promise<void>;
}

/**
 * Starts an app for a test: each broker on its emulation (or, with `real`, the real broker) with mocks
 * recording, then the app's startup hooks, dependencies and brokers as `app.start()` runs them.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { testApp } from "@sluice/core/testing";
 * const broker = memory();
 * const seen: string[] = [];
 * broker.subscriber("greetings").handle((name: unknown) => void seen.push(String(name)));
 * const app = new App(broker).afterStartup(() => broker.publish("Ada", "greetings"));
 * {
 *   await using test = await testApp(app);
 *   await test.settled();
 * }
 * console.log(seen); // ["Ada"]
 * ```
 */
export async function testApp(app: App, options: TestAppOptions = {}): Promise<TestApp> {
  for (const replacement of options.overrides ?? []) replacement.apply(app);
  const tests: PutInPlace[] = [];
  const restore = (): void => {
    for (const test of tests.splice(0)) test.restore();
  };
  try {
    for (const broker of app.brokers) tests.push(putInPlace(broker, options));
    await app.start();
  } catch (error) {
    await Promise.all(app.brokers.map((b: Broker) => b.close().catch(() => undefined)));
    restore();
    throw error;
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await app.stop();
    } finally {
      restore();
    }
  };
  const first = app.brokers[0]!;
  return {
    app,
    publish: (body, channel, publishOptions) => first.publish(body, channel, publishOptions),
    settled: async (settleOptions) => {
      for (const test of tests) await test.settled(settleOptions);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
