// What `asyncapi(app)` derives from an app's declarations: servers, channels, messages, operations, replies.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { App, type Driver, memory, Router } from "@sluice/core";
import { asyncapi, type AsyncApiDocument, type MessageObject } from "@sluice/core/asyncapi";
import { nats } from "@sluice/nats";
import { featuresApp, opaque } from "./_apps.ts";
import { parse } from "./_parse.ts";

const quiet = { onWarning: () => {} };

/** Follows a `#/…` reference inside a document. */
function follow(document: AsyncApiDocument, ref: string): unknown {
  return ref.slice(2).split("/").reduce<unknown>(
    (node, key) => (node as Record<string, unknown>)[key.replace(/~1/g, "/").replace(/~0/g, "~")],
    document,
  );
}

/** The component messages an operation lists. */
function messagesOf(document: AsyncApiDocument, operation: string): MessageObject[] {
  return (document.operations![operation]!.messages ?? []).map((r) => {
    const inChannel = follow(document, r.$ref) as { $ref: string };
    return follow(document, inChannel.$ref) as MessageObject;
  });
}

describe("asyncapi()", () => {
  it("describes a subscriber that publishes its handler's result", () => {
    const broker = memory({ logLevel: "error" });
    const User = type({ name: "string", id: "number.integer" });
    broker.subscriber("users.created", { schema: User }).publisher("users.welcomed").handle((u) => u.name);
    const document = asyncapi(new App(broker, { info: { title: "Users", version: "2.1.0" } }));

    assert.equal(document.asyncapi, "3.0.0");
    assert.deepEqual(document.info, { title: "Users", version: "2.1.0" });
    assert.deepEqual(document.servers, { memory: { host: "memory", protocol: "memory" } });
    assert.equal(document.channels!["users.created"]!.address, "users.created");
    const [received] = messagesOf(document, "users.created.receive");
    assert.equal(received!.contentType, "application/json");
    assert.deepEqual(received!.correlationId, { location: "$message.header#/correlation_id" });
    assert.deepEqual(follow(document, (received!.payload as { $ref: string }).$ref), {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { id: { type: "integer" }, name: { type: "string" } },
      required: ["id", "name"],
    });
    assert.equal(document.operations!["users.welcomed.send"]!.action, "send");
    const reply = document.operations!["users.created.receive"]!.reply!;
    assert.equal(reply.address!.location, "$message.header#/reply_to");
    assert.equal((follow(document, reply.channel!.$ref) as { address: null }).address, null);
    assert.deepEqual(reply.messages!.map((m) => m.$ref), [
      "#/channels/memory.replies/messages/UsersWelcomed",
    ]);
  });

  it("takes the info given over the app's", () => {
    const app = new App(memory(), { info: { title: "Shop", version: "1.0.0", description: "Sells tea." } });
    const document = asyncapi(app, { version: "1.1.0" }, { id: "urn:example:shop" });
    assert.deepEqual(document.info, { title: "Shop", version: "1.1.0", description: "Sells tea." });
    assert.equal(document.id, "urn:example:shop");
  });

  it("turns {name} path parameters into channel parameters, router prefixes included", () => {
    const broker = memory({ logLevel: "error" });
    const logs = new Router({ prefix: "app." });
    logs.subscriber("logs.{service}.{level}").handle(() => {});
    broker.include(logs);
    const channel = asyncapi(broker).channels!["app.logs.service.level"]!;
    assert.equal(channel.address, "app.logs.{service}.{level}");
    assert.deepEqual(channel.parameters, { service: {}, level: {} });
  });

  it("gives a subscriber with filters one message per handler, in one channel", () => {
    const document = asyncapi(featuresApp(), {}, quiet);
    const messages = messagesOf(document, "shop.orders.created.receive");
    assert.deepEqual(messages.map((m) => [m.name, m.title, m.summary]), [
      ["ShopOrdersCreatedRefund", "refund", "Handled by handler 1 of 2 (refund), chosen by its filter"],
      ["ShopOrdersCreated", undefined, "Handled by handler 2 of 2, the catch-all"],
    ]);
    assert.deepEqual(messages[0]!.payload, messages[1]!.payload);
    assert.deepEqual(Object.keys(document.channels!["shop.orders.created"]!.messages!), [
      "ShopOrdersCreatedRefund",
      "ShopOrdersCreated",
    ]);
  });

  it("describes a batch subscriber's messages one by one, as they travel, and its batch on the operation", () => {
    const document = asyncapi(featuresApp(), {}, quiet);
    const operation = document.operations!["rows.receive"]!;
    assert.deepEqual(operation["x-sluice-batch"], { size: 50, timeout: 100 });
    assert.equal(operation.reply, undefined);
    const [message] = messagesOf(document, "rows.receive");
    assert.equal(message!.contentType, "application/json");
    assert.equal(
      (follow(document, (message!.payload as { $ref: string }).$ref) as { type: string }).type,
      "number",
    );
  });

  it("documents dead letters and a publisher's headers", () => {
    const document = asyncapi(featuresApp(), {}, quiet);
    const [dead] = messagesOf(document, "shop.orders.failed.send");
    assert.deepEqual(dead!.headers, {
      type: "object",
      properties: { "x-sluice-error": { type: "string", description: "Why the message failed." } },
      required: ["x-sluice-error"],
    });
    const [audited] = messagesOf(document, "shop.orders.audited.send");
    assert.deepEqual(audited!.headers, {
      type: "object",
      properties: { "x-source": { type: "string", const: "shop" } },
      required: ["x-source"],
    });
    assert.equal(document.operations!["shop.orders.audited.send"]!.description, "Audit trail.");
  });

  it("gives each broker of an app its server, and each channel the server it is on", () => {
    const document = asyncapi(featuresApp(), {}, quiet);
    assert.deepEqual(Object.keys(document.servers!), ["memory", "nats"]);
    assert.deepEqual(document.servers!.nats, { host: "nats.internal:4222", protocol: "nats" });
    assert.deepEqual(document.channels!["orders.region"]!.servers, [{ $ref: "#/servers/nats" }]);
    assert.deepEqual(document.channels!["rows"]!.servers, [{ $ref: "#/servers/memory" }]);
  });

  it("warns about a schema it cannot convert and leaves that payload untyped", () => {
    const warnings: string[] = [];
    const document = asyncapi(featuresApp(), {}, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, [
      "AsyncAPI: the schema of subscriber opaque is documented as an untyped payload: its validator " +
      "(opaque-lib) does not implement Standard JSON Schema (~standard.jsonSchema): arktype 2.1.28+ and " +
      "zod 4.2+ do, valibot through toStandardJsonSchema()",
    ]);
    assert.equal(messagesOf(document, "opaque.receive")[0]!.payload, undefined);
    void opaque;
  });

  it("warns, and goes on, when a validator throws while converting", () => {
    const broker = memory({ logLevel: "error" });
    const failing = {
      "~standard": {
        version: 1 as const,
        vendor: "strict-lib",
        validate: (value: unknown) => ({ value }),
        jsonSchema: {
          input: () => {
            throw new Error("functions have no JSON Schema");
          },
          output: () => ({}),
        },
      },
    };
    broker.subscriber("calls", { schema: failing }).handle(() => {});
    const warnings: string[] = [];
    const document = asyncapi(broker, {}, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, [
      "AsyncAPI: the schema of subscriber calls is documented as an untyped payload: strict-lib cannot " +
      "convert it to JSON Schema: functions have no JSON Schema",
    ]);
    assert.equal(messagesOf(document, "calls.receive")[0]!.payload, undefined);
  });

  it("by default warns through the broker's logger", () => {
    const lines: string[] = [];
    const broker = memory({
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message: string) => void lines.push(message),
        error: () => {},
        child() {
          return this;
        },
      } as never,
    });
    broker.subscriber("opaque", { schema: opaque }).handle(() => {});
    asyncapi(broker);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /untyped payload/);
  });

  it("moves a schema's $defs to components, so that its references resolve inside the document", {
    timeout: 60_000,
  }, async () => {
    const broker = memory({ logLevel: "error" });
    const tree = type.scope({ node: { name: "string", "children?": "node[]" } }).export().node;
    broker.subscriber("trees", { schema: tree }).handle(() => {});
    const document = asyncapi(broker);
    const text = JSON.stringify(document);
    assert.doesNotMatch(text, /"#\/\$defs\//);
    assert.match(text, /"#\/components\/schemas\/Trees[^"]*"/);
    assert.deepEqual((await parse(document)).errors, []);
  });

  it("keeps a driver's bindings out, with a warning, when its docs throw", () => {
    const broker = memory({ logLevel: "error" });
    const driver = broker.driver as Driver & { docs?: unknown };
    driver.docs = {
      channel: () => {
        throw new Error("no such exchange");
      },
    };
    broker.subscriber("orders").handle(() => {});
    const warnings: string[] = [];
    const document = asyncapi(broker, {}, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, [
      "AsyncAPI: the memory bindings of receive orders are left out: Error: no such exchange",
    ]);
    assert.equal(document.channels!.orders!.bindings, undefined);
  });

  it("keeps one address on two channels when their bindings disagree", () => {
    const broker = memory({ logLevel: "error" });
    const driver = broker.driver as Driver & { docs?: unknown };
    driver.docs = {
      channel: (e: { action: string }) => ({ amqp: { exchange: { name: e.action === "send" ? "a" : "b" } } }),
    };
    broker.subscriber("orders").handle(() => {});
    broker.publisher("orders");
    const document = asyncapi(broker);
    assert.deepEqual(
      Object.entries(document.channels!).filter(([, c]) => c.address === "orders").map(([id]) => id),
      ["orders", "orders-2"],
    );
  });

  it("names servers apart when two brokers are of one kind", () => {
    const a = nats({ servers: "nats://a:4222", logLevel: "error" });
    const b = nats({ servers: "nats://b:4222", logLevel: "error" });
    a.subscriber("x").handle(() => {});
    b.subscriber("x").handle(() => {});
    const document = asyncapi([a, b]);
    assert.deepEqual(Object.keys(document.servers!), ["nats", "nats-2"]);
    assert.deepEqual(Object.keys(document.channels!).filter((id) => !id.endsWith(".replies")), ["x", "x-2"]);
  });
});
