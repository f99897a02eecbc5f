// A message whose producer gave no content type arrives with `contentType` undefined, never "". Python
// FastStream sends bytes with no `content-type` header in its envelope; another producer may write an empty
// one. Both, on the emulation and on a real server, on lists, streams and Pub/Sub.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { testBroker } from "@sluice/core/testing";
import { encodeEnvelope } from "../mod.ts";
import { raw, server, targets, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

interface Seen {
  body: unknown;
  contentType: string | undefined;
}

/** Bytes as an array of numbers: the client may hand over a Buffer. */
const plain = (body: unknown): unknown => body instanceof Uint8Array ? [...body] : body;

for (const target of targets) {
  describe(`redis without a content type (${target.name})`, () => {
    it("reports contentType undefined for no content-type header and for an empty one", async () => {
      const key = unique("none");
      const broker = target.broker();
      const seen: Seen[] = [];
      const handle = (body: unknown, ctx: { message: { contentType: string | undefined } }) =>
        void seen.push({ body: plain(body), contentType: ctx.message.contentType });
      broker.subscriber(`${key}.list`, { list: true }).handle(handle);
      broker.subscriber(`${key}.stream`, { stream: { block: 200 } }).handle(handle);
      broker.subscriber(`${key}.pubsub`).handle(handle);
      await using br = await testBroker(broker, { real: target.real });
      for (
        const [name, kind] of [["list", { list: true }], ["stream", { stream: true }], [
          "pubsub",
          {},
        ]] as const
      ) {
        await br.publish(null, `${key}.${name}`, kind);
        await br.publish(null, `${key}.${name}`, { ...kind, headers: { "content-type": "" } });
      }
      await until(() => seen.length === 6, "six messages");
      assert.deepEqual(seen, Array(6).fill({ body: undefined, contentType: undefined }));
    });
  });
}

describe(
  "redis raw producer without a content type (real)",
  { skip: server ? false : "no real redis" },
  () => {
    it("hands over bytes without a content-type header, or with an empty one, as bytes", async () => {
      const key = unique("raw-none");
      const broker = targets.find((t) => t.real)!.broker();
      const seen: Seen[] = [];
      broker.subscriber(key, { list: true }).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await using _br = await testBroker(broker, { real: true });
      const client = raw();
      // What FastStream writes for bytes: a correlation id and no content type.
      await client.rpush(
        key,
        Buffer.from(encodeEnvelope({ correlation_id: "corr-1" }, new Uint8Array([0, 1, 2]))),
      );
      await client.rpush(key, Buffer.from(encodeEnvelope({ "content-type": "" }, new Uint8Array([3, 4]))));
      await until(() => seen.length === 2, "two messages");
      client.disconnect();
      assert.deepEqual(seen, [
        { body: [0, 1, 2], contentType: undefined },
        { body: [3, 4], contentType: undefined },
      ]);
    });
  },
);
