/**
 * Differential test of the NATS emulation against a real nats-server: generated subjects and wildcard
 * subscriptions (empty tokens, leading and trailing dots, case, unicode, `*` and `>` in every position and
 * inside tokens, `$` subjects) with queue groups, run through both; every subscription must be refused or
 * accepted alike and receive the same messages in the same order.
 */
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Driver } from "@sluice/core";
import { natsDriver, natsEmulation } from "@sluice/nats";
import { realBroker } from "../_support/brokers.ts";
import { check } from "./_budget.ts";
import { compareRouting, quietContext, type RoutingCase } from "./_routing.ts";

const nats = await realBroker("nats");

const literal = fc.constantFrom(
  "a",
  "b",
  "A",
  "é",
  "日本",
  "$x",
  "$SYS",
  "a b",
  "a\tb",
  "*a",
  "a>",
  "_INBOX",
  "-",
  "",
);
const wildcard = fc.constantFrom("*", ">");
const prefixLevel = fc.oneof({ weight: 3, arbitrary: literal }, { weight: 1, arbitrary: fc.constant("*") });
const anyLevel = fc.oneof({ weight: 3, arbitrary: literal }, { weight: 2, arbitrary: wildcard });

/** A subject or pattern: some levels, the case's unique token, some more; a wildcard never precedes it in a way that reaches other tests' subjects. */
const levels = (prefix: fc.Arbitrary<string>, rest: fc.Arbitrary<string>) =>
  fc.tuple(fc.array(prefix, { maxLength: 2 }), fc.array(rest, { maxLength: 3 }));

const natsCase = fc.record({
  patterns: fc.array(
    fc.record({
      at: levels(prefixLevel, anyLevel),
      group: fc.option(fc.constantFrom("g1", "g2"), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  subjects: fc.array(
    levels(
      fc.oneof(literal, fc.constant("*")),
      fc.oneof({ weight: 4, arbitrary: literal }, { weight: 1, arbitrary: wildcard }),
    ),
    {
      minLength: 1,
      maxLength: 6,
    },
  ),
});

type Levels = [string[], string[]];
const join = (ns: string, [before, rest]: Levels): string => [...before, ns, ...rest].join(".");

/** A subject the pattern matches, published last so that nothing else can still arrive after it. */
const fence = (pattern: string): string =>
  pattern.split(".").map((token) => token === "*" || token === ">" ? "f" : token).join(".");

function toCase(
  ns: string,
  generated: typeof natsCase extends fc.Arbitrary<infer T> ? T : never,
): RoutingCase {
  const subscriptions = generated.patterns.map((p) => ({
    channel: join(ns, p.at as Levels),
    group: p.group,
  }));
  return {
    subscriptions,
    publishes: [
      ...generated.subjects.map((s) => ({ channel: join(ns, s as Levels) })),
      ...subscriptions.map((s) => ({ channel: fence(s.channel) })),
    ],
  };
}

/** A NATS queue group is one audience across subjects: the server picks one member among all that match. */
const waits = { deadline: 2000, grace: 5, groupKey: (s: { group?: string }) => `${s.group}` };

describe("NATS emulation matches nats-server", { skip: nats ? false : "no real NATS" }, () => {
  let real: Driver<unknown, unknown>;
  let n = 0;
  before(async () => {
    real = natsDriver({ servers: nats!.url }) as Driver<unknown, unknown>;
    await real.connect(quietContext);
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
  });

  it("routes generated subjects and wildcards to the same subscriptions", async () => {
    await check("nats subjects", natsCase, async (generated) => {
      const routingCase = toCase(`dn${Date.now().toString(36)}x${++n}`, generated);
      await compareRouting(natsEmulation(), real, routingCase, waits);
    }, 500);
  });
});
