// Routing exactly as RabbitMQ routes: a table of routing keys × binding keys (topic, direct, fanout) and of
// headers × binding arguments (headers exchange, x-match all/any), on the emulation and the real broker.
// Both are held to one expected table, so they are identical to each other.
import { it } from "node:test";
import assert from "node:assert/strict";
import type { ExchangeType } from "../mod.ts";
import { describeBoth, type Target, unique } from "./_targets.ts";

const KEYS = ["", "a", "b", "a.b", "a.c", "x.b", "a.b.c", "a..c", "a.x.y.c", "b.a"];

/** Binding key → the routing keys a topic exchange delivers to it (RabbitMQ's rules: `*` one word, `#` zero or more). */
const TOPIC: Record<string, string[]> = {
  "#": KEYS,
  "*": ["a", "b"],
  "a": ["a"],
  "a.*": ["a.b", "a.c"],
  "a.#": ["a", "a.b", "a.c", "a.b.c", "a..c", "a.x.y.c"],
  "*.b": ["a.b", "x.b"],
  "#.b": ["b", "a.b", "x.b"],
  "a.*.c": ["a.b.c", "a..c"],
  "a.#.c": ["a.c", "a.b.c", "a..c", "a.x.y.c"],
  "*.*": ["a.b", "a.c", "x.b", "b.a"],
  "#.#": KEYS,
  "*.#": KEYS.filter((k) => k !== ""),
  "a.b.c": ["a.b.c"],
};

const HEADERS: Record<string, string>[] = [
  { kind: "created", region: "eu" },
  { kind: "created", region: "us" },
  { kind: "deleted", region: "eu" },
  { kind: "created" },
  {},
];

/** Binding arguments → indexes into HEADERS a headers exchange delivers. */
const HEADER_BINDINGS: [Record<string, unknown>, number[]][] = [
  [{ "x-match": "all", kind: "created", region: "eu" }, [0]],
  [{ "x-match": "any", kind: "created", region: "eu" }, [0, 1, 2, 3]],
  [{ kind: "created" }, [0, 1, 3]],
  [{ "x-match": "all" }, [0, 1, 2, 3, 4]],
  [{ "x-match": "any" }, []],
  [{ "x-match": "any", kind: "deleted", region: "us" }, [1, 2]],
];

async function routeTable(
  t: Target,
  type: ExchangeType,
  bindings: readonly string[],
  keys: readonly string[],
): Promise<Record<string, string[]>> {
  const { broker } = t.broker();
  const exchange = { name: unique(`x-${type}-`), type, durable: false, autoDelete: true };
  const received: Record<string, string[]> = {};
  for (const binding of bindings) {
    received[binding] = [];
    broker.subscriber(binding, { exchange }).handle((key) => {
      received[binding]!.push(key as string);
    });
  }
  await using br = await t.start(broker);
  for (const key of keys) await br.publish(key, key, { exchange: exchange.name });
  await br.settled();
  for (const list of Object.values(received)) list.sort();
  return received;
}

describeBoth("routing", (t) => {
  it("routes a topic exchange by `*` (one word) and `#` (zero or more words) as RabbitMQ does", async () => {
    const got = await routeTable(t, "topic", Object.keys(TOPIC), KEYS);
    const want = Object.fromEntries(Object.entries(TOPIC).map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(got, want);
  });

  it("routes a direct exchange by exact routing key", async () => {
    const got = await routeTable(t, "direct", ["a", "a.b", "*", "#"], KEYS);
    assert.deepEqual(got, { "a": ["a"], "a.b": ["a.b"], "*": [], "#": [] });
  });

  it("routes a fanout exchange to every bound queue, whatever the key", async () => {
    const got = await routeTable(t, "fanout", ["a", "zzz"], ["a", "b.c"]);
    assert.deepEqual(got, { "a": ["a", "b.c"], "zzz": ["a", "b.c"] });
  });

  it("routes a headers exchange by x-match all and any", async () => {
    const { broker } = t.broker();
    const exchange = {
      name: unique("x-headers-"),
      type: "headers" as const,
      durable: false,
      autoDelete: true,
    };
    const received: number[][] = HEADER_BINDINGS.map(() => []);
    HEADER_BINDINGS.forEach(([bindArguments], i) => {
      broker.subscriber(`binding-${i}`, { exchange, bindArguments }).handle((n) => {
        received[i]!.push(n as number);
      });
    });
    await using br = await t.start(broker);
    for (const [n, headers] of HEADERS.entries()) {
      await br.publish(n, "ignored", { exchange: exchange.name, headers });
    }
    await br.settled();
    assert.deepEqual(received.map((r) => r.sort()), HEADER_BINDINGS.map(([, want]) => want));
  });

  it("sends to a queue by name through the default exchange", async () => {
    const { broker } = t.broker();
    const queue = unique("q-");
    const got = broker.subscriber(queue, {
      exchange: "",
      queue: { name: queue, durable: false, autoDelete: true },
    })
      .handle(() => {});
    await using br = await t.start(broker);
    await br.publish("direct to the queue", queue, { exchange: "" });
    await br.settled();
    assert.deepEqual(got.mock.calls.map((c) => c.body), ["direct to the queue"]);
  });

  it("gives each queue one copy even when several of its bindings match", async () => {
    const { broker } = t.broker();
    const exchange = { name: unique("x-dup-"), type: "topic" as const, durable: false, autoDelete: true };
    const queue = { name: unique("q-"), durable: false, autoDelete: true };
    const a = broker.subscriber("a.*", { exchange, queue }).handle(() => {});
    const b = broker.subscriber("#", { exchange, queue }).handle(() => {});
    await using br = await t.start(broker);
    await br.publish(1, "a.b", { exchange: exchange.name });
    await br.settled();
    assert.equal(a.mock.calls.length + b.mock.calls.length, 1);
  });
});
