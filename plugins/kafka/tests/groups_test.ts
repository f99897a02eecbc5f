import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { patience, pause, targets, unique, until } from "./_helpers.ts";

for (const target of targets) {
  describe(`kafka groups and offsets: ${target.name}`, () => {
    const wait = patience(target);
    const quiet = target.real ? 500 : 30;

    it("gives each group every record once, and splits a group's records between its members", async () => {
      const make = target.cluster();
      const topic = unique("groups");
      const billing = unique("billing");
      const broker = make({ topic: { partitions: 3 } });
      const a: number[] = [];
      const b: number[] = [];
      const audit: number[] = [];
      broker.subscriber(topic, { group: billing }).handle((n) => void a.push(n as number));
      broker.subscriber(topic, { group: billing }).handle((n) => void b.push(n as number));
      broker.subscriber(topic, { group: unique("audit") }).handle((n) => void audit.push(n as number));
      await broker.start();
      try {
        for (let i = 0; i < 30; i++) await broker.publish(i, topic, { key: `k${i}` });
        await until(
          () => a.length + b.length === 30 && audit.length === 30,
          wait,
          "30 records in each group",
        );
        await pause(quiet);
        assert.deepEqual([...a, ...b].sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i));
        assert.equal(audit.length, 30);
        assert.ok(a.length > 0 && b.length > 0, `both members got partitions (${a.length}/${b.length})`);
      } finally {
        await broker.close();
      }
    });

    it("fails start() with the broker's refusal when the group cannot be joined, instead of waiting", {
      skip: target.real ? false : "the emulation has no session timeout range",
    }, async () => {
      const broker = target.cluster()();
      // Under the broker's group.min.session.timeout.ms (6 s by default): JoinGroup answers
      // INVALID_SESSION_TIMEOUT, which kafkajs does not retry: its run() resolves and the consumer crashes.
      broker.subscriber(unique("refused"), { sessionTimeout: 1000, heartbeatInterval: 100 }).handle(() => {});
      try {
        await assert.rejects(broker.start(), /session timeout is not within the range/);
      } finally {
        await broker.close();
      }
    });

    it("starts a new group at the end with latest and at the beginning with earliest", async () => {
      const make = target.cluster();
      const topic = unique("start");
      const seed = make();
      await seed.connect();
      await seed.publishBatch(["old-1", "old-2"], topic, { topic: { partitions: 1 } });
      await seed.close();
      const broker = make();
      const latest: unknown[] = [];
      const earliest: unknown[] = [];
      broker.subscriber(topic, { from: "latest" }).handle((body) => void latest.push(body));
      broker.subscriber(topic, { from: "earliest" }).handle((body) => void earliest.push(body));
      await broker.start();
      try {
        await broker.publish("new", topic);
        await until(() => latest.length === 1 && earliest.length === 3, wait, "the records");
        await pause(quiet);
        assert.deepEqual(latest, ["new"]);
        assert.deepEqual(earliest, ["old-1", "old-2", "new"]);
      } finally {
        await broker.close();
      }
    });

    it("commits only settled records: a consumer stopped mid-stream and restarted in its group redelivers exactly the unsettled ones", async () => {
      const make = target.cluster();
      const topic = unique("crash");
      const group = unique("workers");
      const seed = make();
      await seed.connect();
      await seed.publishBatch(Array.from({ length: 10 }, (_, i) => i), topic, { topic: { partitions: 1 } });
      await seed.close();

      // The first consumer handles 0–3 with concurrency 3 and hangs on 4, 5, 6: only 0–3 may be committed.
      const first = make({ drainTimeout: 100 });
      const handled: number[] = [];
      let release!: () => void;
      const hang = new Promise<void>((resolve) => (release = resolve));
      first.subscriber(topic, { group, from: "earliest", concurrency: 3 }).handle(async (n) => {
        if ((n as number) >= 4) return await hang;
        handled.push(n as number);
      });
      await first.start();
      await until(() => handled.length === 4, wait, "the first four records");
      await pause(quiet);
      await first.close(); // the "crash": 4–6 are still in the handler
      release();

      const second = make();
      const redelivered: number[] = [];
      second.subscriber(topic, { group, from: "earliest" }).handle((n) => void redelivered.push(n as number));
      await second.start();
      try {
        await until(() => redelivered.length === 6, wait, "the six unsettled records");
        await pause(quiet);
        assert.deepEqual(handled, [0, 1, 2, 3]);
        assert.deepEqual(redelivered, [4, 5, 6, 7, 8, 9]);
      } finally {
        await second.close();
      }
    });

    it("retries a nacked record in place after its delay, holding back its partition's commit", async () => {
      const make = target.cluster();
      const topic = unique("nack");
      const broker = make();
      const attempts: { body: unknown; at: number; redelivered: boolean }[] = [];
      broker.subscriber(topic, { from: "earliest", topic: { partitions: 1 }, ack: "manual" }).handle(
        async (body, ctx) => {
          attempts.push({ body, at: Date.now(), redelivered: ctx.message.redelivered });
          if (body === "flaky" && attempts.filter((a) => a.body === "flaky").length < 3) {
            await ctx.message.nack({ delay: 150 });
          } else await ctx.message.ack();
        },
      );
      await broker.start();
      try {
        await broker.publish("flaky", topic);
        await until(() => attempts.length === 3, wait, "three attempts");
        const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
        assert.ok(gaps.every((gap) => gap >= 140), `back-off between attempts: ${gaps.join(", ")} ms`);
        assert.deepEqual(attempts.map((a) => a.redelivered), [false, true, true]);
      } finally {
        await broker.close();
      }
    });
  });
}
