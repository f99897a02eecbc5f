import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OptionError } from "@sluice/core";
import { patience, pause, targets, unique, until } from "./_helpers.ts";

function partitionOf(raw: unknown): number {
  return (raw as { partition: number }).partition;
}

for (const target of targets) {
  describe(`kafka explicit partitions: ${target.name}`, () => {
    const wait = patience(target);
    const quiet = target.real ? 500 : 30;

    it("consumes only the listed partitions, from the start position asked for", async () => {
      const make = target.cluster();
      const topic = unique("explicit");
      const seed = make();
      await seed.connect();
      for (let p = 0; p < 3; p++) {
        await seed.publish(`old-${p}`, topic, { partition: p, topic: { partitions: 3 } });
      }
      await seed.close();

      const broker = make();
      const early: string[] = [];
      const late: string[] = [];
      broker.subscriber(topic, { partitions: [2, 0], from: "earliest" }).handle((body, ctx) => {
        assert.notEqual(partitionOf(ctx.message.native), 1);
        early.push(body as string);
      });
      broker.subscriber(topic, { partitions: [1] }).handle((body) => void late.push(body as string));
      await broker.start();
      try {
        for (let p = 0; p < 3; p++) await broker.publish(`new-${p}`, topic, { partition: p });
        await until(
          () => early.length === 4 && late.length === 1,
          wait,
          "the records of the listed partitions",
        );
        await pause(quiet);
        assert.deepEqual(early.sort(), ["new-0", "new-2", "old-0", "old-2"]);
        assert.deepEqual(late, ["new-1"]);
      } finally {
        await broker.close();
      }
    });

    it("commits handled records in a named group: a restarted subscriber goes on where it stopped", async () => {
      const make = target.cluster();
      const topic = unique("explicit-commit");
      const group = unique("explicit-group");
      const seed = make();
      await seed.connect();
      for (let i = 0; i < 5; i++) {
        await seed.publishBatch([`p0-${i}`], topic, { partition: 0, topic: { partitions: 2 } });
        await seed.publishBatch([`p1-${i}`], topic, { partition: 1 });
      }
      await seed.close();

      const first = make();
      const before: string[] = [];
      first.subscriber(topic, { group, partitions: [1], from: "earliest" }).handle((b) =>
        void before.push(b as string)
      );
      await first.start();
      await until(() => before.length === 5, wait, "partition 1's five records");
      await pause(quiet);
      await first.close();
      assert.deepEqual(before, [0, 1, 2, 3, 4].map((i) => `p1-${i}`));

      const second = make();
      const after: string[] = [];
      second.subscriber(topic, { group, partitions: [1], from: "earliest" }).handle((b) =>
        void after.push(b as string)
      );
      await second.start();
      try {
        await second.publish("p1-5", topic, { partition: 1 });
        await second.publish("p0-5", topic, { partition: 0 });
        await until(() => after.length === 1, wait, "the new record of partition 1");
        await pause(quiet);
        assert.deepEqual(after, ["p1-5"]);
      } finally {
        await second.close();
      }
    });

    it("lets the members of one group each take the partitions they list", async () => {
      const make = target.cluster();
      const topic = unique("explicit-members");
      const group = unique("explicit-members");
      const broker = make();
      const zero: number[] = [];
      const rest: number[] = [];
      const options = { group, from: "earliest", topic: { partitions: 3 } } as const;
      broker.subscriber(topic, { ...options, partitions: [0] }).handle((_b, ctx) =>
        void zero.push(partitionOf(ctx.message.native))
      );
      broker.subscriber(topic, { ...options, partitions: [1, 2] }).handle((_b, ctx) =>
        void rest.push(partitionOf(ctx.message.native))
      );
      await broker.start();
      try {
        for (let i = 0; i < 6; i++) await broker.publish(i, topic, { partition: i % 3 });
        await until(() => zero.length + rest.length === 6, wait, "six records");
        await pause(quiet);
        assert.deepEqual(zero, [0, 0]);
        assert.deepEqual(rest.sort(), [1, 1, 2, 2]);
      } finally {
        await broker.close();
      }
    });

    it("refuses partitions on a pattern or a list of topics, and partitions the topic does not have", async () => {
      const make = target.cluster();
      const topic = unique("explicit-bad");
      for (const channel of [`${topic}.{x}`, `${topic},${topic}-b`]) {
        const broker = make();
        broker.subscriber(channel, { partitions: [0] }).handle(() => undefined);
        await assert.rejects(
          broker.start(),
          (e) => e instanceof OptionError && /single topic/.test(e.message),
        );
        await broker.close();
      }
      const broker = make();
      broker.subscriber(topic, { partitions: [0, 3], topic: { partitions: 2 } }).handle(() => undefined);
      await assert.rejects(
        broker.start(),
        (e) => e instanceof OptionError && /partition\(s\) 3 do not exist/.test(e.message),
      );
      await broker.close();
    });
  });
}
