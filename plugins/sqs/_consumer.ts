/**
 * One subscription's consumption of one SQS queue: long-polling receive loops that keep at most `prefetch`
 * messages unsettled (a {@linkcode DeliveryWindow}), a heartbeat that extends the visibility of a message
 * while its handler works, deletion after success (batched), visibility changes for nack, and a move to the
 * redrive target for reject. Receive errors are logged once per outage and retried with back-off; a queue
 * that vanished (a restarted in-memory server) is declared again.
 *
 * @module
 */

import type { Deliver, Logger } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import type { ReceivedSqsMessage } from "./message.ts";
import { isMissingQueue, type QueueDirectory, type QueueInfo } from "./_queues.ts";
import { abortable, type SqsSdk } from "./_sdk.ts";
import { Deleter, Heartbeat, type Settling, SqsIncoming } from "./_settlement.ts";

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

/** A receive loop's long poll: aborted by a stop, or by the watchdog when it outlived its wait by far. */
interface Poll {
  /** Aborts the poll under way; replaced after the watchdog used it. */
  call: AbortController;
  /** When (ms since the epoch) the poll under way started; undefined between polls. */
  since: number | undefined;
}

/** Consumes one queue for one subscription. */
export class Consumer {
  readonly #sdk: SqsSdk;
  readonly #directory: QueueDirectory;
  #queue: QueueInfo;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  readonly #settings: ConsumerSettings;
  readonly #heartbeat: Heartbeat;
  readonly #settling: Settling;
  readonly #abort = new AbortController();
  readonly #window: DeliveryWindow;
  #loops: Promise<void>[] = [];
  readonly #polls: Poll[] = [];
  #watchdog: ReturnType<typeof setInterval> | undefined;
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
    this.#heartbeat = new Heartbeat(sdk, () => this.#queue, logger);
    this.#settling = { deleter: new Deleter(sdk, () => this.#queue.url), sdk, logger };
  }

  /** Starts the receive loops, and the watchdog of their long polls. */
  start(): void {
    for (let i = 0; i < this.#settings.receivers; i++) {
      const poll: Poll = { call: new AbortController(), since: undefined };
      this.#polls.push(poll);
      this.#loops.push(this.#loop(poll));
    }
    // A long poll that outlives its wait by far is dead (ElasticMQ never answers a poll of a queue deleted
    // meanwhile; a dropped connection may never report): aborted, and the loop polls again. One timer for
    // the loops, not one per receive.
    const limit = this.#settings.waitTimeSeconds * 1000 + 5_000;
    this.#watchdog = setInterval(() => {
      const now = Date.now();
      for (const poll of this.#polls) {
        if (poll.since === undefined || now - poll.since < limit) continue;
        poll.since = undefined;
        poll.call.abort();
        poll.call = new AbortController();
      }
    }, 1_000);
  }

  /** Stops receiving at once (aborting long polls); unsettled messages can still be settled. */
  async stop(): Promise<void> {
    this.#window.close();
    clearInterval(this.#watchdog);
    this.#abort.abort();
    for (const poll of this.#polls) poll.call.abort();
    await Promise.all(this.#loops);
    this.#heartbeat.stop();
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

  async #loop(poll: Poll): Promise<void> {
    const { client, commands } = this.#sdk;
    const window = this.#window;
    let backoff = 250;
    while (!window.closed) {
      if (window.room === 0) {
        await window.whenRoom();
        continue;
      }
      const want = Math.min(10, window.room);
      // The room this receive may fill stays taken while it is under way, so that receives running in
      // parallel never ask together for more than the window has.
      const unreserve = window.take(want);
      let messages: ReceivedSqsMessage[];
      poll.since = Date.now();
      try {
        const receive = new commands.ReceiveMessageCommand({
          QueueUrl: this.#queue.url,
          MaxNumberOfMessages: want,
          WaitTimeSeconds: this.#settings.waitTimeSeconds,
          VisibilityTimeout: this.#settings.visibilityTimeout,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "MessageGroupId"],
        });
        const result = await client.send(abortable(receive, poll.call.signal));
        messages = result.Messages ?? [];
      } catch (error) {
        poll.since = undefined;
        unreserve();
        if (window.closed) break;
        await this.#receiveFailed(error);
        await this.#pause(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      poll.since = undefined;
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
    const visibility = this.#settings.visibilityTimeout ?? queue.visibilityTimeout;
    const heartbeat = this.#settings.heartbeat && visibility > 0 ? this.#heartbeat : undefined;
    // The message's slot of the window frees at its first settlement, or once the core is done with it.
    const incoming = new SqsIncoming(message, queue, this.#settling, this.#window.take(), heartbeat);
    heartbeat?.hold(incoming.receipt, incoming.messageId ?? incoming.receipt, visibility);
    this.#deliver(incoming).then(
      // A manual subscriber that did not settle: stop holding the slot; the message returns after its
      // visibility timeout unless settled later.
      incoming.release,
      () => incoming.nack(),
    );
  }
}
