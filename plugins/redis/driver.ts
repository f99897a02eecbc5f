/**
 * The Redis driver on ioredis: one connection for commands (auto-pipelined), one shared connection for
 * Pub/Sub, and one blocking connection per list or stream consumer — to one server, to the master that
 * Sentinels name, or to a Redis Cluster (then each "connection" is a cluster client with a connection per node).
 * The Pub/Sub connection to a single server is Sluice's own (`_subscriber.ts`), which reads messages for less
 * CPU than ioredis does.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import {
  type Deliver,
  type Driver,
  type DriverContext,
  type Logger,
  type OutgoingMessage,
  StateError,
  type SubscriptionEvents,
  type SubscriptionHandle,
  type SubscriptionSpec,
} from "@sluice/core";
import { type Client, type ClientClass, createClient, loadClient, open, shut } from "./_client.ts";
import { ListConsumer } from "./_list.ts";
import { clientConnection, PubSub, type PubSubConnection } from "./_pubsub.ts";
import { Subscriber } from "./_subscriber.ts";
import { StreamConsumer } from "./_stream.ts";
import { encodeForClient, STREAM_FIELD } from "./message.ts";
import {
  deadLetterOptions,
  type Endpoint,
  endpoint,
  ownPubSubConnection,
  parseBrokerOptions,
  type PublishTarget,
  type RedisOptions,
  type RedisPublishOptions,
  type RedisSubscribeOptions,
  resolvePublish,
  resolveSubscription,
} from "./options.ts";
import { redisRules } from "./rules.ts";
import { redisDocs } from "./bindings.ts";

/** The Redis driver. */
export type RedisDriver = Driver<RedisSubscribeOptions, RedisPublishOptions>;

/** Creates the real driver; options are validated here, the client is loaded on `connect()`. */
export function redisDriver(options: RedisOptions = {}): RedisDriver {
  parseBrokerOptions(options);
  const at: Endpoint = endpoint(options);
  const kind = options.kind ?? "pubsub";
  const envelope = options.envelope ?? "binary";
  const connectTimeout = options.connectTimeout ?? 10_000;
  const extra = { connectTimeout, ...options.client };
  let library: ClientClass | undefined;
  let logger: Logger | undefined;
  let commands: Client | undefined;
  let pubsub: Promise<PubSub> | undefined;
  const consumers = new Set<{ stop(): Promise<void>; close?(): Promise<void> }>();
  const privateGroups: { key: string; group: string }[] = [];

  const ready = (): Client => {
    if (!commands) throw new StateError(`Not connected to ${at.safeUrl}: call broker.connect() first`);
    return commands;
  };

  const blockingClient = async (): Promise<Client> =>
    await open(createClient(library!, at, "consumer", logger!, extra), at);

  const ownSubscriber = ownPubSubConnection(at, options);
  const pubSubConnection = async (): Promise<PubSubConnection> =>
    ownSubscriber
      ? await Subscriber.open(at, logger!, connectTimeout, options.pingInterval)
      : clientConnection(await open(createClient(library!, at, "pubsub", logger!, extra), at));

  const sharedPubSub = (): Promise<PubSub> => {
    pubsub ??= pubSubConnection().then((connection) => new PubSub(connection, logger!));
    pubsub.catch(() => (pubsub = undefined));
    return pubsub;
  };

  // `body` comes from encodeForClient: already the Buffer ioredis sends as it is.
  const send = (client: Client | ReturnType<Client["pipeline"]>, to: PublishTarget, body: Buffer) => {
    const data = body as never;
    if (to.kind === "pubsub") return client.publish(to.key, data);
    if (to.kind === "list") return client.rpush(to.key, data);
    const trim = to.maxLen === undefined ? [] : ["MAXLEN", to.approximate ? "~" : "=", to.maxLen];
    return (client.xadd as (...args: unknown[]) => unknown)(to.key, ...trim, "*", STREAM_FIELD, data);
  };

  const driver: RedisDriver = {
    name: "redis",
    url: at.safeUrl,
    rules: redisRules,
    docs: redisDocs(options),

    async connect(context: DriverContext): Promise<void> {
      logger = context.logger;
      library ??= await loadClient();
      commands = await open(createClient(library, at, "commands", logger, extra), at);
    },

    async close(): Promise<void> {
      for (const consumer of consumers) await consumer.stop();
      for (const consumer of consumers) await consumer.close?.();
      consumers.clear();
      for (const { key, group } of privateGroups.splice(0)) {
        await commands?.xgroup("DESTROY", key, group).catch(() => undefined);
      }
      const shared = pubsub;
      pubsub = undefined;
      await shared?.then((consumer) => consumer.close(), () => undefined);
      await shut(commands);
      commands = undefined;
    },

    async subscribe(
      spec: SubscriptionSpec<RedisSubscribeOptions>,
      deliver: Deliver,
      events?: SubscriptionEvents,
    ): Promise<SubscriptionHandle> {
      const client = ready();
      const resolved = resolveSubscription(spec.channel, spec.options, kind, spec.reply === true);
      if (resolved.kind === "pubsub") {
        if (spec.group !== undefined) {
          logger!.warn(
            `Subscriber ${spec.template}: Redis Pub/Sub has no consumer groups, so group "${spec.group}" is ignored ` +
              `and every subscriber gets every message; use { list: true } or { stream: true } to compete`,
          );
        }
        return (await sharedPubSub()).subscribe(
          spec.channel,
          deliver,
          spec.prefetch,
          resolved.pending,
          events,
        );
      }
      const blocking = await blockingClient();
      try {
        let consumer: ListConsumer | StreamConsumer;
        if (resolved.kind === "list") {
          consumer = new ListConsumer(
            client,
            blocking,
            resolved.key,
            resolved.options,
            spec.prefetch,
            deliver,
            logger!,
          );
        } else {
          const named = spec.group ?? resolved.options.group;
          const group = named ?? `sluice-private-${crypto.randomUUID()}`;
          consumer = new StreamConsumer(
            client,
            blocking,
            resolved.key,
            group,
            resolved.options,
            spec.prefetch,
            deliver,
            logger!,
          );
          if (named === undefined) privateGroups.push({ key: resolved.key, group });
        }
        await consumer.start();
        consumers.add(consumer);
        return { stop: () => consumer.stop() };
      } catch (error) {
        blocking.disconnect();
        throw error;
      }
    },

    deadLetterOptions: (options) => deadLetterOptions(options, kind),

    async publish(channel: string, message: OutgoingMessage, publish: RedisPublishOptions): Promise<void> {
      const client = ready();
      const to = resolvePublish(channel, publish, kind);
      await send(client, to, encodeForClient(message, envelope));
    },

    async publishBatch(
      channel: string,
      messages: readonly OutgoingMessage[],
      publish: RedisPublishOptions,
    ): Promise<void> {
      const client = ready();
      const to = resolvePublish(channel, publish, kind);
      const encoded = messages.map((m) => encodeForClient(m, envelope));
      if (to.kind === "list") {
        for (let i = 0; i < encoded.length; i += 1000) {
          await client.rpush(to.key, ...(encoded.slice(i, i + 1000) as never[]));
        }
        return;
      }
      const pipeline = client.pipeline();
      for (const body of encoded) send(pipeline, to, body);
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    },

    async ping(): Promise<void> {
      await ready().ping();
    },
  };
  return driver;
}
