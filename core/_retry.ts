/**
 * The retry policy, read once: how many attempts, and how long to wait before each next one. In-process
 * retries and the back-off of a redelivery (`onError: "nack"`) use the same curve.
 *
 * @module
 */

import type { RetryPolicy } from "./options.ts";

/** A retry policy with every default filled in. */
export interface Backoff {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** Milliseconds to wait after failed try `n` (1-based): `delay · factor^(n-1)`, at most `maxDelay`. */
  delay(n: number): number;
}

/** Reads a subscriber's `retry` option. */
export function backoff(retry: number | RetryPolicy | undefined): Backoff {
  const policy: RetryPolicy = typeof retry === "number" ? { attempts: retry } : retry ?? {};
  const base = policy.delay ?? 100;
  const factor = policy.factor ?? 2;
  const max = policy.maxDelay ?? 30_000;
  return {
    attempts: policy.attempts ?? 1,
    delay: (n) => Math.min(base * factor ** (Math.max(1, n) - 1), max),
  };
}
