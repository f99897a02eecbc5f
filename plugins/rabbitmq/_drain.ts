/**
 * Back-pressure of one amqplib channel: once `publish()` returned false, further writes wait for the
 * channel's `drain` (or its `close`, after which reconnection takes over).
 *
 * @module
 */

import type { Channel } from "amqplib";

/** Holds writers back while a channel's buffer is full. */
export class DrainGate {
  #draining: Promise<void> | undefined;

  /** Whether writers must wait. */
  get blocked(): boolean {
    return this.#draining !== undefined;
  }

  /** Resolves once the channel accepts writes again (at once when it does now). */
  async pass(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Blocks writers until `channel` drains or closes; call it when `publish()` returned false. */
  block(channel: Channel): void {
    this.#draining ??= new Promise<void>((resolve) => {
      const done = (): void => {
        channel.off("drain", done);
        channel.off("close", done);
        this.#draining = undefined;
        resolve();
      };
      channel.on("drain", done);
      channel.on("close", done);
    });
  }
}
