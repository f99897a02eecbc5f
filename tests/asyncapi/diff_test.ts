// Each rule of `diff`, with a pair of documents it finds breaking and a pair it lets pass. Most documents are
// generated from two versions of a small app, as `sluice docs gen` would write them in CI.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { type Broker, memory } from "@sluice/core";
import { asyncapi, diff, type DiffRule, formatChange } from "@sluice/core/asyncapi";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";

type Pair = readonly [before: unknown, after: unknown];

/** The document of an app on the in-memory broker that `declare` builds. */
function app(declare: (broker: Broker) => void): unknown {
  const broker = memory({ logLevel: "error" });
  declare(broker);
  return asyncapi(broker);
}

/** An app whose only subscriber (`receive`) or publisher (`send`) on `orders` has `schema`. */
function on(direction: "receive" | "send", schema: Parameters<typeof type>[0]): unknown {
  return app((broker) => {
    const s = type(schema as never) as never;
    if (direction === "receive") broker.subscriber("orders", { schema: s }).handle(() => {});
    else broker.publisher("orders", { schema: s });
  });
}

/** A hand-written document with one operation and the messages given, for what generated ones never show. */
function raw(action: "send" | "receive", messages: Record<string, object>, address = "orders"): unknown {
  return {
    asyncapi: "3.0.0",
    info: { title: "raw", version: "1.0.0" },
    channels: { orders: { address, messages } },
    operations: {
      "orders.op": {
        action,
        channel: { $ref: "#/channels/orders" },
        messages: Object.keys(messages).map((id) => ({ $ref: `#/channels/orders/messages/${id}` })),
      },
    },
  };
}

/** A RabbitMQ app whose subscriber's queue is bound to `exchange`. */
function onExchange(exchange: string): unknown {
  const broker = rabbitmq({ exchange, logLevel: "error" });
  broker.subscriber("orders").handle(() => {});
  return asyncapi(broker);
}

const sub = (channel: string) => (broker: Broker) => void broker.subscriber(channel).handle(() => {});
const Order = { id: "number.integer", "note?": "string" } as const;

/** Per rule: a pair it reports as breaking, and a pair with no breaking change. */
const RULES: Record<string, { readonly breaking: Pair; readonly passing: Pair }> = {
  "server-removed": {
    breaking: [asyncapi([memory(), nats()]), asyncapi([memory()])],
    passing: [asyncapi([memory()]), asyncapi([memory(), nats()])],
  },
  "server-changed": {
    breaking: [asyncapi(nats({ servers: "nats://a:4222" })), asyncapi(nats({ servers: "nats://b:4222" }))],
    passing: [asyncapi(nats({ servers: "nats://a:4222" })), asyncapi(nats({ servers: "nats://a:4222" }))],
  },
  "channel-removed": {
    breaking: [app((b) => (sub("a")(b), sub("b")(b))), app(sub("a"))],
    passing: [app(sub("a")), app((b) => (sub("a")(b), sub("b")(b)))],
  },
  "address-changed": {
    breaking: [raw("receive", {}, "orders"), raw("receive", {}, "orders.v2")],
    passing: [raw("receive", {}, "orders"), raw("receive", {}, "orders")],
  },
  "parameter-renamed": {
    breaking: [app(sub("orders.{region}")), app(sub("orders.{zone}"))],
    passing: [
      app(sub("orders.{region}")),
      app((b) => (sub("orders.{region}")(b), sub("orders.{zone}.x")(b))),
    ],
  },
  "bindings-changed": {
    breaking: [onExchange("shop"), onExchange("store")],
    passing: [onExchange("shop"), onExchange("shop")],
  },
  "operation-removed": {
    breaking: [app((b) => (sub("orders")(b), b.publisher("orders"))), app(sub("orders"))],
    passing: [app(sub("orders")), app((b) => (sub("orders")(b), b.publisher("orders")))],
  },
  "action-changed": {
    breaking: [raw("receive", {}), raw("send", {})],
    passing: [raw("send", {}), raw("send", {})],
  },
  "message-removed": {
    breaking: [
      app((b) => {
        const s = b.subscriber("orders");
        s.handle(function refund() {}, { filter: () => true });
        s.handle(() => {});
      }),
      app(sub("orders")),
    ],
    passing: [
      app(sub("orders")),
      app((b) => {
        const s = b.subscriber("orders");
        s.handle(function refund() {}, { filter: () => true });
        s.handle(() => {});
      }),
    ],
  },
  "message-added": {
    breaking: [raw("send", { A: {} }), raw("send", { A: {}, B: {} })],
    passing: [raw("receive", { A: {} }), raw("receive", { A: {}, B: {} })],
  },
  "reply-removed": {
    breaking: [app(sub("rows")), app((b) => void b.subscriber("rows", { batch: 10 }).handle(() => {}))],
    passing: [app((b) => void b.subscriber("rows", { batch: 10 }).handle(() => {})), app(sub("rows"))],
  },
  "content-type-changed": {
    breaking: [
      raw("receive", { A: { contentType: "text/plain" } }),
      raw("receive", { A: { contentType: "application/json" } }),
    ],
    passing: [
      raw("receive", { A: { contentType: "text/plain" } }),
      raw("receive", { A: { contentType: "text/plain" } }),
    ],
  },
  "correlation-id-changed": {
    breaking: [
      raw("receive", { A: { correlationId: { location: "$message.header#/correlation_id" } } }),
      raw("receive", { A: { correlationId: { location: "$message.payload#/id" } } }),
    ],
    passing: [
      raw("receive", { A: { correlationId: { location: "$message.header#/correlation_id" } } }),
      raw("receive", { A: { correlationId: { location: "$message.header#/correlation_id" } } }),
    ],
  },
  "property-removed": {
    breaking: [on("send", Order), on("send", { id: "number.integer" })],
    passing: [on("send", { id: "number.integer" }), on("send", Order)],
  },
  "required-property-added": {
    breaking: [on("receive", Order), on("receive", { ...Order, name: "string" })],
    passing: [on("send", Order), on("send", { ...Order, name: "string" })],
  },
  "property-required": {
    breaking: [on("receive", Order), on("receive", { id: "number.integer", note: "string" })],
    passing: [on("receive", { id: "number.integer", note: "string" }), on("receive", Order)],
  },
  "property-optional": {
    breaking: [on("send", { id: "number.integer", note: "string" }), on("send", Order)],
    passing: [on("receive", { id: "number.integer", note: "string" }), on("receive", Order)],
  },
  "type-narrowed": {
    breaking: [on("receive", { n: "number" }), on("receive", { n: "number.integer" })],
    passing: [on("send", { n: "number" }), on("send", { n: "number.integer" })],
  },
  "type-widened": {
    breaking: [on("send", { n: "number.integer" }), on("send", { n: "number" })],
    passing: [on("receive", { n: "number.integer" }), on("receive", { n: "number" })],
  },
  "type-changed": {
    breaking: [on("receive", { n: "number" }), on("receive", { n: "string" })],
    passing: [on("receive", { n: "number" }), on("receive", { n: "number | string" })],
  },
  "enum-value-removed": {
    breaking: [on("receive", { kind: "'a' | 'b'" }), on("receive", { kind: "'a'" })],
    passing: [on("send", { kind: "'a' | 'b'" }), on("send", { kind: "'a'" })],
  },
  "enum-value-added": {
    breaking: [on("send", { kind: "'a' | 'b'" }), on("send", { kind: "'a' | 'b' | 'c'" })],
    passing: [on("receive", { kind: "'a' | 'b'" }), on("receive", { kind: "'a' | 'b' | 'c'" })],
  },
  "constraint-tightened": {
    breaking: [on("receive", { n: "number > 0" }), on("receive", { n: "number > 5" })],
    passing: [on("send", { n: "number > 0" }), on("send", { n: "number > 5" })],
  },
  "constraint-loosened": {
    breaking: [on("send", { s: "string <= 10" }), on("send", { s: "string <= 20" })],
    passing: [on("receive", { s: "string <= 10" }), on("receive", { s: "string <= 20" })],
  },
  "schema-changed": {
    breaking: [on("receive", { s: /^a/ }), on("receive", { s: /^b/ })],
    passing: [on("receive", { s: /^a/ }), on("receive", { s: /^a/ })],
  },
};

describe("diff()", () => {
  for (const [rule, { breaking, passing }] of Object.entries(RULES)) {
    it(`${rule}: finds it breaking in one pair, and nothing breaking in the other`, () => {
      const found = diff(...breaking);
      assert.ok(
        found.some((c) => c.kind === "breaking" && c.rule === (rule as DiffRule)),
        found.map(formatChange).join("\n"),
      );
      assert.deepEqual(diff(...passing).filter((c) => c.kind === "breaking").map(formatChange), []);
    });
  }

  it("says what changed in one line each, breaking ones first", () => {
    const before = app((b) => void b.publisher("orders", { schema: type(Order) }));
    const after = app((b) => {
      b.publisher("orders", { schema: type({ id: "number.integer" }) });
      b.subscriber("audit").handle(() => {});
    });
    assert.deepEqual(diff(before, after).map(formatChange), [
      "breaking: operation orders.send, message Orders: payload.note: property removed",
      "additive: channel audit added",
      "additive: channel memory.replies added",
      "additive: operation audit.receive added",
    ]);
    assert.deepEqual(diff(after, after), []);
  });
});
