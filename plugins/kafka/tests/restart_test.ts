// A broker restart while records flow: the subscriber and the publisher recover, nothing is lost, no publish
// fails, and the outage is logged. It stops a private Kafka node of its own (tests/_support/private), never
// the shared one, for 8 s: longer than kafkajs's retries last with its NODE_ENV=test defaults, which
// `bun test` would otherwise bring in.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import { captureLogs } from "@sluice/core/testing";
import { type PrivateBroker, privateBroker, privateSkip } from "../../../tests/_support/private/mod.ts";
import { kafka } from "../mod.ts";
import { pause, testConsumer, unique, until } from "./_helpers.ts";

describe("kafka broker restart (private node)", { skip: privateSkip("kafka", "private Kafka node") }, () => {
  let node: PrivateBroker | undefined;
  before(async () => {
    node = await privateBroker("kafka");
  });
  after(() => node?.dispose());

  it(
    "keeps consuming and publishing across a broker restart, losing nothing",
    { timeout: 180_000 },
    async () => {
      const logs = captureLogs();
      const broker = kafka({
        brokers: node!.url,
        consumer: testConsumer,
        logger: createLogger({ level: "debug", sink: logs.sink }),
      });
      const topic = unique("restart");
      const seen = new Set<number>();
      broker.subscriber(topic, { group: topic, topic: { partitions: 1 } }).handle((n) =>
        void seen.add(n as number)
      );
      await broker.start();
      try {
        let sent = 0;
        const failures: string[] = [];
        const publishing = (async () => {
          for (let i = 0; i < 60; i++) {
            try {
              await broker.publish(i, topic);
              sent++;
            } catch (error) {
              failures.push(`${i}: ${describeError(error)}`);
            }
            await pause(250);
          }
        })();
        await until(() => seen.size >= 5, 20_000, "records before the restart");
        await node!.stop();
        await pause(8000);
        await node!.start();
        await publishing;
        assert.deepEqual(failures, []);
        await until(() => seen.size === 60, 60_000, "every record after the restart");
        assert.equal(sent, 60);
        assert.ok(logs.find("warn", "ECONNREFUSED").length > 0, "the outage is logged");
      } finally {
        await broker.close();
      }
    },
  );
});
