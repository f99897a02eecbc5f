// Core NATS features, each on the emulation and on a real nats-server: queue groups split the load, `>`
// matches one or more tokens, path parameters, a nack cannot redeliver, native request/reply; and, on the
// real server only, the wire format a raw nats.js (or FastStream) client sees.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, type DroppedMessage, type Middleware } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { connect, headers } from "@nats-io/transport-node";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats, NoRespondersError } from "../mod.ts";
import { targets, unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(() => server?.stop());
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of targets(server?.url)) {
  describe(`nats core (${target.name})`, () => {
    const make = () => nats({ servers: target.servers, logLevel: "error" });

    it("splits the load of a queue group of three: each message once, every member busy", async () => {
      const subject = `${unique()}.work`;
      const broker = make();
      const members = [0, 1, 2].map(() => broker.subscriber(subject, { group: "workers" }).handle(() => {}));
      await using br = await testBroker(broker, { real: target.real });
      for (let i = 0; i < 90; i++) await br.publish({ i }, subject);
      const total = () => members.reduce((n, m) => n + m.mock.calls.length, 0);
      await until(() => total() === 90, 5000, "90 messages");
      await pause(200);
      assert.equal(total(), 90);
      for (const member of members) {
        assert.ok(member.mock.calls.length > 0, "a member of the group got nothing");
      }
    });

    it("matches `>` against one or more trailing tokens and captures path parameters", async () => {
      const base = unique();
      const broker = make();
      const deep = broker.subscriber(`${base}.audit.>`).handle(() => {});
      const levels: string[] = [];
      broker.subscriber(`${base}.logs.{app}.{level}`).handle((_b, ctx) =>
        void levels.push(`${ctx.path.app}/${ctx.path.level}`)
      );
      await using br = await testBroker(broker, { real: target.real });
      await br.publish(1, `${base}.audit`);
      await br.publish(2, `${base}.audit.users`);
      await br.publish(3, `${base}.audit.users.created`);
      await br.publish("x", `${base}.logs.api.error`);
      await until(() => deep.mock.calls.length === 2 && levels.length === 1);
      await pause(200);
      assert.deepEqual(deep.mock.calls.map((c) => c.channel).sort(), [
        `${base}.audit.users`,
        `${base}.audit.users.created`,
      ]);
      assert.deepEqual(levels, ["api/error"]);
    });

    it("drops a nacked message with a warning: core NATS cannot redeliver", async () => {
      const subject = `${unique()}.once`;
      const logs = captureLogs();
      const broker = nats({
        servers: target.servers,
        logger: createLogger({ level: "debug", sink: logs.sink }),
      });
      let calls = 0;
      broker.subscriber(subject, { onError: "nack", retry: { delay: 5 } }).handle(() => {
        calls++;
        throw new Error("try again");
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("x", subject);
      await until(() => logs.find("warn", "cannot redeliver").length === 1);
      await pause(200);
      assert.equal(calls, 1);
    });

    it("drops new messages past maxPending while the handler is behind, and says how many", async () => {
      const subject = `${unique()}.flood`;
      const logs = captureLogs();
      const broker = nats({
        servers: target.servers,
        logger: createLogger({ level: "warn", sink: logs.sink }),
      });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: number[] = [];
      const buffers: ArrayBufferLike[] = [];
      const dropped: DroppedMessage[] = [];
      const counting: Middleware = { dropped: (message) => void dropped.push(message) };
      broker.subscriber(subject, { maxPending: 5, middlewares: [counting] }).handle(async (n, ctx) => {
        handled.push(n as number);
        buffers.push(ctx.message.raw.buffer);
        await gate;
      });
      // An unbounded subscriber of the subject on the same connection: once it has seen all 20, so has the
      // bounded one.
      let seen = 0;
      broker.subscriber(subject, { concurrency: 100 }).handle(() => void seen++);
      await using br = await testBroker(broker, { real: target.real });
      await br.broker.publishBatch(Array.from({ length: 20 }, (_, i) => i), subject);
      await until(() => seen === 20, 5000, "all 20 messages on the connection");
      // One in the handler, five waiting, fourteen dropped, each told to the subscriber's middlewares.
      assert.deepEqual(handled, [0]);
      assert.equal(dropped.length, 14);
      assert.deepEqual(dropped[0], { broker: "nats", subscriber: subject, channel: subject });
      const [warning, ...more] = logs.find("warn", "behind its handler");
      assert.equal(more.length, 0);
      assert.match(warning!.message, new RegExp(`NATS subscriber ${subject} is 5 messages`));
      release();
      await until(() => handled.length === 6, 5000, "the five that waited");
      // Caught up as the last one that waited was handed over.
      assert.equal(logs.find("warn", "caught up after dropping 14 messages").length, 1);
      await br.publish(20, subject);
      await until(() => handled.length === 7, 5000, "a message after the handler caught up");
      assert.deepEqual(handled, [0, 1, 2, 3, 4, 5, 20]);
      assert.equal(logs.find("warn", "caught up").length, 1);
      // On the server, those that waited hold bytes of their own, not views of the chunk they came in with the
      // dropped ones. (The emulation hands over the bodies as published, from the codec's shared pool.)
      if (target.real) assert.equal(new Set(buffers.slice(1, 6)).size, 5);
    });

    it("refuses maxPending on a JetStream subscriber, which has flow control", async () => {
      const broker = make();
      broker.subscriber(`${unique()}.js`, { stream: true, maxPending: 5 }).handle(() => {});
      await assert.rejects(testBroker(broker, { real: target.real }), /bound core NATS subscriptions/);
      const defaulted = nats({ servers: target.servers, logLevel: "error", jetstream: true });
      defaulted.subscriber(`${unique()}.js`, { maxPendingBytes: 1000 }).handle(() => {});
      await assert.rejects(testBroker(defaulted, { real: target.real }), /give stream: false/);
    });

    it("answers a request natively and fails at once without a responder", async () => {
      const subject = `${unique()}.add`;
      const broker = make();
      broker.subscriber(subject).handle((pair: unknown) => (pair as number[]).reduce((a, b) => a + b, 0));
      await using br = await testBroker(broker, { real: target.real });
      const reply = await br.broker.request([2, 3], subject, { timeout: 2000 });
      assert.equal(reply.body, 5);
      const started = Date.now();
      await assert.rejects(br.broker.request(1, `${subject}.nobody`, { timeout: 3000 }), NoRespondersError);
      assert.ok(Date.now() - started < 2000, "no responders should not wait for the timeout");
    });

    it("refuses a message over the server's max payload, naming the problem", async () => {
      const broker = make();
      await using br = await testBroker(broker, { real: target.real });
      await assert.rejects(br.publish(new Uint8Array(2 * 1024 * 1024), `${unique()}.big`), /payload|size/i);
    });
  });
}

describe("nats wire format (real)", { skip: server ? false : "no real nats" }, () => {
  it("speaks FastStream's headers and answers a raw nats.js request", async () => {
    const subject = `${unique()}.greet`;
    const broker = nats({ servers: server!.url, logLevel: "error" });
    const seen: { correlationId?: string; contentType?: string; tenant?: string }[] = [];
    broker.subscriber(subject).handle((name: unknown, ctx) => {
      seen.push({
        correlationId: ctx.message.correlationId,
        contentType: ctx.message.contentType,
        tenant: ctx.message.headers["x-tenant"],
      });
      return { hello: name };
    });
    await using _br = await testBroker(broker, { real: true });
    const nc = await connect({ servers: server!.url, reconnect: false });
    try {
      const h = headers();
      h.set("content-type", "application/json");
      h.set("correlation_id", "corr-7");
      h.set("x-tenant", "acme");
      const reply = await nc.request(subject, JSON.stringify("Ada"), { timeout: 3000, headers: h });
      assert.deepEqual(reply.json(), { hello: "Ada" });
      assert.equal(reply.headers?.get("content-type"), "application/json");
      assert.equal(reply.headers?.get("correlation_id"), "corr-7");
      assert.deepEqual(seen, [{ correlationId: "corr-7", contentType: "application/json", tenant: "acme" }]);
    } finally {
      await nc.close();
    }
  });
});
