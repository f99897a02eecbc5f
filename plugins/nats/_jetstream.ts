/**
 * JetStream subscriptions: the stream is found, used or declared, a durable consumer is created (shared by
 * a group, or one per subscriber and removed when it stops), and messages are pulled with `consume()` or
 * `fetch()`, or pushed to a deliver subject. Ack, nak with delay and term are the server's operations.
 *
 * @module
 */

import { OptionError } from "@sluice/core";
import type { Deliver, IncomingMessage, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import type { ConsumerConfig, ConsumerMessages, JsMsg, StreamConfig } from "@nats-io/jetstream";
import { type Connection, nameFromSubject, nanos } from "./_connection.ts";
import type { ConsumerOptions, NatsSubscribeOptions, StreamOptions } from "./options.ts";
import { flushAcks, jetstreamIncoming } from "./message.ts";
import { pump } from "./_pump.ts";

/** The JetStream configuration of a declared stream. */
export function streamConfig(options: StreamOptions, subjects: readonly string[]): Partial<StreamConfig> & {
  name: string;
} {
  const config: Record<string, unknown> = { name: options.name, subjects: [...subjects] };
  if (options.retention) config.retention = options.retention;
  if (options.storage) config.storage = options.storage;
  if (options.maxMsgs !== undefined) config.max_msgs = options.maxMsgs;
  if (options.maxBytes !== undefined) config.max_bytes = options.maxBytes;
  if (options.maxAge !== undefined) config.max_age = nanos(options.maxAge);
  if (options.maxMsgSize !== undefined) config.max_msg_size = options.maxMsgSize;
  if (options.duplicateWindow !== undefined) config.duplicate_window = nanos(options.duplicateWindow);
  if (options.discard) config.discard = options.discard;
  if (options.replicas !== undefined) config.num_replicas = options.replicas;
  return config as Partial<StreamConfig> & { name: string };
}

/** Creates a stream, or updates it when it exists; records it as known. */
export async function declareStream(
  connection: Connection,
  options: StreamOptions,
  fallbackSubject?: string,
): Promise<string> {
  const subjects = options.subjects ?? (fallbackSubject ? [fallbackSubject] : []);
  if (subjects.length === 0) {
    throw new OptionError(`Stream ${options.name} needs subjects: give stream: { name, subjects: [...] }`);
  }
  const jsm = await connection.jsm();
  const config = streamConfig(options, subjects);
  try {
    await jsm.streams.add(config);
  } catch (error) {
    try {
      const { name: _name, ...update } = config;
      await jsm.streams.update(options.name, update);
    } catch {
      throw new OptionError(`Cannot declare stream ${options.name}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
  connection.streams.set(options.name, subjects);
  return options.name;
}

/** The stream a subscriber consumes from, found, checked or declared. */
export async function resolveStream(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
): Promise<string> {
  const option = spec.options.stream;
  const jsm = await connection.jsm();
  if (typeof option === "object") return await declareStream(connection, option, spec.channel);
  if (typeof option === "string") {
    try {
      const info = await jsm.streams.info(option);
      connection.streams.set(option, info.config.subjects ?? []);
      return option;
    } catch (error) {
      throw new OptionError(
        `Stream ${option} of subscriber ${spec.template} cannot be used (${describeError(error)}): ` +
          `declare it with stream: { name: "${option}", subjects: [...] }`,
        { cause: error },
      );
    }
  }
  try {
    const name = await jsm.streams.find(spec.channel);
    const info = await jsm.streams.info(name);
    connection.streams.set(name, info.config.subjects ?? []);
    return name;
  } catch {
    return await declareStream(connection, { name: nameFromSubject(spec.channel) }, spec.channel);
  }
}

function consumerConfig(
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  options: ConsumerOptions,
  name: string,
  shared: boolean,
): Partial<ConsumerConfig> {
  const config: Record<string, unknown> = {
    durable_name: name,
    ack_policy: "explicit",
    filter_subject: spec.channel,
    deliver_policy: options.deliverPolicy ?? "all",
  };
  if (options.ackWait !== undefined) config.ack_wait = nanos(options.ackWait);
  if (options.maxDeliver !== undefined) config.max_deliver = options.maxDeliver;
  if (options.backoff) config.backoff = options.backoff.map(nanos);
  if (!shared) config.inactive_threshold = nanos(options.inactiveThreshold ?? 5_000);
  if (options.mode === "push") {
    config.deliver_subject = `_INBOX.${crypto.randomUUID().replaceAll("-", "")}`;
    if (spec.group) config.deliver_group = spec.group;
    config.max_ack_pending = spec.prefetch;
    config.flow_control = true;
    config.idle_heartbeat = nanos(5_000);
  }
  return config as Partial<ConsumerConfig>;
}

/** Creates the consumer, or updates the durable one when its settings changed. */
async function declareConsumer(
  connection: Connection,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<void> {
  const jsm = await connection.jsm();
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    try {
      const { durable_name: name, deliver_subject: _d, ...update } = config;
      await jsm.consumers.update(stream, name!, update);
    } catch {
      throw new OptionError(
        `Cannot create consumer ${config.durable_name} on stream ${stream}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
}

/** Consumes from JetStream; resolves once the consumer exists (so later publishes reach it). */
export async function subscribeJetStream(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  deliver: Deliver,
): Promise<SubscriptionHandle> {
  const { logger } = connection;
  const options = spec.options.consumer ?? {};
  const durable = options.durable ?? (spec.group ? spec.group.replace(/[.*>\s/\\]/g, "_") : undefined);
  const name = durable ?? `sluice_${crypto.randomUUID().replaceAll("-", "")}`;
  const declare = async (): Promise<string> => {
    const stream = await resolveStream(connection, spec);
    await declareConsumer(connection, stream, consumerConfig(spec, options, name, durable !== undefined));
    return stream;
  };
  const stream = await declare();
  const js = await connection.js();
  const prefetch = Math.max(1, spec.prefetch);
  const expires = options.expires ?? 30_000;
  const onError = (error: unknown): void =>
    logger.error(`JetStream consumer ${name} of ${spec.channel} failed: ${describeError(error)}`);
  const noop = (): void => undefined;
  const incoming = (msg: JsMsg): IncomingMessage => jetstreamIncoming(msg, noop);

  let messages: ConsumerMessages | undefined;
  let stopping: () => void;
  const mode = options.mode ?? "pull";
  if (mode === "push") {
    const consumer = await js.consumers.getPushConsumer(stream, name);
    messages = await consumer.consume();
    stopping = pump(messages, prefetch, deliver, incoming, onError).stop;
  } else if (mode === "pull") {
    const consumer = await js.consumers.get(stream, name);
    messages = await consumer.consume({ max_messages: prefetch, expires });
    stopping = pump(messages, prefetch, deliver, incoming, onError).stop;
  } else {
    const consumer = await js.consumers.get(stream, name);
    const fetching = new DeliveryWindow(prefetch, onError);
    stopping = () => fetching.close();
    // A batch pull per round: as many messages as the window has room for.
    (async () => {
      while (!fetching.closed) {
        await fetching.whenRoom();
        if (fetching.closed) break;
        try {
          messages = await consumer.fetch({
            max_messages: fetching.room,
            expires: Math.min(expires, 5_000),
          });
          for await (const msg of messages) {
            if (fetching.closed) break;
            fetching.hand(deliver, incoming(msg));
          }
        } catch (error) {
          if (!fetching.closed) onError(error);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    })();
  }
  if (messages && mode !== "fetch") watchStatus(messages, spec.channel, name, declare, connection);
  return {
    async stop() {
      flushAcks();
      stopping();
      messages?.stop();
      if (durable === undefined) {
        const jsm = await connection.jsm();
        await jsm.consumers.delete(stream, name).catch(() => undefined);
      }
    },
  };
}

/** Logs the consumer's trouble and declares stream and consumer again when the server lost them. */
function watchStatus(
  messages: ConsumerMessages,
  channel: string,
  name: string,
  declare: () => Promise<string>,
  connection: Connection,
): void {
  (async () => {
    let redeclaring = false;
    for await (const status of messages.status()) {
      const type = (status as { type: string }).type;
      if (type === "heartbeats_missed") {
        connection.logger.warn(`JetStream consumer ${name} of ${channel} missed heartbeats; still waiting`);
      } else if (
        (type === "consumer_not_found" || type === "consumer_deleted" || type === "stream_not_found") &&
        !redeclaring
      ) {
        redeclaring = true;
        connection.logger.warn(
          `JetStream consumer ${name} of ${channel} is gone (${type}); declaring it again`,
        );
        declare().then(
          () => connection.logger.info(`JetStream consumer ${name} of ${channel} declared again`),
          (error) => connection.logger.error(`Cannot declare ${name} again: ${describeError(error)}`),
        ).finally(() => (redeclaring = false));
      }
    }
  })().catch(() => undefined);
}
