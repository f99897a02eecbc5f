/**
 * The brokers the fault tests run on, each set up the way an operator who wants at-least-once delivery sets it
 * up: durable queues and persistent messages, consumer groups, publisher confirms or acknowledged publishes.
 * Shared by the tests and the child processes they start, so a child builds the same subscriber as its test.
 */
import process from "node:process";
import type { Broker, BrokerOptions } from "@sluice/core";
import { kafka } from "@sluice/kafka";
import { mqtt } from "@sluice/mqtt";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { redis } from "@sluice/redis";
import { sqs } from "@sluice/sqs";
import type { BrokerName } from "../_support/brokers.ts";

/** The name of a target. */
export type TargetName =
  | "redis-stream"
  | "redis-list"
  | "nats-jetstream"
  | "mqtt-qos1"
  | "rabbitmq"
  | "kafka"
  | "sqs";

/** Settings of a target's subscriber. */
export interface SubscriberSettings {
  /** The competing consumers' group (and, on MQTT, the persistent session's client id). */
  readonly group: string;
  /** Milliseconds after which a message a dead consumer held goes to another consumer. */
  readonly redeliverAfter?: number;
  readonly concurrency?: number;
  readonly prefetch?: number;
}

/** One broker, set up for at-least-once delivery. */
export interface FaultTarget {
  readonly name: TargetName;
  /** Which real broker (and private broker) it needs. */
  readonly broker: BrokerName;
  /** For tables: "Redis streams", … */
  readonly label: string;
  /** A Sluice broker on `url`. */
  connect(url: string, options?: BrokerOptions): Broker;
  /** A channel name from `base` (letters, digits and dashes) that the broker accepts. */
  channel(base: string): string;
  /** The subscriber's options: the core's and the plugin's. */
  subscriber(channel: string, settings: SubscriberSettings): Record<string, unknown>;
  /** The options of every publish. */
  readonly publish: Readonly<Record<string, unknown>>;
}

const dotted = (base: string) => `faults.${base}`;

/** Every target, by name. */
export const TARGETS: Readonly<Record<TargetName, FaultTarget>> = {
  "redis-stream": {
    name: "redis-stream",
    broker: "redis",
    label: "Redis streams",
    connect: (url, options) => redis({ ...options, url }),
    channel: dotted,
    subscriber: (_channel, s) => ({
      group: s.group,
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      stream: { block: 200, claimIdle: s.redeliverAfter ?? 30_000, claimInterval: 500 },
    }),
    publish: { stream: true },
  },
  "redis-list": {
    name: "redis-list",
    broker: "redis",
    label: "Redis lists",
    connect: (url, options) => redis({ ...options, url }),
    channel: dotted,
    subscriber: (_channel, s) => ({
      group: s.group,
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      list: { recoverAfter: s.redeliverAfter ?? 15_000 },
    }),
    publish: { list: true },
  },
  "nats-jetstream": {
    name: "nats-jetstream",
    broker: "nats",
    label: "NATS JetStream",
    connect: (url, options) => nats({ ...options, servers: url, reconnectTimeWait: 250 }),
    channel: dotted,
    subscriber: (channel, s) => ({
      group: s.group,
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      stream: { name: channel.replace(/\./g, "_"), subjects: [channel], storage: "file" },
      consumer: { durable: s.group, ackWait: s.redeliverAfter ?? 30_000 },
    }),
    publish: { jetstream: true },
  },
  "mqtt-qos1": {
    name: "mqtt-qos1",
    broker: "mqtt",
    label: "MQTT QoS 1",
    connect: (url, options) => mqtt({ ...options, url, reconnectPeriod: 250, qos: 1 }),
    channel: (base) => `faults/${base}`,
    // A persistent session: what arrives while the subscriber is away waits for it, and what it did not
    // acknowledge comes back to the next connection with its client id.
    subscriber: (_channel, s) => ({
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      qos: 1,
      clientId: s.group,
      clean: false,
      sessionExpiry: 3600,
    }),
    publish: { qos: 1 },
  },
  "rabbitmq": {
    name: "rabbitmq",
    broker: "amqp",
    label: "RabbitMQ",
    connect: (url, options) =>
      rabbitmq({ ...options, url, confirms: true, reconnect: { initialDelay: 100, maxDelay: 1000 } }),
    channel: dotted,
    subscriber: (_channel, s) => ({
      group: s.group,
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      queue: { durable: true },
    }),
    publish: { persistent: true },
  },
  "kafka": {
    name: "kafka",
    broker: "kafka",
    label: "Kafka",
    connect: (url, options) =>
      kafka({
        ...options,
        brokers: url,
        acks: -1,
        consumer: { sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTime: 100 },
      }),
    channel: dotted,
    subscriber: (_channel, s) => ({
      group: s.group,
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      from: "earliest",
      topic: { partitions: 3 },
    }),
    publish: {},
  },
  "sqs": {
    name: "sqs",
    broker: "sqs",
    label: "SQS (ElasticMQ)",
    connect: (url, options) => sqs({ ...options, url, waitTimeSeconds: 1 }),
    channel: (base) => `faults-${base}`,
    subscriber: (_channel, s) => ({
      concurrency: s.concurrency,
      prefetch: s.prefetch,
      visibilityTimeout: Math.ceil((s.redeliverAfter ?? 30_000) / 1000),
    }),
    publish: {},
  },
};

let announced = false;

/**
 * Whether this run takes the fault suite: only with `SLUICE_FAULTS=1`. The suite runs in a phase of its own in
 * CI (`.ci/run`, under Deno and Bun), with volumes sized for that phase's time; the test runs of the whole
 * repository (`deno test`, `bun test`, `node --test`) find its files too and skip them, with one loud line,
 * instead of running it a second and third time.
 */
export function faultsEnabled(): boolean {
  if (process.env.SLUICE_FAULTS === "1") return true;
  if (!announced) {
    announced = true;
    console.warn("SKIP: the fault suite (tests/faults) runs on its own: set SLUICE_FAULTS=1 to run it");
  }
  return false;
}

/**
 * The targets among `names` that this run takes: none without `SLUICE_FAULTS=1` (see
 * {@linkcode faultsEnabled}); all of them, or those `SLUICE_FAULTS_TARGETS` lists (comma-separated, e.g.
 * `kafka,rabbitmq`) to run part of the suite.
 */
export function selected(names: readonly TargetName[]): FaultTarget[] {
  if (!faultsEnabled()) return [];
  const only = process.env.SLUICE_FAULTS_TARGETS?.split(",").map((n) => n.trim()).filter(Boolean);
  return names.filter((n) => !only || only.includes(n)).map((n) => TARGETS[n]);
}

/** A unique, broker-safe suffix: letters and digits. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}
