// The wire format: FastStream's binary envelope byte for byte, plain payloads from producers without it,
// and — when python3 with faststream[redis] is installed — a round trip with a real FastStream service.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { testBroker } from "@sluice/core/testing";
import { decodeBytes, encodeMessage, IDENTITY } from "../mod.ts";
import { raw, server, targets, unique, until } from "./_support.ts";

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
});

const real = targets.find((t) => t.real);

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

const python = spawnSync("python3", ["-c", "import faststream.redis"], { encoding: "utf8" });
const hasFastStream = python.status === 0;
if (real && !hasFastStream) {
  console.error(
    "SKIP: FastStream wire test: python3 with faststream[redis] is missing (pip install 'faststream[redis]')",
  );
}

describe("redis wire compatibility with Python FastStream (real)", {
  skip: !real ? "no real redis" : hasFastStream ? false : "python3 with faststream[redis] is missing",
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
    const child = spawn("python3", [script, server!.url, toSluice, fromSluice]);
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
