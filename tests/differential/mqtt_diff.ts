/**
 * Differential test of the MQTT emulation against a real Mosquitto: generated topics and filters (empty
 * levels, leading and trailing slashes, case, unicode, `+` and `#` in every position and inside levels, `$`
 * topics such as `$SYS`) with shared subscriptions, run through both; every subscription must be refused or
 * accepted alike and receive the same messages in the same order.
 */
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Driver } from "@sluice/core";
import { mqttDriver, mqttEmulation } from "@sluice/mqtt";
import { realBroker } from "../_support/brokers.ts";
import { check } from "./_budget.ts";
import { compareRouting, quietContext, type RoutingCase } from "./_routing.ts";

const mqtt = await realBroker("mqtt");

const literal = fc.constantFrom("a", "b", "A", "é", "日本", "", "$SYS", "$x", "a b", "a+", "a#", "$share");
const wildcard = fc.constantFrom("+", "#");
const filterLevels = fc.tuple(
  fc.array(fc.oneof({ weight: 3, arbitrary: literal }, { weight: 1, arbitrary: fc.constant("+") }), {
    maxLength: 2,
  }),
  fc.array(fc.oneof({ weight: 3, arbitrary: literal }, { weight: 2, arbitrary: wildcard }), { maxLength: 3 }),
);
const topicLevels = fc.tuple(
  fc.array(literal, { maxLength: 2 }),
  fc.array(fc.oneof({ weight: 6, arbitrary: literal }, { weight: 1, arbitrary: wildcard }), { maxLength: 3 }),
);

const mqttCase = fc.record({
  filters: fc.array(
    fc.record({ at: filterLevels, group: fc.option(fc.constantFrom("g1", "g2"), { nil: undefined }) }),
    { minLength: 1, maxLength: 4 },
  ),
  topics: fc.array(topicLevels, { minLength: 1, maxLength: 6 }),
});
type Generated = typeof mqttCase extends fc.Arbitrary<infer T> ? T : never;
type Levels = [string[], string[]];
const join = (ns: string, [before, rest]: Levels): string => [...before, ns, ...rest].join("/");

/** A topic the filter matches, published last so that nothing else can still arrive after it. */
const fence = (filter: string): string =>
  filter.split("/").map((level) => (level === "+" || level === "#" ? "f" : level)).join("/");

function toCase(ns: string, generated: Generated): RoutingCase {
  const subscriptions = generated.filters.map((f) => ({
    channel: join(ns, f.at as Levels),
    group: f.group,
    options: { qos: 1 },
  }));
  const publish = (channel: string) => ({ channel, options: { qos: 1 } });
  return {
    subscriptions,
    publishes: [
      ...generated.topics.map((t) => publish(join(ns, t as Levels))),
      ...subscriptions.map((s) => publish(fence(s.channel))),
    ],
  };
}

const waits = { deadline: 2000, grace: 10 };

describe("MQTT emulation matches Mosquitto", { skip: mqtt ? false : "no real MQTT broker" }, () => {
  let real: Driver<unknown, unknown>;
  let n = 0;
  before(async () => {
    real = mqttDriver({ url: mqtt!.url }) as Driver<unknown, unknown>;
    await real.connect(quietContext);
  });
  after(async () => {
    await real?.close();
    await mqtt?.stop();
  });

  it("routes generated topics and filters to the same subscriptions", async () => {
    await check("mqtt topics", mqttCase, async (generated) => {
      const routingCase = toCase(`dm${Date.now().toString(36)}x${++n}`, generated);
      await compareRouting(mqttEmulation(), real, routingCase, waits);
    }, 500);
  });
});
