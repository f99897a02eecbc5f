// A message whose producer gave no content type arrives with `contentType` undefined, never "", on MQTT 5:
// Python FastStream sends bytes without the Content Type property; another producer may send an empty one,
// or an empty `content-type` user property. On the emulation and on a real broker. (On MQTT 3.1.1 nothing
// travels but the body, and the content type is inferred from it: see protocol_test.ts.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connectAsync } from "mqtt";
import { testBroker } from "@sluice/core/testing";
import { realUrl, targets, unique, until } from "./_targets.ts";

interface Seen {
  body: unknown;
  contentType: string | undefined;
}

/** Bytes as an array of numbers: the client may hand over a Buffer. */
const plain = (body: unknown): unknown => body instanceof Uint8Array ? [...body] : body;

for (const target of targets()) {
  describe(`MQTT 5 without a content type (${target.name})`, () => {
    it("reports contentType undefined for no content type and for an empty content-type header", async () => {
      const topic = `${unique()}/none`;
      const app = target.broker();
      const seen: Seen[] = [];
      app.subscriber(topic).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await using br = await testBroker(app, { real: target.real });
      await br.publish(null, topic);
      await br.publish(null, topic, { headers: { "content-type": "" } });
      await until(() => seen.length === 2, "two messages");
      assert.deepEqual(seen, [
        { body: undefined, contentType: undefined },
        { body: undefined, contentType: undefined },
      ]);
    });
  });
}

describe("MQTT 5 raw producer without a content type (real)", {
  skip: realUrl ? false : "no real MQTT broker",
}, () => {
  it("hands over bytes without the property, or with an empty one, as bytes", async () => {
    const topic = `${unique()}/raw-none`;
    const app = targets().find((t) => t.real)!.broker();
    const seen: Seen[] = [];
    app.subscriber(topic).handle((body, ctx) => {
      seen.push({ body: plain(body), contentType: ctx.message.contentType });
    });
    await using _br = await testBroker(app, { real: true });
    const client = await connectAsync(realUrl!, { protocolVersion: 5 });
    try {
      // As FastStream sends bytes: no Content Type property.
      await client.publishAsync(topic, Buffer.from([0, 1, 2]), { qos: 1 });
      await client.publishAsync(topic, Buffer.from([3, 4]), { qos: 1, properties: { contentType: "" } });
      await client.publishAsync(topic, Buffer.from([5]), {
        qos: 1,
        properties: { userProperties: { "content-type": "" } },
      });
      await until(() => seen.length === 3, "three messages");
    } finally {
      await client.endAsync();
    }
    assert.deepEqual(seen, [
      { body: [0, 1, 2], contentType: undefined },
      { body: [3, 4], contentType: undefined },
      { body: [5], contentType: undefined },
    ]);
  });
});
