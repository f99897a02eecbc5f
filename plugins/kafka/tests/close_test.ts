// Closing on the real broker: the temporary groups and the reply topic are removed one admin call at a time.
// kafkajs shares one metadata refresh between concurrent calls of an admin client, so a deleteTopics whose
// closing refresh joins one started before the deletion (by another subscription's deleteGroups) fails, and
// kafkajs then retries deleting the topic that is gone for about 20 s: `close()` took that long.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Kafka } from "kafkajs";
import { patience, targets, unique } from "./_helpers.ts";

const real = targets.find((t) => t.real);

describe("kafka close (real)", { skip: real ? false : "no real kafka" }, () => {
  it("removes temporary groups and the reply topic one admin call at a time", async () => {
    // Every admin client made while the test runs reports its clean-up calls.
    const calls: { name: string; start: number; end: number }[] = [];
    const admin = Kafka.prototype.admin;
    Kafka.prototype.admin = function (this: Kafka, ...args: Parameters<Kafka["admin"]>) {
      const made = admin.apply(this, args);
      for (const name of ["deleteTopics", "deleteGroups"] as const) {
        const original = made[name].bind(made) as (...a: unknown[]) => Promise<unknown>;
        (made as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
          const call = { name, start: performance.now(), end: Infinity };
          calls.push(call);
          try {
            return await original(...a);
          } finally {
            call.end = performance.now();
          }
        };
      }
      return made;
    };
    try {
      const broker = real!.cluster()();
      const topic = unique("close");
      for (let i = 0; i < 8; i++) broker.subscriber(`${topic}.${i}`, { from: "earliest" }).handle(() => {});
      broker.subscriber(`${topic}.rpc`, { from: "earliest" }).handle((n) => n);
      await broker.start();
      const reply = await broker.request(7, `${topic}.rpc`, { timeout: patience(real!) });
      assert.equal(reply.body, 7);
      await broker.close();
    } finally {
      Kafka.prototype.admin = admin;
    }
    assert.deepEqual(calls.map((c) => c.name).sort().slice(-2), ["deleteGroups", "deleteTopics"]);
    const overlapping = calls.filter((a, i) =>
      calls.some((b, j) => i !== j && a.start < b.end && b.start < a.end)
    );
    assert.deepEqual(overlapping.map((c) => c.name), [], "admin clean-up calls ran at the same time");
  });
});
