/**
 * Handing a message to the core and settling it, shared by the driver and the emulation. MQTT has no negative
 * acknowledgement and a broker never redelivers on a live connection, so `nack()` keeps the message
 * unacknowledged and hands it to the core again after the delay, from this process.
 *
 * @module
 */

import type { Deliver, IncomingMessage } from "@sluice/core";

/** How a message left the core: acknowledged, rejected, or abandoned (subscription stopped before a redelivery). */
export type Outcome = "ack" | "reject" | "abandon";

/** The parts of an incoming message that do not change between deliveries. */
export type MessageFields = Omit<IncomingMessage, "ack" | "nack" | "reject" | "deliveryCount">;

/** Callbacks of one hand-over. */
export interface HandOver {
  /** Called once, when the message is settled for good. */
  readonly settle: (outcome: Outcome) => void;
  /** Whether the subscription still takes messages (a nacked message is redelivered only then). */
  readonly live: () => boolean;
  /** Counts redeliveries waiting on a timer, for `idle()` of the emulation. */
  readonly timers?: { count: number; changed(): void };
}

/** Delivers `fields` to the core; `nack()` delivers it again after its delay, with `redelivered` set. */
export function handOver(deliver: Deliver, fields: MessageFields, hooks: HandOver, count = 1): void {
  let open = true;
  const close = (): boolean => {
    if (!open) return false;
    open = false;
    return true;
  };
  const incoming: IncomingMessage = {
    ...fields,
    redelivered: count > 1 || fields.redelivered === true,
    deliveryCount: count,
    ack: () => {
      if (close()) hooks.settle("ack");
      return Promise.resolve();
    },
    reject: () => {
      if (close()) hooks.settle("reject");
      return Promise.resolve();
    },
    nack: (options) => {
      if (!close()) return Promise.resolve();
      const delay = Math.max(0, options?.delay ?? 0);
      const timers = hooks.timers;
      if (timers) timers.count++;
      setTimeout(() => {
        if (timers) timers.count--;
        if (hooks.live()) handOver(deliver, fields, hooks, count + 1);
        else hooks.settle("abandon");
        timers?.changed();
      }, delay);
      return Promise.resolve();
    },
  };
  deliver(incoming).catch(() => incoming.nack());
}
