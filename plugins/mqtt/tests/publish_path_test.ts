// What the publish path keeps exact while it spares work per message: the topic check remembered only for a
// topic that passed it, the correlation id as its UTF-8 bytes, user properties only when there are some, and
// a body that views part of a larger buffer sent as exactly its bytes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import type { MqttPacket } from "../mod.ts";
import { targets, unique, until } from "./_targets.ts";

for (const target of targets()) {
  describe(`publish path (${target.name})`, () => {
    it("refuses a bad topic on every publish, also between good ones", { timeout: 30_000 }, async () => {
      const topic = `${unique()}/good`;
      const app = target.broker();
      const seen = app.subscriber(topic).handle(() => {});
      await using br = await testBroker(app, { real: target.real });
      await br.publish(1, topic);
      for (const bad of [`${topic}/+`, `${topic}/+`, `${topic}/#`, "$SYS/x", `${topic}/a\nb`]) {
        await assert.rejects(br.publish(2, bad), OptionError, bad);
      }
      await br.publish(3, topic);
      await until(() => seen.mock.calls.length === 2, "both good messages");
      assert.deepEqual(seen.mock.calls.map((c) => c.body), [1, 3]);
    });

    it("carries a non-ASCII correlation id as its UTF-8 bytes", { timeout: 30_000 }, async () => {
      const topic = `${unique()}/utf8`;
      const app = target.broker();
      const packets: MqttPacket[] = [];
      const fields: unknown[] = [];
      const seen = app.subscriber(topic).handle((_body, ctx) => {
        packets.push(ctx.message.native as MqttPacket);
        fields.push([ctx.message.correlationId, ctx.message.messageId, ctx.message.headers]);
      });
      await using br = await testBroker(app, { real: target.real });
      await br.publish({ id: 1 }, topic, { correlationId: "café ☕ 𝄞", messageId: "m-é" });
      await br.publish({ id: 2 }, topic, {
        correlationId: "plain",
        messageId: "m-2",
        headers: { "x-a": "ü" },
      });
      await until(() => seen.mock.calls.length === 2, "both messages");
      assert.deepEqual(fields, [
        ["café ☕ 𝄞", "m-é", {}],
        ["plain", "m-2", { "x-a": "ü" }],
      ]);
      if (target.real) {
        // The packets as they travelled: Correlation Data is the id's UTF-8, user properties carry the headers.
        const properties = packets.map((p) => p.properties!);
        assert.deepEqual(
          [...properties[0]!.correlationData!],
          [...new TextEncoder().encode("café ☕ 𝄞")],
        );
        assert.deepEqual({ ...properties[0]!.userProperties }, { message_id: "m-é" });
        assert.deepEqual({ ...properties[1]!.userProperties }, { "x-a": "ü", message_id: "m-2" });
      }
    });

    it(
      "sends a body that views part of a larger buffer as exactly its bytes",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/bytes`;
        const app = target.broker();
        const seen = app.subscriber(topic).handle(() => {});
        await using br = await testBroker(app, { real: target.real });
        const whole = new Uint8Array([9, 9, 9, 1, 2, 3, 4, 5, 9, 9]);
        const part = whole.subarray(3, 8);
        await br.publish(part, topic);
        await br.publish(new Uint8Array(0), topic);
        await until(() => seen.mock.calls.length === 2, "both messages");
        assert.deepEqual([...(seen.mock.calls[0]!.body as Uint8Array)], [1, 2, 3, 4, 5]);
        assert.equal((seen.mock.calls[1]!.body as Uint8Array).byteLength, 0);
      },
    );
  });
}
