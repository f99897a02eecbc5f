/**
 * Collects messages into batches for a batch subscriber: a batch goes to the handler when it is full, or
 * when its first message has waited `timeout` ms.
 *
 * @module
 */

import type { IncomingMessage } from "./driver.ts";
import type { BatchOptions } from "./options.ts";

interface Pending {
  readonly incoming: IncomingMessage;
  readonly done: () => void;
}

/** Fills batches and hands each to `run`; a message's delivery resolves once its batch was run. */
export class Batcher {
  readonly #size: number;
  readonly #timeout: number;
  readonly #run: (batch: IncomingMessage[]) => Promise<void>;
  #buffer: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: BatchOptions, run: (batch: IncomingMessage[]) => Promise<void>) {
    this.#size = options.size;
    this.#timeout = options.timeout ?? 100;
    this.#run = run;
  }

  /** Messages waiting for their batch to fill. */
  get waiting(): number {
    return this.#buffer.length;
  }

  /** Adds a message; resolves once the batch it joined has been handled. */
  add(incoming: IncomingMessage): Promise<void> {
    return new Promise<void>((done) => {
      this.#buffer.push({ incoming, done });
      if (this.#buffer.length >= this.#size) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#timeout);
    });
  }

  /** Hands over what there is now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const items = this.#buffer;
    this.#buffer = [];
    this.#run(items.map((i) => i.incoming)).finally(() => items.forEach((i) => i.done()));
  }
}
