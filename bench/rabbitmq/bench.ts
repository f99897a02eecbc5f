// One benchmark run in a fresh process; prints one JSON line.
//   <runtime> bench/rabbitmq/bench.ts <raw|sluice> <drain|publish> [count] [window]
// drain: a queue pre-filled (untimed) with `count` JSON messages of ~100 bytes is drained by a consumer with
//   prefetch `window` that decodes each body and acks it after the handler; timed from start to the last one.
// publish: `count` confirmed publishes of the same message (JSON-encoded each time, with content type,
//   message id, correlation id and timestamp, as Sluice sends them) with at most `window` unconfirmed.
// Both arms: amqplib 2.x, one connection, non-persistent messages to a non-durable queue.
// To profile the timed drain alone: `fill` leaves a filled queue named by SLUICE_BENCH_QUEUE, and a drain with
// that variable set drains it without filling (and deletes it after).
import process from "node:process";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { createLogger } from "@sluice/core";
import { rabbitmq, rabbitmqDriver } from "@sluice/rabbitmq";
import { begin, cpuPerMessage, end, rssMiB, runtimeName } from "../_measure.ts";

const [arm = "raw", workload = "drain", countArg = "100000", windowArg = "256"] = process.argv.slice(2);
const count = Number(countArg);
const window = Number(windowArg);
const url = process.env.SLUICE_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const named = process.env.SLUICE_BENCH_QUEUE;
const queue = named ?? `bench_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const payload = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};

const connection = await amqp.connect(url);
const setup = await connection.createConfirmChannel();
await setup.assertQueue(queue, { durable: false, autoDelete: false });
await setup.bindQueue(queue, "amq.topic", queue);

async function windowed(n: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p = send(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

function rawPublish(channel: amqp.ConfirmChannel, exchange: string, key: string): Promise<void> {
  const id = crypto.randomUUID();
  return new Promise<void>((resolve, reject) => {
    channel.publish(exchange, key, Buffer.from(JSON.stringify(payload)), {
      contentType: "application/json",
      messageId: id,
      correlationId: id,
      headers: {},
      deliveryMode: 1,
      timestamp: Math.floor(Date.now() / 1000),
    }, (error) => (error ? reject(error) : resolve()));
  });
}

let elapsed = 0;
try {
  if (workload === "fill") {
    await windowed(count, () => rawPublish(setup, "", queue));
  } else if (workload === "drain") {
    if (named === undefined) await windowed(count, () => rawPublish(setup, "", queue));
    if (arm === "raw") {
      const channel = await connection.createChannel();
      await channel.prefetch(window);
      let seen = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const start = begin();
      await channel.consume(queue, (m) => {
        if (!m) return;
        if (m.properties.contentType === "application/json") JSON.parse(m.content.toString());
        channel.ack(m);
        if (++seen === count) done();
      });
      await finished;
      elapsed = end() - start;
    } else if (arm === "driver") {
      // The plugin's driver without the core: where the time goes between raw and sluice.
      const driver = rabbitmqDriver({ url });
      await driver.connect({ logger: createLogger({ level: "warn" }) });
      let seen = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const decoder = new TextDecoder();
      const start = begin();
      await driver.subscribe({
        channel: queue,
        template: queue,
        prefetch: window,
        options: { exchange: "", queue: { name: queue, durable: false } },
      }, async (m) => {
        if (m.contentType === "application/json") JSON.parse(decoder.decode(m.body));
        await m.ack();
        if (++seen === count) done();
      });
      await finished;
      elapsed = end() - start;
      await driver.close();
    } else {
      const broker = rabbitmq({ url, logLevel: "warn" });
      let seen = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      broker.subscriber(queue, { exchange: "", queue: { name: queue, durable: false }, prefetch: window })
        .handle(() => {
          if (++seen === count) done();
        });
      await broker.connect(); // like the raw arm, connected before the clock starts
      const start = begin();
      await broker.start();
      await finished;
      elapsed = end() - start;
      await broker.close();
    }
  } else if (arm === "driver") {
    const driver = rabbitmqDriver({ url, publishWindow: window });
    await driver.connect({ logger: createLogger({ level: "warn" }) });
    const encoder = new TextEncoder();
    const start = begin();
    await windowed(count, () => {
      const id = crypto.randomUUID();
      return driver.publish(queue, {
        body: encoder.encode(JSON.stringify(payload)),
        headers: {},
        contentType: "application/json",
        messageId: id,
        correlationId: id,
      }, { persistent: false });
    });
    elapsed = end() - start;
    await driver.close();
  } else if (arm === "raw") {
    const channel = await connection.createConfirmChannel();
    const start = begin();
    await windowed(count, () => rawPublish(channel, "amq.topic", queue));
    elapsed = end() - start;
  } else {
    const broker = rabbitmq({ url, logLevel: "warn", publishWindow: window });
    await broker.connect();
    const start = begin();
    await windowed(count, () => broker.publish(payload, queue, { persistent: false }));
    elapsed = end() - start;
    await broker.close();
  }
} finally {
  if (workload !== "fill") await setup.deleteQueue(queue).catch(() => undefined);
  await connection.close();
}

const runtime = runtimeName();
console.log(JSON.stringify({
  broker: "rabbitmq",
  arm,
  workload,
  runtime,
  count,
  window,
  ms: Math.round(elapsed),
  rate: Math.round(count / (elapsed / 1000)),
  cpu_us: cpuPerMessage(count),
  rss_mib: rssMiB(),
}));
