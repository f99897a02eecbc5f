/**
 * Queue names to queue URLs, with declaration: a queue named in the broker's `queues` (or a subscriber's
 * `queue`) is created with its attributes, or brought to them when it exists; an undeclared queue is looked
 * up and, with `createQueues`, created on first use.
 *
 * @module
 */

import { OptionError, SluiceError } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import type { Logger } from "@sluice/core";
import { isFifo, isQueueUrl, type QueueDeclaration } from "./options.ts";
import type { SqsSdk } from "./_sdk.ts";

/** What a consumer needs to know about its queue. */
export interface QueueInfo {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
  /** Seconds. */
  readonly visibilityTimeout: number;
  readonly contentBasedDeduplication: boolean;
  /** The redrive target, where `reject()` moves a message. */
  readonly deadLetter?: { readonly url: string; readonly fifo: boolean };
}

/** Whether an SDK error says the queue does not exist. */
export function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? "";
  return name === "QueueDoesNotExist" || name.includes("NonExistentQueue");
}

function isNameTaken(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? "";
  return name === "QueueNameExists" || name === "QueueAlreadyExists" || name.includes("QueueAlreadyExists");
}

function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(":") + 1);
}

/** Resolves and declares queues for one client. */
export class QueueDirectory {
  readonly #sdk: SqsSdk;
  readonly #declarations: Map<string, QueueDeclaration>;
  readonly #createQueues: boolean;
  readonly #logger: Logger;
  readonly #urls = new Map<string, Promise<string>>();

  /** Creates a directory; `declarations` are the broker's `queues`. */
  constructor(
    sdk: SqsSdk,
    declarations: Readonly<Record<string, QueueDeclaration>>,
    createQueues: boolean,
    logger: Logger,
  ) {
    this.#sdk = sdk;
    this.#declarations = new Map(Object.entries(declarations));
    this.#createQueues = createQueues;
    this.#logger = logger;
  }

  /** Adds (or refines) a declaration, e.g. a subscriber's `queue` option, before the queue is first used. */
  declare(name: string, declaration: QueueDeclaration): void {
    const merged = { ...this.#declarations.get(name), ...declaration };
    this.#declarations.set(name, merged);
    this.#urls.delete(name);
  }

  /** The declaration of a queue, if any. */
  declaration(name: string): QueueDeclaration | undefined {
    return this.#declarations.get(name);
  }

  /** The URL of a queue, declaring or creating it on first use. */
  url(name: string): Promise<string> {
    if (isQueueUrl(name)) return Promise.resolve(name);
    let url = this.#urls.get(name);
    if (!url) {
      url = this.#resolve(name);
      this.#urls.set(name, url);
      url.catch(() => this.#urls.delete(name));
    }
    return url;
  }

  /** Forgets a queue's URL, e.g. after it was deleted. */
  forget(name: string): void {
    this.#urls.delete(name);
  }

  /** The queue's URL and the attributes a consumer needs. */
  async info(name: string): Promise<QueueInfo> {
    const url = await this.url(name);
    const { client, commands } = this.#sdk;
    const { Attributes = {} } = await client.send(
      new commands.GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["VisibilityTimeout", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication"],
      }),
    );
    let deadLetter: QueueInfo["deadLetter"];
    if (Attributes.RedrivePolicy) {
      const target = nameFromArn(
        (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn: string }).deadLetterTargetArn,
      );
      deadLetter = { url: await this.url(target), fifo: target.endsWith(".fifo") };
    }
    return {
      name,
      url,
      fifo: Attributes.FifoQueue === "true" || isFifo(name, this.#declarations.get(name)),
      visibilityTimeout: Number(Attributes.VisibilityTimeout ?? 30),
      contentBasedDeduplication: Attributes.ContentBasedDeduplication === "true",
      deadLetter,
    };
  }

  async #resolve(name: string): Promise<string> {
    const declaration = this.#declarations.get(name);
    if (declaration?.url) return declaration.url;
    const { client, commands } = this.#sdk;
    if (declaration && (declaration.create ?? this.#createQueues)) {
      const attributes = await this.#attributes(name, declaration);
      try {
        const { QueueUrl } = await client.send(
          new commands.CreateQueueCommand({ QueueName: name, Attributes: attributes }),
        );
        return QueueUrl!;
      } catch (error) {
        if (!isNameTaken(error)) throw this.#failure(name, error);
        // It exists with other attributes: bring it to the declared ones (FIFO-ness cannot change).
        const { QueueUrl } = await client.send(new commands.GetQueueUrlCommand({ QueueName: name }));
        const { FifoQueue: _fifo, ...settable } = attributes;
        await client.send(new commands.SetQueueAttributesCommand({ QueueUrl, Attributes: settable }));
        this.#logger.info(`Queue ${name} existed with other attributes; updated them`, { queue: name });
        return QueueUrl!;
      }
    }
    try {
      const { QueueUrl } = await client.send(new commands.GetQueueUrlCommand({ QueueName: name }));
      return QueueUrl!;
    } catch (error) {
      if (!isMissingQueue(error)) throw this.#failure(name, error);
      if (!(declaration?.create ?? this.#createQueues)) {
        throw new SluiceError(
          `The SQS queue ${name} does not exist: create it, declare it in the broker's queues, ` +
            `or set createQueues: true`,
          { cause: error },
        );
      }
    }
    const attributes: Record<string, string> = isFifo(name) ? { FifoQueue: "true" } : {};
    try {
      const { QueueUrl } = await client.send(
        new commands.CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      this.#logger.debug(`Created queue ${name}`, { queue: name });
      return QueueUrl!;
    } catch (error) {
      throw this.#failure(name, error);
    }
  }

  async #attributes(name: string, declaration: QueueDeclaration): Promise<Record<string, string>> {
    const attributes: Record<string, string> = {};
    const fifo = isFifo(name, declaration);
    if (fifo !== name.endsWith(".fifo")) {
      throw new OptionError(
        `Queue ${name}: a FIFO queue's name must end with ".fifo", and only a FIFO queue's`,
      );
    }
    if (fifo) attributes.FifoQueue = "true";
    if (declaration.visibilityTimeout !== undefined) {
      attributes.VisibilityTimeout = String(declaration.visibilityTimeout);
    }
    if (declaration.retentionPeriod !== undefined) {
      attributes.MessageRetentionPeriod = String(declaration.retentionPeriod);
    }
    if (declaration.delaySeconds !== undefined) attributes.DelaySeconds = String(declaration.delaySeconds);
    if (declaration.contentBasedDeduplication !== undefined) {
      attributes.ContentBasedDeduplication = String(declaration.contentBasedDeduplication);
    }
    if (declaration.deadLetter) {
      const { queue, maxReceiveCount } = declaration.deadLetter;
      const dlqUrl = await this.url(queue);
      const { client, commands } = this.#sdk;
      const { Attributes } = await client.send(
        new commands.GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
      );
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: Attributes?.QueueArn,
        maxReceiveCount: String(maxReceiveCount),
      });
    }
    return { ...attributes, ...declaration.attributes };
  }

  #failure(name: string, error: unknown): SluiceError {
    return error instanceof SluiceError
      ? error
      : new SluiceError(`Cannot use the SQS queue ${name}: ${describeError(error)}`, { cause: error });
  }
}
