/**
 * The failure cases: ack, redelivery, reject, in-process retry, dead letters, batches with partial failure,
 * bad input, filters and manual settlement.
 *
 * @module
 */

import { assert, pause, until } from "./_assert.ts";
import { caseSetup, needs, Num, Order } from "./_cases.ts";
import type { ConformanceTarget, Scenario, TestFunctions } from "./types.ts";

/** Registers the failure cases for `target`. */
export function failureCases(target: ConformanceTarget, { describe, it }: TestFunctions): void {
  const timeout = target.timeout ?? 5000;
  const quiet = target.real ? 300 : 30;
  const setup = (scenario: Scenario) => caseSetup(target, scenario);
  const skipUnless = (feature: Parameters<typeof needs>[1]) => needs(target, feature);

  describe(`conformance: ${target.name}`, () => {
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
      { skip: skipUnless("redelivery") },
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

    it("lets a manual subscriber settle messages itself", { skip: skipUnless("redelivery") }, async () => {
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
