/** Helpers shared by the Kafka plugin's feature tests. */

import { Broker, type BrokerOptions, createLogger } from "@sluice/core";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { kafka, type KafkaDriver, kafkaEmulation, type KafkaOptions } from "../mod.ts";

/** Short group timings: safe on a one-node test broker, so joins and rebalances finish quickly. */
export const testConsumer = { sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTime: 100 } as const;

/** Makes brokers on one cluster: brokers made by one factory share topics and committed offsets. */
export type BrokerFactory = (options?: KafkaOptions & BrokerOptions) => Broker<KafkaDriver>;

/** A place to run a feature test: the emulation, or the real broker. */
export interface Target {
  readonly name: string;
  readonly real: boolean;
  /** A fresh cluster (in memory) or the real one, and a way to make brokers on it. */
  cluster(): BrokerFactory;
}

const quiet = { logger: createLogger({ level: "error" }) };
const real = await realBroker("kafka");

/** The real broker's URL, when `SLUICE_KAFKA_URL` (or Docker) gives one. */
export const realUrl: string | undefined = real?.url;

/** The emulation, and the real broker when `SLUICE_KAFKA_URL` (or Docker) gives one. */
export const targets: readonly Target[] = [
  {
    name: "emulation",
    real: false,
    cluster(): BrokerFactory {
      let shared: ReturnType<typeof kafkaEmulation> | undefined;
      return (options = {}) => {
        shared ??= kafkaEmulation(options);
        return new Broker(shared as unknown as KafkaDriver, { ...quiet, ...options });
      };
    },
  },
  ...(real
    ? [{
      name: "real",
      real: true,
      cluster: (): BrokerFactory => (options = {}) =>
        kafka({ ...quiet, brokers: real.url, consumer: testConsumer, discoveryInterval: 250, ...options }),
    }]
    : []),
];

/** Milliseconds to wait for something to arrive on a target. */
export function patience(target: Target): number {
  return target.real ? 20_000 : 2000;
}

/** A unique topic prefix per test. */
export function unique(name = "t"): string {
  return `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Waits until `condition` holds, polling every 5 ms; throws after `timeout` ms naming `what`. */
export async function until(condition: () => boolean, timeout: number, what: string): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves after `ms` milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
