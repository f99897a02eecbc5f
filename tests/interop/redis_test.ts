// Sluice and Python FastStream 0.7.8 on one real Redis: Pub/Sub, lists and streams, both ways.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { redis } from "@sluice/redis";
import { realBroker } from "../_support/brokers.ts";
import { faststreamPython } from "../_support/python.ts";
import { Order, Plan, pyBatch, type Running, sharedCells, type Wire } from "./_cases.ts";
import { FROM_PY, Inbox, Matrix, TO_PY } from "./_matrix.ts";
import { Peer, py } from "./_peer.ts";

const python = faststreamPython();
const server = python ? await realBroker("redis") : undefined;
const matrix = new Matrix("redis");

describe("interop: redis", { skip: server ? false : "no Python FastStream or no real redis" }, () => {
  const run = `interop-${Date.now().toString(36)}`;
  const broker = redis({ url: server!.url, logLevel: "error" });
  const plan = new Plan();
  const running = {} as Running;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    const [peer, br] = await Promise.all([
      Peer.start(python!, "redis", server!.url, plan.subscribers),
      testBroker(broker, { real: true }),
    ]);
    running.peer = peer;
    stop = async () => void await Promise.allSettled([peer.close(), br.close()]);
  });
  after(async () => {
    await stop?.();
    await server!.stop();
    console.log(matrix.summary());
  });

  const kinds = [
    { name: "pubsub", py: "channel", sluice: { pubsub: true } },
    { name: "list", py: "list", sluice: { list: true } },
    { name: "stream", py: "stream", sluice: { stream: true } },
  ] as const;
  for (const kind of kinds) {
    const wire: Wire = {
      channel: `redis ${kind.name}`,
      dest: (name) => `${run}.${kind.name}.${name}`,
      // A stream subscriber reads from the start: entries added before its first XREAD count too.
      pySubscriber: (id, dest, handler) => ({
        id,
        handler,
        kwargs: { [kind.py]: kind.name === "stream" ? { $StreamSub: { stream: dest, last_id: "0" } } : dest },
      }),
      pyTarget: (dest) => ({ [kind.py]: dest }),
      subscribe: (dest, options, handler) => {
        const where = kind.name === "stream" ? { stream: { startId: "0", block: 200 } } : kind.sluice;
        broker.subscriber(dest, { ...where, ...options }).handle(handler);
      },
      publish: (body, dest, options) => broker.publish(body, dest, { ...kind.sluice, ...options }),
      request: (body, dest, options) => broker.request(body, dest, { ...kind.sluice, ...options }),
      // FastStream's envelope takes the length of each header value.
      pyRefusesIntegerHeaders: /TypeError: object of type 'int' has no len\(\)/,
    };
    sharedCells(matrix, wire, plan, running);
  }

  // Batches: FastStream publishes batches to lists only, and consumes them from lists and streams.
  {
    const dest = `${run}.list.batch-py`;
    const sub = plan.add((id) => ({
      id,
      handler: "orders",
      kwargs: { list: { $ListSub: { list_name: dest, batch: true } } },
    }));
    matrix.cell("redis list", TO_PY, "batch", async () => {
      const orders = [1, 2, 3].map((id) => ({ id, item: "tea", qty: id }));
      await broker.publishBatch(orders, dest, { list: true });
      assert.deepEqual(await pyBatch(running.peer, sub, 3), orders.map((o) => ({ Order: o })));
    });
  }
  {
    const dest = `${run}.list.batch-ts`;
    const inbox = new Inbox();
    broker.subscriber(dest, { list: true, schema: Order, batch: { size: 3, timeout: 2000 } }).handle(
      inbox.handler(),
    );
    matrix.cell("redis list", FROM_PY, "batch", async () => {
      const orders = [4, 5, 6].map((id) => ({ id, item: "tea", qty: id }));
      await running.peer.publishBatch(orders.map((o) => py.order(o)), { list: dest });
      const got = await inbox.batch(dest, 3);
      assert.deepEqual(got.map((m) => m.body), orders);
      assert.deepEqual(got.map((m) => m.contentType), [
        "application/json",
        "application/json",
        "application/json",
      ]);
    });
  }
  {
    const dest = `${run}.stream.batch-py`;
    const sub = plan.add((id) => ({
      id,
      handler: "orders",
      kwargs: { stream: { $StreamSub: { stream: dest, batch: true, last_id: "0" } } },
    }));
    matrix.cell("redis stream", TO_PY, "batch", async () => {
      const orders = [7, 8, 9].map((id) => ({ id, item: "tea", qty: id }));
      await broker.publishBatch(orders, dest, { stream: true });
      assert.deepEqual(await pyBatch(running.peer, sub, 3), orders.map((o) => ({ Order: o })));
    });
    matrix.none("redis stream", FROM_PY, "batch", "FastStream 0.7.8 publishes batches to lists only");
  }
  matrix.none("redis pubsub", TO_PY, "batch", "FastStream has no batch subscriber on Pub/Sub");
  matrix.none("redis pubsub", FROM_PY, "batch", "FastStream publishes batches to lists only");
  for (const kind of kinds) {
    for (const direction of [TO_PY, FROM_PY]) {
      matrix.none(`redis ${kind.name}`, direction, "key", "Redis messages have no key");
    }
  }
});
