/**
 * Differential test of the Redis emulation against a real Redis: generated Pub/Sub channels and glob
 * patterns (`*`, `?`, `[…]` sets, ranges in both orders, `^` negation, `\` escapes, unclosed brackets, empty
 * levels, leading and trailing dots, case, unicode) run through both; every subscription must receive the
 * same messages in the same order. The driver narrows Redis's glob client side so that a wildcard stays in
 * one `.` level; the emulation must narrow it the same way and match what Redis lets through.
 */
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Driver } from "@sluice/core";
import { redisDriver, redisEmulation, redisRules } from "@sluice/redis";
import { realBroker } from "../_support/brokers.ts";
import { check } from "./_budget.ts";
import { compareRouting, quietContext, type RoutingCase } from "./_routing.ts";

const redis = await realBroker("redis");

const literal = fc.constantFrom("a", "b", "ab", "A", "é", "日本", "", "c", "-", "]", "\\", "^");
const glob = fc.constantFrom(
  "*",
  "?",
  "[ab]",
  "[^a]",
  "[!a]",
  "[a-c]",
  "[c-a]",
  "\\*",
  "\\a",
  "a*",
  "*b",
  "[a",
  "a[",
  "[]",
  "[]a]",
  "[\\]]",
  "?*",
  "[a-]",
  "[^]",
);
const patternLevels = fc.tuple(
  fc.array(fc.oneof(literal, fc.constantFrom("*", "?")), { maxLength: 2 }),
  fc.array(fc.oneof({ weight: 2, arbitrary: literal }, { weight: 3, arbitrary: glob }), { maxLength: 3 }),
);
const channelLevels = fc.tuple(
  fc.array(literal, { maxLength: 2 }),
  fc.array(fc.oneof({ weight: 5, arbitrary: literal }, { weight: 1, arbitrary: glob }), { maxLength: 3 }),
);

const redisCase = fc.record({
  patterns: fc.array(patternLevels, { minLength: 1, maxLength: 4 }),
  channels: fc.array(channelLevels, { minLength: 1, maxLength: 6 }),
});
type Generated = typeof redisCase extends fc.Arbitrary<infer T> ? T : never;
type Levels = [string[], string[]];
const join = (ns: string, [before, rest]: Levels): string => [...before, ns, ...rest].join(".");

/** A channel the pattern matches (as the emulation says), published last: nothing can arrive after it. */
function fence(pattern: string): string | undefined {
  for (const fill of ["a", "", "f", "b"]) {
    const candidate = pattern.split(".").map((level) => (/[*?[\\]/.test(level) ? fill : level)).join(".");
    if (redisRules.matches(pattern, candidate)) return candidate;
  }
  return undefined;
}

function toCase(ns: string, generated: Generated): RoutingCase {
  const subscriptions = generated.patterns.map((p) => ({ channel: join(ns, p as Levels) }));
  const fences = subscriptions.map((s) => fence(s.channel)).filter((c): c is string => c !== undefined);
  return {
    subscriptions,
    publishes: [...generated.channels.map((c) => join(ns, c as Levels)), ...fences].map((channel) => ({
      channel,
    })),
  };
}

const waits = { deadline: 2000, grace: 10 };

describe("Redis emulation matches Redis", { skip: redis ? false : "no real Redis" }, () => {
  let real: Driver<unknown, unknown>;
  let n = 0;
  before(async () => {
    real = redisDriver({ url: redis!.url }) as Driver<unknown, unknown>;
    await real.connect(quietContext);
  });
  after(async () => {
    await real?.close();
    await redis?.stop();
  });

  it("routes generated channels and glob patterns to the same subscriptions", async () => {
    await check("redis pubsub", redisCase, async (generated) => {
      const routingCase = toCase(`dr${Date.now().toString(36)}x${++n}`, generated);
      await compareRouting(redisEmulation(), real, routingCase, waits);
    }, 500);
  });
});
