/** Helpers shared by the Kafka plugin's tests. */

/** Short group timings: safe on a one-node test broker, so joins and rebalances finish quickly. */
export const testConsumer = { sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTime: 100 } as const;

/** A unique channel prefix per test. */
export function unique(name = "t"): string {
  return `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Waits until `condition` holds, polling every 5 ms; throws after `timeout` ms naming `what`. */
export async function until(condition: () => boolean, timeout: number, what: string): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves after `ms` milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
