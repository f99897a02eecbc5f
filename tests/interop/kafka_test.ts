// Sluice and Python FastStream 0.7.8 on one real Kafka, both ways: events, keys, batches and request/reply
// (FastStream has no Kafka request(): its side asks with a reply_to header and reads the reply topic).
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { testBroker } from "@sluice/core/testing";
import { kafka } from "@sluice/kafka";
import { kafkaBrokers, realBroker } from "../_support/brokers.ts";
import { faststreamPython } from "../_support/python.ts";
import { Order, Plan, pyBatch, type Running, sharedCells, type Wire } from "./_cases.ts";
import { FROM_PY, Inbox, Matrix, TO_PY } from "./_matrix.ts";
import { fromBase64, Peer, py, pyBytes } from "./_peer.ts";

const python = faststreamPython();
const server = python ? await realBroker("kafka") : undefined;
const matrix = new Matrix("kafka");

describe("interop: kafka", { skip: server ? false : "no Python FastStream or no real kafka" }, () => {
  const run = `interop-${Date.now().toString(36)}`;
  const broker = kafka({ brokers: server!.url, logLevel: "error" });
  const admin = new Kafka({
    clientId: "sluice-interop",
    brokers: kafkaBrokers(server!.url),
    logLevel: logLevel.NOTHING,
  })
    .admin();
  /** Every topic of the file, made before either side subscribes: the key's topic has 3 partitions. */
  const topics = new Map<string, number>();
  const topic = (name: string, partitions = 1) => {
    const made = `${run}.${name}`;
    topics.set(made, partitions);
    return made;
  };
  const plan = new Plan();
  const running = {} as Running;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [...topics].map(([topic, numPartitions]) => ({ topic, numPartitions })),
      waitForLeaders: true,
    });
    const [peer, br] = await Promise.all([
      Peer.start(python!, "kafka", server!.url, plan.subscribers),
      testBroker(broker, { real: true }),
    ]);
    running.peer = peer;
    stop = async () => void await Promise.allSettled([peer.close(), br.close()]);
  });
  after(async () => {
    await stop?.();
    await admin.deleteTopics({ topics: [...topics.keys()] }).catch(() => undefined);
    await admin.disconnect();
    await server!.stop();
    console.log(matrix.summary());
  });

  /** FastStream's consumer of a topic: no group, from the first record. */
  const pyConsumer = (dest: string, extra: Record<string, unknown> = {}) => ({
    args: [dest],
    kwargs: { auto_offset_reset: "earliest", ...extra },
  });
  const replies = topic("py-replies");
  const replySub = plan.add((id) => ({ id, handler: "any", ...pyConsumer(replies) }));
  const wire: Wire = {
    channel: "kafka",
    dest: (name) => topic(name),
    pySubscriber: (id, dest, handler) => ({ id, handler, ...pyConsumer(dest) }),
    pyTarget: (dest) => ({ topic: dest }),
    subscribe: (dest, options, handler) =>
      void broker.subscriber(dest, { ...options, from: "earliest" }).handle(handler),
    publish: (body, dest, options) => broker.publish(body, dest, options),
    request: (body, dest, options) => broker.request(body, dest, options),
    pyRefusesIntegerHeaders: /AttributeError: 'int' object has no attribute 'encode'/,
    // A reply_to header and a consumer of the reply topic stand in for FastStream's missing request().
    async pyRequest(peer, body, dest, correlationId) {
      await peer.publish(body, { topic: dest, reply_to: replies, correlation_id: correlationId });
      return await peer.next(replySub);
    },
  };
  sharedCells(matrix, wire, plan, running);

  // Keys: each side reads the other's, and both put a key on the same partition (murmur2, as Java's client).
  {
    const dest = topic("key-py", 3);
    const sub = plan.add((id) => ({ id, handler: "any", ...pyConsumer(dest) }));
    matrix.cell("kafka", TO_PY, "key", async () => {
      await broker.publish({ n: 1 }, dest, { key: "customer-7" });
      const fromSluice = await running.peer.next(sub);
      assert.deepEqual(fromSluice.keys?.map((k) => k && new TextDecoder().decode(fromBase64(k))), [
        "customer-7",
      ]);
      await running.peer.publish(py.json({ n: 2 }), { topic: dest, key: pyBytes("customer-7") });
      const fromPython = await running.peer.next(sub);
      assert.deepEqual(fromPython.partitions, fromSluice.partitions, "the key went to another partition");
    }, "and the same partition for the same key from both sides");
  }
  {
    const dest = topic("key-ts");
    const inbox = new Inbox();
    broker.subscriber(dest, { from: "earliest" }).handle(inbox.handler());
    matrix.cell("kafka", FROM_PY, "key", async () => {
      await running.peer.publish(py.json({ n: 1 }), { topic: dest, key: pyBytes("customer-7") });
      assert.equal((await inbox.next(dest)).key, "customer-7");
    });
  }

  // Batches both ways.
  {
    const dest = topic("batch-py");
    const sub = plan.add((id) => ({ id, handler: "orders", ...pyConsumer(dest, { batch: true }) }));
    matrix.cell("kafka", TO_PY, "batch", async () => {
      const orders = [1, 2, 3].map((id) => ({ id, item: "tea", qty: id }));
      await broker.publishBatch(orders, dest);
      assert.deepEqual(await pyBatch(running.peer, sub, 3), orders.map((o) => ({ Order: o })));
    });
  }
  {
    const dest = topic("batch-ts");
    const inbox = new Inbox();
    broker.subscriber(dest, { from: "earliest", schema: Order, batch: { size: 3, timeout: 2000 } })
      .handle(inbox.handler());
    matrix.cell("kafka", FROM_PY, "batch", async () => {
      const orders = [4, 5, 6].map((id) => ({ id, item: "tea", qty: id }));
      await running.peer.publishBatch(orders.map((o) => py.order(o)), { topic: dest });
      const got = await inbox.batch(dest, 3);
      assert.deepEqual(got.map((m) => m.body), orders);
      assert.deepEqual(got.map((m) => m.contentType), [
        "application/json",
        "application/json",
        "application/json",
      ]);
    });
  }
});
