// What a consumer reads from a packet another client sent, on the real broker: user properties become headers
// (a repeated one joined with ", "), the wire convention's standard names become the standard fields when no
// native property says otherwise, and a nacked message comes back with the same fields, counted.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connectAsync } from "mqtt";
import { testBroker } from "@sluice/core/testing";
import { realUrl, targets, unique, until } from "./_targets.ts";

for (const target of targets().filter((t) => t.real)) {
  describe(`consumer path (${target.name})`, () => {
    it("reads user properties and standard fields of a foreign packet, again on redelivery", {
      timeout: 30_000,
    }, async () => {
      const topic = `${unique()}/foreign`;
      const app = target.broker();
      const seen: unknown[] = [];
      app.subscriber(topic, { onError: "nack", retry: { delay: 10 } }).handle((body, ctx) => {
        const m = ctx.message;
        seen.push({
          body,
          headers: m.headers,
          contentType: m.contentType,
          correlationId: m.correlationId,
          messageId: m.messageId,
          replyTo: m.replyTo,
          redelivered: m.redelivered,
          deliveryCount: m.deliveryCount,
        });
        if (seen.length === 1) throw new Error("once");
      });
      await using _br = await testBroker(app, { real: true });
      const raw = await connectAsync(realUrl!, { protocolVersion: 5 });
      try {
        await raw.publishAsync(topic, Buffer.from('{"n":1}'), {
          qos: 1,
          properties: {
            contentType: "application/json",
            correlationData: Buffer.from("corr-ü", "utf8"),
            userProperties: {
              "x-multi": ["a", "b"],
              "Message_ID": "m-9",
              reply_to: "answers/here",
              "x-one": "1",
            },
          },
        });
      } finally {
        await raw.endAsync();
      }
      await until(() => seen.length === 2, "the message and its redelivery");
      const first = {
        body: { n: 1 },
        headers: { "x-multi": "a, b", "x-one": "1" },
        contentType: "application/json",
        correlationId: "corr-ü",
        messageId: "m-9",
        replyTo: "answers/here",
      };
      assert.deepEqual(seen, [
        { ...first, redelivered: false, deliveryCount: 1 },
        { ...first, redelivered: true, deliveryCount: 2 },
      ]);
    });
  });
}
