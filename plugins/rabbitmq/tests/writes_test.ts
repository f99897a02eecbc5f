// amqplib calls the socket's write() once per frame; the plugin corks the socket around each pass of
// amqplib's muxer, so that the frames written in one turn of the event loop reach the socket in one write.
// Counted at the socket's own write functions, on a real connection: if an amqplib upgrade changes the
// private shape the plugin relies on, this fails instead of the gain going silently.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { coalesceWrites } from "../_writes.ts";
import { realUrl, unique } from "./_targets.ts";

interface Socket {
  _write?: (...args: unknown[]) => unknown;
  _writev?: (...args: unknown[]) => unknown;
}

/** Counts the calls of the socket's write functions. */
function countWrites(socket: Socket): { readonly calls: number } {
  const counter = { calls: 0 };
  for (const name of ["_write", "_writev"] as const) {
    const original = socket[name];
    if (typeof original !== "function") continue;
    socket[name] = function (this: unknown, ...args: unknown[]) {
      counter.calls++;
      return original.apply(this, args);
    };
  }
  return counter;
}

describe("socket writes (real)", { skip: realUrl ? false : "no real RabbitMQ" }, () => {
  it("sends 50 publishes made in one turn in one or two writes to the socket, not 50", async () => {
    const model = await amqp.connect(realUrl!);
    try {
      coalesceWrites(model);
      const channel = await model.createConfirmChannel();
      const queue = unique("writes.");
      await channel.assertQueue(queue, { durable: false, autoDelete: true });
      const socket = (model as unknown as { connection: { stream: Socket } }).connection.stream;
      const counter = countWrites(socket);
      const confirmed: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        confirmed.push(
          new Promise((resolve, reject) =>
            channel.publish(
              "",
              queue,
              Buffer.from(`m${i}`),
              {},
              (error) => (error ? reject(error) : resolve()),
            )
          ),
        );
      }
      await Promise.all(confirmed);
      // 1 under Deno and Node 24, 2 under Bun; 50 without the cork under all three.
      assert.ok(counter.calls <= 2, `${counter.calls} socket writes for 50 frames`);
      assert.equal((await channel.checkQueue(queue)).messageCount, 50);
      await channel.deleteQueue(queue);
    } finally {
      await model.close();
    }
  });
});
