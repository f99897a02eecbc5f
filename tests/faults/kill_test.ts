// A consumer process killed with SIGKILL mid-stream: `sluice run` consumes 300 messages with a slow handler
// and is killed once about a third are handled; a second consumer of the same group then gets every message
// the first had not acknowledged, those in its handler at the kill included: 0 lost. Messages handled just
// before the kill and not yet acknowledged come again (counted as duplicates). On the shared brokers: only
// the consumer dies.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "@sluice/core";
import { realBroker } from "../_support/brokers.ts";
import { startConsumer } from "./_child.ts";
import { Deliveries, ms, sleep, until, waitFor } from "./_flow.ts";
import { record } from "./_results.ts";
import { selected, type TargetName, unique } from "./_targets.ts";

const TOTAL = 300;
const KILL_AFTER = 100;
/** Milliseconds after which a dead consumer's messages go to another (Kafka: its session timeout, 6 s). */
const REDELIVER = 2000;

const NAMES: readonly TargetName[] = [
  "redis-stream",
  "redis-list",
  "nats-jetstream",
  "mqtt-qos1",
  "rabbitmq",
  "kafka",
  "sqs",
];

for (const target of selected(NAMES)) {
  const real = await realBroker(target.broker);
  describe(
    `consumer killed mid-stream: ${target.label}`,
    { skip: real ? false : `no real ${target.broker}` },
    () => {
      after(() => real?.stop());

      it(
        "hands every unacknowledged message to the next consumer, losing none",
        { timeout: 120_000 },
        async () => {
          const channel = target.channel(unique("kill"));
          const group = unique("kill");
          const settings = { channel, group, concurrency: 5, redeliverAfter: REDELIVER };
          const first = await startConsumer(target, { ...settings, url: real!.url, delay: 40 });
          const publisher = target.connect(real!.url, { logger: silentLogger });
          const second = target.connect(real!.url, { logger: silentLogger });
          try {
            await publisher.connect();
            for (let id = 0; id < TOTAL; id++) await publisher.publish(id, channel, target.publish);
            await until(() => first.handled().done.size >= KILL_AFTER, 60_000, `${KILL_AFTER} handled`);
            first.process.kill();
            const killedAt = performance.now();
            const { signal } = await first.process.finished;
            assert.equal(signal, "SIGKILL");
            const before = first.handled();

            const deliveries = new Deliveries();
            second.subscriber(channel, target.subscriber(channel, settings))
              .handle((id) => deliveries.add(id as number));
            await second.start();
            const ids = [...Array(TOTAL).keys()];
            const inFlight = before.unfinished;
            await waitFor(() => ids.every((id) => before.done.has(id) || deliveries.has(id)), 60_000);
            const redeliveredAt = Math.max(...inFlight.map((id) => deliveries.timeOf(id) ?? Infinity));
            // Messages handled but not acknowledged before the kill come later, once their turn comes.
            await sleep(1000);

            const figures = {
              broker: target.label,
              published: TOTAL,
              handledBeforeKill: before.done.size,
              inFlightAtKill: inFlight.length,
              inFlightRedelivered: inFlight.filter((id) => deliveries.has(id)).length,
              handledAfterKill: deliveries.distinct,
              lost: ids.filter((id) => !before.done.has(id) && !deliveries.has(id)).length,
              duplicates: ids.filter((id) => before.done.has(id) && deliveries.has(id)).length +
                deliveries.duplicates,
              redeliveredAfterMs: inFlight.length ? ms(redeliveredAt - killedAt) : null,
            };
            record("kill", target.name, figures);
            const summary = JSON.stringify(figures);
            assert.equal(figures.lost, 0, `lost: ${summary}`);
            assert.equal(
              figures.inFlightRedelivered,
              figures.inFlightAtKill,
              `in flight at the kill: ${summary}`,
            );
            assert.ok(figures.handledBeforeKill < TOTAL, `killed mid-stream: ${summary}`);
          } finally {
            first.dispose();
            await publisher.close();
            await second.close();
          }
        },
      );
    },
  );
}
