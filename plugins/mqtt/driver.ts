/**
 * The MQTT driver, on MQTT.js: one connection publishes (with the broker's will), and every subscriber has a
 * connection of its own (see `_subscription.ts`). Request/reply is the core's, on a reply topic: on MQTT 5 the
 * reply topic and correlation id travel as the native Response Topic and Correlation Data.
 *
 * @module
 */

import type { MqttClient } from "mqtt";
import {
  type Driver,
  type DriverContext,
  type Logger,
  type OutgoingMessage,
  silentLogger,
  SluiceError,
  StateError,
  type SubscriptionHandle,
} from "@sluice/core";
import { closeClient, openClient, toBuffer } from "./_client.ts";
import { carriableOn5 } from "./_strings.ts";
import { type OwnSubscription, subscribeOwnConnection } from "./_subscription.ts";
import { assertCarriableOn311, toProperties } from "./message.ts";
import {
  type MqttOptions,
  type MqttPublishOptions,
  type MqttSubscribeOptions,
  parsePublishOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import { assertTopic, mqttRules } from "./rules.ts";
import { mqttDocs } from "./bindings.ts";

/** The MQTT driver. */
export interface MqttDriver extends Driver<MqttSubscribeOptions, MqttPublishOptions> {
  /** The protocol version in use: 5, or 4 for MQTT 3.1.1. */
  readonly protocolVersion: 4 | 5;
  /** The publishing connection's MQTT.js client, once connected; for what Sluice does not cover. */
  readonly client: MqttClient | undefined;
}

/**
 * Creates the MQTT driver; options are validated at once.
 *
 * @example
 * ```ts
 * import { mqttDriver } from "@sluice/mqtt";
 * const driver = mqttDriver({ url: "mqtt://localhost:1883" });
 * console.log(driver.url); // mqtt://localhost:1883
 * ```
 */
export function mqttDriver(options: MqttOptions = {}): MqttDriver {
  const resolved: ResolvedOptions = resolveOptions(options);
  let client: MqttClient | undefined;
  let logger: Logger = silentLogger;
  const subscriptions = new Set<OwnSubscription>();
  const checked: { topic?: string } = {};

  const connected = (): MqttClient => {
    if (!client) throw new StateError(`Not connected to ${resolved.safeUrl}: call broker.connect() first`);
    return client;
  };

  const driver: MqttDriver = {
    name: "mqtt",
    url: resolved.safeUrl,
    protocolVersion: resolved.protocolVersion,
    rules: mqttRules,
    docs: mqttDocs(resolved),
    get client() {
      return client;
    },
    async connect(context: DriverContext) {
      logger = context.logger;
      if (client) return;
      client = await openClient(resolved, {
        clientId: resolved.clientId ?? `sluice-${crypto.randomUUID().slice(0, 13)}`,
        clean: true,
        will: true,
        label: "publisher",
      }, logger);
    },
    async close() {
      const open = [...subscriptions];
      subscriptions.clear();
      await Promise.all(open.map((s) => s.close()));
      const c = client;
      client = undefined;
      if (c) await closeClient(c);
    },
    async subscribe(spec, deliver): Promise<SubscriptionHandle> {
      connected();
      const own = await subscribeOwnConnection(resolved, spec, deliver, logger);
      subscriptions.add(own);
      return {
        async stop() {
          await own.stop();
        },
      };
    },
    publish(channel, message, options) {
      try {
        return publishOn(connected(), resolved, channel, message, options, checked);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    ping() {
      if (!client?.connected) {
        return Promise.reject(new StateError(`The connection to ${resolved.safeUrl} is down; reconnecting`));
      }
      return Promise.resolve();
    },
  };
  return driver;
}

/**
 * Publishes one message on a connection, after checking what the protocol can carry. Not async, and on
 * MQTT.js's callback rather than `publishAsync`: one promise per message instead of three. `checked` is the
 * last topic that passed {@linkcode assertTopic}; a publisher sends to the same topic over and over.
 */
function publishOn(
  client: MqttClient,
  options: ResolvedOptions,
  channel: string,
  message: OutgoingMessage,
  raw: MqttPublishOptions,
  checked: { topic?: string },
): Promise<void> {
  try {
    if (channel !== checked.topic) {
      assertTopic(channel);
      checked.topic = channel;
    }
    const pub = parsePublishOptions(raw, channel);
    const v5 = options.protocolVersion === 5;
    if (!v5) assertCarriableOn311(channel, message, pub);
    const properties = v5 ? toProperties(carriableOn5(channel, message), pub) : undefined;
    const publishing = {
      qos: pub.qos ?? options.qos,
      retain: pub.retain ?? false,
      properties: properties as never,
    };
    return new Promise((resolve, reject) => {
      client.publish(channel, toBuffer(message.body), publishing, (error) => {
        if (!error) resolve();
        else if (error instanceof SluiceError) reject(error);
        else {
          reject(
            new SluiceError(`Cannot publish to ${channel} on ${options.safeUrl}: ${error.message}`, {
              cause: error,
            }),
          );
        }
      });
    });
  } catch (error) {
    return Promise.reject(error);
  }
}
