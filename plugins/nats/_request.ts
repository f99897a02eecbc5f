/**
 * Native request/reply on one shared inbox subscription (`_INBOX.<id>.*`), as nats.js muxes requests, but
 * with the reply subject also in FastStream's `reply_to` header: a JetStream consumer (whose `msg.reply`
 * is the ack subject) can answer too. NATS's "no responders" status ends a request at once.
 *
 * @module
 */

import { StateError, TimeoutError } from "@sluice/core";
import { AwaitedReplies } from "@sluice/core/kit";
import type { IncomingMessage } from "@sluice/core";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { coreIncoming } from "./message.ts";
import { NoRespondersError } from "./_errors.ts";

/** Waits for replies addressed to `<prefix>.<token>`. */
export class ReplyInbox {
  readonly #prefix: string;
  readonly #pending = new AwaitedReplies<Msg>();
  readonly #sub: Subscription;
  #next = 0;

  /** Subscribes the inbox on `nc`. */
  constructor(nc: NatsConnection) {
    this.#prefix = `_INBOX.${crypto.randomUUID().replaceAll("-", "")}`;
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (error, msg) => {
        if (error) return;
        const token = msg.subject.slice(this.#prefix.length + 1);
        this.#pending.resolve(token, msg);
      },
    });
  }

  /**
   * Sends with `send(replySubject)` and waits for the reply; a "no responders" status rejects with a
   * {@linkcode NoRespondersError}, silence with a {@linkcode TimeoutError}.
   */
  async request(
    channel: string,
    timeout: number,
    signal: AbortSignal | undefined,
    send: (reply: string) => Promise<void> | void,
  ): Promise<IncomingMessage> {
    const token = (++this.#next).toString(36);
    const reply = `${this.#prefix}.${token}`;
    const answer = this.#pending.wait(
      token,
      timeout,
      signal,
      () => new TimeoutError(`No reply from ${channel} within ${timeout} ms`),
    );
    try {
      await send(reply);
    } catch (error) {
      this.#pending.reject(token, error as Error);
      throw error;
    }
    const msg = await answer;
    if (msg.headers?.code === 503) {
      throw new NoRespondersError(`No responder listens on ${channel}: start a subscriber for it`);
    }
    return coreIncoming(msg, () => undefined);
  }

  /** Unsubscribes, failing the requests still waiting. */
  close(): void {
    this.#pending.close(new StateError("The connection closed before the reply came"));
    this.#sub.unsubscribe();
  }
}
