import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { murmur2, partitionForKey } from "../mod.ts";
import { patience, targets, unique, until } from "./_helpers.ts";

interface Seen {
  body: unknown;
  partition: number;
  key?: string;
  headers: Record<string, string>;
  timestamp?: string | number;
  size: number;
}

function record(raw: unknown): { partition: number; timestamp?: string | number } {
  return raw as { partition: number; timestamp?: string | number };
}

describe("kafka partitions and records", () => {
  it("hashes keys with murmur2 exactly as Kafka's Java client (its own test vectors)", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    assert.equal(murmur2(bytes("21")), -973932308);
    assert.equal(murmur2(bytes("foobar")), -790332482);
    assert.equal(murmur2(bytes("a-little-bit-long-string")), -985981536);
    assert.equal(murmur2(bytes("")), 275646681);
    assert.equal(partitionForKey("foobar", 3), (-790332482 & 0x7fffffff) % 3);
  });

  for (const target of targets) {
    describe(target.name, () => {
      it("puts a key on the partition Kafka's default partitioner picks, and honours an explicit partition", async () => {
        const make = target.cluster();
        const broker = make({ topic: { partitions: 3 } });
        const topic = unique("keys");
        const seen: Seen[] = [];
        broker.subscriber(topic, { from: "earliest", topic: { partitions: 3 } }).handle((body, ctx) => {
          seen.push({
            body,
            partition: record(ctx.message.native).partition,
            key: ctx.message.key,
            headers: {},
            size: 0,
          });
        });
        await broker.start();
        try {
          const keys = ["user-1", "user-2", "user-3", "order-42", "a", "b", "c", "d"];
          for (const key of keys) await broker.publish({ key }, topic, { key });
          await broker.publish({ explicit: true }, topic, { partition: 2 });
          await until(() => seen.length === keys.length + 1, patience(target), "every record");
          for (const s of seen) {
            const key = s.key;
            if (key === undefined) assert.equal(s.partition, 2);
            else assert.equal(s.partition, partitionForKey(key, 3), `key ${key}`);
          }
        } finally {
          await broker.close();
        }
      });

      it("carries headers, the timestamp, tombstones, gzip and batches", async () => {
        const make = target.cluster();
        const broker = make({ compression: "gzip" });
        const topic = unique("records");
        const seen: Seen[] = [];
        broker.subscriber(topic, { from: "earliest", topic: { partitions: 1 } }).handle((body, ctx) => {
          seen.push({
            body,
            partition: record(ctx.message.native).partition,
            key: ctx.message.key,
            headers: { ...ctx.message.headers },
            timestamp: record(ctx.message.native).timestamp,
            size: ctx.message.raw.length,
          });
        });
        await broker.start();
        try {
          const at = new Date("2024-01-02T03:04:05Z");
          await broker.publish({ n: 1 }, topic, { headers: { "x-tenant": "acme" }, timestamp: at, key: "k" });
          await broker.publish(null, topic, { key: "k" });
          await broker.publishBatch(["x".repeat(2000), "y", "z"], topic, { compression: "gzip" });
          await until(() => seen.length === 5, patience(target), "five records");
          assert.deepEqual(seen[0]?.body, { n: 1 });
          assert.equal(seen[0]?.headers["x-tenant"], "acme");
          assert.equal(Number(seen[0]?.timestamp), at.getTime());
          assert.equal(seen[1]?.body, undefined, "a tombstone has no body");
          assert.equal(seen[1]?.key, "k");
          assert.deepEqual(seen.slice(2).map((s) => s.body), ["x".repeat(2000), "y", "z"]);
        } finally {
          await broker.close();
        }
      });

      it("refuses an oversized record with an error naming the topic and the limit, and keeps working", async () => {
        const make = target.cluster();
        const broker = make();
        const topic = unique("big");
        const seen: unknown[] = [];
        broker.subscriber(topic, { from: "earliest", topic: { partitions: 1 } }).handle((body) =>
          void seen.push(body)
        );
        await broker.start();
        try {
          await assert.rejects(broker.publish("x".repeat(2_000_000), topic), (error: unknown) => {
            assert.match(
              (error as Error).message,
              new RegExp(`Cannot publish (message \\S+ )?to ${topic}: .*message.max.bytes`),
            );
            return true;
          });
          await broker.publish("small", topic);
          await until(() => seen.length === 1, patience(target), "the small record");
          assert.deepEqual(seen, ["small"]);
        } finally {
          await broker.close();
        }
      });

      it("creates a declared topic with its partitions", async () => {
        const make = target.cluster();
        const broker = make();
        const topic = unique("declared");
        const partitions = new Set<number>();
        broker.subscriber(topic, { from: "earliest", topic: { partitions: 4 } }).handle((_b, ctx) => {
          partitions.add(record(ctx.message.native).partition);
        });
        await broker.start();
        try {
          for (let i = 0; i < 40; i++) await broker.publish(i, topic, { key: `k${i}` });
          await until(() => partitions.size === 4, patience(target), "records on all four partitions");
          assert.deepEqual([...partitions].sort(), [0, 1, 2, 3]);
        } finally {
          await broker.close();
        }
      });
    });
  }
});
