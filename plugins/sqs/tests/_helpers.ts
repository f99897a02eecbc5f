// Shared by the SQS feature tests: each feature runs on the emulation and, when there is one, on a real
// SQS API (ElasticMQ), with the same code.
import { type BrokerOptions, createLogger, TimeoutError } from "@sluice/core";
import { type CapturedLogs, captureLogs } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { sqs, type SqsOptions } from "../mod.ts";

/** The real server, if any (else a loud SKIP line, or a failure with SLUICE_REQUIRE_BROKERS=1). */
export const server = await realBroker("sqs");

/** Where a feature test runs. */
export interface Target {
  readonly name: string;
  readonly real: boolean;
}

/** The emulation, and the real server when there is one. */
export const targets: readonly Target[] = [
  { name: "emulation", real: false },
  ...(server ? [{ name: "ElasticMQ", real: true }] : []),
];

/** A queue name no other test uses. */
export function unique(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Waits until `condition` holds. */
export async function until(condition: () => boolean, timeout: number, what: string): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new TimeoutError(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits `ms`. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A broker for `target` with captured logs; start it with `testBroker(broker, { real: target.real })`. */
export function brokerFor(target: Target, options: SqsOptions & BrokerOptions = {}): {
  broker: ReturnType<typeof sqs>;
  logs: CapturedLogs;
} {
  const logs = captureLogs();
  const broker = sqs({
    logger: createLogger({ level: "debug", sink: logs.sink }),
    ...options,
    url: target.real ? server!.url : undefined,
  });
  return { broker, logs };
}
