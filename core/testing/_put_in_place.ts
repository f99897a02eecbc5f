/**
 * Putting a test in place on a broker — the emulation (unless real), the observer that fills the mocks —
 * and waiting until it settled; `testBroker()` and `testApp()` share it.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import { levelMatcher, replaceParams } from "../channel.ts";
import type { Emulation } from "../driver.ts";
import { TimeoutError } from "../errors.ts";
import { memoryDriver } from "../memory/driver.ts";
import type { Observer } from "../port.ts";

/** Options of `testBroker()` and `testApp()`. */
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

/** A broker with a test in place, not started yet. @internal */
export interface PutInPlace {
  /** Takes the test away; the broker must be closed. */
  restore(): void;
  /** Waits until every handler triggered has finished; see `TestBroker.settled`. */
  settled(options?: { readonly timeout?: number }): Promise<void>;
}

/**
 * Puts a test in place on `broker` — the emulation (unless `real`) and the mocks' observer — and empties
 * its mocks; `testBroker()` and `testApp()` start it afterwards. @internal
 */
export function putInPlace(broker: Broker, options: TestBrokerOptions = {}): PutInPlace {
  const emulation = options.real
    ? undefined
    : broker.emulate({ fresh: options.fresh }) ?? fallbackEmulation(broker);
  const restore = broker.substitute({ driver: emulation, observer: RECORDING });
  // Each test broker starts with empty mocks, so tests sharing a module-level app do not see each other.
  for (const subscriber of broker.allSubscribers()) {
    for (const handler of subscriber.handlers) handler.mock.reset();
  }
  for (const publisher of broker.allPublishers()) publisher.mock.reset();
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
  return { restore, settled };
}
