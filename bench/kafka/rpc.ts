// Request/reply latency on Kafka; prints one JSON line with p50 and p99.
//   <runtime> bench/kafka/rpc.ts <raw|raw-wire|driver|sluice> [count]
//   <runtime> bench/kafka/rpc.ts raw,raw-wire,driver,sluice [count]
// one arm in a fresh process, or the arms named side by side in one (paired: bench/_rpc.ts).
// `count` sequential round trips of a ~100-byte JSON request answered with a small JSON reply, responder and
// requester in this process (after untimed ones, 20,000 or the count and up to 5 s; bench/_rpc.ts), as the
// plugin's `request()` works: the request carries the headers `reply_to` (a one-partition reply topic the
// requester consumes with a group of its own) and `correlation_id`, which the reply echoes. Each arm has a
// request topic of its own, new, one partition, made before its warm-up. Every arm: kafkajs, acks=-1, fetches
// waiting at most 1 s (the plugin's defaults); a fetch returns as soon as a record arrives.
//   raw       kafkajs: one producer, a responder consumer that decodes the request and sends the reply, a
//             reply consumer that matches replies by correlation id
//   raw-wire  raw, with what Sluice's wire convention adds to both records: a `message_id` header (a UUID; the
//             plugin writes the publisher's message id, where FastStream makes one up from the offset on
//             receipt) — what the convention costs kafkajs and the broker, apart from Sluice's code
//   driver    the plugin's driver alone (no core): a subscription (prefetch 1, from `earliest`, as Sluice's
//             subscriber) whose deliver decodes the request and publishes the reply, then acks; a reply
//             subscription made as the core makes its own, matching replies by correlation id
//   sluice    broker.request() to a subscriber (from `earliest`) whose handler returns the reply
import process from "node:process";
import { Buffer } from "node:buffer";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { kafka } from "@sluice/kafka";
import { answerWith, decodeJson, jsonMessage, REQUEST, rpcArguments, type RpcArm, runRpc } from "../_rpc.ts";

const { arm, count } = rpcArguments();
const url = process.env.SLUICE_KAFKA_URL ?? "kafka://127.0.0.1:9092";
const brokers = url.replace(/^kafka:\/\//, "").split(",");
const suffix = Math.random().toString(36).slice(2, 7);
const client = new Kafka({ clientId: "sluice-bench", brokers, logLevel: logLevel.NOTHING });
const admin = client.admin();
await admin.connect();

/** An arm's request topic and reply topic (`sluice` makes its own reply topic), and their removal. */
async function topics(tag: string, ownReplies: boolean) {
  const topic = `bench-rpc-${tag}-${suffix}`;
  const replies = `${topic}-replies`;
  const made = ownReplies ? [topic, replies] : [topic];
  await admin.createTopics({
    topics: made.map((name) => ({ topic: name, numPartitions: 1 })),
    waitForLeaders: true,
  });
  const remove = () => admin.deleteTopics({ topics: made }).then(() => undefined, () => undefined);
  return { topic, replies, remove };
}

async function raw(tag: string, wire: boolean): Promise<RpcArm> {
  const { topic, replies, remove } = await topics(tag, true);
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const headers = (id: string): Record<string, string> =>
    wire
      ? { "content-type": "application/json", correlation_id: id, message_id: crypto.randomUUID() }
      : { "content-type": "application/json", correlation_id: id };
  const responder = client.consumer({ groupId: topic, maxWaitTimeInMs: 1000 });
  await responder.connect();
  await responder.subscribe({ topics: [topic], fromBeginning: true });
  await responder.run({
    eachMessage: async ({ message }) => {
      const body = JSON.parse(message.value!.toString()) as { id: number };
      await producer.send({
        topic: String(message.headers!["reply_to"]),
        acks: -1,
        messages: [{
          value: Buffer.from(JSON.stringify({ ok: true, id: body.id })),
          headers: headers(String(message.headers!["correlation_id"])),
        }],
      });
    },
  });
  const pending = new Map<string, (reply: unknown) => void>();
  const requester = client.consumer({ groupId: replies, maxWaitTimeInMs: 1000 });
  await requester.connect();
  await requester.subscribe({ topics: [replies], fromBeginning: true });
  await requester.run({
    eachMessage: ({ message }) => {
      pending.get(String(message.headers!["correlation_id"]))?.(JSON.parse(message.value!.toString()));
      return Promise.resolve();
    },
  });
  return {
    trip: async () => {
      const id = crypto.randomUUID();
      const reply = new Promise((resolve) => pending.set(id, resolve)).finally(() => pending.delete(id));
      await producer.send({
        topic,
        acks: -1,
        messages: [{
          value: Buffer.from(JSON.stringify(REQUEST)),
          headers: { ...headers(id), reply_to: replies },
        }],
      });
      return await reply;
    },
    close: async () => {
      await Promise.all([responder.disconnect(), requester.disconnect(), producer.disconnect()]);
      await remove();
    },
  };
}

async function driver(tag: string): Promise<RpcArm> {
  const { topic, replies, remove } = await topics(tag, true);
  const broker = kafka({ brokers, logLevel: "error" });
  await broker.connect();
  const d = broker.driver;
  await d.subscribe(
    { channel: topic, template: topic, prefetch: 1, options: { from: "earliest" } },
    answerWith(d),
  );
  const pending = new Map<string, (reply: unknown) => void>();
  await d.subscribe(
    { channel: replies, template: replies, prefetch: 1024, reply: true, options: {} },
    (m) => {
      pending.get(m.correlationId!)?.(decodeJson(m.body));
      return m.ack();
    },
  );
  return {
    trip: async () => {
      const id = crypto.randomUUID();
      const reply = new Promise((resolve) => pending.set(id, resolve)).finally(() => pending.delete(id));
      await d.publish(topic, { ...jsonMessage(REQUEST, id, id), replyTo: replies }, {});
      return await reply;
    },
    close: async () => {
      await broker.close();
      await remove();
    },
  };
}

async function sluice(tag: string): Promise<RpcArm> {
  const { topic, remove } = await topics(tag, false);
  const broker = kafka({ brokers, logLevel: "error" });
  broker.subscriber(topic, { from: "earliest" })
    .handle((body) => ({ ok: true, id: (body as { id: number }).id }));
  await broker.start();
  return {
    // The first request waits for the reply topic's consumer to join its group.
    trip: async () => (await broker.request(REQUEST, topic, { timeout: 30_000 })).body,
    close: async () => {
      await broker.close();
      await remove();
    },
  };
}

const arms: Record<string, (tag: string) => Promise<RpcArm>> = {
  raw: (tag) => raw(tag, false),
  "raw-wire": (tag) => raw(tag, true),
  driver,
  sluice,
};
await runRpc(arm, count, (name, tag) => (arms[name] ?? sluice)(tag));
