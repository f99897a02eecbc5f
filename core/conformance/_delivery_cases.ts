/**
 * The delivery cases: bodies and content types, headers and correlation ids, groups, fan-out, wildcards with
 * path parameters, and request/reply.
 *
 * @module
 */

import { RemoteError, SluiceError, TimeoutError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { testBroker } from "../testing/mod.ts";
import { assert, pause, unique, until } from "./_assert.ts";
import { caseSetup, Doubled, needs } from "./_cases.ts";
import type { ConformanceTarget, Scenario, TestFunctions } from "./types.ts";

/** Registers the delivery cases for `target`. */
export function deliveryCases(target: ConformanceTarget, { describe, it }: TestFunctions): void {
  const timeout = target.timeout ?? 5000;
  const quiet = target.real ? 300 : 30;
  const setup = (scenario: Scenario) => caseSetup(target, scenario);
  const skipUnless = (feature: Parameters<typeof needs>[1]) => needs(target, feature);

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
      skip: skipUnless("groups"),
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
      { skip: skipUnless("fanout") },
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

    it("matches wildcards and captures path parameters", { skip: skipUnless("wildcards") }, async () => {
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

    it(
      "fails a request still waiting when the broker closes, and an aborted one before sending",
      {},
      async () => {
        const { logs, channel, sub, pub } = setup("request");
        // A broker whose close waits 50 ms for a handler in flight, so a responder that never answers cannot
        // hold it: what is asked here is what becomes of the request on the requester's side.
        const broker = target.createBroker({
          logger: createLogger({ level: "debug", sink: logs.sink }),
          drainTimeout: 50,
        });
        const ch = channel("silent");
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let asked = 0;
        broker.subscriber(ch, sub()).handle(async () => {
          asked++;
          await released;
        });
        const br = await testBroker(broker, { real: target.real });
        try {
          await assert.rejects(
            br.broker.request(1, ch, { ...pub(), timeout, signal: AbortSignal.abort(new Error("gave up")) }),
            (error: unknown) => String(error).includes("gave up"),
          );
          const waiting = br.broker.request(2, ch, { ...pub(), timeout: timeout * 10 });
          waiting.catch(() => undefined);
          await until(() => asked > 0, timeout, "the request at the responder");
          await br.broker.close();
          await assert.rejects(waiting, (error: unknown) => {
            assert.ok(error instanceof SluiceError, `a SluiceError, not ${error}`);
            assert.ok(!(error instanceof TimeoutError), `failed by the close, not its timeout: ${error}`);
            return true;
          });
          assert.equal(asked, 1, "the aborted request was never sent");
        } finally {
          release();
          await br.close();
        }
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
  });
}
