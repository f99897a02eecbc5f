/**
 * Differential test of the Kafka emulation against a real Kafka: generated record keys (empty, unicode,
 * long, none), explicit partitions (in range and out of it) over topics of 1 to 6 partitions, and generated
 * topic names (Kafka's legal characters, `.` and `..`, length limits, unicode, spaces), run through both; a
 * publish must be refused alike and every record must land in the same partition, so that order per key and
 * the spread over a group's members are the same.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Kafka, logLevel } from "kafkajs";
import type { Driver } from "@sluice/core";
import { kafkaDriver, kafkaEmulation } from "@sluice/kafka";
import { realBroker } from "../_support/brokers.ts";
import { check } from "./_budget.ts";
import { quietContext, refusal } from "./_routing.ts";

const kafka = await realBroker("kafka");
const run = `dk${Date.now().toString(36)}`;
const encoder = new TextEncoder();

const key = fc.option(
  fc.oneof(
    fc.constantFrom("a", "b", "", "é", "日本", "key-1", "0", "x".repeat(300)),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: "grapheme", maxLength: 4 }),
  ),
  { nil: undefined },
);
const record = fc.record({
  key,
  partition: fc.option(fc.integer({ min: -1, max: 7 }), { nil: undefined, freq: 8 }),
});
const keysCase = fc.record({
  partitions: fc.integer({ min: 1, max: 6 }),
  records: fc.array(record, { minLength: 1, maxLength: 4 }),
});

const topicName = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9._-]{1,12}$/).map((name) => `${run}${name}`),
  fc.constantFrom(
    ".",
    "..",
    "",
    "a b",
    "é",
    "a/b",
    "a:b",
    "x".repeat(250),
    "y".repeat(249),
    "__consumer_offsets",
  ),
  fc.string({ maxLength: 8 }),
);

interface Landing {
  readonly refused: string;
  readonly partition?: number;
}

describe("Kafka emulation matches Kafka", { skip: kafka ? false : "no real Kafka" }, () => {
  let real: Driver<unknown, unknown>;
  let admin: ReturnType<Kafka["admin"]>;
  const created = new Set<string>();
  before(async () => {
    real = kafkaDriver({ brokers: [kafka!.url.replace(/^kafka:\/\//, "")] }) as Driver<unknown, unknown>;
    await real.connect(quietContext);
    admin = new Kafka({ brokers: [kafka!.url.replace(/^kafka:\/\//, "")], logLevel: logLevel.NOTHING })
      .admin();
    await admin.connect();
  });
  after(async () => {
    await real?.close();
    if (created.size > 0) await admin.deleteTopics({ topics: [...created] }).catch(() => undefined);
    await admin?.disconnect();
    await kafka?.stop();
  });

  const offsets = async (topic: string): Promise<number[]> =>
    (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) =>
      Number(p.high)
    );

  /** Publishes one record and returns where it landed, read from the partitions' end offsets. */
  async function land(
    driver: Driver<unknown, unknown>,
    topic: string,
    index: number,
    settings: Record<string, unknown>,
    sizes: () => Promise<number[]>,
    before: number[],
  ): Promise<Landing & { sizes?: number[] }> {
    try {
      await driver.publish(topic, {
        body: encoder.encode(String(index)),
        headers: {},
        contentType: "text/plain",
      }, settings);
    } catch (error) {
      return { refused: refusal(error) };
    }
    const now = await sizes();
    const partition = now.findIndex((size, p) => size > (before[p] ?? 0));
    return { refused: "ok", partition, sizes: now };
  }

  it("puts generated keys and explicit partitions in the same partitions", async () => {
    let n = 0;
    await check("kafka keys", keysCase, async (generated) => {
      const topic = `${run}-k${generated.partitions}`;
      const emulation = kafkaEmulation();
      await emulation.connect(quietContext);
      const settingsOf = (r: (typeof generated.records)[number]) => ({
        topic: { partitions: generated.partitions },
        ...(r.key === undefined ? {} : { key: r.key }),
        ...(r.partition === undefined ? {} : { partition: r.partition }),
      });
      const emulated: Landing[] = [];
      const observed: Landing[] = [];
      // The same topic in the emulation from the first case on: records of earlier cases stay, as on Kafka.
      await emulation.publish(
        topic,
        { body: new Uint8Array(), headers: {}, contentType: "text/plain" },
        settingsOf({ key: "warm", partition: undefined }),
      );
      const emulatedSizes = () =>
        Promise.resolve(
          Array.from({ length: emulation.partitions(topic) }, (_, p) => emulation.records(topic, p).length),
        );
      const realSizes = () => offsets(topic).catch(() => []);
      let emulatedBefore = await emulatedSizes();
      let realBefore = await realSizes();
      for (const [index, r] of generated.records.entries()) {
        const e = await land(
          emulation as Driver<unknown, unknown>,
          topic,
          index,
          settingsOf(r),
          emulatedSizes,
          emulatedBefore,
        );
        created.add(topic);
        const o = await land(real, topic, index, settingsOf(r), realSizes, realBefore);
        emulatedBefore = e.sizes ?? emulatedBefore;
        realBefore = o.sizes ?? realBefore;
        emulated.push({ refused: e.refused, partition: e.partition });
        observed.push({ refused: o.refused, partition: o.partition });
      }
      await emulation.close();
      n++;
      // Without a key Kafka's producer spreads records round-robin from wherever it stands: only the refusal compares.
      const comparable = (list: Landing[]) =>
        list.map((
          l,
          i,
        ) => (generated.records[i]!.key === undefined && generated.records[i]!.partition === undefined
          ? { refused: l.refused }
          : l)
        );
      assert.deepEqual(
        comparable(emulated),
        comparable(observed),
        "emulation (actual) and Kafka (expected) differ",
      );
    }, 420);
  });

  it("accepts and refuses generated topic names alike", async () => {
    let n = 0;
    // One emulation for the whole run: topics made by earlier cases stay, as on the broker (names collide).
    const emulation = kafkaEmulation();
    await emulation.connect(quietContext);
    try {
      await check("kafka topic names", topicName, async (name) => {
        const settings = { topic: { partitions: 1 } };
        const body = { body: encoder.encode("1"), headers: {}, contentType: "text/plain" };
        const outcome = async (driver: Driver<unknown, unknown>) => {
          try {
            await driver.publish(name, body, settings);
            return "ok";
          } catch (error) {
            return refusal(error);
          }
        };
        const emulated = await outcome(emulation as Driver<unknown, unknown>);
        // Unique per case where the name can take it, so that the shared broker's topics are not touched.
        const observed = await outcome(real);
        if (observed === "ok") created.add(name);
        n++;
        assert.equal(
          emulated,
          observed,
          `topic name ${JSON.stringify(name)}: emulation (actual) and Kafka (expected) differ`,
        );
      }, 80);
    } finally {
      await emulation.close();
    }
  });
});
