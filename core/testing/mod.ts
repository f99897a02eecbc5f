/**
 * Testing: run any broker's subscribers in memory, with routing faithful to the real broker, mocks on every
 * handler and publisher, and `settled()` to wait until every handler triggered has finished.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import type { PublishOptionsOf } from "../driver.ts";
import type { LogRecord } from "../logger.ts";
import type { PublishOptions } from "../publish_options.ts";
import { putInPlace, type TestBrokerOptions } from "./_put_in_place.ts";

export { Mock, type MockCall } from "../mock.ts";
export type { TestBrokerOptions } from "./_put_in_place.ts";
export { type Override, override, type TestApp, testApp, type TestAppOptions } from "./app.ts";

/** A broker under test. Dispose it (`await using`) to stop it and restore its driver. */
export interface TestBroker<B extends Broker = Broker> extends AsyncDisposable {
  /** The broker itself, started. */
  readonly broker: B;
  /** Publishes as the broker would. */
  publish(
    body: unknown,
    channel: string,
    options?: PublishOptions & PublishOptionsOf<B extends Broker<infer D> ? D : never>,
  ): Promise<void>;
  /** Sends a request as the broker would. */
  request: B["request"];
  /**
   * Resolves once every handler triggered directly or indirectly has finished: in memory exactly, against
   * a real broker once no handler ran for `quiet` ms. Rejects after `timeout` ms (5000 by default).
   */
  settled(options?: { readonly timeout?: number }): Promise<void>;
  /** Stops the broker and restores its driver. */
  close(): Promise<void>;
}

/**
 * Starts a broker for a test: in memory with the plugin's emulation (or, with `real`, against the real
 * broker), with mocks recording.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * import { testBroker } from "@sluice/core/testing";
 * const broker = memory();
 * const echo = broker.subscriber("echo").handle((body) => body);
 * await using br = await testBroker(broker);
 * await br.publish("hi", "echo");
 * await br.settled();
 * console.log(echo.mock.calls[0]?.body); // "hi"
 * ```
 */
export async function testBroker<B extends Broker>(
  broker: B,
  options: TestBrokerOptions = {},
): Promise<TestBroker<B>> {
  const test = putInPlace(broker, options);
  try {
    await broker.start();
  } catch (error) {
    // A start that failed after connecting (a subscriber's declaration refused) leaves the broker
    // connected: close it first, or taking the test away throws and hides the real error.
    await broker.close().catch(() => undefined);
    test.restore();
    throw error;
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await broker.close();
    test.restore();
  };
  return {
    broker,
    publish: (body, channel, publishOptions) => broker.publish(body, channel, publishOptions as never),
    request: broker.request.bind(broker) as B["request"],
    settled: test.settled,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A log sink that keeps records, for asserting on logs. */
export interface CapturedLogs {
  /** The records so far. */
  readonly records: LogRecord[];
  /** Pass as `sink` to `createLogger`. */
  readonly sink: (record: LogRecord) => void;
  /** Records at `level` whose message or fields contain `text`. */
  find(level: LogRecord["level"], text: string): LogRecord[];
}

/**
 * Captures log records.
 *
 * @example
 * ```ts
 * import { createLogger, memory } from "@sluice/core";
 * import { captureLogs } from "@sluice/core/testing";
 * const logs = captureLogs();
 * const broker = memory({ logger: createLogger({ sink: logs.sink }) });
 * ```
 */
export function captureLogs(): CapturedLogs {
  const records: LogRecord[] = [];
  return {
    records,
    sink: (record) => records.push(record),
    find: (level, text) =>
      records.filter((r) =>
        r.level === level && (r.message.includes(text) || JSON.stringify(r.fields).includes(text))
      ),
  };
}
