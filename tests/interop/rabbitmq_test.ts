// Sluice and Python FastStream 0.7.8 on one real RabbitMQ: queues on the default exchange (FastStream's
// default) and a topic exchange (Sluice's), both ways.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import amqp from "amqplib";
import { testBroker } from "@sluice/core/testing";
import { rabbitmq } from "@sluice/rabbitmq";
import { realBroker } from "../_support/brokers.ts";
import { faststreamPython } from "../_support/python.ts";
import { Plan, type Running, sharedCells, type Wire } from "./_cases.ts";
import { FROM_PY, Inbox, Matrix, TO_PY } from "./_matrix.ts";
import { Peer, py } from "./_peer.ts";

const python = faststreamPython();
const server = python ? await realBroker("amqp") : undefined;
const matrix = new Matrix("rabbitmq");

describe("interop: rabbitmq", { skip: server ? false : "no Python FastStream or no real rabbitmq" }, () => {
  const run = `interop-${Date.now().toString(36)}`;
  const broker = rabbitmq({ url: server!.url, logLevel: "error" });
  const plan = new Plan();
  const running = {} as Running;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    const [peer, br] = await Promise.all([
      Peer.start(python!, "rabbit", server!.url, plan.subscribers),
      testBroker(broker, { real: true }),
    ]);
    running.peer = peer;
    stop = async () => void await Promise.allSettled([peer.close(), br.close()]);
  });
  after(async () => {
    await stop?.();
    const connection = await amqp.connect(server!.url);
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange);
    await connection.close();
    await server!.stop();
    console.log(matrix.summary());
  });

  // Queues of the default exchange: the channel is the queue's name.
  const queue = (name: string) => ({ name, durable: false, autoDelete: true });
  const defaultExchange: Wire = {
    channel: "rabbitmq default exchange",
    dest: (name) => `${run}.default.${name}`,
    pySubscriber: (id, dest, handler) => ({
      id,
      handler,
      kwargs: { queue: { $RabbitQueue: { name: dest, auto_delete: true } } },
    }),
    pyTarget: (dest) => ({ queue: dest }),
    subscribe: (dest, options, handler) =>
      void broker.subscriber(dest, { ...options, exchange: "", queue: queue(dest) }).handle(handler),
    publish: (body, dest, options) => broker.publish(body, dest, { ...options, exchange: "" }),
    request: (body, dest, options) => broker.request(body, dest, { ...options, exchange: "" }),
  };

  // A topic exchange both sides declare with their defaults, which agree (durable, not auto-deleted): the
  // channel is the routing key.
  const exchange = `${run}.topic`;
  const pyExchange = { $RabbitExchange: { name: exchange, type: "topic" } };
  const sluiceExchange = exchange;
  const topicExchange: Wire = {
    channel: "rabbitmq topic exchange",
    dest: (name) => `${run}.topic.${name}`,
    pySubscriber: (id, dest, handler) => ({
      id,
      handler,
      kwargs: {
        queue: { $RabbitQueue: { name: `${dest}.queue`, routing_key: dest, auto_delete: true } },
        exchange: pyExchange,
      },
    }),
    pyTarget: (dest) => ({ routing_key: dest, exchange: pyExchange }),
    subscribe: (dest, options, handler) =>
      void broker.subscriber(dest, { ...options, exchange: sluiceExchange }).handle(handler),
    publish: (body, dest, options) => broker.publish(body, dest, { ...options, exchange }),
    request: (body, dest, options) => broker.request(body, dest, { ...options, exchange }),
  };
  sharedCells(matrix, defaultExchange, plan, running);
  sharedCells(matrix, topicExchange, plan, running);

  // Routing keys against bindings with wildcards: `*` on FastStream's queue, `{param}` on Sluice's.
  {
    const base = `${run}.topic.key-py`;
    const sub = plan.add((id) => ({
      id,
      handler: "any",
      kwargs: {
        queue: { $RabbitQueue: { name: `${base}.queue`, routing_key: `${base}.*`, auto_delete: true } },
        exchange: pyExchange,
      },
    }));
    matrix.cell("rabbitmq topic exchange", TO_PY, "key", async () => {
      await broker.publish({ n: 1 }, `${base}.eu`, { exchange });
      const got = await running.peer.next(sub);
      assert.equal(got.routing_key, `${base}.eu`);
    }, "the routing key, matched by a binding with *");
  }
  {
    const base = `${run}.topic.key-ts`;
    const inbox = new Inbox();
    broker.subscriber(`${base}.{region}`, { exchange: sluiceExchange }).handle(inbox.handler());
    matrix.cell("rabbitmq topic exchange", FROM_PY, "key", async () => {
      await running.peer.publish(py.json({ n: 1 }), { routing_key: `${base}.eu`, exchange: pyExchange });
      const got = await inbox.next(base);
      assert.equal(got.channel, `${base}.eu`);
      assert.deepEqual(got.path, { region: "eu" });
    }, "the routing key, matched by {region}");
  }
  for (const direction of [TO_PY, FROM_PY]) {
    matrix.none("rabbitmq default exchange", direction, "key", "the routing key is the queue's name");
    for (const channel of ["rabbitmq default exchange", "rabbitmq topic exchange"]) {
      matrix.none(channel, direction, "batch", "FastStream 0.7.8 has no batches on RabbitMQ");
    }
  }
});
