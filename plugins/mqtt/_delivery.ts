/**
 * Handing a message to the core and settling it, shared by the driver and the emulation. MQTT has no negative
 * acknowledgement and a broker never redelivers on a live connection, so `nack()` keeps the message
 * unacknowledged and hands it to the core again after the delay, from this process. The message keeps its
 * place meanwhile: the retry is handed over at once and counts until the message is delivered again.
 *
 * @module
 */

import { type Deliver, type IncomingMessage, SETTLED } from "@sluice/core";
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

/** Delivers `fields` to the core; `nack()` delivers it again after its delay, with `redelivered` set. */
export function handOver(deliver: Deliver, fields: MessageFields, hooks: HandOver): void {
  hooks.hand(deliver, new Delivery(deliver, fields, hooks, 1));
}

/** One delivery of a message. A class, not an object of closures, since one is made per message. */
class Delivery implements IncomingMessage {
  readonly channel: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly correlationId: string | undefined;
  readonly messageId: string | undefined;
  readonly replyTo: string | undefined;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
  readonly raw: unknown;
  readonly #deliver: Deliver;
  readonly #fields: MessageFields;
  readonly #hooks: HandOver;
  #open = true;

  constructor(deliver: Deliver, fields: MessageFields, hooks: HandOver, count: number) {
    this.channel = fields.channel;
    this.body = fields.body;
    this.headers = fields.headers;
    this.contentType = fields.contentType;
    this.correlationId = fields.correlationId;
    this.messageId = fields.messageId;
    this.replyTo = fields.replyTo;
    this.redelivered = count > 1 || fields.redelivered === true;
    this.deliveryCount = count;
    this.raw = fields.raw;
    this.#deliver = deliver;
    this.#fields = fields;
    this.#hooks = hooks;
  }

  ack(): Promise<void> {
    if (this.#close()) this.#hooks.settle("ack");
    return SETTLED;
  }

  reject(): Promise<void> {
    if (this.#close()) this.#hooks.settle("reject");
    return SETTLED;
  }

  nack(options?: { readonly delay?: number }): Promise<void> {
    if (!this.#close()) return SETTLED;
    const delay = Math.max(0, options?.delay ?? 0);
    const deliver = this.#deliver;
    const hooks = this.#hooks;
    hooks.hand(
      () =>
        sleep(delay).then(() => {
          if (hooks.live()) {
            return deliver(new Delivery(deliver, this.#fields, hooks, this.deliveryCount + 1));
          }
          hooks.settle("abandon");
        }),
      this,
    );
    return SETTLED;
  }

  #close(): boolean {
    if (!this.#open) return false;
    this.#open = false;
    return true;
  }
}
