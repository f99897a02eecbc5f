/**
 * The Kafka driver on kafkajs: one producer and one admin client per broker, one consumer per subscriber.
 * kafkajs is loaded lazily, on connect.
 *
 * @module
 */

import type {
  Deliver,
  Driver,
  DriverContext,
  Logger,
  OutgoingMessage,
  SubscriptionHandle,
  SubscriptionSpec,
} from "@sluice/core";
import { ConnectionError, OptionError, StateError } from "@sluice/core";
import { describeError, importClient, parseOptions } from "@sluice/core/kit";
import type { Admin, Kafka, Producer } from "kafkajs";
import { type ConsumerHost, Subscription } from "./_consumer.ts";
import { kafkaLogCreator } from "./_kafkajs.ts";
import { quietRequestQueue } from "./_request_queue.ts";
import { recordBytes, tooLarge, toRecord } from "./message.ts";
import { ProduceQueue } from "./_produce.ts";
import {
  brokerList,
  brokerOptions,
  displayUrl,
  type KafkaOptions,
  type KafkaPublishOptions,
  type KafkaSubscribeOptions,
  type KafkaTopicOptions,
  parsePublishOptions,
  subscribeOptions,
} from "./options.ts";
import { assertPartition, assertPartitionsFit, assertTopicName, kafkaRules } from "./rules.ts";
import { kafkaDocs } from "./bindings.ts";
import { certificateError } from "./_tls_check.ts";

/** The Kafka driver. */
export type KafkaDriver = Driver<KafkaSubscribeOptions, KafkaPublishOptions>;

const COMPRESSION = { none: 0, gzip: 1 } as const;

/** Whether kafkajs failed a send because the broker refused a record batch as too large. */
function refusedAsTooLarge(error: unknown): boolean {
  return /larger than the max message size|MESSAGE_TOO_LARGE/i.test(describeError(error));
}

/**
 * Creates the real Kafka driver. The options are checked at once: a bad or unknown one throws an
 * `OptionError` naming it.
 *
 * @example
 * ```ts
 * import { kafkaDriver } from "@sluice/kafka";
 * const driver = kafkaDriver({ brokers: ["localhost:9092"] });
 * console.log(driver.url); // kafka://localhost:9092
 * ```
 */
export function kafkaDriver(options: KafkaOptions = {}): KafkaDriver {
  parseOptions(brokerOptions, options);
  const brokers = brokerList(options.brokers);
  const url = displayUrl(brokers);
  let kafka: Kafka | undefined;
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let logger: Logger | undefined;
  let host: ConsumerHost | undefined;
  const subscriptions = new Set<Subscription>();
  const known = new Set<string>();
  /** Publishes of one turn, sent together (`_produce.ts`). */
  const produce = new ProduceQueue(
    (request) => {
      if (!producer) return Promise.reject(new StateError(`Not connected to ${url}`));
      return producer.send(request as never);
    },
    refusedAsTooLarge,
  );
  /** The admin clean-up calls so far, chained to run one at a time. */
  let cleaning: Promise<void> = Promise.resolve();

  const ensureTopics = async (
    topics: readonly string[],
    topic: KafkaTopicOptions | undefined,
  ): Promise<void> => {
    const missing = topics.filter((t) => !known.has(t));
    if (missing.length === 0) return;
    const existing = new Set(await admin!.listTopics());
    const create = missing.filter((t) => !existing.has(t));
    if (create.length > 0) {
      const settings = { ...options.topic, ...topic };
      try {
        await admin!.createTopics({
          waitForLeaders: true,
          topics: create.map((name) => ({
            topic: name,
            numPartitions: settings.partitions ?? -1,
            replicationFactor: settings.replicationFactor ?? -1,
            configEntries: Object.entries(settings.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (error) {
        // Another client may have created it meanwhile: only a topic that is still missing is an error.
        const now = new Set(await admin!.listTopics());
        const refused = create.filter((t) => !now.has(t));
        if (refused.length > 0) {
          const causes = [error, ...((error as { errors?: unknown[] }).errors ?? [])].map(describeError).join(
            "; ",
          );
          // A name that collides with an existing topic's once '.' and '_' are made the same is refused
          // as an invalid topic: an option error, as in the emulation.
          if (/invalid topic|collides/i.test(causes)) {
            throw new OptionError(`Kafka refused the topic ${refused.join(", ")}: ${causes}`, {
              cause: error,
            });
          }
          throw error;
        }
      }
    }
    for (const t of missing) known.add(t);
  };

  /** Partition counts of topics published to with an explicit partition, read once per topic. */
  const partitionCounts = new Map<string, number>();
  const partitionCount = async (topic: string): Promise<number | undefined> => {
    let count = partitionCounts.get(topic);
    if (count === undefined) {
      // A topic that does not exist yet is created by the send itself: nothing to check against.
      const metadata = await admin!.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      count = metadata?.topics[0]?.partitions.length ?? 0;
      if (count === 0) return undefined;
      // A count is kept only once the topic exists: a partition added later is seen after a restart.
      if (count > 0) partitionCounts.set(topic, count);
    }
    return count;
  };

  const driver: KafkaDriver = {
    name: "kafka",
    url,
    rules: kafkaRules,
    docs: kafkaDocs(options),

    async connect(context: DriverContext): Promise<void> {
      const lib = await importClient("kafkajs", () => import("kafkajs"));
      await quietRequestQueue();
      const client = lib.default ?? lib;
      logger = context.logger;
      if (options.ssl) {
        const bad = await certificateError(brokers, options.ssl, options.connectionTimeout ?? 3000);
        if (bad) {
          throw new ConnectionError(
            `Cannot connect to ${url}: the broker's TLS certificate was refused: ${describeError(bad)}. ` +
              "Check ssl.ca (the authority that signed the broker's certificate) and that the host name is " +
              "one the certificate names (or set ssl.servername).",
            { cause: bad },
          );
        }
      }
      kafka = new client.Kafka({
        clientId: options.clientId ?? "sluice",
        brokers,
        ssl: options.ssl as boolean | undefined,
        sasl: options.sasl as never,
        connectionTimeout: options.connectionTimeout ?? 3000,
        requestTimeout: options.requestTimeout ?? 30_000,
        // Short first retries: the first publish to a new topic waits for its leader; ~25 s in all. Every
        // setting is given: kafkajs takes the rest from defaults that depend on NODE_ENV, and with
        // NODE_ENV=test (which `bun test` sets) they cap each wait at 1 s, so the retries ran out within
        // about 6 s of an outage.
        retry: {
          initialRetryTime: 100,
          maxRetryTime: 30_000,
          multiplier: 2,
          factor: 0.2,
          retries: options.retries ?? 8,
        },
        logLevel: client.logLevel.INFO,
        logCreator: kafkaLogCreator(logger, client.logLevel),
      });
      producer = kafka.producer({
        createPartitioner: client.Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      });
      admin = kafka.admin();
      try {
        await Promise.all([producer.connect(), admin.connect()]);
      } catch (error) {
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
        const auth = /SASL|authentication/i.test(describeError(error));
        throw new ConnectionError(
          `Cannot connect to ${url}: ${describeError(error)}. ${
            auth
              ? "Check the SASL mechanism and credentials."
              : "Is the broker running, and are ssl/sasl right?"
          }`,
          { cause: error },
        );
      }
      host = {
        kafka,
        admin,
        protocol: client.AssignerProtocol,
        logger,
        consumer: options.consumer ?? {},
        discoveryInterval: options.discoveryInterval ?? 5000,
        nackDelay: options.nackDelay ?? 100,
        commitInterval: options.commitInterval ?? 100,
        ensureTopics,
        listTopics: () => admin!.listTopics(),
        cleanUp: (task) => {
          const done = cleaning.then(task);
          cleaning = done.catch(() => undefined);
          return done;
        },
      };
    },

    async close(): Promise<void> {
      await produce.drain();
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
      kafka =
        producer =
        admin =
        host =
          undefined;
      known.clear();
    },

    async subscribe(
      spec: SubscriptionSpec<KafkaSubscribeOptions>,
      deliver: Deliver,
    ): Promise<SubscriptionHandle> {
      if (!host) throw new StateError(`Not connected to ${url}`);
      const settings = parseOptions(subscribeOptions, spec.options, spec.template);
      assertPartitionsFit(spec.template, settings);
      const subscription = new Subscription(host, spec, settings, deliver);
      subscriptions.add(subscription);
      try {
        await subscription.start();
      } catch (error) {
        subscriptions.delete(subscription);
        await subscription.close().catch(() => undefined);
        throw error;
      }
      return { stop: () => subscription.stop() };
    },

    async publish(
      channel: string,
      message: OutgoingMessage,
      publishOptions: KafkaPublishOptions,
    ): Promise<void> {
      await driver.publishBatch!(channel, [message], publishOptions);
    },

    async publishBatch(
      channel: string,
      messages: readonly OutgoingMessage[],
      publishOptions: KafkaPublishOptions,
    ): Promise<void> {
      if (!producer) throw new StateError(`Not connected to ${url}`);
      const settings = parsePublishOptions(publishOptions, channel);
      assertTopicName(channel);
      if (settings.topic) await ensureTopics([channel], settings.topic);
      if (settings.partition !== undefined) {
        const count = await partitionCount(channel);
        if (count !== undefined) assertPartition(channel, settings.partition, count);
      }
      try {
        await produce.add(
          channel,
          messages.map((m) => toRecord(m, settings)),
          settings.acks ?? options.acks ?? -1,
          COMPRESSION[settings.compression ?? options.compression ?? "none"],
        );
      } catch (error) {
        if (refusedAsTooLarge(error)) {
          const one = messages.length === 1 ? messages[0]!.messageId : undefined;
          throw tooLarge(channel, Math.max(...messages.map(recordBytes)), error, one);
        }
        if (/collides|invalid topic|INVALID_TOPIC/i.test(describeError(error))) {
          throw new OptionError(`Kafka refused the topic ${channel}: ${describeError(error)}`, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async ping(): Promise<void> {
      if (!admin) throw new StateError(`Not connected to ${url}`);
      await admin.describeCluster();
    },
  };
  return driver;
}
