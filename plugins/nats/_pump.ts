/**
 * Hands the items of an async source (a core subscription, a JetStream consumer, a key-value watch) to the
 * core through a {@linkcode DeliveryWindow}: without waiting for earlier ones to settle, pausing only while
 * the window is full (the rest stays in the client's buffer).
 *
 * @module
 */

import type { Deliver, IncomingMessage } from "@sluice/core";
import { DeliveryWindow } from "@sluice/core/kit";

/** A running pump. */
export interface Pump {
  /** Ends when the source ends or the pump stops. */
  readonly done: Promise<void>;
  /** Hands over nothing more; what the core holds stays counted until it settles. */
  stop(): void;
}

/** Starts pumping `source` into `deliver`, each item made a message by `incoming`. */
export function pump<T>(
  source: AsyncIterable<T>,
  prefetch: number,
  deliver: Deliver,
  incoming: (item: T) => IncomingMessage,
  onError: (error: unknown) => void,
): Pump {
  const window = new DeliveryWindow(prefetch, onError);
  const done = (async () => {
    try {
      for await (const item of source) {
        // Only a full window costs an await: the common case hands over at once.
        if (window.room === 0) await window.whenRoom();
        if (window.closed) break;
        window.hand(deliver, incoming(item));
      }
    } catch (error) {
      if (!window.closed) onError(error);
    }
  })();
  return { done, stop: () => window.close() };
}
