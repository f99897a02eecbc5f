// Runs a feature test on the emulation and, when a real RabbitMQ is available, on the real broker.
import { describe } from "node:test";
import { type Broker, createLogger, silentLogger } from "@sluice/core";
import { type CapturedLogs, captureLogs, type TestBroker, testBroker } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { rabbitmq, type RabbitmqDriver, type RabbitmqOptions } from "../mod.ts";

/** Where a test runs. */
export interface Target {
  readonly name: string;
  readonly real: boolean;
  readonly url: string | undefined;
  /** A broker with these options and a log capture. */
  broker(options?: RabbitmqOptions): { broker: Broker<RabbitmqDriver>; logs: CapturedLogs };
  /** Starts it as the test broker of this target. */
  start<B extends Broker>(broker: B): Promise<TestBroker<B>>;
}

const real = await realBroker("amqp");

function target(isReal: boolean): Target {
  const url = isReal ? real?.url : undefined;
  return {
    name: isReal ? "real" : "emulation",
    real: isReal,
    url,
    broker(options = {}) {
      const logs = captureLogs();
      const broker = rabbitmq({
        logger: createLogger({ level: "debug", sink: logs.sink }),
        ...options,
        url: options.url ?? url,
      });
      return { broker, logs };
    },
    start: (broker) => testBroker(broker, { real: isReal }),
  };
}

/** The targets available: the emulation always, the real broker when there is one. */
export const targets: readonly Target[] = real ? [target(false), target(true)] : [target(false)];

/** `describe` once per target. */
export function describeBoth(title: string, body: (t: Target) => void): void {
  for (const t of targets) describe(`${title} (${t.name})`, () => body(t));
}

/** A name nobody else uses. */
export function unique(prefix = "t"): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Waits until `condition` holds. */
export async function until(condition: () => boolean, what: string, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits `ms` to prove nothing more arrives. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The real broker's URL, if any. */
export const realUrl: string | undefined = real?.url;

/**
 * What a new subscriber of `channel` on the real broker, with `options` (its group, so its queue), receives
 * within a second: the messages an earlier subscriber left unacked.
 */
export async function leftOver(
  channel: string,
  options: Parameters<Broker<RabbitmqDriver>["subscriber"]>[1],
): Promise<unknown[]> {
  const left: unknown[] = [];
  const later = rabbitmq({ url: realUrl, logger: silentLogger });
  later.subscriber(channel, options).handle((body) => void left.push(body));
  await later.start();
  try {
    await pause(1000);
  } finally {
    await later.close();
  }
  return left;
}
