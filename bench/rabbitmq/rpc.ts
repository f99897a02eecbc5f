// Request/reply latency on RabbitMQ; prints one JSON line with p50 and p99.
//   <runtime> bench/rabbitmq/rpc.ts <arm> [count]
//   <runtime> bench/rabbitmq/rpc.ts raw,raw-wire,driver,sluice [count]
// one arm in a fresh process, or the arms named side by side in one (paired: bench/_rpc.ts).
// `count` sequential round trips of a ~100-byte JSON request answered with a small JSON reply, responder and
// requester in this process (after untimed ones, 20,000 or the count and up to 5 s; bench/_rpc.ts), both over
// direct reply-to, as the plugin's `request()` is: the request goes to amq.topic with the queue's name as
// routing key (the plugin's default exchange), the reply straight to `amq.rabbitmq.reply-to` through the
// default exchange.
//   raw     amqplib: a channel consumes `amq.rabbitmq.reply-to` (no ack) and publishes the requests; the
//           responder's channel consumes the queue, decodes the body, publishes the reply, then acks
//   raw-wire  amqplib doing on the broker what the plugin does by default: the responder's channel consumes
//           with a prefetch of 1 (a subscriber's default) and sends the reply on the request's own channel
//           just before its ack, unconfirmed (plugins/rabbitmq/_replies.ts); both messages are persistent and
//           carry a timestamp, the reply a message id of its own. What the plugin's defaults cost RabbitMQ and
//           amqplib, apart from the plugin's and the core's code.
//   driver  the plugin's driver alone (no core): its request(), and a subscription (a prefetch of 1, as a
//           Sluice subscriber's) whose deliver decodes the body, publishes the reply and acks — the plugin's
//           and amqplib's share of Sluice's cost
//   sluice  broker.request() to a subscriber whose handler returns the reply
import process from "node:process";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { rabbitmq } from "@sluice/rabbitmq";
import { answerWith, decodeJson, jsonMessage, REQUEST, rpcArguments, type RpcArm, runRpc } from "../_rpc.ts";

const { arm, count } = rpcArguments();
const url = process.env.SLUICE_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

async function raw(queue: string, wire = false): Promise<RpcArm> {
  // The plugin's socket setting: without it, Nagle's algorithm holds each small frame for ~40 ms.
  const connection = await amqp.connect(url, { noDelay: true });
  const responder = await connection.createChannel();
  if (wire) await responder.prefetch(1);
  // The properties the plugin adds to every publish (publishProperties in plugins/rabbitmq/message.ts).
  const stamped = () => wire ? { deliveryMode: 2, timestamp: Math.floor(Date.now() / 1000) } : {};
  await responder.assertQueue(queue, { durable: false, autoDelete: true });
  await responder.bindQueue(queue, "amq.topic", queue);
  await responder.consume(queue, (m) => {
    if (!m) return;
    const body = JSON.parse(m.content.toString()) as { id: number };
    const reply = Buffer.from(JSON.stringify({ ok: true, id: body.id }));
    const properties = { contentType: "application/json", correlationId: m.properties.correlationId };
    const own = wire ? { ...properties, ...stamped(), messageId: crypto.randomUUID() } : properties;
    responder.publish("", m.properties.replyTo, reply, own);
    responder.ack(m);
  });
  const requester = await connection.createChannel();
  const pending = new Map<string, (reply: unknown) => void>();
  await requester.consume(DIRECT_REPLY_TO, (m) => {
    if (!m) return;
    pending.get(m.properties.correlationId)?.(JSON.parse(m.content.toString()));
  }, { noAck: true });
  return {
    trip: () => {
      const id = crypto.randomUUID();
      const reply = new Promise((resolve) => pending.set(id, resolve)).finally(() => pending.delete(id));
      requester.publish("amq.topic", queue, Buffer.from(JSON.stringify(REQUEST)), {
        contentType: "application/json",
        correlationId: id,
        messageId: id,
        replyTo: DIRECT_REPLY_TO,
        ...stamped(),
      });
      return reply;
    },
    close: () => connection.close(),
  };
}

async function driver(queue: string): Promise<RpcArm> {
  const broker = rabbitmq({ url, logLevel: "error" });
  await broker.connect();
  const d = broker.driver;
  await d.subscribe({
    channel: queue,
    template: queue,
    // A subscriber's default (its concurrency, 1): its acks go at once, where a larger prefetch has them
    // coalesced on a later turn (plugins/rabbitmq/_acks.ts), which Sluice's arm does not do.
    prefetch: 1,
    options: { queue: { name: queue, durable: false, autoDelete: true } },
  }, answerWith(d));
  return {
    trip: async () => {
      const id = crypto.randomUUID();
      const reply = await d.request!(queue, jsonMessage(REQUEST, id, id), { timeout: 5000 });
      return decodeJson(reply.body);
    },
    close: () => broker.close(),
  };
}

async function sluice(queue: string): Promise<RpcArm> {
  const broker = rabbitmq({ url, logLevel: "error" });
  broker.subscriber(queue, { queue: { name: queue, durable: false, autoDelete: true } })
    .handle((body) => ({ ok: true, id: (body as { id: number }).id }));
  await broker.start();
  return {
    trip: async () => (await broker.request(REQUEST, queue, { timeout: 5000 })).body,
    close: () => broker.close(),
  };
}

const arms: Record<string, (queue: string) => Promise<RpcArm>> = {
  raw: (queue) => raw(queue),
  "raw-wire": (queue) => raw(queue, true),
  driver,
  sluice,
};
await runRpc(arm, count, (name, tag) => (arms[name] ?? sluice)(`bench_rpc_${tag}`));
