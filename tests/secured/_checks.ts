/** The checks every secured-broker test makes. */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import type { Broker } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { type CountingProxy, type Failure, leakOf, renderings } from "../_support/secured.ts";

/** A failed connection must take less than this (a client that waits for its own timeouts takes longer). */
export const QUICK_MS = 10_000;

let counter = 0;

/** A channel name of its own for this test. */
export function unique(prefix = "secured"): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Publishes one message through `broker` to a subscriber of its own and waits until it was handled. */
export async function roundTrip(
  broker: Broker,
  channel = unique(),
  subscriberOptions: Record<string, unknown> = {},
): Promise<void> {
  const received: unknown[] = [];
  broker.subscriber(channel, subscriberOptions as never).handle((body: unknown) => void received.push(body));
  await using br = await testBroker(broker, { real: true });
  await br.publish({ hello: "over TLS" }, channel);
  const end = Date.now() + 15_000;
  while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(received, [{ hello: "over TLS" }]);
}

/**
 * The failure was quick, says what went wrong (`cause`), did not retry (no new connection through `proxy` in
 * the second after it), and `secret` shows in none of the error's renderings nor in what was logged.
 */
export async function assertQuickFailure(
  failure: Failure,
  proxy: CountingProxy | undefined,
  cause: RegExp,
  secret: string,
): Promise<void> {
  const { error, ms, printed } = failure;
  const shown = inspect(error, { depth: 6 });
  assert.ok(ms < QUICK_MS, `failed after ${Math.round(ms)} ms, not at once: ${shown}`);
  const texts = [error instanceof Error ? error.message : String(error)];
  for (let e = (error as Error).cause; e instanceof Error; e = e.cause) texts.push(e.message);
  assert.ok(texts.some((t) => cause.test(t)), `the error does not say ${cause}: ${shown}`);
  const leak = leakOf(secret, [...renderings(error), ...printed]);
  assert.equal(leak, undefined, `the secret shows in: ${leak}`);
  if (proxy) {
    const after = proxy.connections;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(proxy.connections, after, `the client kept connecting after it failed: ${shown}`);
  }
}
