// SIGTERM with messages in flight: `sluice run` consumes 60 messages with a 400 ms handler, four at a time,
// and gets SIGTERM once some are done and others are in its handler. It must start no new message after the
// signal, finish the ones in flight, acknowledge them, and exit 0; a consumer started afterwards in the same
// group must get every message the first did not handle, and none it did (0 redelivered).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { silentLogger } from "@sluice/core";
import { realBroker } from "../_support/brokers.ts";
import { startConsumer } from "./_child.ts";
import { Deliveries, sleep, until, waitFor } from "./_flow.ts";
import { record } from "./_results.ts";
import { selected, type TargetName, unique } from "./_targets.ts";

const TOTAL = 60;
const DELAY = 400;
const CONCURRENCY = 4;
/** Milliseconds after which a broker would hand an unacknowledged message to another consumer. */
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
  describe(`SIGTERM with messages in flight: ${target.label}`, {
    skip: real ? false : `no real ${target.broker}`,
  }, () => {
    after(() => real?.stop());

    it("finishes and acknowledges what is in flight, takes nothing new, exits 0", {
      timeout: 120_000,
    }, async () => {
      const channel = target.channel(unique("term"));
      const group = unique("term");
      const settings = { channel, group, concurrency: CONCURRENCY, redeliverAfter: REDELIVER };
      const first = await startConsumer(target, { ...settings, url: real!.url, delay: DELAY });
      const publisher = target.connect(real!.url, { logger: silentLogger });
      const second = target.connect(real!.url, { logger: silentLogger });
      try {
        await publisher.connect();
        for (let id = 0; id < TOTAL; id++) await publisher.publish(id, channel, target.publish);
        await until(
          () => {
            const { done, unfinished } = first.handled();
            return done.size >= 8 && unfinished.length > 0;
          },
          60_000,
          "messages done and in flight",
        );
        const signalledAt = Date.now();
        process.kill(first.process.pid, "SIGTERM");
        const atSignal = first.handled();
        const exit = await first.process.finished;
        const stoppedIn = Date.now() - signalledAt;
        const byFirst = first.handled();

        const deliveries = new Deliveries();
        second.subscriber(channel, target.subscriber(channel, settings))
          .handle((id) => deliveries.add(id as number));
        await second.start();
        const ids = [...Array(TOTAL).keys()];
        await waitFor(() => ids.every((id) => byFirst.done.has(id) || deliveries.has(id)), 60_000);
        // A message the first did not acknowledge would come back within REDELIVER ms (Kafka: at once, from
        // the last commit).
        await sleep(REDELIVER + 1500);

        // A handler started after the signal took a new message (a few ms of grace for the signal's delivery).
        const startedAfter = [...byFirst.started].filter(([id, at]) =>
          at > signalledAt + 50 && !atSignal.started.has(id)
        );
        const figures = {
          broker: target.label,
          published: TOTAL,
          inFlightAtSignal: atSignal.unfinished.length,
          startedAfterSignal: startedAfter.length,
          finishedAfterSignal: atSignal.unfinished.filter((id) => byFirst.done.has(id)).length,
          unfinishedAtExit: byFirst.unfinished.length,
          exitCode: exit.code,
          exitSignal: exit.signal,
          stoppedInMs: stoppedIn,
          handledByFirst: byFirst.done.size,
          handledAfterRestart: deliveries.distinct,
          redelivered: ids.filter((id) => byFirst.done.has(id) && deliveries.has(id)).length,
          lost: ids.filter((id) => !byFirst.done.has(id) && !deliveries.has(id)).length,
        };
        record("sigterm", target.name, figures);
        const summary = `${JSON.stringify(figures)}\n${exit.stderr.slice(-2000)}`;
        assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, summary);
        assert.equal(figures.unfinishedAtExit, 0, `in-flight handlers finished: ${summary}`);
        assert.equal(figures.startedAfterSignal, 0, `nothing new taken after the signal: ${summary}`);
        assert.equal(figures.redelivered, 0, `redelivered after the restart: ${summary}`);
        assert.equal(figures.lost, 0, `lost: ${summary}`);
        assert.ok(figures.inFlightAtSignal > 0, summary);
      } finally {
        first.dispose();
        await publisher.close();
        await second.close();
      }
    });
  });
}
