/**
 * The retry policy, read once: how many attempts, and how long to wait before each next one. In-process
 * retries and the back-off of a redelivery (`onError: "nack"`) use the same curve.
 *
 * @module
 */

import { NoHandlerError } from "./errors.ts";
import { sleep } from "./_limiter.ts";
import type { RetryPolicy } from "./options.ts";

/** A retry policy with every default filled in. */
export interface Backoff {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** Milliseconds to wait after failed try `n` (1-based): `delay · factor^(n-1)`, at most `maxDelay`. */
  delay(n: number): number;
  /**
   * Runs `work`, again after each failure up to `attempts` tries in all, waiting `delay(n)` after try `n`;
   * `onRetry` hears of each retry. The last failure (or one that retrying cannot mend) is thrown.
   */
  run<T>(
    work: () => Promise<T>,
    onRetry: (attempt: number, delay: number, error: unknown) => void,
  ): Promise<T>;
}

/** Reads a subscriber's `retry` option. */
export function backoff(retry: number | RetryPolicy | undefined): Backoff {
  const policy: RetryPolicy = typeof retry === "number" ? { attempts: retry } : retry ?? {};
  const base = policy.delay ?? 100;
  const factor = policy.factor ?? 2;
  const max = policy.maxDelay ?? 30_000;
  const attempts = policy.attempts ?? 1;
  const delay = (n: number): number => Math.min(base * factor ** (Math.max(1, n) - 1), max);
  return {
    attempts,
    delay,
    async run(work, onRetry) {
      if (attempts <= 1) return await work();
      for (let attempt = 1;; attempt++) {
        try {
          return await work();
        } catch (error) {
          if (attempt >= attempts || error instanceof NoHandlerError) throw error;
          onRetry(attempt, delay(attempt), error);
          await sleep(delay(attempt));
        }
      }
    },
  };
}
