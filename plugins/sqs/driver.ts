/**
 * The SQS driver on `@aws-sdk/client-sqs`: a channel is a queue; publish is SendMessage (SendMessageBatch
 * for batches), subscribe runs long-polling receive loops (see `_consumer.ts`; acks, nacks and the heartbeat
 * in `_settlement.ts`), queues are declared or created on first use (see `_queues.ts`).
 *
 * @module
 */

import process from "node:process";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ConnectionError,
  type Driver,
  type Logger,
  OptionError,
  type OutgoingMessage,
  SluiceError,
  type SubscriptionHandle,
} from "@sluice/core";
import { describeError, parseOptions } from "@sluice/core/kit";
import { Consumer } from "./_consumer.ts";
import { chunks, type SendEntry, sendEntry } from "./_outgoing.ts";
import {
  checkQueueName,
  type ClientSettings,
  clientSettings,
  isFifo,
  parseBrokerOptions,
  parsePublishOptions,
  type SqsOptions,
  type SqsPublishOptions,
  type SqsSubscribeOptions,
  subscribeOptions,
} from "./options.ts";
import { isMissingQueue, QueueDirectory } from "./_queues.ts";
import { sqsRules } from "./rules.ts";
import { sqsDocs } from "./bindings.ts";
import { loadSdk, runtimeSettings, signalling, type SqsSdk } from "./_sdk.ts";

/** The SQS driver. */
export interface SqsDriver extends Driver<SqsSubscribeOptions, SqsPublishOptions> {
  /** The options it was created with. */
  readonly options: SqsOptions;
  /** The SDK client while connected, for what the plugin does not cover. */
  readonly client: SQSClient | undefined;
  /** The URL of a queue, declaring or creating it as configured. */
  queueUrl(name: string): Promise<string>;
}

function isAuthFailure(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? "";
  return /InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|InvalidAccessKeyId|ExpiredToken/
    .test(name);
}

function answered(error: unknown): boolean {
  return typeof (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ===
    "number";
}

/** Creates the SQS driver; options are validated at once. */
export function sqsDriver(options: SqsOptions = {}): SqsDriver {
  parseBrokerOptions(options);
  const settings: ClientSettings = clientSettings(options, process.env);
  let sdk: SqsSdk | undefined;
  let directory: QueueDirectory | undefined;
  let logger: Logger | undefined;
  const consumers = new Set<Consumer>();

  const connected = (): { sdk: SqsSdk; directory: QueueDirectory } => {
    if (!sdk || !directory) throw new SluiceError(`Not connected to ${settings.display}`);
    return { sdk, directory };
  };

  const probe = async (): Promise<void> => {
    const { client, commands } = connected().sdk;
    try {
      await client.send(new commands.ListQueuesCommand({ MaxResults: 1 }));
    } catch (error) {
      if (isAuthFailure(error)) {
        throw new ConnectionError(
          `${settings.display} rejected the credentials (${describeError(error)}): check the access key ` +
            `and secret in the URL, the options or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
          { cause: error },
        );
      }
      if (answered(error)) return; // e.g. no permission to list queues: the endpoint is there.
      throw new ConnectionError(
        `Cannot connect to ${settings.display}: ${describeError(error)}. Is the SQS endpoint running and ` +
          `reachable (for ElasticMQ: sqs://127.0.0.1:9324)?`,
        { cause: error },
      );
    }
  };

  /** Runs `send` with the queue's URL; a queue that vanished is declared again once. */
  const withQueue = async <T>(channel: string, send: (url: string) => Promise<T>): Promise<T> => {
    const { directory } = connected();
    checkQueueName(channel);
    try {
      return await send(await directory.url(channel));
    } catch (error) {
      if (missingDeduplication(error)) {
        throw new OptionError(
          `The FIFO queue ${channel} refused a message without a de-duplication id: give deduplicationId, a ` +
            `message id, or turn on contentBasedDeduplication`,
          { cause: error },
        );
      }
      if (!isMissingQueue(error)) throw error;
      directory.forget(channel);
      return await send(await directory.url(channel));
    }
  };

  const entryFor = (channel: string, message: OutgoingMessage, publish: SqsPublishOptions): SendEntry => {
    const declaration = directory?.declaration(channel);
    return sendEntry(
      channel,
      message,
      publish,
      isFifo(channel, declaration),
      declaration?.contentBasedDeduplication ?? false,
    );
  };

  const driver: SqsDriver = {
    name: "sqs",
    url: settings.display,
    rules: sqsRules,
    docs: sqsDocs(options, settings),
    options,
    get client() {
      return sdk?.client;
    },
    async connect(context) {
      logger = context.logger;
      const commands = await loadSdk();
      const client = new commands.SQSClient({
        ...(await runtimeSettings()),
        region: settings.region,
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        ...(settings.credentials ? { credentials: settings.credentials } : {}),
        ...options.client,
      });
      signalling(client);
      sdk = { client, commands };
      directory = new QueueDirectory(sdk, options.queues ?? {}, options.createQueues ?? true, logger);
      try {
        await probe();
      } catch (error) {
        client.destroy();
        sdk = undefined;
        directory = undefined;
        throw error;
      }
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      consumers.clear();
      sdk?.client.destroy();
      sdk = undefined;
      directory = undefined;
    },
    async subscribe(spec, deliver): Promise<SubscriptionHandle> {
      const { sdk, directory } = connected();
      const sub = parseOptions(subscribeOptions, spec.options, spec.channel);
      checkQueueName(spec.channel);
      const replies = spec.reply === true;
      if (sub.queue) directory.declare(spec.channel, sub.queue);
      if (replies) directory.declare(spec.channel, { create: true, retentionPeriod: 3600 });
      let info;
      try {
        info = await directory.info(spec.channel);
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        throw new SluiceError(`Cannot subscribe to queue ${spec.channel}: ${describeError(error)}`, {
          cause: error,
        });
      }
      const prefetch = Math.max(1, spec.prefetch);
      const consumer = new Consumer(
        sdk,
        directory,
        info,
        deliver,
        logger!.child({ queue: spec.channel }),
        {
          prefetch,
          receivers: sub.receivers ?? Math.min(4, Math.ceil(prefetch / 10)),
          waitTimeSeconds: sub.waitTimeSeconds ?? options.waitTimeSeconds ?? 20,
          visibilityTimeout: sub.visibilityTimeout,
          heartbeat: sub.heartbeat ?? true,
        },
      );
      consumers.add(consumer);
      consumer.start();
      return {
        async stop() {
          consumers.delete(consumer);
          await consumer.stop();
          if (replies) {
            // The reply queue is private to this broker: remove it.
            directory.forget(spec.channel);
            await sdk.client.send(new sdk.commands.DeleteQueueCommand({ QueueUrl: info.url })).catch(
              (error) => logger?.warn(`Cannot delete reply queue ${spec.channel}: ${describeError(error)}`),
            );
          }
        },
      };
    },
    async publish(channel, message, publishOptions) {
      const { sdk } = connected();
      const entry = entryFor(channel, message, parsePublishOptions(publishOptions, channel));
      await withQueue(
        channel,
        (url) => sdk.client.send(new sdk.commands.SendMessageCommand({ QueueUrl: url, ...entry })),
      );
    },
    async publishBatch(channel, messages, publishOptions) {
      const { sdk } = connected();
      const checked = parsePublishOptions(publishOptions, channel);
      const entries = messages.map((m) => entryFor(channel, m, checked));
      for (const chunk of chunks(entries)) {
        const { Failed = [] } = await withQueue(channel, (url) =>
          sdk.client.send(
            new sdk.commands.SendMessageBatchCommand({
              QueueUrl: url,
              Entries: chunk.map((entry, i) => ({ Id: String(i), ...entry })),
            }),
          ));
        if (Failed.length > 0) {
          throw new SluiceError(
            `${Failed.length} of ${chunk.length} messages to queue ${channel} were refused: ` +
              `${Failed[0]!.Code} ${Failed[0]!.Message ?? ""}`,
          );
        }
      }
    },
    async ping() {
      await probe();
    },
    async queueUrl(name) {
      return await connected().directory.url(name);
    },
  };

  return driver;
}

/** SQS's refusal of a FIFO message with no de-duplication id on a queue without content-based de-duplication. */
function missingDeduplication(error: unknown): boolean {
  return /ContentBasedDeduplication|MessageDeduplicationId/.test(describeError(error));
}
