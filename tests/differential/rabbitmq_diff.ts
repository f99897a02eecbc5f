/**
 * Differential test of the RabbitMQ emulation against a real RabbitMQ: generated exchanges of every type
 * (direct, fanout, topic, headers), binding keys and routing keys (empty words, leading and trailing dots,
 * case, unicode, `*` and `#` in every position and inside words), headers bindings in every `x-match` mode
 * (all, any, all-with-x, any-with-x, absent, and invalid ones) with header sets, and groups (a shared queue),
 * run through both; bindings must be refused alike and every queue must receive the same messages in order.
 */
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Driver } from "@sluice/core";
import { rabbitmqDriver, rabbitmqEmulation } from "@sluice/rabbitmq";
import { realBroker } from "../_support/brokers.ts";
import { check } from "./_budget.ts";
import { compareRouting, quietContext, type RoutingCase } from "./_routing.ts";

const amqp = await realBroker("amqp");

const word = fc.constantFrom("a", "b", "A", "é", "日本", "", "*", "#", "a*", "#a", "x-y");
const key = fc.array(word, { maxLength: 4 }).map((words) => words.join("."));
const headerName = fc.constantFrom("k1", "k2", "K1", "x-k", "x-match-not");
const value = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("v", "w", "V", "1", "") },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(1, true, null) },
);
const xMatch = fc.constantFrom<unknown>(
  undefined,
  "all",
  "any",
  "all-with-x",
  "any-with-x",
  "ALL",
  "none",
  1,
);
const bindArguments = fc.tuple(xMatch, fc.dictionary(headerName, value, { maxKeys: 3 })).map(
  ([mode, args]) => {
    const all: Record<string, unknown> = { ...args };
    if (mode !== undefined) all["x-match"] = mode;
    return all;
  },
);

const rabbitCase = fc.record({
  type: fc.constantFrom("direct", "fanout", "topic", "headers"),
  bindings: fc.array(
    fc.record({
      key,
      args: bindArguments,
      group: fc.option(fc.constantFrom("g1", "g2"), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  messages: fc.array(
    fc.record({
      key,
      headers: fc.dictionary(headerName, fc.constantFrom("v", "w", "V", "1", ""), { maxKeys: 3 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});
type Generated = typeof rabbitCase extends fc.Arbitrary<infer T> ? T : never;

/** A message each binding routes, published last so that nothing else can still arrive after it. */
function fence(binding: Generated["bindings"][number]): { key: string; headers: Record<string, string> } {
  const channel = binding.key.split(".").map((w) => (w === "*" || w === "#" ? "f" : w)).join(".");
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(binding.args)) {
    if (name === "x-match") continue;
    if (typeof v === "string") headers[name] = v;
    else if (v === null) headers[name] = "v";
  }
  return { key: channel, headers };
}

function toCase(ns: string, generated: Generated): RoutingCase {
  const exchange = { name: `diff.${ns}`, type: generated.type, durable: false, autoDelete: true };
  const subscriptions = generated.bindings.map((b) => ({
    channel: b.key,
    group: b.group,
    options: {
      exchange,
      routingKey: b.key,
      bindArguments: b.args,
      ...(b.group ? { queue: { name: `diff.${ns}.${b.group}`, durable: false, autoDelete: true } } : {}),
    },
  }));
  const publish = (m: { key: string; headers: Record<string, string> }) => ({
    channel: m.key,
    headers: m.headers,
    options: { exchange: exchange.name },
  });
  return {
    subscriptions,
    publishes: [...generated.messages.map(publish), ...generated.bindings.map((b) => publish(fence(b)))],
  };
}

const waits = { deadline: 2000, grace: 10 };

describe("RabbitMQ emulation matches RabbitMQ", { skip: amqp ? false : "no real RabbitMQ" }, () => {
  let real: Driver<unknown, unknown>;
  let n = 0;
  before(async () => {
    real = rabbitmqDriver({ url: amqp!.url }) as Driver<unknown, unknown>;
    await real.connect(quietContext);
  });
  after(async () => {
    await real?.close();
    await amqp?.stop();
  });

  it("routes generated keys, bindings and headers to the same queues", async () => {
    await check("rabbitmq exchanges", rabbitCase, async (generated) => {
      const routingCase = toCase(`${Date.now().toString(36)}x${++n}`, generated);
      await compareRouting(rabbitmqEmulation(), real, routingCase, waits);
    }, 500);
  });
});
