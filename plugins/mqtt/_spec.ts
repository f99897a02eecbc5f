/**
 * A subscription as the driver and the emulation make it: the subscriber's MQTT options checked against the
 * broker's options and protocol version, the filter with its shared-subscription prefix, and the prefetch
 * within MQTT's Receive Maximum range.
 *
 * @module
 */

import { NotSupportedError, type SubscriptionSpec } from "@sluice/core";
import {
  type MqttSubscribeOptions,
  parseSubscribeOptions,
  type QoS,
  type ResolvedOptions,
} from "./options.ts";
import { subscriptionFilter } from "./rules.ts";

/** A subscription ready to subscribe. */
export interface ResolvedSubscription {
  readonly mqtt: MqttSubscribeOptions;
  /** The filter to subscribe, `$share/<group>/` included. */
  readonly filter: string;
  readonly qos: QoS;
  readonly clean: boolean;
  /** The prefetch, within MQTT's Receive Maximum range. */
  readonly prefetch: number;
}

/** Validates a subscription against the options and the protocol version; throws what cannot be done. */
export function resolveSubscription(
  options: ResolvedOptions,
  spec: SubscriptionSpec<MqttSubscribeOptions>,
): ResolvedSubscription {
  const mqtt = parseSubscribeOptions(spec.options, spec.template);
  if (options.protocolVersion === 4 && mqtt.retainHandling !== undefined) {
    throw new NotSupportedError(`Subscriber ${spec.template}: retainHandling needs MQTT 5`);
  }
  return {
    mqtt,
    filter: subscriptionFilter(spec.channel, spec.group),
    qos: mqtt.qos ?? options.qos,
    clean: mqtt.clean ?? true,
    prefetch: Math.max(1, Math.min(spec.prefetch, 65_535)),
  };
}
