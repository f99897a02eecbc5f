// Runs a feature test on the emulation and, when SLUICE_MQTT_URL (or Docker) gives one, on the real broker.
import { realBroker } from "../../../tests/_support/brokers.ts";
import { createLogger, type Logger, silentLogger } from "@sluice/core";
import { type CapturedLogs, captureLogs } from "@sluice/core/testing";
import { mqtt, type MqttBrokerOptions, MqttEmulator } from "../mod.ts";

/** Where a feature test runs. */
export interface Target {
  readonly name: string;
  readonly real: boolean;
  /** The emulated broker that the target's brokers share; undefined on the real broker. */
  readonly emulator?: MqttEmulator;
  /** A broker on this target; brokers made by one target share the (emulated) broker. */
  broker(options?: MqttBrokerOptions): ReturnType<typeof mqtt>;
}

const real = await realBroker("mqtt");

/** The emulation, and the real broker when there is one. */
export function targets(): Target[] {
  const emulator = new MqttEmulator();
  const list: Target[] = [{
    name: "emulation",
    real: false,
    emulator,
    broker: (options = {}) => mqtt({ logger: silentLogger, ...options, emulator }),
  }];
  if (real) {
    list.push({
      name: "real",
      real: true,
      broker: (options = {}) => mqtt({ logger: silentLogger, ...options, url: real.url }),
    });
  }
  return list;
}

/** The real broker's URL, if any. */
export const realUrl: string | undefined = real?.url;

/** A unique topic root. */
export function unique(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Waits until `condition` holds, or fails after `timeout` ms. */
export async function until(condition: () => boolean, what: string, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits a little to prove that nothing more arrives. */
export function pause(target: Target): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, target.real ? 300 : 30));
}

/** A logger whose records a test can inspect. */
export function capture(): { logs: CapturedLogs; logger: Logger } {
  const logs = captureLogs();
  return { logs, logger: createLogger({ level: "debug", sink: logs.sink }) };
}
