/**
 * Core NATS subscriptions: subjects with wildcards and queue groups, at most once. There is no
 * acknowledgement: `nack` cannot return a message, so it is dropped with a warning (use a JetStream
 * subscriber for redelivery).
 *
 * @module
 */

import {
  type Deliver,
  SETTLED,
  type SubscriptionEvents,
  type SubscriptionHandle,
  type SubscriptionSpec,
} from "@sluice/core";
import { describeError, pendingLimits, PendingQueue } from "@sluice/core/kit";
import type { Msg } from "@nats-io/transport-node";
import type { Connection } from "./_connection.ts";
import { coreIncoming, detach } from "./message.ts";
import { type NatsSubscribeOptions, slowConsumer } from "./options.ts";

/** Subscribes on core NATS; resolves once the server registered the subscription. */
export async function subscribeCore(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  deliver: Deliver,
  events: SubscriptionEvents | undefined,
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
  // nats.js's callback form, not its async iterator: the iterator costs a queue push, a promise and a
  // microtask hop per message, about a tenth of the consumer's CPU on a core subscription
  // (bench/nats/core.ts). At most `prefetch` messages are unsettled; the next one is handed over as soon as
  // one settles, in the same reaction (a DeliveryWindow would add a promise per message to wake a loop there
  // is no need for), or at once when the core settled it before `deliver` returned (SETTLED: no reaction at
  // all). Messages beyond the bound wait here, in order, as they would in the iterator's queue: core NATS has
  // no flow control either way. What waits is bounded by maxPending and maxPendingBytes (core/kit/pending.ts):
  // past them a new message is dropped, as other NATS clients drop a slow consumer's; nats.js has no such
  // bound, and reading the socket into an unbounded queue kept the server from seeing the consumer was slow.
  const limit = Math.max(1, Math.floor(spec.prefetch));
  let open = 0;
  let stopped = false;
  const waiting = new PendingQueue<Msg>(
    pendingLimits(spec.options),
    slowConsumer(spec.channel, logger, events),
    (msg) => msg.data.length,
  );
  // A loop: a message the core settled before `deliver` returned (SETTLED) makes room at once.
  const settled = (): void => {
    open--;
    while (!stopped && open < limit && waiting.length > 0) hand(waiting.shift());
  };
  const failed = (error: unknown): void => {
    onError(error);
    settled();
  };
  const hand = (msg: Msg): void => {
    let incoming;
    try {
      incoming = coreIncoming(msg, settle);
    } catch (error) {
      return onError(error);
    }
    open++;
    const done = deliver(incoming);
    if (done === SETTLED) open--;
    else done.then(settled, failed);
  };
  const sub = nc.subscribe(spec.channel, {
    ...(spec.group ? { queue: spec.group } : {}),
    callback: (error, msg) => {
      if (error) return onError(error);
      if (stopped) return;
      if (open < limit && waiting.length === 0) {
        waiting.bypassed();
        return hand(msg);
      }
      if (!waiting.admits(msg.data.length, msg.subject)) return;
      detach(msg);
      waiting.push(msg);
    },
  });
  // The flush round trip proves the server processed the SUB: later publishes from anywhere reach it.
  await nc.flush();
  return {
    stop() {
      stopped = true;
      waiting.clear();
      sub.unsubscribe();
      return Promise.resolve();
    },
  };
}
