// The mapping of a consumed record to the core's message: header values and keys are decoded as UTF-8 whatever
// their length (short ASCII ones take a JS path, the rest a TextDecoder), and a repeated header keeps its last
// value.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fromRecord } from "../message.ts";

const record = (headers: Record<string, unknown>, key: string | null = null) => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from('{"n":1}'),
  offset: "0",
  timestamp: "0",
  headers,
});

describe("kafka record mapping", () => {
  it("decodes header values of every length, ASCII or not", () => {
    const values = {
      "x-two": "ab",
      "x-eight": "abcdefgh",
      "x-nine": "abcdefghi",
      "x-short-utf8": "Köln",
      "x-long-utf8": "Grüße aus Köln, 日本語も",
    };
    const headers: Record<string, unknown> = {
      "content-type": Buffer.from("application/json"),
      correlation_id: Buffer.from("0f8e2c1a-5d3b-4c7e-9a10-2b3c4d5e6f70"),
      message_id: Buffer.from("m1"),
    };
    for (const [name, value] of Object.entries(values)) headers[name] = Buffer.from(value);
    const decoded = fromRecord(record(headers));
    assert.equal(decoded.contentType, "application/json");
    assert.equal(decoded.correlationId, "0f8e2c1a-5d3b-4c7e-9a10-2b3c4d5e6f70");
    assert.equal(decoded.messageId, "m1");
    assert.deepEqual(decoded.headers, values);
    assert.deepEqual([...decoded.body], [...Buffer.from('{"n":1}')]);
  });

  it("keeps the last value of a repeated header, and decodes keys short and long", () => {
    const repeated = { "x-tag": [Buffer.from("first"), Buffer.from("the second, longer value")] };
    assert.equal(fromRecord(record(repeated)).headers["x-tag"], "the second, longer value");
    assert.equal(fromRecord(record({}, "user-7")).key, "user-7");
    assert.equal(fromRecord(record({}, "Straße-12345")).key, "Straße-12345");
    assert.equal(fromRecord(record({})).key, undefined);
  });
});
