// A broker restarted while messages flow: a private broker of this test is stopped (SIGTERM, as an
// orchestrator stops it) and started again with its data while a publisher sends 2,000 numbered messages at a
// steady 250/s and a subscriber of another broker object consumes them. Every message whose publish resolved
// must be consumed (lost = 0); duplicates are counted, and so is what the publishes made during the outage
// did: wait for the broker, or fail with an error. None may hang.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import { captureLogs } from "@sluice/core/testing";
import {
  type PrivateBroker,
  privateBroker,
  type PrivateBrokerName,
  privateSkip,
} from "../_support/private/mod.ts";
import { type FaultTarget, selected, type TargetName, unique } from "./_targets.ts";
import { Deliveries, ms, sleep, waitFor } from "./_flow.ts";
import { record } from "./_results.ts";

const TOTAL = 2000;
const RATE = 250;
const RESTART_AFTER = 600;
/** How long the broker stays down at least. */
const DOWN = 1000;

const NAMES: readonly TargetName[] = [
  "redis-stream",
  "redis-list",
  "nats-jetstream",
  "mqtt-qos1",
  "rabbitmq",
  "kafka",
];

/** Runs the flow on `server`; returns the figures. */
async function restartMidStream(target: FaultTarget, server: PrivateBroker) {
  const logs = captureLogs();
  const logger = createLogger({ level: "debug", sink: logs.sink });
  const channel = target.channel(unique("restart"));
  const group = unique("restart");
  const deliveries = new Deliveries();
  const consumer = target.connect(server.url, { logger: logger.child({ side: "consumer" }) });
  consumer.subscriber(channel, target.subscriber(channel, { group, concurrency: 10 }))
    .handle((n) => deliveries.add(n as number));
  const publisher = target.connect(server.url, { logger: logger.child({ side: "publisher" }) });
  await consumer.start();
  await publisher.connect();

  const startedAt: number[] = [];
  const settledAt: number[] = [];
  const outcome: ("confirmed" | "failed" | undefined)[] = new Array(TOTAL);
  const errors = new Map<string, number>();
  let stoppedAt = Infinity;
  let readyAt = Infinity;
  let stoppedWall = Infinity;
  let restarting: Promise<void> = Promise.resolve();
  const t0 = performance.now();
  for (let i = 0; i < TOTAL; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (i === RESTART_AFTER) {
      restarting = (async () => {
        stoppedAt = performance.now();
        stoppedWall = Date.now();
        await server.stop();
        await sleep(DOWN);
        await server.start();
        readyAt = performance.now();
      })();
    }
    startedAt[i] = performance.now();
    publisher.publish(i, channel, target.publish).then(
      () => {
        outcome[i] = "confirmed";
        settledAt[i] = performance.now();
      },
      (error) => {
        outcome[i] = "failed";
        settledAt[i] = performance.now();
        const text = describeError(error).replaceAll(server.url, "<url>").slice(0, 160);
        errors.set(text, (errors.get(text) ?? 0) + 1);
      },
    );
  }
  await restarting;
  const ids = [...Array(TOTAL).keys()];
  await waitFor(() => ids.every((i) => outcome[i] !== undefined), 60_000);
  const confirmed = ids.filter((i) => outcome[i] === "confirmed");
  await waitFor(() => confirmed.every((i) => deliveries.has(i)), 90_000);
  // Late duplicates (redeliveries of messages handled before the outage) arrive shortly after.
  await sleep(1500);
  await publisher.close();
  await consumer.close();

  const during = ids.filter((i) => startedAt[i]! >= stoppedAt && startedAt[i]! < readyAt);
  const waited = during.filter((i) => outcome[i] === "confirmed");
  const failedDuring = during.filter((i) => outcome[i] === "failed");
  const longest = Math.max(0, ...waited.map((i) => settledAt[i]! - startedAt[i]!));
  const afterReady = ids.filter((i) => outcome[i] === "confirmed" && settledAt[i]! >= readyAt)
    .map((i) => settledAt[i]!);
  const warned = logs.records.filter((r) =>
    (r.level === "warn" || r.level === "error") && r.time.getTime() >= stoppedWall
  );
  return {
    broker: target.label,
    published: TOTAL,
    confirmed: confirmed.length,
    failed: ids.filter((i) => outcome[i] === "failed").length,
    hung: ids.filter((i) => outcome[i] === undefined).length,
    consumed: deliveries.distinct,
    lost: confirmed.filter((i) => !deliveries.has(i)).length,
    lostIds: confirmed.filter((i) => !deliveries.has(i)).slice(0, 20),
    restartedAtId: RESTART_AFTER,
    duplicates: deliveries.duplicates,
    failedButDelivered: ids.filter((i) => outcome[i] === "failed" && deliveries.has(i)).length,
    duringOutage: during.length === 0
      ? "none sent"
      : failedDuring.length === 0
      ? "waited"
      : waited.length === 0
      ? "failed"
      : "some waited, some failed",
    sentDuringOutage: during.length,
    longestWaitMs: ms(longest),
    outageMs: ms(readyAt - stoppedAt),
    consumeResumedMs: ms((deliveries.firstAfter(readyAt) ?? NaN) - readyAt),
    publishResumedMs: ms(Math.min(...afterReady) - readyAt),
    outageLogged: warned.length > 0,
    errors: [...errors].map(([text, count]) => `${count} × ${text}`),
    logged: warned.slice(0, 8).map((r) => `${r.level} ${r.message}`.slice(0, 200)),
  };
}

const skips = new Map<string, string | false>();
for (const target of selected(NAMES)) {
  const kind = target.broker as PrivateBrokerName;
  if (!skips.has(kind)) skips.set(kind, privateSkip(kind));
  describe(`broker restart while messages flow: ${target.label}`, { skip: skips.get(kind) }, () => {
    let server: PrivateBroker | undefined;
    before(async () => {
      server = await privateBroker(kind);
    });
    after(() => server?.dispose());

    it("consumes every confirmed message, hangs no publish, and logs the outage", {
      timeout: 240_000,
    }, async () => {
      const figures = await restartMidStream(target, server!);
      record("restart", target.name, figures);
      const summary = JSON.stringify(figures);
      assert.equal(figures.lost, 0, `confirmed messages lost: ${summary}`);
      assert.equal(figures.hung, 0, `publishes that never settled: ${summary}`);
      assert.ok(figures.outageLogged, `the outage is logged: ${summary}`);
      assert.ok(figures.confirmed > 0, summary);
    });
  });
}
