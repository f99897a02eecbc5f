/**
 * `@sluice/mqtt`: Sluice on MQTT (3.1.1 and 5) with MQTT.js — topic filters with `+` and `#` and path
 * parameters, QoS 0/1/2, retained messages, persistent sessions, shared subscriptions for competing consumers,
 * MQTT 5 headers, content type and request/reply, and a faithful in-memory emulation for tests.
 *
 * @example
 * ```ts
 * import { mqtt } from "@sluice/mqtt";
 *
 * const broker = mqtt({ url: "mqtt://localhost:1883" });
 * broker
 *   .subscriber("sensors/{room}/temp", { qos: 1 })
 *   .handle((celsius: unknown, ctx) => console.log(ctx.path.room, celsius));
 * ```
 *
 * @module
 */

import { Broker, type BrokerOptions, type Plugin } from "@sluice/core";
import { type MqttDriver, mqttDriver } from "./driver.ts";
import type { MqttEmulator } from "./emulation.ts";
import type { MqttOptions } from "./options.ts";

export { type MqttDriver, mqttDriver } from "./driver.ts";
export { mqttCapabilities } from "./rules.ts";
export { emulation, type MqttEmulation, MqttEmulator } from "./emulation.ts";
export type { MqttPacket, PublishProperties } from "./message.ts";
export type {
  MqttOptions,
  MqttPublishOptions,
  MqttSubscribeOptions,
  MqttTlsOptions,
  MqttWill,
  QoS,
} from "./options.ts";
export { mqttRules, topicMatches } from "./rules.ts";

/** Options of {@linkcode mqtt}: the core's, the plugin's, and an emulator to share between test brokers. */
export interface MqttBrokerOptions extends BrokerOptions, MqttOptions {
  /** The emulated broker `testBroker()` uses; one per broker by default. */
  readonly emulator?: MqttEmulator;
}

/**
 * Creates an MQTT broker (not yet connected). Options are checked at once.
 *
 * @example
 * ```ts
 * import { mqtt } from "@sluice/mqtt";
 * const broker = mqtt({ url: "mqtts://user:secret@broker.example:8883", protocol: "5", qos: 1 });
 * ```
 */
export function mqtt(options: MqttBrokerOptions = {}): Broker<MqttDriver> {
  return new Broker(mqttDriver(options), options);
}

/** The `mqtt:` and `mqtts:` plugin for `connect(url)`. */
export const plugin: Plugin = {
  schemes: ["mqtt", "mqtts"],
  create: (url, options) => mqtt({ ...(options as MqttBrokerOptions), url: url.toString() }),
};
