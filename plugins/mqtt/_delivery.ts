/**
 * Handing a message to the core and settling it, shared by the driver and the emulation. MQTT has no negative
 * acknowledgement and a broker never redelivers on a live connection, so `nack()` keeps the message
 * unacknowledged and hands it to the core again after the delay, from this process. The message keeps its
 * place meanwhile: the retry is handed over at once and counts until the message is delivered again.
 *
 * @module
 */

import type { Deliver, IncomingMessage } from "@sluice/core";
import { sleep } from "@sluice/core/kit";

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
  /** Hands a delivery to the core: the driver counts it in its delivery window until the core settled it. */
  readonly hand: (deliver: Deliver, message: IncomingMessage) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** Delivers `fields` to the core; `nack()` delivers it again after its delay, with `redelivered` set. */
export function handOver(deliver: Deliver, fields: MessageFields, hooks: HandOver): void {
  hooks.hand(deliver, delivery(deliver, fields, hooks, 1));
}

function delivery(deliver: Deliver, fields: MessageFields, hooks: HandOver, count: number): IncomingMessage {
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
      return RESOLVED;
    },
    reject: () => {
      if (close()) hooks.settle("reject");
      return RESOLVED;
    },
    nack: (options) => {
      if (!close()) return RESOLVED;
      const delay = Math.max(0, options?.delay ?? 0);
      hooks.hand(
        () =>
          sleep(delay).then(() => {
            if (hooks.live()) return deliver(delivery(deliver, fields, hooks, count + 1));
            hooks.settle("abandon");
          }),
        incoming,
      );
      return RESOLVED;
    },
  };
  return incoming;
}
