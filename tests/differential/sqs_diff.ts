/**
 * Differential test of the SQS emulation against a real SQS server (ElasticMQ): generated queue names (FIFO
 * and standard, legal and not), FIFO message groups with many visible messages received in batches by
 * subscribers of every prefetch, and publishes with and without group and de-duplication ids, run through
 * both. A publish must be refused alike; every group must arrive in order, complete, with as many of its
 * messages in flight at once as SQS hands out in one receive.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Driver, IncomingMessage } from "@sluice/core";
import { sqsDriver, sqsEmulation } from "@sluice/sqs";
import { DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { realBroker } from "../_support/brokers.ts";
import { check } from "./_budget.ts";
import { quietContext, refusal } from "./_routing.ts";

const sqs = await realBroker("sqs");
const run = `ds${Date.now().toString(36)}`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const batchCase = fc.record({
  prefetch: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(10)),
  groups: fc.array(fc.constantFrom("g1", "g2", "g3", "G1", "g-1!"), { minLength: 1, maxLength: 14 }),
  dedupe: fc.boolean(),
});

const nameCase = fc.record({
  name: fc.oneof(
    fc.stringMatching(/^[a-zA-Z0-9_-]{1,10}$/).map((n) => `${run}${n}`),
    fc.constantFrom("", "a b", "é", "a.b", ".fifo", "x".repeat(81), "y".repeat(75) + ".fifo", "a/b"),
  ),
  fifo: fc.boolean(),
  groupId: fc.option(fc.constantFrom("g", "", "a b", "é", "x".repeat(129)), { nil: undefined }),
  deduplicationId: fc.option(fc.constantFrom("d", "", "é", "x".repeat(129)), { nil: undefined }),
  delaySeconds: fc.option(fc.constantFrom(0, 1, 900, 901, -1), { nil: undefined }),
});

interface Received {
  readonly perGroup: Record<string, number[]>;
  readonly concurrency: Record<string, number>;
}

async function consume(
  driver: Driver<unknown, unknown>,
  queue: string,
  groups: readonly string[],
  prefetch: number,
  dedupe: boolean,
): Promise<Received> {
  for (const [index, groupId] of groups.entries()) {
    await driver.publish(queue, {
      body: encoder.encode(String(index)),
      headers: {},
      contentType: "text/plain",
      messageId: `m${index}`,
    }, { groupId, ...(dedupe ? { deduplicationId: `${queue}-${index}` } : {}) });
  }
  const perGroup: Record<string, number[]> = {};
  const concurrency: Record<string, number> = {};
  const inFlight = new Map<string, number>();
  let done = 0;
  const handle = await driver.subscribe(
    { channel: queue, template: queue, prefetch, options: { waitTimeSeconds: 1 } },
    async (message: IncomingMessage) => {
      const group = message.key ?? "";
      const now = (inFlight.get(group) ?? 0) + 1;
      inFlight.set(group, now);
      concurrency[group] = Math.max(concurrency[group] ?? 0, now);
      (perGroup[group] ??= []).push(Number(decoder.decode(message.body)));
      await new Promise((resolve) => setTimeout(resolve, 25));
      inFlight.set(group, inFlight.get(group)! - 1);
      done++;
      await message.ack();
    },
  );
  const end = Date.now() + 15_000;
  while (done < groups.length && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5));
  await handle.stop();
  return { perGroup, concurrency };
}

describe("SQS emulation matches an SQS server", { skip: sqs ? false : "no real SQS" }, () => {
  let real: Driver<unknown, unknown>;
  let client: SQSClient;
  const endpoint = () => sqs!.url.replace(/^sqs:\/\//, "http://");
  const created = new Set<string>();
  before(async () => {
    real = sqsDriver({ url: sqs!.url }) as Driver<unknown, unknown>;
    await real.connect(quietContext);
    client = new SQSClient({
      endpoint: endpoint(),
      region: "elasticmq",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
  });
  after(async () => {
    await real?.close();
    for (const name of created) {
      const url = await client.send(new GetQueueUrlCommand({ QueueName: name })).catch(() => undefined);
      if (url?.QueueUrl) {
        await client.send(new DeleteQueueCommand({ QueueUrl: url.QueueUrl })).catch(() => undefined);
      }
    }
    client?.destroy();
    await sqs?.stop();
  });

  it("hands out FIFO groups in batches, in order, as the server does", async () => {
    let n = 0;
    await check("sqs fifo batches", batchCase, async (generated) => {
      const queue = `${run}b${++n}.fifo`;
      const emulation = sqsEmulation({
        queues: { [queue]: { contentBasedDeduplication: !generated.dedupe } },
      });
      await emulation.connect(quietContext);
      const emulated = await consume(
        emulation as Driver<unknown, unknown>,
        queue,
        generated.groups,
        generated.prefetch,
        generated.dedupe,
      );
      await emulation.close();
      created.add(queue);
      const realWithQueue = sqsDriver({
        url: sqs!.url,
        queues: { [queue]: { contentBasedDeduplication: !generated.dedupe } },
      });
      await realWithQueue.connect(quietContext);
      try {
        const observed = await consume(
          realWithQueue as Driver<unknown, unknown>,
          queue,
          generated.groups,
          generated.prefetch,
          generated.dedupe,
        );
        // How many of a group are in flight together depends on how many messages each receive asks for and
        // on the server's choice of batch (SQS documents only that it prefers one group). With a prefetch of
        // exactly 10 the driver runs one receiver asking for 10, and whether a group had several messages in
        // flight at once is compared; above 10 several receivers race for one group.
        const compared = (r: Received) =>
          generated.prefetch === 10
            ? { perGroup: r.perGroup, together: Object.values(r.concurrency).some((c) => c > 1) }
            : { perGroup: r.perGroup };
        assert.deepEqual(
          compared(emulated),
          compared(observed),
          "emulation (actual) and SQS (expected) differ",
        );
      } finally {
        await realWithQueue.close();
      }
    }, 120);
  });

  it("accepts and refuses generated queue names and publish options alike", async () => {
    await check("sqs names and options", nameCase, async (generated) => {
      const name = generated.fifo && !generated.name.endsWith(".fifo")
        ? `${generated.name}.fifo`
        : generated.name;
      const options = {
        ...(generated.groupId === undefined ? {} : { groupId: generated.groupId }),
        ...(generated.deduplicationId === undefined ? {} : { deduplicationId: generated.deduplicationId }),
        ...(generated.delaySeconds === undefined ? {} : { delaySeconds: generated.delaySeconds }),
      };
      const outcome = async (driver: Driver<unknown, unknown>) => {
        try {
          await driver.publish(
            name,
            { body: encoder.encode("1"), headers: {}, contentType: "text/plain" },
            options,
          );
          return "ok";
        } catch (error) {
          return refusal(error);
        }
      };
      const emulation = sqsEmulation();
      await emulation.connect(quietContext);
      const emulated = await outcome(emulation as Driver<unknown, unknown>);
      await emulation.close();
      const observed = await outcome(real);
      if (observed === "ok") created.add(name);
      assert.equal(emulated, observed, `publish to ${JSON.stringify(name)} with ${JSON.stringify(options)}`);
    }, 380);
  });
});
