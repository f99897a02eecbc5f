// MQTT 5 properties (headers, content type, response topic, correlation data), request/reply, nack, and what
// MQTT 3.1.1 cannot carry.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NotSupportedError, TimeoutError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import type { MqttPacket } from "../mod.ts";
import { pause, targets, unique, until } from "./_targets.ts";

const text = new TextDecoder();

for (const target of targets()) {
  describe(`MQTT 5 (${target.name})`, () => {
    it(
      "carries headers as user properties and the standard fields as native properties",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/in`;
        const app = target.broker();
        const seen = app.subscriber(topic).handle(() => {});
        await using br = await testBroker(app, { real: target.real });
        await br.publish({ id: 1 }, topic, {
          headers: { "x-tenant": "acme" },
          correlationId: "corr-7",
          replyTo: `${topic}/replies`,
          messageId: "m-1",
        });
        await until(() => seen.mock.calls.length === 1, "the message");
        const call = seen.mock.calls[0]!;
        assert.deepEqual(call.headers, { "x-tenant": "acme" });
        assert.equal(call.correlationId, "corr-7");
        if (target.real) {
          // Only the real client sees the packet's properties as they travelled.
          const handler = app.subscriber(`${topic}/raw`).handle((_b, ctx) => {
            const p = (ctx.message.native as MqttPacket).properties!;
            raw.push({
              contentType: p.contentType,
              responseTopic: p.responseTopic,
              correlation: text.decode(p.correlationData),
              user: { ...p.userProperties },
            });
          });
          const raw: unknown[] = [];
          await handler.subscriber.start();
          await br.publish({ id: 2 }, `${topic}/raw`, {
            headers: { "x-tenant": "acme" },
            correlationId: "corr-8",
            replyTo: "somewhere/replies",
            messageId: "m-2",
          });
          await until(() => raw.length === 1, "the raw packet");
          assert.deepEqual(raw[0], {
            contentType: "application/json",
            responseTopic: "somewhere/replies",
            correlation: "corr-8",
            user: { "x-tenant": "acme", message_id: "m-2" },
          });
        }
      },
    );

    it("answers requests over a reply topic, concurrently, and times out", { timeout: 30_000 }, async () => {
      const topic = `${unique()}/rpc/{op}`;
      const app = target.broker();
      app.subscriber(topic, { concurrency: 4 }).handle((n: unknown, ctx) =>
        ctx.path.op === "square" ? (n as number) ** 2 : -1
      );
      await using br = await testBroker(app, { real: target.real });
      const channel = topic.replace("{op}", "square");
      const replies = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => br.request(n, channel, { timeout: 5000 })),
      );
      assert.deepEqual(replies.map((r) => r.body), [1, 4, 9, 16, 25]);
      await assert.rejects(br.request(1, `${unique()}/nobody`, { timeout: 200 }), TimeoutError);
    });

    it("hands a nacked message to the handler again after the delay, from the same subscriber", {
      timeout: 30_000,
    }, async () => {
      const topic = `${unique()}/flaky`;
      const app = target.broker();
      const attempts: { redelivered: boolean; at: number }[] = [];
      app.subscriber(topic, { onError: "nack", retry: { delay: 50 } }).handle((_b, ctx) => {
        attempts.push({ redelivered: ctx.message.redelivered, at: Date.now() });
        if (attempts.length < 3) throw new Error("transient");
      });
      await using br = await testBroker(app, { real: target.real });
      await br.publish("job", topic);
      await until(() => attempts.length === 3, "two redeliveries");
      await pause(target);
      assert.equal(attempts.length, 3);
      assert.deepEqual(attempts.map((a) => a.redelivered), [false, true, true]);
      assert.ok(attempts[2]!.at - attempts[1]!.at >= 90, "the second redelivery backs off");
    });
  });

  describe(`MQTT 3.1.1 (${target.name})`, () => {
    it("carries JSON, text and bytes, told apart on arrival", { timeout: 30_000 }, async () => {
      const topic = `${unique()}/v3`;
      const app = target.broker({ protocol: "3.1.1" });
      const seen: unknown[] = [];
      app.subscriber(topic).handle((body) => void seen.push(body));
      await using br = await testBroker(app, { real: target.real });
      assert.equal(br.broker.driver.protocolVersion, 4);
      await br.publish({ id: 1 }, topic);
      await br.publish("plain text", topic);
      await br.publish(new Uint8Array([0xff, 0x00]), topic);
      await until(() => seen.length === 3, "three bodies");
      assert.deepEqual(seen.slice(0, 2), [{ id: 1 }, "plain text"]);
      assert.deepEqual([...(seen[2] as Uint8Array)], [0xff, 0x00]);
    });

    it(
      "refuses headers, reply topics and dead-lettering with a clear error",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/v3`;
        const app = target.broker({ protocol: "3.1.1" });
        await using br = await testBroker(app, { real: target.real });
        await assert.rejects(br.publish(1, topic, { headers: { a: "b" } }), (error: unknown) => {
          assert.ok(error instanceof NotSupportedError);
          assert.match(error.message, /MQTT 3\.1\.1 carries only the body/);
          return true;
        });
        await assert.rejects(br.request(1, topic, { timeout: 500 }), /reply topic/);
        const dead = target.broker({ protocol: "3.1.1" });
        dead.subscriber(topic, { deadLetter: `${topic}/dlq` }).handle(() => {});
        await assert.rejects(testBroker(dead, { real: target.real }), /deadLetter needs MQTT 5/);
        await dead.close();
      },
    );
  });
}
