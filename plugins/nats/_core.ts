/**
 * Core NATS subscriptions: subjects with wildcards and queue groups, at most once. There is no
 * acknowledgement: `nack` cannot return a message, so it is dropped with a warning (use a JetStream
 * subscriber for redelivery).
 *
 * @module
 */

import type { Deliver, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import type { Connection } from "./_connection.ts";
import { coreIncoming } from "./message.ts";
import type { NatsSubscribeOptions } from "./options.ts";
import { pump } from "./_pump.ts";

/** Subscribes on core NATS; resolves once the server registered the subscription. */
export async function subscribeCore(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  deliver: Deliver,
): Promise<SubscriptionHandle> {
  const { nc, logger } = connection;
  const sub = nc.subscribe(spec.channel, spec.group ? { queue: spec.group } : {});
  // The flush round trip proves the server processed the SUB: later publishes from anywhere reach it.
  await nc.flush();
  let warned = false;
  const settle = (how: "ack" | "nack" | "reject"): void => {
    if (how !== "nack" || warned) return;
    warned = true;
    logger.warn(
      `Core NATS cannot redeliver: a nacked message of ${spec.channel} is dropped. ` +
        `Consume with JetStream (subscriber option stream) for redelivery`,
    );
  };
  const pumping = pump(
    sub,
    spec.prefetch,
    deliver,
    (msg) => coreIncoming(msg, settle),
    (error) => logger.error(`Subscription to ${spec.channel} failed: ${describeError(error)}`),
  );
  return {
    stop() {
      pumping.stop();
      sub.unsubscribe();
      return Promise.resolve();
    },
  };
}
