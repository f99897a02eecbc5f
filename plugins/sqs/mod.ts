/**
 * `@sluice/sqs`: Amazon SQS (and SQS-compatible servers such as ElasticMQ) for Sluice, on
 * `@aws-sdk/client-sqs`. A channel is a queue: standard or FIFO (`.fifo`), declared with visibility timeout,
 * retention, delay and a redrive policy, or used as it exists. Long polling, batch receive, visibility
 * heartbeats, batch delete and batch send, FIFO groups and de-duplication, request/reply over a temporary
 * reply queue, and a faithful in-memory emulation for `testBroker()`.
 *
 * @example
 * ```ts
 * import { sqs } from "@sluice/sqs";
 * const broker = sqs({
 *   url: "sqs://127.0.0.1:9324",
 *   queues: { orders: { visibilityTimeout: 60, deadLetter: { queue: "orders-dlq", maxReceiveCount: 5 } } },
 * });
 * broker.subscriber("orders", { concurrency: 10 }).handle((order) => console.log(order));
 * ```
 *
 * @module
 */

import { type HandlerResponse, type PublishOptions, response } from "@sluice/core";
import type { SqsPublishOptions as SqsPublishOptionsOfResponse } from "./options.ts";
import { Broker, type Plugin } from "@sluice/core";
import { type SqsDriver, sqsDriver } from "./driver.ts";
import { sqsEmulation } from "./emulation.ts";
import { optionsFromUrl, type SqsOptions } from "./options.ts";

export { type SqsDriver, sqsDriver } from "./driver.ts";
export { type SqsEmulation, sqsEmulation } from "./emulation.ts";
export {
  brokerOptions,
  optionsFromUrl,
  publishOptions,
  type QueueDeclaration,
  type RedrivePolicy,
  type SqsCredentials,
  type SqsOptions,
  type SqsPublishOptions,
  type SqsSubscribeOptions,
  subscribeOptions,
} from "./options.ts";
export { features, sqsRules } from "./rules.ts";

/**
 * Creates an SQS broker. Options are validated at once; nothing connects until `start()` or `connect()`.
 *
 * @example
 * ```ts
 * import { sqs } from "@sluice/sqs";
 * const broker = sqs({ url: "sqs://127.0.0.1:9324" });
 * broker.subscriber("jobs").handle((job) => console.log(job));
 * ```
 */
export function sqs(options: SqsOptions = {}): Broker<SqsDriver> {
  return new Broker(sqsDriver(options), options, () => sqsEmulation(options));
}

/** The `sqs:` plugin for `connect("sqs://…")`. */
export const plugin: Plugin = {
  schemes: ["sqs"],
  create: (url, options) => sqs({ ...options, ...optionsFromUrl(url) }),
};

/**
 * A handler's response with Sqs publish options (a message group, de-duplication id or delay) for its reply and published result,
 * as FastStream's `SqsResponse` does.
 *
 * @example
 * ```ts
 * import { sqsResponse } from "@sluice/sqs";
 * const handler = (order: { id: string }) => sqsResponse(order, { headers: { "x-source": "orders" } });
 * ```
 */
export function sqsResponse<Body>(
  body: Body,
  options: PublishOptions & SqsPublishOptionsOfResponse = {},
): HandlerResponse<Body, SqsPublishOptionsOfResponse> {
  return response(body, options);
}
