/**
 * The few assertions the conformance suite needs, so that it runs wherever its test functions come from
 * (node:test under Deno, Bun and Node, or any runner with `describe` and `it`) without importing anything.
 *
 * @module
 */

/** A failed expectation of the conformance suite. */
export class ConformanceError extends Error {
  override name = "ConformanceError";
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array [${[...value].join(", ")}]`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i])) return false;
    return true;
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Assertions in the shape of `node:assert/strict`. */
export interface Assert {
  ok(value: unknown, message?: string): asserts value;
  equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  match(actual: string, pattern: RegExp, message?: string): void;
  rejects(
    promise: Promise<unknown>,
    check: (new (...args: never[]) => Error) | ((error: unknown) => boolean),
  ): Promise<void>;
}

/** Assertions in the shape of `node:assert/strict`. */
export const assert: Assert = {
  ok(value: unknown, message = "expected a truthy value"): asserts value {
    if (!value) throw new ConformanceError(message);
  },
  equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
    if (!Object.is(actual, expected)) {
      throw new ConformanceError(message ?? `expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
    if (!same(actual, expected)) {
      throw new ConformanceError(message ?? `expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  match(actual: string, pattern: RegExp, message?: string): void {
    if (!pattern.test(actual)) {
      throw new ConformanceError(message ?? `expected ${show(actual)} to match ${pattern}`);
    }
  },
  async rejects(
    promise: Promise<unknown>,
    check: (new (...args: never[]) => Error) | ((error: unknown) => boolean),
  ): Promise<void> {
    try {
      await promise;
    } catch (error) {
      const passes = check.prototype instanceof Error || check === Error
        ? error instanceof (check as new (...args: never[]) => Error)
        : (check as (error: unknown) => boolean)(error);
      if (!passes) throw new ConformanceError(`rejected with an unexpected error: ${show(String(error))}`);
      return;
    }
    throw new ConformanceError("expected a rejection");
  },
};

/** Waits until `condition` holds; fails after `timeout` ms naming `what`. */
export async function until(condition: () => boolean, timeout: number, what: string): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new ConformanceError(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits a little, to prove that nothing more arrives. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A channel name no other test uses. */
export function unique(): string {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}
