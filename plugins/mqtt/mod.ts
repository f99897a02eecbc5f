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

import { type HandlerResponse, type PublishOptions, response } from "@sluice/core";
import type { MqttPublishOptions as MqttPublishOptionsOfResponse } from "./options.ts";
import type { Plugin } from "@sluice/core";
import { MqttBroker } from "./_broker.ts";
import { mqttDriver } from "./driver.ts";
import { mqttEmulation, MqttEmulator } from "./emulation.ts";
import { type MqttOptions, optionsFromUrl } from "./options.ts";

export { MqttBroker } from "./_broker.ts";
export { type MqttDriver, mqttDriver } from "./driver.ts";
export { type MqttEmulation, mqttEmulation, MqttEmulator } from "./emulation.ts";
export type { MqttPacket, PublishProperties } from "./message.ts";
export {
  brokerOptions,
  type MqttOptions,
  type MqttPublishOptions,
  type MqttSubscribeOptions,
  type MqttTlsOptions,
  type MqttWill,
  optionsFromUrl,
  publishOptions,
  type QoS,
  subscribeOptions,
} from "./options.ts";
export { features, mqttRules, topicMatches } from "./rules.ts";

/** Options of {@linkcode mqtt}: the broker's, and an emulated broker to share between test brokers. */
export interface MqttBrokerOptions extends MqttOptions {
  /**
   * The emulated broker `testBroker()` uses, to share one between broker objects. By default each broker
   * object has its own, kept from one test session to the next like the emulations of every plugin
   * (`testBroker(broker, { fresh: true })` starts a new one).
   */
  readonly emulator?: MqttEmulator;
}

/**
 * Creates an MQTT broker (not yet connected). Options are checked at once: a bad or unknown one throws an
 * `OptionError` naming it. `testBroker()` runs it on an {@linkcode mqttEmulation} with the same options.
 *
 * @example
 * ```ts
 * import { mqtt } from "@sluice/mqtt";
 * const broker = mqtt({ url: "mqtts://user:secret@broker.example:8883", protocol: "5", qos: 1 });
 * ```
 */
export function mqtt(options: MqttBrokerOptions = {}): MqttBroker {
  const { emulator: shared, ...rest } = options;
  // The broker object keeps its emulation between test sessions; a fresh one gets a new emulated broker.
  return new MqttBroker(mqttDriver(rest), rest, () => mqttEmulation(rest, shared ?? new MqttEmulator()));
}

/** The `mqtt:` and `mqtts:` plugin for `connect(url)`. */
export const plugin: Plugin = {
  schemes: ["mqtt", "mqtts"],
  create: (url, options) => mqtt({ ...(options as MqttBrokerOptions), ...optionsFromUrl(url) }),
};

/**
 * A handler's response with Mqtt publish options (QoS and retain) for its reply and published result,
 * as FastStream's `MqttResponse` does.
 *
 * @example
 * ```ts
 * import { mqttResponse } from "@sluice/mqtt";
 * const handler = (order: { id: string }) => mqttResponse(order, { headers: { "x-source": "orders" } });
 * ```
 */
export function mqttResponse<Body>(
  body: Body,
  options: PublishOptions & MqttPublishOptionsOfResponse = {},
): HandlerResponse<Body, MqttPublishOptionsOfResponse> {
  return response(body, options);
}
