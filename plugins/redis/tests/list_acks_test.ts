// The acks of a reliable list consumer, on the real server: those of one turn of the event loop leave
// together, yet each message leaves the processing list only once settled, each ack resolves only after Redis
// removed its message, and a close right after acks does not return acked messages to the queue.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, type IncomingMessage } from "@sluice/core";
import { ListConsumer } from "../_list.ts";
import { raw, server, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

const logger = createLogger({ level: "error" });

/** A reliable consumer of `key` named `name`, handing each message to `deliver`. */
function consumer(
  key: string,
  name: string,
  deliver: (message: IncomingMessage) => Promise<void>,
): { consumer: ListConsumer; commands: ReturnType<typeof raw>; blocking: ReturnType<typeof raw> } {
  const commands = raw();
  const blocking = raw();
  return {
    consumer: new ListConsumer(commands, blocking, key, { consumer: name }, 16, deliver, logger),
    commands,
    blocking,
  };
}

describe("redis list acks (real)", { skip: server ? false : "no real redis" }, () => {
  it("removes one entry per ack, only for settled messages, even when their bytes are the same", async () => {
    const key = unique("acks-same");
    const client = raw();
    // Six identical messages: an LREM that removed every copy would empty the processing list too early.
    await client.rpush(key, "same", "same", "same", "same", "same", "same");
    const held: IncomingMessage[] = [];
    let delivered = 0;
    const { consumer: list, commands } = consumer(key, "w1", async (message) => {
      delivered++;
      if (held.length < 2) held.push(message);
      else await message.ack();
    });
    try {
      await list.start();
      await until(() => delivered === 6, "six deliveries");
      await until(async () => (await client.llen(list.processing)) === 2, "two held messages in processing");
      await held[0]!.ack();
      assert.equal(await client.llen(list.processing), 1, "an ack resolves after Redis removed its message");
      await held[1]!.reject();
      assert.equal(await client.llen(list.processing), 0);
      await list.close();
      assert.equal(await client.llen(key), 0, "nothing returned to the queue");
    } finally {
      await list.close();
      await client.del(key, list.processing);
      client.disconnect();
      commands.disconnect();
    }
  });

  it("resolves each ack of a batch only once Redis removed its message", async () => {
    const key = unique("acks-batch");
    const client = raw();
    await client.rpush(key, ...Array.from({ length: 12 }, (_, i) => `m${i}`));
    const checks: Promise<string | undefined>[] = [];
    const { consumer: list, commands } = consumer(key, "w1", (message) => {
      const body = new TextDecoder().decode(message.body);
      const ack = message.ack();
      // Once the ack resolved, the message must be gone from the processing list.
      checks.push(ack.then(async () => {
        const left = await client.lrange(list.processing, 0, -1);
        return left.includes(body) ? body : undefined;
      }));
      return ack;
    });
    try {
      await list.start();
      await until(() => checks.length === 12, "twelve deliveries");
      assert.deepEqual((await Promise.all(checks)).filter(Boolean), [], "acked yet still in processing");
      assert.equal(await client.llen(list.processing), 0);
    } finally {
      await list.close();
      await client.del(key, list.processing);
      client.disconnect();
      commands.disconnect();
    }
  });

  it("sends the acks of the turn before a close returns what is left to the queue", async () => {
    const key = unique("acks-close");
    const client = raw();
    await client.rpush(key, ...Array.from({ length: 8 }, (_, i) => `m${i}`));
    let delivered = 0;
    let closed: Promise<void> | undefined;
    const { consumer: list, commands } = consumer(key, "w1", (message) => {
      const ack = message.ack();
      // The close starts in the very turn of the last ack, before its removal went out.
      if (++delivered === 8) closed = list.close();
      return ack.catch(() => undefined);
    });
    try {
      await list.start();
      await until(() => closed !== undefined, "eight deliveries and a close");
      await closed;
      assert.equal(await client.llen(list.processing), 0);
      assert.equal(await client.llen(key), 0, "no acked message went back to the queue");
    } finally {
      await list.close();
      await client.del(key, list.processing);
      client.disconnect();
      commands.disconnect();
    }
  });
});
