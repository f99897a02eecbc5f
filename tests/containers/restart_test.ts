// A broker restarted under a running Sluice app, one test per broker, by restarting the broker's container:
// the plugin logs the outage, reconnects, resumes its subscription, and a message published after the
// restart reaches the handler. Each broker's container is one this process starts, so no other test sees
// the outage; with SLUICE_RESTART_RUN_CONTAINERS=1 it is the test run's instead (scripts/containers up/run,
// found by label), which saves starting six more containers when nothing else runs at the same time (CI
// runs this file on its own). Either keeps its host port across the restart. Without a Docker engine the
// file is skipped with a loud line (a failure with SLUICE_REQUIRE_CONTAINERS=1).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type Broker, createLogger, type Logger, type LogRecord } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";
import { kafka } from "@sluice/kafka";
import { mqtt } from "@sluice/mqtt";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { redis } from "@sluice/redis";
import { sqs } from "@sluice/sqs";
import { BROKER_NAMES, type BrokerName, dockerEndpoint } from "../_support/brokers.ts";
import {
  dockerApi,
  findRunContainer,
  LABEL_URL,
  ownerLabel,
  startBrokerContainer,
  waitServing,
} from "../_support/containers.ts";

const engine = await dockerEndpoint(process.env);
if (!engine) {
  const line = "no Docker engine answers (DOCKER_HOST, /var/run/docker.sock): run scripts/docker up";
  if (process.env.SLUICE_REQUIRE_CONTAINERS === "1") {
    throw new Error(`SLUICE_REQUIRE_CONTAINERS=1 but ${line}`);
  }
  console.warn(`SKIP: container restart tests: ${line}`);
} else {
  process.env.DOCKER_HOST = engine;
}

// Each plugin as an app would configure it, with its logs captured. The subscriber options make the
// subscription one that survives an outage on that broker (Kafka: a consumer group).
const apps: Record<
  BrokerName,
  { make(url: string, logger: Logger): Broker; options?(channel: string): Record<string, unknown> }
> = {
  redis: { make: (url, logger) => redis({ url, logger }) },
  amqp: { make: (url, logger) => rabbitmq({ url, logger }) },
  nats: { make: (url, logger) => nats({ servers: url, logger, reconnectTimeWait: 200 }) },
  mqtt: { make: (url, logger) => mqtt({ url, logger }) },
  sqs: { make: (url, logger) => sqs({ url, logger }) },
  kafka: {
    make: (url, logger) =>
      kafka({
        brokers: url,
        logger,
        retries: 10,
        consumer: { sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTime: 100 },
      }),
    options: (channel) => ({ group: channel, topic: { partitions: 1 } }),
  },
};

/** The broker's container: the run's (restarted through the Docker API) or one of this process. */
async function containerOf(
  name: BrokerName,
): Promise<{ url: string; restart(): Promise<void>; done(): Promise<void> }> {
  const running = process.env.SLUICE_RESTART_RUN_CONTAINERS === "1"
    ? await findRunContainer(engine!, name)
    : undefined;
  if (running) {
    const url = running.Labels[LABEL_URL]!;
    return {
      url,
      async restart() {
        const { status, body } = await dockerApi(
          engine!,
          "POST",
          `/containers/${running.Id}/restart?t=10`,
          60_000,
        );
        if (status !== 204) throw new Error(`restarting the ${name} container answered ${status}: ${body}`);
        await waitServing(name, url);
      },
      done: () => Promise.resolve(),
    };
  }
  const own = await startBrokerContainer(name, { scope: "process", owner: ownerLabel(process.pid) });
  return { url: own.url, restart: () => own.restart(), done: () => own.remove() };
}

/**
 * Publishes `prefix-1`, `prefix-2`, … every 500 ms without waiting for each publish (one may hang through
 * an outage) until `seen` holds one of them; fails after `timeout` ms.
 */
async function publishUntilSeen(
  broker: Broker,
  channel: string,
  prefix: string,
  seen: string[],
  timeout: number,
): Promise<void> {
  const end = Date.now() + timeout;
  const pending: Promise<unknown>[] = [];
  let n = 0;
  let next = 0;
  while (!seen.some((body) => body.startsWith(`${prefix}-`))) {
    if (Date.now() > end) throw new Error(`no "${prefix}-*" message arrived within ${timeout} ms`);
    if (Date.now() >= next) {
      pending.push(broker.publish(`${prefix}-${++n}`, channel).catch(() => undefined));
      next = Date.now() + 500;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, 5_000))]);
}

const unique = (name: string): string =>
  `restart-${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Each stage of a scenario and the longest it may take: the stages fail with their names before the test's
 * own limit ({@linkcode TEST_LIMIT}) ends it, so a hang says where it was. The publishing stages stop 10 s
 * before theirs, with their own message, and the restart's includes waiting until the broker serves.
 */
const STAGES = { start: 30_000, before: 60_000, restart: 150_000, after: 90_000, close: 20_000 };
const TEST_LIMIT = Object.values(STAGES).reduce((sum, ms) => sum + ms, 0) + 30_000;

/** `work`, failing with the broker's and the stage's names when it outlasts the stage's limit. */
async function stage<T>(name: BrokerName, what: keyof typeof STAGES, work: () => Promise<T>): Promise<T> {
  const ms = STAGES[what];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${name}, "${what}" stage: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** The scenario on one broker; resolves with the log records written during the outage. */
async function scenario(name: BrokerName): Promise<LogRecord[]> {
  const container = await containerOf(name);
  try {
    const logs = captureLogs();
    const broker = apps[name].make(container.url, createLogger({ level: "debug", sink: logs.sink }));
    const channel = unique(name);
    const seen: string[] = [];
    broker.subscriber(channel, apps[name].options?.(channel)).handle((body) => void seen.push(String(body)));
    let failed = false;
    try {
      await stage(name, "start", () => broker.start());
      await stage(
        name,
        "before",
        () => publishUntilSeen(broker, channel, "before", seen, STAGES.before - 10_000),
      );
      const before = logs.records.length;
      await stage(name, "restart", () => container.restart());
      await stage(
        name,
        "after",
        () => publishUntilSeen(broker, channel, "after", seen, STAGES.after - 10_000),
      );
      return logs.records.slice(before);
    } catch (error) {
      failed = true;
      // What the plugin logged says where it stood (reconnecting, rejoining its group, …) when a stage gave up.
      const last = logs.records.slice(-60).map((r) =>
        `${r.time.toISOString()} ${r.level} ${r.message} ${JSON.stringify(r.fields)}`
      );
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${reason}\nthe broker's last log records:\n${last.join("\n")}`, { cause: error });
    } finally {
      // A close that hangs fails the test too, unless an earlier stage already did (its error is the one).
      await stage(name, "close", () => broker.close()).catch((error) => {
        if (!failed) throw error;
      });
    }
  } finally {
    await container.done();
  }
}

// The six scenarios run at the same time (a JVM broker takes seconds to restart on a small machine); each
// test waits for its own. A failure waits for its test to report it.
const outcomes = new Map<BrokerName, Promise<LogRecord[]>>();
if (engine) {
  for (const name of BROKER_NAMES) {
    const outcome = scenario(name);
    outcome.catch(() => {});
    outcomes.set(name, outcome);
  }
}

for (const name of BROKER_NAMES) {
  describe(`${name} container restart`, { skip: engine ? false : "no Docker engine" }, () => {
    it("logs the outage, reconnects, and delivers what is published after the restart", {
      timeout: TEST_LIMIT,
    }, async () => {
      const during = await outcomes.get(name)!;
      const outage = during.filter((r) => r.level === "warn" || r.level === "error");
      assert.ok(outage.length > 0, `the ${name} outage is logged (records: ${JSON.stringify(during)})`);
    });
  });
}
