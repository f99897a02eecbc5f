/**
 * The same work, hot and cold: how long decoding a ~100-byte JSON request takes inside the responder of
 * sequential round trips, where the process sleeps between messages, against the same decoding of the same
 * bytes in a loop. Not a bench of the runner: it shows why an RPC round trip costs far more CPU than its
 * code's cost in a loop says (bench/README.md, "After the run on `e678575`").
 *
 *   <runtime> bench/rabbitmq/cold.ts [raw|driver] [round trips]
 *
 *   raw     an amqplib responder (the RPC bench's `raw-wire` arm's)
 *   driver  the plugin's driver alone, as the RPC bench's `driver` arm
 *
 * Prints the mean µs of `JSON.parse(decoder.decode(body))` both ways.
 *
 * @module
 */

import process from "node:process";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { rabbitmq } from "@sluice/rabbitmq";
import { jsonMessage, REQUEST } from "../_rpc.ts";

const [arm = "raw", countText = "5000"] = process.argv.slice(2);
const count = Number(countText);
const url = process.env.SLUICE_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const queue = `bench_cold_${process.pid}`;
const decoder = new TextDecoder();
let cold = 0;
let last: Uint8Array = new Uint8Array();

/** Decodes a request's body, timing it; the responder's reply carries its id. */
function decode(body: Uint8Array): number {
  const start = performance.now();
  const { id } = JSON.parse(decoder.decode(body)) as { id: number };
  cold += performance.now() - start;
  last = body;
  return id;
}

const broker = rabbitmq({ url, logLevel: "error" });
await broker.connect();
const driver = broker.driver;
const declared = { durable: false, autoDelete: true };
// The raw responder's own connection; the driver arm answers on the broker's.
let closeResponder = (): Promise<void> => Promise.resolve();
if (arm === "raw") {
  const connection = await amqp.connect(url, { noDelay: true });
  closeResponder = () => connection.close();
  const responder = await connection.createChannel();
  await responder.prefetch(1);
  const replies = await connection.createConfirmChannel();
  await responder.assertQueue(queue, declared);
  await responder.bindQueue(queue, "amq.topic", queue);
  await responder.consume(queue, (m) => {
    if (!m) return;
    const reply = Buffer.from(JSON.stringify({ ok: true, id: decode(m.content) }));
    replies.publish(
      "",
      m.properties.replyTo,
      reply,
      { correlationId: m.properties.correlationId },
      (error) => {
        if (!error) responder.ack(m);
      },
    );
  });
} else {
  await driver.subscribe(
    { channel: queue, template: queue, prefetch: 1, options: { queue: { name: queue, ...declared } } },
    async (m) => {
      const reply = jsonMessage({ ok: true, id: decode(m.body) }, m.correlationId, crypto.randomUUID());
      await driver.publish(m.replyTo!, reply, {});
      await m.ack();
    },
  );
}
for (let i = 0; i < count; i++) {
  const id = crypto.randomUUID();
  await driver.request!(queue, jsonMessage(REQUEST, id, id), { timeout: 5000 });
}
const start = performance.now();
for (let i = 0; i < count; i++) JSON.parse(decoder.decode(last));
const hot = (performance.now() - start) / count;
console.log(
  `${arm}: decoding in the responder ${(cold / count * 1000).toFixed(2)} µs, ` +
    `in a loop ${(hot * 1000).toFixed(2)} µs`,
);
await closeResponder();
await broker.close();
process.exit(0);
