/**
 * Core NATS subscriptions: subjects with wildcards and queue groups, at most once. There is no
 * acknowledgement: `nack` cannot return a message, so it is dropped with a warning (use a JetStream
 * subscriber for redelivery).
 *
 * @module
 */

import type { Deliver, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import type { Msg } from "@nats-io/transport-node";
import type { Connection } from "./_connection.ts";
import { coreIncoming } from "./message.ts";
import type { NatsSubscribeOptions } from "./options.ts";

/** Subscribes on core NATS; resolves once the server registered the subscription. */
export async function subscribeCore(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  deliver: Deliver,
): Promise<SubscriptionHandle> {
  const { nc, logger } = connection;
  let warned = false;
  const settle = (how: "ack" | "nack" | "reject"): void => {
    if (how !== "nack" || warned) return;
    warned = true;
    logger.warn(
      `Core NATS cannot redeliver: a nacked message of ${spec.channel} is dropped. ` +
        `Consume with JetStream (subscriber option stream) for redelivery`,
    );
  };
  const onError = (error: unknown): void =>
    logger.error(`Subscription to ${spec.channel} failed: ${describeError(error)}`);
  const window = new DeliveryWindow(spec.prefetch, onError);
  // nats.js's callback form, not its async iterator: the iterator costs a queue push, a promise and a
  // microtask hop per message, about a tenth of the consumer's CPU on a core subscription
  // (bench/nats/core.ts). Messages beyond the window wait here, in order, as they would in the iterator's
  // queue; core NATS has no flow control either way (the server cuts a consumer that falls too far behind).
  const waiting: Msg[] = [];
  let resuming = false;
  const resume = (): void => {
    resuming = false;
    while (waiting.length > 0 && window.room > 0 && !window.closed) {
      window.hand(deliver, coreIncoming(waiting.shift()!, settle));
    }
    if (waiting.length > 0 && !window.closed) wait();
  };
  const wait = (): void => {
    if (resuming) return;
    resuming = true;
    void window.whenRoom().then(resume);
  };
  const sub = nc.subscribe(spec.channel, {
    ...(spec.group ? { queue: spec.group } : {}),
    callback: (error, msg) => {
      if (error) return onError(error);
      if (window.closed) return;
      if (waiting.length === 0 && window.room > 0) {
        try {
          window.hand(deliver, coreIncoming(msg, settle));
        } catch (thrown) {
          onError(thrown);
        }
        return;
      }
      waiting.push(msg);
      wait();
    },
  });
  // The flush round trip proves the server processed the SUB: later publishes from anywhere reach it.
  await nc.flush();
  return {
    stop() {
      window.close();
      waiting.length = 0;
      sub.unsubscribe();
      return Promise.resolve();
    },
  };
}
