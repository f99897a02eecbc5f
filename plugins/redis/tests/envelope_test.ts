// The wire format: FastStream's binary envelope byte for byte, envelopes whose extents do not fit refused
// with a DecodeError (and the subscriber's error policy on the server), plain payloads from producers
// without it, and — with the Python FastStream peer of tests/interop (scripts/python) — a round trip with a
// real FastStream service.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createLogger, DecodeError } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { decodeBytes, encodeEnvelope, encodeMessage, IDENTITY } from "../mod.ts";
import { readEnvelope } from "../_envelope.ts";
import { raw, server, targets, unique, until } from "./_support.ts";
import { faststreamPython } from "../../../tests/_support/python.ts";

if (server) after(() => server!.stop());

const text = new TextEncoder();

describe("redis envelope", () => {
  it("writes FastStream's binary format version 1: identity, offsets, headers, body", () => {
    const bytes = encodeMessage({
      body: text.encode("{}"),
      headers: {},
      contentType: "application/json",
      correlationId: "c1",
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.deepEqual([...bytes.subarray(0, 8)], [...IDENTITY]);
    assert.deepEqual([...IDENTITY], [0x89, 0x42, 0x49, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(view.getUint16(8), 1);
    const headersAt = view.getUint32(10);
    const bodyAt = view.getUint32(14);
    assert.equal(headersAt, 18);
    assert.equal(view.getUint16(headersAt), 2);
    assert.equal(new TextDecoder().decode(bytes.subarray(bodyAt)), "{}");
    const decoded = decodeBytes(bytes);
    assert.deepEqual(decoded.headers, { "content-type": "application/json", correlation_id: "c1" });
  });

  it("reads FastStream's JSON envelope and plain payloads", () => {
    const legacy = decodeBytes(text.encode(JSON.stringify({ data: "hi", headers: { correlation_id: "x" } })));
    assert.equal(new TextDecoder().decode(legacy.body), "hi");
    assert.equal(legacy.headers.correlation_id, "x");
    const plain = decodeBytes(text.encode('{"data": "not an envelope", "n": 1}'));
    assert.equal(plain.enveloped, false);
    const binary = decodeBytes(new Uint8Array([0, 1, 2, 255]));
    assert.deepEqual([...binary.body], [0, 1, 2, 255]);
  });

  it("reads each message's own header names when they change from one message to the next", () => {
    // Names are compared with the last message's at the same position: same length, other bytes.
    const read = (headers: Record<string, string>) => decodeBytes(encodeEnvelope(headers, text.encode("x")));
    assert.deepEqual(read({ "x-aa": "1", "x-bb": "2" }).headers, { "x-aa": "1", "x-bb": "2" });
    assert.deepEqual(read({ "x-aa": "3", "x-bb": "4" }).headers, { "x-aa": "3", "x-bb": "4" });
    assert.deepEqual(read({ "x-ab": "5", "x-bb": "6" }).headers, { "x-ab": "5", "x-bb": "6" });
    assert.deepEqual(read({ "x-bb": "7", "x-ab": "8" }).headers, { "x-bb": "7", "x-ab": "8" });
    assert.deepEqual(read({ "x-é": "9", "x-e": "10" }).headers, { "x-é": "9", "x-e": "10" });
    assert.deepEqual(read({ "x-bb": "11" }).headers, { "x-bb": "11" });
    // A name that is not UTF-8 is refused, then and after a valid one at its position.
    const invalid = encodeEnvelope({ "x-aa": "1" }, text.encode("x"));
    invalid[22] = 0xff; // the name's first byte, after the 18-byte prefix, the count and the name's length
    assert.throws(() => decodeBytes(invalid), {
      name: "DecodeError",
      message: /header 1's key .* is not UTF-8/,
    });
    assert.throws(() => decodeBytes(invalid), {
      name: "DecodeError",
      message: /header 1's key .* is not UTF-8/,
    });
  });

  it("reads each message's own content type when it changes from one message to the next", () => {
    // The content type is compared with the last one read: same length, other bytes; another case; none.
    const type = (contentType: string | undefined) =>
      decodeBytes(encodeMessage({ body: text.encode("x"), headers: {}, contentType }))
        .headers["content-type"];
    assert.equal(type("application/json"), "application/json");
    assert.equal(type("application/json"), "application/json");
    assert.equal(type("application/jsom"), "application/jsom");
    assert.equal(type("Application/JSON"), "Application/JSON");
    assert.equal(type(undefined), undefined);
    assert.equal(type("text/plain; charset=utf-8"), "text/plain; charset=utf-8");
    assert.equal(type("application/json"), "application/json");
    // A content type that is not UTF-8 is refused, then and right after the same bytes were read as UTF-8.
    const valid = encodeEnvelope({ "content-type": "aé" }, text.encode("x"));
    const invalid = valid.slice();
    invalid[invalid.length - 2] = 0xff; // the é's second byte, before the 1-byte body
    assert.equal(decodeBytes(valid).headers["content-type"], "aé");
    assert.throws(() => decodeBytes(invalid), {
      name: "DecodeError",
      message: /header 1's value .* is not UTF-8/,
    });
    assert.equal(decodeBytes(valid).headers["content-type"], "aé");
  });

  it("refuses a header longer than the 65535 bytes a length holds, counting UTF-8 bytes", () => {
    const longest = "a".repeat(0xffff);
    assert.equal(
      decodeBytes(encodeEnvelope({ "x-long": longest }, text.encode("x"))).headers["x-long"],
      longest,
    );
    assert.throws(() => encodeEnvelope({ "x-long": "a".repeat(0x10000) }, text.encode("x")), RangeError);
    // 40,000 characters, 80,000 bytes.
    assert.throws(() => encodeEnvelope({ "x-long": "é".repeat(40_000) }, text.encode("x")), RangeError);
  });

  it("gives a plain Uint8Array body for Buffers, as ioredis hands them over, enveloped or not", () => {
    const enveloped = decodeBytes(Buffer.from(encodeEnvelope({ "x-a": "1" }, text.encode("hi"))));
    assert.equal(Object.getPrototypeOf(enveloped.body), Uint8Array.prototype);
    assert.equal(new TextDecoder().decode(enveloped.body), "hi");
    assert.deepEqual(enveloped.headers, { "x-a": "1" });
    const plain = decodeBytes(Buffer.from([0, 1, 2, 255]));
    assert.equal(Object.getPrototypeOf(plain.body), Uint8Array.prototype);
    assert.deepEqual([...plain.body], [0, 1, 2, 255]);
  });
});

/**
 * A well-formed envelope, laid out as: offsets at 10 and 14, the header count at 18, then `correlation_id`
 * (length at 20), `c-1` (36), `x-tenant` (41), `acme` (51), and the body `{"n":1}` from byte 57 to 64.
 */
function sample(): Uint8Array {
  return encodeEnvelope({ correlation_id: "c-1", "x-tenant": "acme" }, text.encode('{"n":1}'));
}

/** The sample with one edit. */
function broken(edit: (view: DataView, bytes: Uint8Array) => Uint8Array | void): Uint8Array {
  const bytes = sample();
  return edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes) ?? bytes;
}

/** Envelopes whose extents do not fit, each with the fault its error must name. */
const malformed: [string, Uint8Array, RegExp][] = [
  [
    "a header value reaching into the body",
    broken((v) => v.setUint16(51, 7)),
    /header 2's value \(7 bytes from byte 53\) runs past byte 57, where the body starts/,
  ],
  [
    "a body offset inside the header block",
    broken((v) => v.setUint32(14, 53)),
    /header 2's value \(4 bytes from byte 53\) runs past byte 53/,
  ],
  [
    "fewer headers than the block holds",
    broken((v) => v.setUint16(18, 1)),
    /the headers \(1\) end at byte 41, but the body starts at byte 57/,
  ],
  [
    "more headers than the block holds",
    broken((v) => v.setUint16(18, 3)),
    /header 3's key runs past byte 57/,
  ],
  [
    "bytes cut off inside the headers",
    broken((_, b) => b.subarray(0, 45)),
    /the body starts at byte 57, past the end of its 45 bytes/,
  ],
  [
    "a body offset past the end",
    broken((v) => v.setUint32(14, 100)),
    /body starts at byte 100, past .* 64 bytes/,
  ],
  [
    "a body offset before the header block ends",
    broken((v) => v.setUint32(14, 19)),
    /the body starts at byte 19, before the header block at byte 18 ends/,
  ],
  [
    "a header block past the end",
    broken((v) => v.setUint32(10, 500)),
    /header block starts at byte 500, past/,
  ],
  ["a header block inside the fixed prefix", broken((v) => v.setUint32(10, 4)), /byte 4, inside the 18-byte/],
  [
    "a header that is not UTF-8",
    broken((_, b) => void (b[53] = 0xff)),
    /header 2's value \(bytes 53 to 57\) is not UTF-8/,
  ],
];

describe("redis envelope: extents that do not fit", () => {
  it("reads the unbroken sample", () => {
    const decoded = decodeBytes(sample());
    assert.deepEqual(decoded.headers, { correlation_id: "c-1", "x-tenant": "acme" });
    assert.equal(new TextDecoder().decode(decoded.body), '{"n":1}');
  });

  for (const [what, bytes, fault] of malformed) {
    it(`refuses ${what} with a DecodeError naming the fault`, () => {
      assert.throws(() => decodeBytes(bytes), (error: unknown) => {
        assert.ok(error instanceof DecodeError, `not a DecodeError: ${error}`);
        assert.match(error.message, /^Malformed FastStream binary envelope/);
        assert.match(error.message, fault);
        return true;
      });
    });
  }
});

/**
 * Envelopes written by FastStream 0.7.8's own encoder (`BinaryMessageFormatV1.encode`), generated once with
 * `"$(scripts/python)" plugins/redis/tests/fixtures/faststream_envelopes.py` (FastStream 0.7.8). Its
 * header lengths count characters, so `nonAscii` says 6 for the 7 bytes of `corr-ü`, 4 for the 7 of `🙂 ok`.
 */
const fromFastStream = {
  ascii:
    "iUJJTg0KGgoAAQAAABIAAABgAAMADmNvcnJlbGF0aW9uX2lkAApjb3JyLWFzY2lpAAxjb250ZW50LXR5cGUAEGFwcGxpY2F0aW9uL2pzb24ACHgtdGVuYW50AARhY21leyJvcmRlciI6IDd9",
  nonAscii:
    "iUJJTg0KGgoAAQAAABIAAACYAAYADmNvcnJlbGF0aW9uX2lkAAZjb3JyLcO8AAxjb250ZW50LXR5cGUACnRleHQvcGxhaW4ACHJlcGx5X3RvAAlhbnR3b3J0LcOfAAZ4LWNpdHkABlrDvHJpY2gAB3gtZ3LDvMOfZQAKbmHDr3ZlIGNhZsOpAAZ4LW1vb2QABPCfmYIgb2tncsO8w59l",
  bytes: "iUJJTg0KGgoAAQAAABIAAABBAAIADmNvcnJlbGF0aW9uX2lkAApjb3JyLWJ5dGVzAAZ4LWNpdHkABlrDvHJpY2gAAXJhdw==",
};

const fixture = (name: keyof typeof fromFastStream): Uint8Array =>
  new Uint8Array(Buffer.from(fromFastStream[name], "base64"));

describe("redis envelope: FastStream's header lengths in characters", () => {
  it("reads FastStream's envelopes, non-ASCII headers included", () => {
    const ascii = decodeBytes(fixture("ascii"));
    assert.deepEqual(ascii.headers, {
      correlation_id: "corr-ascii",
      "content-type": "application/json",
      "x-tenant": "acme",
    });
    assert.equal(new TextDecoder().decode(ascii.body), '{"order": 7}');
    const nonAscii = decodeBytes(fixture("nonAscii"));
    assert.deepEqual(nonAscii.headers, {
      correlation_id: "corr-ü",
      "content-type": "text/plain",
      reply_to: "antwort-ß",
      "x-city": "Zürich",
      "x-grüße": "naïve café",
      "x-mood": "🙂 ok",
    });
    assert.equal(new TextDecoder().decode(nonAscii.body), "grüße");
    const bytes = decodeBytes(fixture("bytes"));
    assert.deepEqual(bytes.headers, { correlation_id: "corr-bytes", "x-city": "Zürich" });
    assert.deepEqual([...bytes.body], [0, 1, 0x72, 0x61, 0x77]);
  });

  it("hands over the headers of the reading that fits, not those the byte reading took before it failed", () => {
    // Read in bytes, the fixture's correlation id comes out right and `Zürich` does not fit; counting code
    // points, both do. Each header reaches the target once, in order.
    const target = () => {
      const added: [string, string][] = [];
      return {
        added,
        body: new Uint8Array(0),
        add: (name: string, value: string) => void added.push([name, value]),
      };
    };
    const read = readEnvelope(fixture("bytes"), target);
    assert.deepEqual(read.added, [["correlation_id", "corr-bytes"], ["x-city", "Zürich"]]);
    assert.deepEqual([...read.body], [0, 1, 0x72, 0x61, 0x77]);
  });

  it("keeps reading Sluice's byte lengths, and refuses an envelope neither reading fits", () => {
    const headers = { correlation_id: "corr-ü", "x-grüße": "naïve café", "x-mood": "🙂 ok" };
    const sluice = encodeEnvelope(headers, text.encode("grüße"));
    assert.deepEqual(decodeBytes(sluice).headers, headers);
    // FastStream's envelope with the length of `Zürich` (at byte 105) one too long.
    const bent = fixture("nonAscii");
    new DataView(bent.buffer).setUint16(105, 7);
    assert.throws(() => decodeBytes(bent), DecodeError);
  });
});

const real = targets.find((t) => t.real);

describe("redis malformed envelopes (real)", { skip: real ? false : "no real redis" }, () => {
  it("rejects or dead-letters them with one logged error each, and keeps consuming", async () => {
    const key = unique("malformed");
    const logs = captureLogs();
    const broker = real!.broker({ kind: "list", logger: createLogger({ level: "error", sink: logs.sink }) });
    const handled: unknown[] = [];
    const handle = (body: unknown) => void handled.push(body);
    broker.subscriber(`${key}.list`, { list: true, deadLetter: `${key}.dlq` }).handle(handle);
    broker.subscriber(`${key}.stream`, { stream: { group: "g", block: 200 } }).handle(handle);
    broker.subscriber(`${key}.pubsub`, { pubsub: true }).handle(handle);
    await using _br = await testBroker(broker, { real: true });
    const client = raw();
    const bad = Buffer.from(malformed[0]![1]);
    const good = (n: number) =>
      Buffer.from(encodeEnvelope({ "content-type": "application/json" }, text.encode(`${n}`)));
    await client.rpush(`${key}.list`, bad, good(1));
    const entry = await client.xadd(`${key}.stream`, "*", "__data__", bad);
    await client.xadd(`${key}.stream`, "*", "__data__", good(2));
    await client.publish(`${key}.pubsub`, bad);
    await client.publish(`${key}.pubsub`, good(3));
    await until(
      () => handled.length === 3 && logs.records.length === 3,
      "three good messages and three errors",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(handled.sort(), [1, 2, 3]);
    const errors = logs.records.filter((r) => r.level === "error");
    assert.equal(errors.length, 3, errors.map((r) => r.message).join("\n"));
    for (const line of errors) {
      assert.match(line.message, /failed: DecodeError: Malformed FastStream binary envelope/);
    }
    // The stream entry's id is the message id the log names; it was acknowledged (rejected), not left pending.
    assert.ok(logs.find("error", `Message ${entry} failed`).length === 1, `no error names ${entry}`);
    assert.equal((await client.xpending(`${key}.stream`, "g") as unknown[])[0], 0);
    // The list message went to the dead-letter list as it arrived, with the error beside it.
    const dead = await client.lrangeBuffer(`${key}.dlq`, 0, -1);
    assert.equal(dead.length, 1);
    const letter = decodeBytes(dead[0]!);
    assert.deepEqual([...letter.body], [...bad]);
    assert.match(
      letter.headers["x-sluice-error"] ?? "",
      /^DecodeError: Malformed FastStream binary envelope/,
    );
    assert.equal(letter.headers["x-sluice-original-channel"], `${key}.list`);
    await client.del(`${key}.list`, `${key}.stream`, `${key}.dlq`);
    client.disconnect();
  });
});

describe("redis plain payloads (real)", { skip: real ? false : "no real redis" }, () => {
  it("accepts raw JSON, text and bytes from producers that use no envelope, on all three kinds", async () => {
    const channel = unique("plain");
    const broker = real!.broker();
    const seen: unknown[] = [];
    broker.subscriber(channel, {}).handle((body) => void seen.push(body));
    broker.subscriber(`${channel}.list`, { list: true }).handle((body) => void seen.push(body));
    broker.subscriber(`${channel}.stream`, { stream: { block: 200 } }).handle((body) => void seen.push(body));
    await using _br = await testBroker(broker, { real: true });
    const client = raw();
    await client.publish(channel, '{"via":"pubsub"}');
    await client.rpush(`${channel}.list`, "plain text");
    await client.xadd(`${channel}.stream`, "*", "order", "7", "item", "tea");
    await until(() => seen.length === 3, "three plain messages");
    client.disconnect();
    // Without a content type, JSON is tried and raw bytes are the fallback, as in FastStream.
    const bytes = seen.find((b) => b instanceof Uint8Array) as Uint8Array;
    assert.equal(new TextDecoder().decode(bytes), "plain text");
    assert.deepEqual(
      seen.filter((b) => !(b instanceof Uint8Array)).sort((a, b) =>
        JSON.stringify(a).localeCompare(JSON.stringify(b))
      ),
      [
        { order: "7", item: "tea" },
        { via: "pubsub" },
      ],
    );
  });
});

// Python FastStream 0.7.8 from scripts/python: a SKIP line without it, a failure with SLUICE_REQUIRE_PYTHON=1.
const python = server ? faststreamPython() : undefined;
const noPython = "no Python FastStream 0.7.8 (run scripts/python)";

describe("redis wire compatibility with Python FastStream (real)", {
  skip: !real ? "no real redis" : python ? false : noPython,
}, () => {
  it("reads what FastStream publishes and FastStream reads what Sluice publishes", async () => {
    const toSluice = unique("from-py");
    const fromSluice = unique("to-py");
    const broker = real!.broker();
    const got: { body: unknown; tenant?: string; correlationId?: string; contentType?: string }[] = [];
    const handle = (
      body: unknown,
      ctx: { message: { headers: Record<string, string>; correlationId?: string; contentType?: string } },
    ) => {
      got.push({
        body,
        tenant: ctx.message.headers["x-tenant"],
        correlationId: ctx.message.correlationId,
        contentType: ctx.message.contentType,
      });
    };
    broker.subscriber(toSluice, { list: true }).handle(handle);
    broker.subscriber(`${toSluice}.stream`, { stream: { startId: "0", block: 200 } }).handle(handle);
    await using br = await testBroker(broker, { real: true });
    await br.publish({ from: "sluice" }, fromSluice, {
      list: true,
      headers: { "x-app": "ts" },
      correlationId: "corr-ts",
    });
    const { spawn } = await import("node:child_process");
    const script = new URL("./fixtures/faststream_peer.py", import.meta.url).pathname;
    const child = spawn(python!, [script, server!.url, toSluice, fromSluice]);
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += String(c)));
    child.stderr.on("data", (c) => (err += String(c)));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, err);
    const parsed = JSON.parse(out.trim().split("\n").pop()!);
    assert.equal(parsed.body, '{"from":"sluice"}');
    assert.equal(parsed.headers["x-app"], "ts");
    assert.equal(parsed.headers.correlation_id, "corr-ts");
    assert.equal(parsed.headers["content-type"], "application/json");
    await until(() => got.length === 2, "both FastStream messages");
    const byBody = (b: unknown) => got.find((g) => JSON.stringify(g.body) === JSON.stringify(b));
    assert.deepEqual(byBody({ n: 1 }), {
      body: { n: 1 },
      tenant: "acme",
      correlationId: "corr-py",
      contentType: "application/json",
    });
    assert.equal(byBody("text from python")?.correlationId, "corr-py-2");
    assert.equal(byBody("text from python")?.contentType, "text/plain");
  });
});

describe("redis non-ASCII headers with Python FastStream (real)", {
  skip: !real ? "no real redis" : python ? false : noPython,
}, () => {
  it("reads FastStream's envelopes with non-ASCII headers, and FastStream reads Sluice's", async () => {
    const toSluice = unique("from-py-utf8");
    const fromSluice = unique("to-py-utf8");
    const broker = real!.broker();
    const got = broker.subscriber(toSluice, { list: true }).handle(() => {});
    await using br = await testBroker(broker, { real: true });
    await br.publish("grüße", fromSluice, {
      list: true,
      headers: { "x-city": "Zürich", "x-mood": "🙂" },
      correlationId: "corr-ß",
    });
    const { spawn } = await import("node:child_process");
    const script = new URL("./fixtures/faststream_utf8_peer.py", import.meta.url).pathname;
    const child = spawn(python!, [script, server!.url, toSluice, fromSluice]);
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += String(c)));
    child.stderr.on("data", (c) => (err += String(c)));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, err);
    const parsed = JSON.parse(out.trim().split("\n").pop()!);
    assert.equal(parsed.body, "grüße");
    assert.equal(parsed.headers["x-city"], "Zürich");
    assert.equal(parsed.headers["x-mood"], "🙂");
    assert.equal(parsed.headers.correlation_id, "corr-ß");
    await until(() => got.mock.calls.length === 2, "both FastStream messages");
    const [text, raw] = got.mock.calls;
    assert.equal(text!.body, "grüße");
    assert.equal(text!.correlationId, "corr-ü");
    assert.deepEqual(text!.headers, { "x-city": "Zürich", "x-mood": "🙂" });
    assert.deepEqual(raw!.body, new Uint8Array([0, 1, 0x72, 0x61, 0x77]));
    assert.equal(raw!.correlationId, "corr-bytes");
  });
});
