/**
 * How an MQTT broker appears in the generated AsyncAPI document: MQTT bindings 0.2.0 — the publishing
 * connection's client id, keep-alive and last will (without its body), each subscription's and publish's QoS,
 * a publish's retain flag and expiry, and, on MQTT 5, that the correlation id travels as Correlation Data.
 * Never the user name or password.
 *
 * @module
 */

import type { DocsBindings, DriverDocs } from "@sluice/core";
import type { MqttPublishOptions, MqttSubscribeOptions, ResolvedOptions } from "./options.ts";

const VERSION = "0.2.0";

/** The AsyncAPI description of an MQTT broker made with `options`; the driver carries it as `docs`. */
export function mqttDocs(options: ResolvedOptions): DriverDocs<MqttSubscribeOptions, MqttPublishOptions> {
  const will = options.will;
  return {
    protocol: options.secure ? "secure-mqtt" : "mqtt",
    protocolVersion: options.protocolVersion === 5 ? "5" : "3.1.1",
    server(): DocsBindings {
      return {
        mqtt: {
          ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
          keepAlive: options.keepalive ?? 30,
          ...(will
            ? { lastWill: { topic: will.topic, qos: will.qos ?? 1, retain: will.retain ?? false } }
            : {}),
          bindingVersion: VERSION,
        },
      };
    },
    operation(endpoint): DocsBindings {
      const qos = endpoint.options.qos ?? options.qos;
      if (endpoint.action === "receive") return { mqtt: { qos, bindingVersion: VERSION } };
      const { retain, messageExpiry } = endpoint.options;
      return {
        mqtt: {
          qos,
          retain: retain ?? false,
          ...(messageExpiry !== undefined ? { messageExpiryInterval: messageExpiry } : {}),
          bindingVersion: VERSION,
        },
      };
    },
    message(): DocsBindings {
      if (options.protocolVersion !== 5) return {};
      return {
        mqtt: {
          correlationData: { type: "string", description: "The correlation id, as UTF-8." },
          bindingVersion: VERSION,
        },
      };
    },
  };
}
