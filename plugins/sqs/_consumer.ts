/**
 * One subscription's consumption of one SQS queue: long-polling receive loops that keep at most `prefetch`
 * messages unsettled (a {@linkcode DeliveryWindow}), a heartbeat that extends the visibility of a message
 * while its handler works, deletion after success (batched), visibility changes for nack, and a move to the
 * redrive target for reject. Receive errors are logged once per outage and retried with back-off; a queue
 * that vanished (a restarted in-memory server) is declared again.
 *
 * @module
 */

import type { Deliver, IncomingMessage, Logger } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import { fromSqs, type ReceivedSqsMessage } from "./message.ts";
import { isMissingQueue, type QueueDirectory, type QueueInfo } from "./_queues.ts";
import type { SqsSdk } from "./_sdk.ts";

/** How a consumer receives. */
export interface ConsumerSettings {
  readonly prefetch: number;
  readonly receivers: number;
  /** Seconds of long polling. */
  readonly waitTimeSeconds: number;
  /** Seconds of invisibility asked for at receive; the queue's by default. */
  readonly visibilityTimeout?: number;
  readonly heartbeat: boolean;
}

/** Seconds of visibility for a nack delay in ms: rounded up, so a short delay never spins. */
export function nackSeconds(delay: number | undefined): number {
  return Math.min(43_200, Math.max(0, Math.ceil((delay ?? 0) / 1000)));
}

/** What the window counts for a slot that a receive under way holds: never handed to the core. */
const RESERVED: IncomingMessage = {
  channel: "",
  body: new Uint8Array(0),
  headers: {},
  ack: () => Promise.resolve(),
  nack: () => Promise.resolve(),
  reject: () => Promise.resolve(),
};

interface PendingDelete {
  readonly receipt: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Collects deletions of one queue into DeleteMessageBatch calls of up to 10. */
class Deleter {
  readonly #sdk: SqsSdk;
  readonly #url: () => string;
  #pending: PendingDelete[] = [];
  #scheduled = false;

  constructor(sdk: SqsSdk, url: () => string) {
    this.#sdk = sdk;
    this.#url = url;
  }

  delete(receipt: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ receipt, resolve, reject });
      if (this.#pending.length >= 10) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => this.#flush(), 0);
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, 10);
      this.#send(batch).catch((error) => batch.forEach((p) => p.reject(error)));
    }
  }

  async #send(batch: PendingDelete[]): Promise<void> {
    const { client, commands } = this.#sdk;
    if (batch.length === 1) {
      await client.send(
        new commands.DeleteMessageCommand({ QueueUrl: this.#url(), ReceiptHandle: batch[0]!.receipt }),
      );
      batch[0]!.resolve();
      return;
    }
    const { Failed = [] } = await client.send(
      new commands.DeleteMessageBatchCommand({
        QueueUrl: this.#url(),
        Entries: batch.map((p, i) => ({ Id: String(i), ReceiptHandle: p.receipt })),
      }),
    );
    const failed = new Map(Failed.map((f) => [Number(f.Id), f]));
    batch.forEach((p, i) => {
      const failure = failed.get(i);
      if (failure) p.reject(new Error(`DeleteMessage failed: ${failure.Code} ${failure.Message ?? ""}`));
      else p.resolve();
    });
  }
}

/** Consumes one queue for one subscription. */
export class Consumer {
  readonly #sdk: SqsSdk;
  readonly #directory: QueueDirectory;
  #queue: QueueInfo;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  readonly #settings: ConsumerSettings;
  readonly #deleter: Deleter;
  readonly #abort = new AbortController();
  readonly #window: DeliveryWindow;
  #loops: Promise<void>[] = [];
  #failing = false;

  constructor(
    sdk: SqsSdk,
    directory: QueueDirectory,
    queue: QueueInfo,
    deliver: Deliver,
    logger: Logger,
    settings: ConsumerSettings,
  ) {
    this.#sdk = sdk;
    this.#directory = directory;
    this.#queue = queue;
    this.#deliver = deliver;
    this.#logger = logger;
    this.#settings = settings;
    this.#window = new DeliveryWindow(settings.prefetch);
    this.#deleter = new Deleter(sdk, () => this.#queue.url);
  }

  /** Starts the receive loops. */
  start(): void {
    for (let i = 0; i < this.#settings.receivers; i++) this.#loops.push(this.#loop());
  }

  /** Stops receiving at once (aborting long polls); unsettled messages can still be settled. */
  async stop(): Promise<void> {
    this.#window.close();
    this.#abort.abort();
    await Promise.all(this.#loops);
  }

  /**
   * Counts `message` in the window until `slot` resolves. The window hands nothing over itself here: a slot
   * frees at the first settlement of a message, which may come before the core is done with it.
   */
  #hold(slot: Promise<void>, message: IncomingMessage): void {
    this.#window.hand(() => slot, message);
  }

  /**
   * Holds `count` slots of the window while a receive is under way (SQS may return that many), so that
   * receives running in parallel never ask together for more than the window has room for; returns the
   * function that frees them.
   */
  #reserve(count: number): () => void {
    let free!: () => void;
    const receiving = new Promise<void>((resolve) => (free = resolve));
    for (let i = 0; i < count; i++) this.#hold(receiving, RESERVED);
    return free;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  async #loop(): Promise<void> {
    const { client, commands } = this.#sdk;
    const window = this.#window;
    let backoff = 250;
    while (!window.closed) {
      if (window.room === 0) {
        await window.whenRoom();
        continue;
      }
      const want = Math.min(10, window.room);
      const unreserve = this.#reserve(want);
      let messages: ReceivedSqsMessage[];
      // A watchdog: a long poll that outlives its wait by far is dead (ElasticMQ never answers a poll of a
      // queue deleted meanwhile; a dropped connection may never report).
      const call = new AbortController();
      const onStop = () => call.abort();
      this.#abort.signal.addEventListener("abort", onStop, { once: true });
      const watchdog = setTimeout(() => call.abort(), this.#settings.waitTimeSeconds * 1000 + 5_000);
      try {
        const result = await client.send(
          new commands.ReceiveMessageCommand({
            QueueUrl: this.#queue.url,
            MaxNumberOfMessages: want,
            WaitTimeSeconds: this.#settings.waitTimeSeconds,
            VisibilityTimeout: this.#settings.visibilityTimeout,
            MessageAttributeNames: ["All"],
            MessageSystemAttributeNames: ["ApproximateReceiveCount", "MessageGroupId"],
          }),
          { abortSignal: call.signal },
        );
        messages = result.Messages ?? [];
      } catch (error) {
        clearTimeout(watchdog);
        this.#abort.signal.removeEventListener("abort", onStop);
        unreserve();
        if (window.closed) break;
        await this.#receiveFailed(error);
        await this.#pause(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      clearTimeout(watchdog);
      this.#abort.signal.removeEventListener("abort", onStop);
      backoff = 250;
      if (this.#failing) {
        this.#failing = false;
        this.#logger.info(`Receiving from queue ${this.#queue.name} again`, { queue: this.#queue.name });
      }
      // After a stop the messages are not handed over: they are visible again after the visibility timeout.
      if (!window.closed) {
        for (const message of messages) this.#handle(message);
      }
      unreserve();
    }
  }

  async #receiveFailed(error: unknown): Promise<void> {
    const name = this.#queue.name;
    if (!this.#failing) {
      this.#failing = true;
      this.#logger.warn(`Cannot receive from queue ${name}: ${describeError(error)}; retrying`, {
        queue: name,
        error: describeError(error),
      });
    }
    if (isMissingQueue(error)) {
      // The queue vanished (deleted, or an in-memory server restarted): declare it again.
      this.#directory.forget(name);
      try {
        this.#queue = await this.#directory.info(name);
        this.#logger.info(`Declared queue ${name} again`, { queue: name });
      } catch (again) {
        this.#logger.debug(`Cannot declare queue ${name} yet: ${describeError(again)}`, { queue: name });
      }
    }
  }

  #handle(message: ReceivedSqsMessage): void {
    const queue = this.#queue;
    const receipt = message.ReceiptHandle!;
    const decoded = fromSqs(message);
    let open = true;
    let holding = true;
    let heartbeat: ReturnType<typeof setTimeout> | undefined;
    const visibility = this.#settings.visibilityTimeout ?? queue.visibilityTimeout;
    let free!: () => void;
    const slot = new Promise<void>((resolve) => (free = resolve));
    const release = (): void => {
      clearTimeout(heartbeat);
      if (!holding) return;
      holding = false;
      free();
    };
    const settle = (): boolean => {
      if (!open) return false;
      open = false;
      release();
      return true;
    };
    const { client, commands } = this.#sdk;
    const changeVisibility = (seconds: number) =>
      client.send(
        new commands.ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: receipt,
          VisibilityTimeout: seconds,
        }),
      );
    if (this.#settings.heartbeat && visibility > 0) {
      const every = Math.max(500, (visibility * 1000) / 2);
      const beat = (): void => {
        heartbeat = setTimeout(() => {
          if (!open || !holding) return;
          changeVisibility(visibility).then(beat, (error) => {
            this.#logger.warn(
              `Cannot extend the visibility of message ${decoded.messageId}: ${describeError(error)}`,
              {
                messageId: decoded.messageId,
                queue: queue.name,
              },
            );
          });
        }, every);
      };
      beat();
    }
    const incoming: IncomingMessage = {
      channel: queue.name,
      body: decoded.body,
      headers: decoded.headers,
      contentType: decoded.contentType,
      correlationId: decoded.correlationId,
      messageId: decoded.messageId,
      replyTo: decoded.replyTo,
      key: decoded.key,
      deliveryCount: decoded.deliveryCount,
      redelivered: (decoded.deliveryCount ?? 1) > 1,
      raw: message,
      ack: async () => {
        if (!settle()) return;
        await this.#deleter.delete(receipt);
      },
      nack: async (options) => {
        if (!settle()) return;
        try {
          await changeVisibility(nackSeconds(options?.delay));
        } catch (error) {
          this.#logger.warn(
            `Cannot return message ${decoded.messageId} at once (${describeError(error)}); ` +
              `it returns after its visibility timeout`,
            { messageId: decoded.messageId, queue: queue.name },
          );
        }
      },
      reject: async () => {
        if (!settle()) return;
        if (queue.deadLetter) {
          const fifo = queue.deadLetter.fifo;
          await client.send(
            new commands.SendMessageCommand({
              QueueUrl: queue.deadLetter.url,
              MessageBody: message.Body ?? "",
              MessageAttributes: message.MessageAttributes as never,
              MessageGroupId: fifo ? decoded.key ?? "default" : undefined,
              MessageDeduplicationId: fifo ? message.MessageId : undefined,
            }),
          );
        }
        await this.#deleter.delete(receipt);
      },
    };
    // The slot frees at the first settlement, or once the core is done with the message.
    this.#hold(slot, incoming);
    this.#deliver(incoming).then(
      // A manual subscriber that did not settle: stop holding the slot; the message returns after its
      // visibility timeout unless settled later.
      release,
      () => incoming.nack(),
    );
  }
}
