/**
 * The broker cases: behaviour every plugin shows through the broker API — delivery, headers, groups,
 * fan-out, wildcards, request/reply, ack, redelivery, reject, retry, dead letters, batches, bad input,
 * filters and manual settlement.
 *
 * @module
 */

import type { BrokerOptions } from "../options.ts";
import { createLogger } from "../logger.ts";
import { RemoteError, TimeoutError } from "../errors.ts";
import type { StandardSchemaV1 } from "../schema.ts";
import { captureLogs, testBroker } from "../testing/mod.ts";
import { assert, pause, unique, until } from "./_assert.ts";
import type { ConformanceTarget, Features, Scenario, TestFunctions } from "./types.ts";

/** A schema of `{ id: integer, item: string }`, written by hand: the core imports no validator. */
const Order: StandardSchemaV1<unknown, { id: number; item: string }> = {
  "~standard": {
    version: 1,
    vendor: "sluice-conformance",
    validate(value) {
      const order = value as { id?: unknown; item?: unknown } | null;
      if (typeof order !== "object" || order === null) return { issues: [{ message: "must be an object" }] };
      if (!Number.isInteger(order.id)) {
        return { issues: [{ message: "must be an integer number", path: ["id"] }] };
      }
      if (typeof order.item !== "string") {
        return { issues: [{ message: "must be a string", path: ["item"] }] };
      }
      return { value: { id: order.id as number, item: order.item } };
    },
  },
};

/** A schema of any number. */
const Num: StandardSchemaV1<unknown, number> = {
  "~standard": {
    version: 1,
    vendor: "sluice-conformance",
    validate: (value) =>
      typeof value === "number" ? { value } : { issues: [{ message: "must be a number" }] },
  },
};

/** A schema of `{ doubled: number }`. */
const Doubled: StandardSchemaV1<unknown, { doubled: number }> = {
  "~standard": {
    version: 1,
    vendor: "sluice-conformance",
    validate: (value) =>
      typeof (value as { doubled?: unknown })?.doubled === "number"
        ? { value: value as { doubled: number } }
        : { issues: [{ message: "must have a number doubled" }] },
  },
};

/** Registers the broker cases for `target`. */
export function brokerCases(target: ConformanceTarget, { describe, it }: TestFunctions): void {
  const timeout = target.timeout ?? 5000;
  const quiet = target.real ? 300 : 30;

  function setup(scenario: Scenario) {
    const logs = captureLogs();
    const options: BrokerOptions = { logger: createLogger({ level: "debug", sink: logs.sink }) };
    const broker = target.createBroker(options);
    const sep = broker.driver.rules.separator;
    const prefix = unique();
    const channel = (...parts: string[]): string => [prefix, ...parts].join(sep);
    const sub = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      ...target.subscriberOptions?.(scenario),
      ...extra,
    });
    const pub = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      ...target.publishOptions?.(scenario),
      ...extra,
    });
    return { logs, broker, channel, sub, pub, sep, start: () => testBroker(broker, { real: target.real }) };
  }

  const needs = (feature: keyof Features): false | string =>
    target.features[feature] ? false : `the broker has no ${feature}`;

  describe(`conformance: ${target.name}`, () => {
    it("delivers JSON, text and bytes bodies with their content types", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("delivery");
      const ch = channel("bodies");
      const seen: { body: unknown; contentType: string | undefined }[] = [];
      broker.subscriber(ch, sub()).handle((body, ctx) => {
        seen.push({ body, contentType: ctx.message.contentType });
      });
      await using br = await start();
      await br.publish({ id: 1, item: "tea" }, ch, pub());
      await br.publish("plain text", ch, pub());
      await br.publish(new Uint8Array([0, 1, 2, 255]), ch, pub());
      await until(() => seen.length === 3, timeout, "three messages");
      assert.deepEqual(seen[0], { body: { id: 1, item: "tea" }, contentType: "application/json" });
      assert.deepEqual(seen[1], { body: "plain text", contentType: "text/plain" });
      assert.deepEqual(seen[2]?.contentType, "application/octet-stream");
      assert.deepEqual([...(seen[2]?.body as Uint8Array)], [0, 1, 2, 255]);
    });

    it("carries headers and the correlation id, also to what a handler publishes", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("headers");
      const input = channel("in");
      const output = channel("out");
      const received: { headers: Record<string, string>; correlationId?: string }[] = [];
      broker.subscriber(input, sub()).publisher(output).handle((body: unknown, ctx) => {
        received.push({ headers: { ...ctx.message.headers }, correlationId: ctx.message.correlationId });
        return { echoed: body };
      });
      const downstream = broker.subscriber(output, sub()).handle(() => {});
      await using br = await start();
      await br.publish({ n: 1 }, input, pub({ headers: { "x-tenant": "acme" }, correlationId: "corr-42" }));
      await until(() => downstream.mock.calls.length === 1, timeout, "the chained message");
      assert.equal(received[0]?.headers["x-tenant"], "acme");
      assert.equal(received[0]?.correlationId, "corr-42");
      assert.deepEqual(downstream.mock.calls[0]?.body, { echoed: { n: 1 } });
      assert.equal(downstream.mock.calls[0]?.correlationId, "corr-42");
    });

    it("makes subscribers of one group compete: each message is handled once", {
      skip: needs("groups"),
    }, async () => {
      const { broker, channel, sub, pub, start } = setup("groups");
      const ch = channel("jobs");
      const group = unique();
      const a = broker.subscriber(ch, sub({ group })).handle(() => {});
      const b = broker.subscriber(ch, sub({ group })).handle(() => {});
      await using br = await start();
      for (let i = 0; i < 20; i++) await br.publish({ i }, ch, pub());
      const total = () => a.mock.calls.length + b.mock.calls.length;
      await until(() => total() === 20, timeout, "20 messages across the group");
      await pause(quiet);
      assert.equal(total(), 20);
      const seen = [...a.mock.calls, ...b.mock.calls].map((c) => (c.body as { i: number }).i).sort((x, y) =>
        x - y
      );
      assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i));
    });

    it(
      "fans out: subscribers in different groups each get every message",
      { skip: needs("fanout") },
      async () => {
        const { broker, channel, sub, pub, start } = setup("fanout");
        const ch = channel("news");
        const a = broker.subscriber(ch, sub({ group: unique() })).handle(() => {});
        const b = broker.subscriber(ch, sub({ group: unique() })).handle(() => {});
        await using br = await start();
        for (let i = 0; i < 5; i++) await br.publish({ i }, ch, pub());
        await until(
          () => a.mock.calls.length === 5 && b.mock.calls.length === 5,
          timeout,
          "5 messages in each",
        );
        await pause(quiet);
        assert.equal(a.mock.calls.length, 5);
        assert.equal(b.mock.calls.length, 5);
      },
    );

    it("matches wildcards and captures path parameters", { skip: needs("wildcards") }, async () => {
      const { broker, channel, sub, pub, sep, start } = setup("wildcards");
      const levels: string[] = [];
      const logs = broker.subscriber(channel("logs", "{level}"), sub()).handle((_body, ctx) => {
        levels.push(ctx.path.level);
      });
      await using br = await start();
      await br.publish("a", channel("logs", "info"), pub());
      await br.publish("b", channel("other", "info"), pub());
      await br.publish("c", channel("logs", "error"), pub());
      await br.publish("d", channel("logs", "x", "deep"), pub());
      await until(() => levels.length === 2, timeout, "two log lines");
      await pause(quiet);
      assert.deepEqual(levels.sort(), ["error", "info"]);
      assert.deepEqual(logs.mock.calls.map((c) => c.channel).sort(), [
        channel("logs", "error"),
        channel("logs", "info"),
      ]);
      assert.ok(sep.length > 0);
    });

    it(
      "answers requests with typed replies, concurrently, and times out without a responder",
      {},
      async () => {
        const { broker, channel, sub, pub, start } = setup("request");
        const ch = channel("double");
        broker.subscriber(ch, sub({ concurrency: 8 })).handle((n: unknown) => ({
          doubled: (n as number) * 2,
        }));
        await using br = await start();
        const replies = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) => br.broker.request(i, ch, { ...pub(), timeout, schema: Doubled }),
          ),
        );
        assert.deepEqual(replies.map((r) => r.body.doubled), Array.from({ length: 20 }, (_, i) => i * 2));
        await assert.rejects(
          br.broker.request(1, channel("nobody"), { ...pub(), timeout: 300 }),
          TimeoutError,
        );
      },
    );

    it("reports a responder's failure to the requester", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("request");
      const ch = channel("fails");
      broker.subscriber(ch, sub()).handle(() => {
        throw new Error("out of stock");
      });
      await using br = await start();
      await assert.rejects(br.broker.request("x", ch, { ...pub(), timeout }), (error: unknown) => {
        assert.ok(error instanceof RemoteError);
        assert.match(error.message, /out of stock/);
        return true;
      });
    });

    it("acknowledges a handled message: it is not delivered again", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("ack");
      const ch = channel("once");
      const handler = broker.subscriber(ch, sub()).handle(() => {});
      await using br = await start();
      await br.publish("one", ch, pub());
      await until(() => handler.mock.calls.length === 1, timeout, "the message");
      await pause(quiet * 2);
      assert.equal(handler.mock.calls.length, 1);
    });

    it(
      "redelivers a message whose handler failed, with onError nack",
      { skip: needs("redelivery") },
      async () => {
        const { broker, channel, sub, pub, start } = setup("redelivery");
        const ch = channel("flaky");
        const attempts: boolean[] = [];
        broker.subscriber(ch, sub({ onError: "nack", retry: { delay: 10 } })).handle((_b, ctx) => {
          attempts.push(ctx.message.redelivered);
          if (attempts.length === 1) throw new Error("transient");
        });
        await using br = await start();
        await br.publish("job", ch, pub());
        await until(() => attempts.length === 2, timeout, "the redelivery");
        assert.deepEqual(attempts, [false, true]);
      },
    );

    it("rejects a message whose handler failed, logs it with its id, and keeps consuming", {}, async () => {
      const { broker, channel, sub, pub, logs, start } = setup("reject");
      const ch = channel("poison");
      const handled: unknown[] = [];
      broker.subscriber(ch, sub()).handle((body) => {
        if (body === "poison") throw new Error("cannot digest");
        handled.push(body);
      });
      await using br = await start();
      await br.publish("poison", ch, pub({ messageId: "m-poison" }));
      await br.publish("food", ch, pub());
      await until(() => handled.length === 1, timeout, "the good message");
      await pause(quiet);
      assert.deepEqual(handled, ["food"]);
      const errors = logs.find("error", "cannot digest");
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.fields.messageId, "m-poison");
      assert.equal(errors[0]?.fields.policy, "reject");
    });

    it("retries in the process with back-off before giving up", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("retry");
      const ch = channel("retry");
      let calls = 0;
      const done: unknown[] = [];
      broker.subscriber(ch, sub({ retry: { attempts: 3, delay: 5 } })).handle((body) => {
        if (++calls < 3) throw new Error(`attempt ${calls}`);
        done.push(body);
      });
      await using br = await start();
      await br.publish("job", ch, pub());
      await until(() => done.length === 1, timeout, "the third attempt");
      assert.equal(calls, 3);
    });

    it("dead-letters a message that failed for good, with the reason in a header", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("dead-letter");
      const ch = channel("work");
      const dlq = channel("work", "dlq");
      broker.subscriber(ch, sub({ deadLetter: dlq })).handle(() => {
        throw new Error("broken");
      });
      const dead = broker.subscriber(dlq, sub()).handle(() => {});
      await using br = await start();
      await br.publish({ id: 7 }, ch, pub());
      await until(() => dead.mock.calls.length === 1, timeout, "the dead letter");
      assert.deepEqual(dead.mock.calls[0]?.body, { id: 7 });
      assert.match(dead.mock.calls[0]?.headers["x-sluice-error"] ?? "", /broken/);
    });

    it("hands batches to a batch subscriber and acks only the messages that did not fail", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("batch");
      const ch = channel("rows");
      const dlq = channel("rows", "dlq");
      const batches: number[][] = [];
      broker.subscriber(
        ch,
        sub({ batch: { size: 5, timeout: 200 }, schema: Num, deadLetter: dlq }),
      )
        .handle((rows) => {
          batches.push(rows as number[]);
        });
      const dead = broker.subscriber(dlq, sub()).handle(() => {});
      await using br = await start();
      await br.broker.publishBatch([1, 2, 3, 4, 5, 6, 7], ch, pub());
      await br.publish("not a number", ch, pub());
      await until(() => batches.flat().length === 7, timeout, "seven rows");
      await until(() => dead.mock.calls.length === 1, timeout, "the invalid row dead-lettered");
      assert.deepEqual(batches.flat().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
      assert.ok(batches.every((b) => b.length <= 5));
    });

    it(
      "logs a malformed body, an unknown content type and a schema failure with the message id, and keeps consuming",
      {},
      async () => {
        const { broker, channel, sub, pub, logs, start } = setup("bad-input");
        const ch = channel("orders");
        const orders: unknown[] = [];
        broker.subscriber(ch, sub({ schema: Order })).handle((order) => {
          orders.push(order);
        });
        await using br = await start();
        const bytes = new TextEncoder().encode("{not json");
        await br.publish(bytes, ch, pub({ contentType: "application/json", messageId: "m-malformed" }));
        await br.publish(bytes, ch, pub({ contentType: "application/x-unknown", messageId: "m-unknown" }));
        await br.publish({ id: "seven", item: "tea" }, ch, pub({ messageId: "m-invalid" }));
        await br.publish({ id: 8, item: "tea" }, ch, pub());
        await until(() => orders.length === 1, timeout, "the valid order");
        await until(() => logs.find("error", "rejected").length === 3, timeout, "three logged rejections");
        assert.deepEqual(orders, [{ id: 8, item: "tea" }]);
        const byId = (id: string) => logs.find("error", id)[0];
        assert.match(byId("m-malformed")?.message ?? "", /Malformed application\/json/);
        assert.match(byId("m-unknown")?.message ?? "", /Unknown content type "application\/x-unknown"/);
        assert.match(byId("m-invalid")?.message ?? "", /failed its schema: id: .*number/);
      },
    );

    it("rejects a body larger than maxBodySize without decoding it, and keeps consuming", {}, async () => {
      const { broker, channel, sub, pub, logs, start } = setup("bad-input");
      const ch = channel("sized");
      const small: unknown[] = [];
      broker.subscriber(ch, sub({ maxBodySize: 64 })).handle((body) => {
        small.push(body);
      });
      await using br = await start();
      await br.publish("x".repeat(65), ch, pub({ messageId: "m-large" }));
      await br.publish("small", ch, pub());
      await until(() => small.length === 1, timeout, "the small message");
      await until(() => logs.find("error", "m-large").length === 1, timeout, "the logged rejection");
      assert.deepEqual(small, ["small"]);
      assert.match(
        logs.find("error", "m-large")[0]?.message ?? "",
        /65 bytes, more than maxBodySize 64; rejected/,
      );
    });

    it("gives each message to the first handler whose filter matches, the catch-all last", {}, async () => {
      const { broker, channel, sub, pub, start } = setup("filters");
      const ch = channel("events");
      const events = broker.subscriber(ch, sub());
      const created = events.handle(() => {}, { filter: (m) => m.headers["x-kind"] === "created" });
      const deleted = events.handle(() => {}, { filter: (m) => m.headers["x-kind"] === "deleted" });
      const other = events.handle(() => {});
      await using br = await start();
      await br.publish(1, ch, pub({ headers: { "x-kind": "deleted" } }));
      await br.publish(2, ch, pub({ headers: { "x-kind": "created" } }));
      await br.publish(3, ch, pub({ headers: { "x-kind": "updated" } }));
      await until(
        () => other.mock.calls.length === 1 && created.mock.calls.length === 1,
        timeout,
        "three events",
      );
      await until(() => deleted.mock.calls.length === 1, timeout, "the deleted event");
      assert.deepEqual(created.mock.calls.map((c) => c.body), [2]);
      assert.deepEqual(deleted.mock.calls.map((c) => c.body), [1]);
      assert.deepEqual(other.mock.calls.map((c) => c.body), [3]);
    });

    it("lets a manual subscriber settle messages itself", { skip: needs("redelivery") }, async () => {
      const { broker, channel, sub, pub, start } = setup("manual");
      const ch = channel("manual");
      const seen: boolean[] = [];
      broker.subscriber(ch, sub({ ack: "manual" })).handle(async (_body, ctx) => {
        seen.push(ctx.message.redelivered);
        if (seen.length === 1) await ctx.message.nack({ delay: 10 });
        else await ctx.message.ack();
      });
      await using br = await start();
      await br.publish("x", ch, pub());
      await until(() => seen.length === 2, timeout, "the manual redelivery");
      await pause(quiet);
      assert.deepEqual(seen, [false, true]);
    });
  });
}
