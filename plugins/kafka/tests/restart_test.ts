// A broker restart while records flow: the subscriber and the publisher recover, nothing is lost, and the
// outage is logged. It restarts the shared Kafka with `scripts/brokers down/up kafka`, so it runs only
// with SLUICE_KAFKA_RESTART=1 (and a real broker); otherwise it skips with a loud line.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { exec } from "node:child_process";
import { promisify } from "node:util";
import { createLogger } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";
import { kafka } from "../mod.ts";
import { testConsumer, unique, until } from "./_helpers.ts";

const url = process.env.SLUICE_KAFKA_URL;
const enabled = url !== undefined && process.env.SLUICE_KAFKA_RESTART === "1";
if (!enabled) {
  console.warn("SKIP: kafka restart test: set SLUICE_KAFKA_RESTART=1 (it restarts the local Kafka)");
}

describe("kafka broker restart", { skip: enabled ? false : "SLUICE_KAFKA_RESTART is not 1" }, () => {
  it(
    "keeps consuming and publishing across a broker restart, losing nothing",
    { timeout: 180_000 },
    async () => {
      const logs = captureLogs();
      const broker = kafka({
        brokers: url,
        consumer: testConsumer,
        retries: 10,
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
            await broker.publish(i, topic);
            sent++;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        })();
        await until(() => seen.size >= 5, 20_000, "records before the restart");
        await promisify(exec)("scripts/brokers down kafka && scripts/brokers up kafka");
        await publishing;
        await until(() => seen.size === 60, 60_000, "every record after the restart");
        assert.deepEqual(failures, []);
        assert.equal(sent, 60);
        assert.ok(logs.find("warn", "ECONNREFUSED").length > 0, "the outage is logged");
      } finally {
        await broker.close();
      }
    },
  );
});
