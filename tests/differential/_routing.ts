/**
 * One routing case run on a driver — the plugin's emulation or its real driver — and what came of it: which
 * subscriptions and publishes were refused (and with which error), and what every audience received, in
 * order. An audience is one subscription, or all the members of one group (they compete, so only the union
 * and its count can be compared, not who got what).
 */
import assert from "node:assert/strict";
import { silentLogger } from "@sluice/core";
import type { Driver, IncomingMessage, SubscriptionHandle } from "@sluice/core";

export interface Subscription {
  readonly channel: string;
  readonly group?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface Publish {
  readonly channel: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly key?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface RoutingCase {
  readonly subscriptions: readonly Subscription[];
  readonly publishes: readonly Publish[];
}

export interface Outcome {
  /** Per subscription: "ok" or the refusing error's name. */
  readonly subscribed: string[];
  /** Per publish: "ok" or the refusing error's name. */
  readonly published: string[];
  /** Per audience key: the indexes of the publishes received, in order (sorted for a group). */
  readonly received: Record<string, number[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The audience a subscription belongs to: itself, or its group. Where a group spans channels (a NATS queue
 * group is one audience whatever the subjects of its members) `groupKey` says so.
 */
export function audience(
  subscription: Subscription,
  index: number,
  groupKey: (subscription: Subscription) => string = (s) => `${s.group} ${s.channel}`,
): string {
  return subscription.group === undefined
    ? `#${index} ${subscription.channel}`
    : `group ${groupKey(subscription)}`;
}

/** The name of a refusal, as compared: the error class's name. */
export function refusal(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** How long to wait for the real broker, and how much longer for messages it should not deliver. */
export interface Waits {
  readonly deadline: number;
  /**
   * Once every audience has what the emulation delivered, how long to wait for more. Short where the broker
   * keeps the order of one publisher's messages and the case ends with fences (a publish every subscription
   * matches): nothing that was going to arrive can arrive after the fence.
   */
  readonly grace: number;
  readonly groupKey?: (subscription: Subscription) => string;
}

/**
 * Runs a case on `driver` (connected). With `expected` (the emulation's outcome), waits until every audience
 * received at least what the emulation delivered, or `waits.deadline` ms passed, then `waits.grace` ms more.
 */
export async function runCase(
  driver: Driver<unknown, unknown>,
  routingCase: RoutingCase,
  settle: () => Promise<void>,
  expected?: Outcome,
  waits: Waits = { deadline: 2000, grace: 40 },
): Promise<Outcome> {
  const subscribed: string[] = [];
  const published: string[] = [];
  const received: Record<string, number[]> = {};
  const handles: SubscriptionHandle[] = [];
  try {
    for (const [index, subscription] of routingCase.subscriptions.entries()) {
      const key = audience(subscription, index, waits.groupKey);
      received[key] ??= [];
      const into = received[key];
      try {
        handles.push(
          await driver.subscribe({
            channel: subscription.channel,
            template: subscription.channel,
            group: subscription.group,
            prefetch: 100,
            options: subscription.options ?? {},
          }, (message: IncomingMessage) => {
            into.push(Number(decoder.decode(message.body)));
            return message.ack();
          }),
        );
        subscribed.push("ok");
      } catch (error) {
        subscribed.push(refusal(error));
      }
    }
    for (const [index, publish] of routingCase.publishes.entries()) {
      try {
        await driver.publish(publish.channel, {
          body: encoder.encode(String(index)),
          headers: publish.headers ?? {},
          contentType: "text/plain",
          messageId: `m${index}`,
          ...(publish.key === undefined ? {} : { key: publish.key }),
        } as never, publish.options ?? {});
        published.push("ok");
      } catch (error) {
        published.push(refusal(error));
      }
    }
    await settle();
    if (expected) {
      const end = Date.now() + waits.deadline;
      const short = (): boolean =>
        Object.entries(expected.received).some(([key, list]) => {
          const got = received[key] ?? [];
          return got.length < list.length || (list.length > 0 && !got.includes(list[list.length - 1]!));
        });
      while (short() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, waits.grace));
    }
  } finally {
    for (const handle of handles) await handle.stop().catch(() => undefined);
  }
  for (const [index, subscription] of routingCase.subscriptions.entries()) {
    if (subscription.group !== undefined) {
      received[audience(subscription, index, waits.groupKey)]!.sort((a, b) => a - b);
    }
  }
  return { subscribed, published, received: structuredClone(received) };
}

/**
 * Whether the emulation refused the case as one of its documented limits (an `EmulationLimitError`, listed
 * in the plugin README's "Emulation limits" table): such a case is explained, not compared.
 */
export function limited(emulated: Outcome): boolean {
  return [...emulated.subscribed, ...emulated.published].includes("EmulationLimitError");
}

/** Fails, with both outcomes, unless the emulation and the real broker agree on the case. */
export function assertSame(emulated: Outcome, real: Outcome): void {
  assert.deepEqual(emulated, real, `emulation (actual) and real broker (expected) differ`);
}

/** A connected driver's context. */
export const quietContext = { logger: silentLogger };

/**
 * Runs `routingCase` on `emulation` (connected here, closed after) and, unless it refused the case as a
 * documented limit, on the `real` broker's driver; fails unless both agree.
 */
export async function compareRouting(
  emulation: {
    connect(context: typeof quietContext): Promise<void>;
    close(): Promise<void>;
    idle(): Promise<void>;
  },
  real: Driver<unknown, unknown>,
  routingCase: RoutingCase,
  waits: Waits,
): Promise<void> {
  await emulation.connect(quietContext);
  const emulated = await runCase(
    emulation as unknown as Driver<unknown, unknown>,
    routingCase,
    () => emulation.idle(),
    undefined,
    waits,
  );
  await emulation.close();
  if (limited(emulated)) return;
  assertSame(emulated, await runCase(real, routingCase, () => Promise.resolve(), emulated, waits));
}
