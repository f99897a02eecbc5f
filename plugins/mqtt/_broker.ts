/**
 * The MQTT broker: the core's broker, refusing at start what the protocol version cannot carry. A subscriber's
 * `deadLetter` is one of the core's options, which the driver never sees: on MQTT 3.1.1 the dead-lettered
 * message could not carry its reason (a user property), so such a subscriber is refused before anything
 * subscribes, not when its first message fails.
 *
 * @module
 */

import { Broker, NotSupportedError } from "@sluice/core";
import type { MqttDriver } from "./driver.ts";

/** A broker on MQTT; see the module doc. */
export class MqttBroker extends Broker<MqttDriver> {
  /** Connects and starts every subscriber, after checking that the protocol version can carry them. */
  override async start(): Promise<void> {
    if (this.driver.protocolVersion === 4) {
      for (const subscriber of this.allSubscribers()) {
        if (subscriber.options.deadLetter !== undefined) {
          throw new NotSupportedError(
            `Subscriber ${subscriber.channel}: deadLetter needs MQTT 5 (the reason travels as a user property); use protocol: "5"`,
          );
        }
      }
    }
    await super.start();
  }
}
