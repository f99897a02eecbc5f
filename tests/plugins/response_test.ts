// Responses: a handler returns `response()` (or a plugin's typed one) to set headers, the correlation id
// and the broker's own publish options of its reply and its published result — on the emulations, and on
// the real brokers when they are there.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Broker, createLogger, memory, response } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { kafka, kafkaResponse } from "@sluice/kafka";
import { nats, natsResponse } from "@sluice/nats";
import { rabbitmq, rabbitmqResponse } from "@sluice/rabbitmq";
import { redis, redisResponse } from "@sluice/redis";
import { realBroker } from "../_support/brokers.ts";

const quiet = () => createLogger({ level: "error" });
const unique = (prefix: string): string =>
  `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;

async function until(condition: () => boolean, what: string, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("responses on the memory broker", () => {
  it("sets the reply's headers and keeps the request's correlation id", async () => {
    const broker = memory({ logger: quiet() });
    broker.subscriber("price").handle((item) =>
      response({ item, price: 3 }, { headers: { "x-currency": "EUR" } })
    );
    await using br = await testBroker(broker);
    const reply = await br.request("tea", "price", { timeout: 2000, correlationId: "c-1" });
    assert.deepEqual(reply.body, { item: "tea", price: 3 });
    assert.equal(reply.headers["x-currency"], "EUR");
    assert.equal(reply.correlationId, "c-1");
  });

  it("sets headers and a correlation id of the published result, through a publisher with its own headers", async () => {
    const broker = memory({ logger: quiet() });
    const confirmed = broker.publisher("confirmed", { headers: { "x-service": "orders" } });
    broker.subscriber("orders").publisher(confirmed).handle((order: unknown) =>
      response(order, { headers: { "x-state": "ok" }, correlationId: "batch-7" })
    );
    const seen: { headers: Record<string, string>; correlationId?: string; body: unknown }[] = [];
    broker.subscriber("confirmed").handle((body, ctx) => {
      seen.push({ body, headers: { ...ctx.message.headers }, correlationId: ctx.message.correlationId });
    });
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders");
    await br.settled();
    assert.deepEqual(seen, [{
      body: { id: 1 },
      headers: { "x-service": "orders", "x-state": "ok" },
      correlationId: "batch-7",
    }]);
    assert.deepEqual(confirmed.mock.calls[0]?.body, { id: 1 });
  });

  it("types the response body against the chained publisher's schema input", () => {
    const broker = memory();
    const numbers = broker.publisher<
      {
        "~standard": {
          version: 1;
          vendor: "t";
          validate: (v: unknown) => { value: number };
          types?: { input: number; output: number };
        };
      }
    >(
      "numbers",
    );
    // @ts-expect-error a string body where the publisher takes numbers
    broker.subscriber("in").publisher(numbers).handle(() => response("seven"));
    broker.subscriber("in2").publisher(numbers).handle(() => response(7));
    assert.equal(broker.allSubscribers().length, 2);
  });
});

const realKafka = await realBroker("kafka");
const realNats = await realBroker("nats");
const realAmqp = await realBroker("amqp");
const realRedis = await realBroker("redis");
after(() => Promise.all([realKafka?.stop(), realNats?.stop(), realAmqp?.stop(), realRedis?.stop()]));

/** The emulation, and the real broker when there is one. */
function targets<B extends Broker>(
  make: (url?: string) => B,
  url: string | undefined,
): [string, () => B, boolean][] {
  const list: [string, () => B, boolean][] = [["emulation", () => make(), false]];
  if (url) list.push(["real", () => make(url), true]);
  return list;
}

for (
  const [where, make, real] of targets(
    (url) => kafka({ logger: quiet(), ...(url ? { brokers: url } : {}) }),
    realKafka?.url,
  )
) {
  describe(`responses on kafka (${where})`, () => {
    it("publishes the result with the key and headers the handler's kafkaResponse sets", async () => {
      const broker = make();
      const input = unique("resp-in-");
      const output = unique("resp-out-");
      broker.subscriber(input, { group: unique("g") }).publisher(output).handle((order: unknown) =>
        kafkaResponse(order, { key: "customer-9", headers: { "x-state": "ok" } })
      );
      const seen: { key?: string; state?: string; body: unknown }[] = [];
      broker.subscriber(output, { group: unique("g") }).handle((body, ctx) => {
        seen.push({ body, key: ctx.message.key, state: ctx.message.headers["x-state"] });
      });
      await using br = await testBroker(broker, { real });
      await br.publish({ id: 1 }, input);
      await until(() => seen.length === 1, "the result on kafka");
      assert.deepEqual(seen, [{ body: { id: 1 }, key: "customer-9", state: "ok" }]);
    });
  });
}

for (
  const [where, make, real] of targets(
    (url) => nats({ logger: quiet(), ...(url ? { servers: url } : {}) }),
    realNats?.url,
  )
) {
  describe(`responses on nats (${where})`, () => {
    it("replies with the headers and correlation id of the handler's natsResponse", async () => {
      const broker = make();
      const subject = unique("resp.");
      broker.subscriber(subject).handle((n: unknown) =>
        natsResponse({ doubled: Number(n) * 2 }, { headers: { "x-unit": "items" }, correlationId: "mine" })
      );
      await using br = await testBroker(broker, { real });
      const reply = await br.request(21, subject, { timeout: 5000 });
      assert.deepEqual(reply.body, { doubled: 42 });
      assert.equal(reply.headers["x-unit"], "items");
      assert.equal(reply.correlationId, "mine");
    });
  });
}

for (
  const [where, make, real] of targets(
    (url) => rabbitmq({ logger: quiet(), ...(url ? { url } : {}) }),
    realAmqp?.url,
  )
) {
  describe(`responses on rabbitmq (${where})`, () => {
    it("replies with the headers of the rabbitmqResponse, its AMQP options accepted", async () => {
      const broker = make();
      const queue = unique("resp-");
      broker.subscriber(queue).handle((name: unknown) =>
        rabbitmqResponse(`hello, ${String(name)}`, { headers: { "x-lang": "en" }, type: "greeting" })
      );
      await using br = await testBroker(broker, { real });
      const reply = await br.request("Ada", queue, { timeout: 5000 });
      assert.equal(reply.body, "hello, Ada");
      assert.equal(reply.headers["x-lang"], "en");
    });
  });
}

for (
  const [where, make, real] of targets(
    (url) => redis({ logger: quiet(), ...(url ? { url } : {}) }),
    realRedis?.url,
  )
) {
  describe(`responses on redis (${where})`, () => {
    it("sends the result to a list when the handler's redisResponse says so", async () => {
      const broker = make();
      const input = unique("resp-in-");
      const output = unique("resp-list-");
      broker.subscriber(input).publisher(output).handle((job: unknown) =>
        redisResponse({ job }, { list: true })
      );
      const seen: unknown[] = [];
      broker.subscriber(output, { list: true }).handle((body) => void seen.push(body));
      await using br = await testBroker(broker, { real });
      await br.publish("j1", input);
      await until(() => seen.length === 1, "the result in the list");
      assert.deepEqual(seen, [{ job: "j1" }]);
    });
  });
}
