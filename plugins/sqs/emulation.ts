/**
 * The in-memory emulation of SQS for `testBroker()`: the same options, the same message mapping and the
 * same queue semantics as the real driver (see `_emulated_queue.ts`), so tests that pass here pass against
 * SQS. Queues are created on first use unless `createQueues` is false, and keep messages nobody consumes
 * (unlike the core's memory broker, which drops them).
 *
 * @module
 */

import { type Emulation, OptionError, SluiceError, type SubscriptionHandle } from "@sluice/core";
import { Activity, parseOptions } from "@sluice/core/kit";
import { EmulatedQueue } from "./_emulated_queue.ts";
import {
  checkQueueName,
  isFifo,
  parseBrokerOptions,
  parsePublishOptions,
  type QueueDeclaration,
  type SqsOptions,
  type SqsPublishOptions,
  type SqsSubscribeOptions,
  subscribeOptions,
} from "./options.ts";
import { sqsRules } from "./rules.ts";
import { sendEntry } from "./_outgoing.ts";

/** The emulation of SQS, with a look inside for tests. */
export interface SqsEmulation extends Emulation<SqsSubscribeOptions, SqsPublishOptions> {
  /** Messages stored in a queue (visible or not), for tests. */
  size(queue: string): number;
}

const DEFAULT_RETENTION = 345_600;

/** Creates a fresh emulation of SQS with these options (validated as the driver validates them). */
export function sqsEmulation(options: SqsOptions = {}): SqsEmulation {
  parseBrokerOptions(options);
  const tracker = new Activity();
  const declarations = new Map<string, QueueDeclaration>(Object.entries(options.queues ?? {}));
  const queues = new Map<string, EmulatedQueue>();
  let connected = false;

  const configure = (name: string): EmulatedQueue["config"] => {
    const declaration = declarations.get(name);
    const redrive = declaration?.deadLetter;
    return {
      fifo: isFifo(name, declaration),
      visibilityTimeout: declaration?.visibilityTimeout ?? 30,
      delaySeconds: declaration?.delaySeconds ?? 0,
      retentionPeriod: declaration?.retentionPeriod ?? DEFAULT_RETENTION,
      contentBasedDeduplication: declaration?.contentBasedDeduplication ?? false,
      deadLetter: redrive && {
        queue: () => queue(redrive.queue),
        maxReceiveCount: redrive.maxReceiveCount,
      },
    };
  };

  const queue = (name: string): EmulatedQueue => {
    const key = name.replace(/^https?:\/\/.*\//, "");
    let found = queues.get(key);
    if (found) return found;
    const declaration = declarations.get(key);
    if (!(declaration?.create ?? options.createQueues ?? true) && !declaration?.url) {
      throw new SluiceError(
        `The SQS queue ${key} does not exist: create it, declare it in the broker's queues, ` +
          `or set createQueues: true`,
      );
    }
    found = new EmulatedQueue(key, configure(key), tracker);
    queues.set(key, found);
    if (declaration?.deadLetter) queue(declaration.deadLetter.queue);
    return found;
  };

  const assertConnected = (): void => {
    if (!connected) throw new SluiceError("The emulated SQS broker is not connected");
  };

  const emulation: SqsEmulation = {
    name: "sqs",
    url: "sqs+emulation://",
    rules: sqsRules,
    matches: (pattern, channel) => sqsRules.matches(pattern, channel),
    connect() {
      connected = true;
      return Promise.resolve();
    },
    close() {
      // Queues and their messages stay on the server, for the next session on the same broker object; a
      // message received and never deleted comes back after its visibility timeout, as on SQS.
      connected = false;
      return Promise.resolve();
    },
    subscribe(spec, deliver): Promise<SubscriptionHandle> {
      assertConnected();
      const sub = parseOptions(subscribeOptions, spec.options, spec.channel);
      checkQueueName(spec.channel);
      const replies = spec.reply === true;
      if (sub.queue || replies) {
        declarations.set(spec.channel, {
          ...declarations.get(spec.channel),
          ...sub.queue,
          ...(replies ? { create: true } : {}),
        });
        const existing = queues.get(spec.channel);
        if (existing) existing.config = configure(spec.channel);
      }
      const target = queue(spec.channel);
      const cancel = target.consume(
        {
          prefetch: spec.prefetch,
          heartbeat: sub.heartbeat ?? true,
          visibilityTimeout: sub.visibilityTimeout,
        },
        deliver,
      );
      return Promise.resolve({
        stop() {
          cancel();
          if (replies) {
            queues.delete(spec.channel);
            target.dispose();
          }
          return Promise.resolve();
        },
      });
    },
    publish(channel, message, publishOptions) {
      assertConnected();
      checkQueueName(channel);
      const target = queue(channel);
      const entry = sendEntry(
        channel,
        message,
        parsePublishOptions(publishOptions, channel),
        target.config.fifo,
        target.config.contentBasedDeduplication,
      );
      checkDeduplication(channel, entry, target.config);
      target.send(entry);
      return Promise.resolve();
    },
    publishBatch(channel, messages, publishOptions) {
      assertConnected();
      checkQueueName(channel);
      const target = queue(channel);
      const checked = parsePublishOptions(publishOptions, channel);
      const entries = messages.map((m) =>
        sendEntry(channel, m, checked, target.config.fifo, target.config.contentBasedDeduplication)
      );
      for (const entry of entries) checkDeduplication(channel, entry, target.config);
      for (const entry of entries) target.send(entry);
      return Promise.resolve();
    },
    ping() {
      assertConnected();
      return Promise.resolve();
    },
    idle: () => tracker.whenIdle(),
    size: (name) => queues.get(name)?.size ?? 0,
  };
  return emulation;
}

/** Refuses, as SQS does, a FIFO message with no de-duplication id on a queue without content-based de-duplication. */
function checkDeduplication(
  channel: string,
  entry: { readonly MessageDeduplicationId?: string },
  config: { readonly fifo: boolean; readonly contentBasedDeduplication: boolean },
): void {
  if (!config.fifo || entry.MessageDeduplicationId !== undefined || config.contentBasedDeduplication) return;
  throw new OptionError(
    `The FIFO queue ${channel} refused a message without a de-duplication id: give deduplicationId, a ` +
      `message id, or turn on contentBasedDeduplication`,
  );
}
