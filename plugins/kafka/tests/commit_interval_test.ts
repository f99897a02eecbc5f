// Commits on the real broker: what settles within `commitInterval` is committed together once the interval
// has passed, and at once when the broker closes, so a record a handler finished is never redelivered after a
// clean stop however long the interval.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { patience, realUrl, targets, unique, until } from "./_helpers.ts";

const real = targets.find((t) => t.real);

/** The group's committed offset of partition 0 of `topic` (-1: none yet). */
async function committed(group: string, topic: string): Promise<number> {
  const brokers = [realUrl!.replace(/^kafka:\/\//, "")];
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(offsets!.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A broker with `commitInterval` whose subscriber (a group of its own, from `earliest`) records what it
 * handled.
 */
async function started(commitInterval: number) {
  const topic = unique("commit");
  const group = `${topic}-group`;
  const broker = real!.cluster()({ commitInterval });
  const handled: number[] = [];
  broker.subscriber(topic, { group, from: "earliest", topic: { partitions: 1 } })
    .handle((n) => void handled.push(n as number));
  await broker.start();
  return { topic, group, broker, handled };
}

describe("kafka commit interval (real)", { skip: real ? false : "no real kafka" }, () => {
  it("commits what settled within a long interval only when the broker closes", async () => {
    const { topic, group, broker, handled } = await started(60_000);
    for (let i = 0; i < 5; i++) await broker.publish(i, topic);
    await until(() => handled.length === 5, patience(real!), "five records handled");
    // A commit per record would have reached the broker well within this second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await committed(group, topic), -1, "committed before the interval passed");
    await broker.close();
    assert.equal(await committed(group, topic), 5);
  });

  it("commits once the interval has passed, without a stop", async () => {
    const { topic, group, broker, handled } = await started(200);
    try {
      for (let i = 0; i < 3; i++) await broker.publish(i, topic);
      await until(() => handled.length === 3, patience(real!), "three records handled");
      const end = Date.now() + patience(real!);
      let offset = -1;
      while (offset !== 3 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        offset = await committed(group, topic);
      }
      assert.equal(offset, 3);
    } finally {
      await broker.close();
    }
  });
});
