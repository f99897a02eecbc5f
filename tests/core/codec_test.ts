import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Codec, Codecs, DecodeError } from "@sluice/core";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("codecs", () => {
  const codecs = new Codecs();

  it("encodes objects as JSON, strings as text and bytes as octet-stream, as FastStream does", () => {
    assert.equal(codecs.encode({ a: 1 }).contentType, "application/json");
    assert.equal(codecs.encode([1, 2]).contentType, "application/json");
    assert.equal(codecs.encode(42).contentType, "application/json");
    assert.equal(codecs.encode("hi").contentType, "text/plain");
    assert.equal(codecs.encode(new Uint8Array([1])).contentType, "application/octet-stream");
    assert.deepEqual(codecs.encode(null), { body: new Uint8Array(0), contentType: undefined });
  });

  it("gives every encoded body bytes of its own, however many share the pool", () => {
    // Enough bodies to fill several 8 KiB pools, of every size around the 4 KiB a pooled string may take,
    // with ASCII, two- and three-byte characters and surrogate pairs.
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      texts.push(`${i}:` + ["a", "é", "€", "🙂"][i % 4]!.repeat((i * 7) % 1500));
    }
    const bodies = texts.map((text, i) => codecs.encode(i % 2 === 0 ? text : { text }).body);
    texts.forEach((text, i) => {
      const expected = i % 2 === 0 ? text : JSON.stringify({ text });
      assert.equal(new TextDecoder().decode(bodies[i]!), expected);
      assert.equal(bodies[i]!.byteLength, bytes(expected).byteLength);
    });
    // Writing into one body leaves the next one, from the same pool, as it was.
    const [first, second] = [codecs.encode("first").body, codecs.encode("second").body];
    first.fill(0x21);
    assert.equal(new TextDecoder().decode(second), "second");
  });

  it("decodes by media type, ignoring parameters and honouring +json and text/*", () => {
    assert.deepEqual(codecs.decode(bytes('{"a":1}'), "application/json; charset=utf-8"), { a: 1 });
    assert.deepEqual(codecs.decode(bytes('{"a":1}'), "application/cloudevents+json"), { a: 1 });
    assert.equal(codecs.decode(bytes("<p>"), "text/html"), "<p>");
  });

  it("tries JSON and falls back to bytes when there is no content type", () => {
    assert.deepEqual(codecs.decode(bytes("[1,2]"), undefined), [1, 2]);
    assert.deepEqual(codecs.decode(bytes("not json"), undefined), bytes("not json"));
    assert.equal(codecs.decode(new Uint8Array(0), undefined), undefined);
  });

  it("throws a DecodeError naming the problem for malformed bodies and unknown content types", () => {
    assert.throws(() => codecs.decode(bytes("{oops"), "application/json"), (error: unknown) => {
      assert.ok(error instanceof DecodeError);
      assert.match(error.message, /^Malformed application\/json body/);
      return true;
    });
    assert.throws(
      () => codecs.decode(bytes("x"), "application/x-protobuf"),
      /Unknown content type "application\/x-protobuf"/,
    );
    assert.throws(() => codecs.decode(new Uint8Array([0xff, 0xfe]), "text/plain"), DecodeError);
  });

  it("keeps a real U+FFFD but refuses malformed UTF-8 inside JSON", () => {
    assert.deepEqual(codecs.decode(bytes('{"s":"\uFFFD"}'), "application/json"), { s: "\uFFFD" });
    const broken = new Uint8Array([...bytes('{"s":"'), 0xc3, 0x28, ...bytes('"}')]);
    assert.throws(() => codecs.decode(broken, "application/json"), DecodeError);
  });

  it("uses a registered codec for its content type, both ways", () => {
    const csv: Codec = {
      contentType: "text/csv",
      encode: (rows) => bytes((rows as string[][]).map((r) => r.join(",")).join("\n")),
      decode: (data) => new TextDecoder().decode(data).split("\n").map((line) => line.split(",")),
    };
    const withCsv = codecs.with([csv]);
    const encoded = withCsv.encode([["a", "b"], ["c", "d"]], "text/csv");
    assert.equal(new TextDecoder().decode(encoded.body), "a,b\nc,d");
    assert.deepEqual(withCsv.decode(encoded.body, "text/csv"), [["a", "b"], ["c", "d"]]);
    assert.throws(() => codecs.encode({}, "application/x-unknown-thing"), /No codec for content type/);
  });

  it("sends bytes as they are, labelled with the content type given", () => {
    const raw = bytes("{raw");
    assert.deepEqual(codecs.encode(raw, "application/json"), { body: raw, contentType: "application/json" });
  });
});
