/**
 * How an SQS broker appears in the generated AsyncAPI document: SQS bindings 0.2.0 (the version AsyncAPI 3.0 knows) — each channel's queue
 * (name, FIFO, delay, visibility timeout, retention, redrive policy) as the app declares it, and the endpoint
 * as the server's host. Never the access key or the secret.
 *
 * @module
 */

import type { DocsBindings, DriverDocs } from "@sluice/core";
import {
  type ClientSettings,
  isFifo,
  isQueueUrl,
  type QueueDeclaration,
  type SqsOptions,
  type SqsPublishOptions,
  type SqsSubscribeOptions,
} from "./options.ts";

const VERSION = "0.2.0";

/**
 * The AsyncAPI description of an SQS broker made with `options`, connecting as `settings` say; the driver
 * carries it as `docs`.
 */
export function sqsDocs(
  options: SqsOptions,
  settings: ClientSettings,
): DriverDocs<SqsSubscribeOptions, SqsPublishOptions> {
  const queues = options.queues ?? {};
  const queue = (name: string, declaration: QueueDeclaration): Record<string, unknown> => ({
    name,
    fifoQueue: isFifo(name, declaration),
    ...(declaration.delaySeconds !== undefined ? { deliveryDelay: declaration.delaySeconds } : {}),
    ...(declaration.visibilityTimeout !== undefined
      ? { visibilityTimeout: declaration.visibilityTimeout }
      : {}),
    ...(declaration.retentionPeriod !== undefined
      ? { messageRetentionPeriod: declaration.retentionPeriod }
      : {}),
    ...(declaration.deadLetter
      ? {
        redrivePolicy: {
          deadLetterQueue: { name: declaration.deadLetter.queue },
          maxReceiveCount: declaration.deadLetter.maxReceiveCount,
        },
      }
      : {}),
  });
  return {
    protocol: "sqs",
    host: settings.endpoint ? new URL(settings.endpoint).host : `sqs.${settings.region}.amazonaws.com`,
    channel(endpoint): DocsBindings {
      const name = isQueueUrl(endpoint.channel)
        ? endpoint.channel.slice(endpoint.channel.lastIndexOf("/") + 1)
        : endpoint.channel;
      const declaration: QueueDeclaration = {
        ...queues[name],
        ...(endpoint.action === "receive" ? endpoint.options.queue : {}),
      };
      const dead = declaration.deadLetter?.queue;
      return {
        sqs: {
          queue: queue(name, declaration),
          ...(dead !== undefined ? { deadLetterQueue: queue(dead, queues[dead] ?? {}) } : {}),
          bindingVersion: VERSION,
        },
      };
    },
  };
}
