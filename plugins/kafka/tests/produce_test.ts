import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ProduceQueue, type ProduceRequest, REQUEST_BYTES } from "../_produce.ts";
import type { KafkaRecord } from "../message.ts";
import { patience, targets, unique, until } from "./_helpers.ts";

const record = (text: string): KafkaRecord => ({
  value: Buffer.from(text),
  headers: { "content-type": "text/plain" },
});
const texts = (request: ProduceRequest): string[] => request.messages.map((m) => m.value!.toString());

/** A queue over a recording `send`; `fail` decides per request whether (and how) it fails. */
function recording(fail: (request: ProduceRequest) => Error | undefined = () => undefined) {
  const sent: ProduceRequest[] = [];
  const queue = new ProduceQueue(
    (request) => {
      sent.push(request);
      const error = fail(request);
      return error ? Promise.reject(error) : Promise.resolve();
    },
    (error) => /too large/.test(String(error)),
  );
  return { sent, queue };
}

describe("kafka: publishes of one turn go as one produce request", () => {
  it("sends the publishes of a turn to one topic in one request, in order, and resolves each", async () => {
    const { sent, queue } = recording();
    const done = ["a", "b", "c"].map((t) => queue.add("orders", [record(t)], -1, 0));
    assert.equal(sent.length, 0, "nothing is sent within the turn");
    await Promise.all(done);
    assert.equal(sent.length, 1);
    assert.deepEqual(texts(sent[0]!), ["a", "b", "c"]);
    assert.deepEqual({ ...sent[0], messages: undefined }, {
      topic: "orders",
      acks: -1,
      compression: 0,
      messages: undefined,
    });
  });

  it("keeps topics, acks and compression apart", async () => {
    const { sent, queue } = recording();
    await Promise.all([
      queue.add("a", [record("1")], -1, 0),
      queue.add("b", [record("2")], -1, 0),
      queue.add("a", [record("3")], 1, 0),
      queue.add("a", [record("4")], -1, 1),
      queue.add("a", [record("5")], -1, 0),
    ]);
    const seen = sent.map((r) => `${r.topic} ${r.acks} ${r.compression}: ${texts(r).join(",")}`).sort();
    assert.deepEqual(seen, ["a -1 0: 1,5", "a -1 1: 4", "a 1 0: 3", "b -1 0: 2"]);
  });

  it(`starts a new request past ${REQUEST_BYTES} bytes, and sends the requests in the order of the publishes`, async () => {
    const { sent, queue } = recording();
    const big = "x".repeat(200 * 1024);
    await Promise.all(
      ["1", "2", "3", "4", "5"].map((n) => queue.add("t", [record(n + big)], -1, 0)),
    );
    const order = sent.map((r) => texts(r).map((t) => t[0]).join(""));
    assert.deepEqual(order, ["12", "34", "5"]);
  });

  it("sends a publish larger than the cap alone", async () => {
    const { sent, queue } = recording();
    await Promise.all([
      queue.add("t", [record("small")], -1, 0),
      queue.add("t", [record("y".repeat(REQUEST_BYTES + 1))], -1, 0),
      queue.add("t", [record("after")], -1, 0),
    ]);
    assert.deepEqual(sent.map((r) => r.messages.length), [1, 1, 1]);
    assert.deepEqual(sent.map((r) => texts(r)[0]!.slice(0, 5)), ["small", "yyyyy", "after"]);
  });

  it("keeps one request in flight per topic: what comes meanwhile goes together in the next", async () => {
    const gates: (() => void)[] = [];
    const sent: ProduceRequest[] = [];
    const queue = new ProduceQueue((request) => {
      sent.push(request);
      return new Promise<void>((resolve) => gates.push(resolve));
    }, () => false);
    const first = queue.add("t", [record("1")], -1, 0);
    const other = queue.add("u", [record("u")], -1, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent.map(texts), [["1"], ["u"]], "each topic's first request went at once");
    const later = [queue.add("t", [record("2")], -1, 0), queue.add("t", [record("3")], -1, 0)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(sent.length, 2, "nothing more to t while its request is in flight");
    gates.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent.map(texts), [["1"], ["u"], ["2", "3"]]);
    for (const open of gates.splice(0)) open();
    await Promise.all([other, ...later]);
  });

  it("fails every publish of a failed request with its error", async () => {
    const outage = new Error("broker gone");
    const { queue } = recording(() => outage);
    const results = await Promise.allSettled([
      queue.add("t", [record("a")], -1, 0),
      queue.add("t", [record("b")], -1, 0),
    ]);
    assert.deepEqual(results, [{ status: "rejected", reason: outage }, {
      status: "rejected",
      reason: outage,
    }]);
  });

  it("sends each publish again alone when the broker refused their request as too large: only the large one fails", async () => {
    // A topic whose limit is 2 records: a request of more fails as too large.
    const { sent, queue } = recording((r) => r.messages.length > 2 ? new Error("too large") : undefined);
    const results = await Promise.allSettled([
      queue.add("t", [record("a")], -1, 0),
      queue.add("t", [record("b1"), record("b2"), record("b3")], -1, 0),
      queue.add("t", [record("c")], -1, 0),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.deepEqual(sent.map((r) => texts(r).join(",")), ["a,b1,b2,b3,c", "a", "b1,b2,b3", "c"]);
  });

  it("goes on with the next request after a failed one", async () => {
    let failing = true;
    const { sent, queue } = recording(() => failing ? new Error("once") : undefined);
    const first = queue.add("t", [record("a")], -1, 0);
    const second = queue.add("t", [record("b")], -1, 0);
    await assert.rejects(first, /once/);
    await assert.rejects(second, /once/);
    failing = false;
    await queue.add("t", [record("c")], -1, 0);
    assert.deepEqual(sent.map((r) => texts(r).join(",")), ["a,b", "c"]);
  });

  it("drain() sends what is queued and waits for the requests in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: ProduceRequest[] = [];
    const queue = new ProduceQueue((request) => {
      sent.push(request);
      return gate;
    }, () => false);
    let settled = false;
    void queue.add("t", [record("a")], -1, 0).then(() => (settled = true));
    let drained = false;
    const draining = queue.drain().then(() => (drained = true));
    assert.equal(sent.length, 1, "drain() sent the queued publish at once");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(drained, false, "drain() waits for the request in flight");
    release();
    await draining;
    assert.equal(settled, true);
  });
});

for (const target of targets.filter((t) => t.real)) {
  describe(`kafka publishes sent together: ${target.name}`, () => {
    const wait = patience(target);

    it("delivers 300 concurrent publishes, in order within a key", async () => {
      const make = target.cluster();
      const topic = unique("together");
      const broker = make();
      const got = new Map<string, number[]>();
      broker.subscriber(topic, { from: "earliest" }).handle((body, ctx) => {
        const key = String((ctx.message.native as { key?: Uint8Array | string }).key ?? "");
        const list = got.get(key) ?? [];
        list.push((body as { n: number }).n);
        got.set(key, list);
      });
      await broker.start();
      try {
        await broker.publish({ n: -1 }, topic, { key: "warm", topic: { partitions: 3 } });
        await Promise.all(
          Array.from({ length: 300 }, (_, n) => broker.publish({ n }, topic, { key: `k${n % 3}` })),
        );
        const total = () => [...got.values()].reduce((sum, list) => sum + list.length, 0);
        await until(() => total() === 301, wait, "the 300 records");
        for (let k = 0; k < 3; k++) {
          const expected = Array.from({ length: 100 }, (_, i) => i * 3 + k);
          assert.deepEqual(got.get(`k${k}`), expected, `key k${k} in publish order`);
        }
      } finally {
        await broker.close();
      }
    });

    it("on a topic with a small max.message.bytes, only the publish too large for it fails", async () => {
      const make = target.cluster();
      const topic = unique("small-limit");
      const broker = make();
      await broker.connect();
      try {
        const config = { "max.message.bytes": "6000" };
        await broker.publish("first", topic, { topic: { partitions: 1, config } });
        const fits = "f".repeat(2500);
        const results = await Promise.allSettled([
          broker.publish(fits, topic),
          broker.publish(fits, topic),
          broker.publish("x".repeat(7000), topic),
          broker.publish(fits, topic),
        ]);
        assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected", "fulfilled"]);
        const refused = (results[2] as PromiseRejectedResult).reason as Error;
        assert.match(refused.message, /larger than the broker accepts/);
      } finally {
        await broker.close();
      }
    });
  });
}
