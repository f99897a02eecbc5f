// The plugin reads and writes NATS header blocks itself (plugins/nats/_headers.ts) instead of through nats.js's
// MsgHdrs: the same fields as nats.js's decoder gives, from the block's bytes; nats.js's headers when the bytes
// are not there; a message whose header name nats.js would refuse still reaches its handler; outgoing blocks
// byte for byte as nats.js encodes them, and the same refusals of what would break the framing.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect as connectSocket } from "node:net";
import { connect, headers } from "@nats-io/transport-node";
import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { OutgoingHeaders, parseBlock, wireFieldsOf } from "../_headers.ts";
import { nats } from "../mod.ts";
import { unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(() => server?.stop());

/** What the core gets from a set of wire fields. */
const fields = (wire: ReturnType<typeof parseBlock>) => ({
  contentType: wire.contentType,
  correlationId: wire.correlationId,
  replyTo: wire.replyTo,
  messageId: wire.messageId,
  headers: wire.headers,
});

describe("nats header block", () => {
  it("splits standard fields from user headers, trims values, the last repeated value wins", () => {
    const block = "NATS/1.0\r\nContent-Type: application/json\r\ncorrelation_id:  c-1 \r\nx-tenant: a\r\n" +
      "x-tenant: b\r\nno colon here\r\nx-empty:\r\nx-url: http://host:8080/p\r\nreply_to: \r\n\r\n";
    assert.deepEqual(fields(parseBlock(block)), {
      contentType: "application/json",
      correlationId: "c-1",
      replyTo: undefined,
      messageId: undefined,
      headers: { "x-tenant": "b", "x-empty": "", "x-url": "http://host:8080/p" },
    });
  });

  it("reads a status line with no headers after it as no fields", () => {
    assert.deepEqual(fields(parseBlock("NATS/1.0 503\r\n\r\n")), {
      contentType: undefined,
      correlationId: undefined,
      replyTo: undefined,
      messageId: undefined,
      headers: {},
    });
    assert.deepEqual(parseBlock("NATS/1.0").headers, {});
  });

  it("falls back to nats.js's headers when the message has no header bytes of its own", () => {
    const h = headers();
    h.append("message_id", "m-9");
    h.append("x-trace", "one");
    h.append("x-trace", "two");
    const wire = wireFieldsOf({ headers: h } as unknown as Msg);
    assert.equal(wire.messageId, "m-9");
    assert.deepEqual(wire.headers, { "x-trace": "two" });
  });
});

/** nats.js's own encoding of its headers (a method of its implementation, not of the MsgHdrs type). */
const encoded = (h: MsgHdrs): Uint8Array => (h as unknown as { encode(): Uint8Array }).encode();

describe("nats outgoing headers", () => {
  it("encodes the block byte for byte as nats.js does, values trimmed", () => {
    const record = { "content-type": "application/json", correlation_id: " c-1 ", "X-Tenant": "acme" };
    const theirs = headers();
    for (const [name, value] of Object.entries(record)) theirs.set(name, value);
    assert.deepEqual(new OutgoingHeaders(record).encode(), encoded(theirs));
  });

  it("replaces a header on set(), as JetStream's publish sets its own", () => {
    const ours = new OutgoingHeaders({ "Nats-Msg-Id": "a", x: "1" });
    ours.set("Nats-Msg-Id", "b");
    ours.set("Nats-Expected-Stream", "ORDERS");
    const text = new TextDecoder().decode(ours.encode());
    assert.equal(text, "NATS/1.0\r\nNats-Msg-Id: b\r\nx: 1\r\nNats-Expected-Stream: ORDERS\r\n\r\n");
  });

  it("encodes no header as an empty block, as nats.js does", () => {
    assert.deepEqual(new OutgoingHeaders({}).encode(), encoded(headers()));
  });

  it("refuses a line break in a value and a name that would break the block", () => {
    assert.throws(() => new OutgoingHeaders({ "x-note": "first\r\nsecond" }), /line break/);
    assert.throws(() => new OutgoingHeaders({ "bad name": "v" }), /cannot be a NATS header name/);
    assert.throws(() => new OutgoingHeaders({ "a:b": "v" }), /cannot be a NATS header name/);
    assert.throws(() => new OutgoingHeaders({ "": "v" }), /cannot be a NATS header name/);
  });
});

describe("nats headers on a real server", { skip: server ? false : "no real nats-server" }, () => {
  it("gives the same fields as nats.js's own decoder for headers nats.js wrote", async () => {
    const nc = await connect({ servers: server!.url });
    const subject = unique("hdr");
    const got: Msg[] = [];
    nc.subscribe(subject, { callback: (_error, msg) => void got.push(msg) });
    await nc.flush();
    const h = headers();
    h.append("content-type", "text/plain");
    h.append("Reply_To", "answers");
    h.append("x-multi", "1");
    h.append("x-multi", "2");
    h.append("X-Spaced", "  padded  ");
    nc.publish(subject, "hello", { headers: h });
    await until(() => got.length === 1, 5000, "the message");
    const ours = wireFieldsOf(got[0]!);
    const theirs = [...got[0]!.headers!].filter(([name]) => !/^(content-type|reply_to)$/i.test(name));
    assert.equal(ours.contentType, got[0]!.headers!.get("content-type"));
    assert.equal(ours.replyTo, "answers");
    assert.deepEqual(ours.headers, Object.fromEntries(theirs.map(([name, values]) => [name, values.at(-1)])));
    assert.deepEqual(ours.headers, { "x-multi": "2", "X-Spaced": "padded" });
    await nc.close();
  });

  it("delivers a message whose header name nats.js refuses, with the header", async () => {
    const subject = unique("hdr");
    const broker = nats({ servers: server!.url, logLevel: "error" });
    const seen: { body: unknown; headers: Record<string, string> }[] = [];
    broker.subscriber(subject).handle((body, ctx) => {
      seen.push({ body, headers: ctx.message.headers });
    });
    await broker.start();
    try {
      // nats.js cannot write a name with a space; a raw client (or another language's) can.
      const block = "NATS/1.0\r\ncontent-type: application/json\r\nbad name: kept\r\n\r\n";
      const payload = '{"id":1}';
      const socket = connectSocket(Number(new URL(server!.url).port), "127.0.0.1");
      await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      socket.write('CONNECT {"headers":true,"verbose":false,"protocol":1}\r\n');
      socket.write(
        `HPUB ${subject} ${block.length} ${block.length + payload.length}\r\n${block}${payload}\r\nPING\r\n`,
      );
      await until(() => seen.length === 1, 5000, "the message with the odd header");
      socket.destroy();
      assert.deepEqual(seen, [{ body: { id: 1 }, headers: { "bad name": "kept" } }]);
    } finally {
      await broker.close();
    }
  });
});
