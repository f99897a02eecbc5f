/**
 * Testing: run any broker's subscribers in memory, with routing faithful to the real broker, mocks on every
 * handler and publisher, and `settled()` to wait until every handler triggered has finished.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import { levelMatcher, replaceParams } from "../channel.ts";
import type { Emulation, PublishOptionsOf } from "../driver.ts";
import { TimeoutError } from "../errors.ts";
import { memoryDriver } from "../memory/driver.ts";
import type { LogRecord } from "../logger.ts";
import type { PublishOptions } from "../publish_options.ts";
import type { Observer } from "../port.ts";

export { Mock, type MockCall } from "../mock.ts";

/** Options of {@linkcode testBroker}. */
export interface TestBrokerOptions {
  /** Use the real broker instead of the emulation. */
  readonly real?: boolean;
  /** Milliseconds of silence after which `settled()` considers a real broker settled; 200 by default. */
  readonly quiet?: number;
  /**
   * Start from an empty emulated broker. By default the emulation keeps, from one session on the same broker
   * object to the next, what a real broker keeps between two connections (queues and their messages, topics
   * and committed offsets, streams, lists, retained messages), so a test that passes in memory after another
   * one also passes against the real broker.
   */
  readonly fresh?: boolean;
}

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

/** Fills the mocks: what handlers received and publishers sent. */
const RECORDING: Observer = { record: (mock, call) => mock.record(call) };

/** The core's memory emulation, matching levels by the driver's separator, for a plugin without its own. */
function fallbackEmulation(broker: Broker): Emulation {
  const { rules: { separator }, name } = broker.driver;
  const matches = levelMatcher({ separator, one: "*", many: ">", manyMatchesZero: false });
  // The plugin's own options mean nothing to the memory driver: it accepts and ignores them.
  return memoryDriver({ name, rules: { separator, pattern: (t) => replaceParams(t, "*"), matches } }, {
    ignoreOptions: true,
  });
}

function inFlight(broker: Broker): number {
  let count = 0;
  for (const subscriber of broker.allSubscribers()) count += subscriber.inFlight;
  return count;
}

/**
 * Resolves once the emulation holds nothing in flight and no handler runs: a message acked before its
 * handler finished (`ack: "first"`, manual acks) is settled for the broker but not yet for the test.
 */
async function idle(broker: Broker, emulation: Emulation): Promise<void> {
  for (;;) {
    await emulation.idle();
    if (inFlight(broker) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function quietly(broker: Broker, quiet: number): Promise<void> {
  let lastBusy = Date.now();
  let lastSeen = -1;
  for (;;) {
    const now = inFlight(broker);
    if (now > 0 || now !== lastSeen) lastBusy = Date.now();
    lastSeen = now;
    if (now === 0 && Date.now() - lastBusy >= quiet) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
  const emulation = options.real
    ? undefined
    : broker.emulate({ fresh: options.fresh }) ?? fallbackEmulation(broker);
  const restore = broker.substitute({ driver: emulation, observer: RECORDING });
  // Each test broker starts with empty mocks, so tests sharing a module-level app do not see each other.
  for (const subscriber of broker.allSubscribers()) {
    for (const handler of subscriber.handlers) handler.mock.reset();
  }
  for (const publisher of broker.allPublishers()) publisher.mock.reset();
  try {
    await broker.start();
  } catch (error) {
    // A start that failed after connecting (a subscriber's declaration refused) leaves the broker
    // connected: close it first, or taking the test away throws and hides the real error.
    await broker.close().catch(() => undefined);
    restore();
    throw error;
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await broker.close();
    restore();
  };
  const settled = async (settleOptions: { readonly timeout?: number } = {}): Promise<void> => {
    const timeout = settleOptions.timeout ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `Not settled within ${timeout} ms: ${inFlight(broker)} message(s) still in flight`,
            ),
          ),
        timeout,
      );
    });
    const done = emulation ? idle(broker, emulation) : quietly(broker, options.quiet ?? 200);
    try {
      await Promise.race([done, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    broker,
    publish: (body, channel, publishOptions) => broker.publish(body, channel, publishOptions as never),
    request: broker.request.bind(broker) as B["request"],
    settled,
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
