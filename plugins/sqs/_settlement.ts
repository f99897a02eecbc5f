/**
 * How a received SQS message is settled and kept: deletions collected into batches, the heartbeat that keeps
 * held messages invisible, and the message the core receives, whose ack, nack and reject go through them.
 *
 * @module
 */

import type { IncomingMessage, Logger } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import { setImmediate } from "node:timers";
import { fromSqs, type ReceivedSqsMessage } from "./message.ts";
import type { QueueInfo } from "./_queues.ts";
import type { SqsSdk } from "./_sdk.ts";

/** Seconds of visibility for a nack delay in ms: rounded up, so a short delay never spins. */
export function nackSeconds(delay: number | undefined): number {
  return Math.min(43_200, Math.max(0, Math.ceil((delay ?? 0) / 1000)));
}

interface PendingDelete {
  readonly receipt: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Collects deletions of one queue into DeleteMessageBatch calls of up to 10. */
export class Deleter {
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
        // After the I/O callbacks of this turn of the event loop, which hand over whole receives: a timer
        // (even of 0 ms) is a turn of its own, which cost up to 60 µs of CPU per batch under Deno and Bun.
        this.#scheduled = true;
        setImmediate(() => this.#flush());
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

/** A message whose visibility the heartbeat extends. */
interface Held {
  readonly messageId: string;
  /** Seconds of visibility each extension asks for. */
  readonly visibility: number;
  /** When (ms since the epoch) it needs its next extension. */
  due: number;
}

/**
 * Keeps the messages a consumer holds invisible while their handlers work: one timer for all of them, not one
 * per message (a timer set and cleared per message cost 2–5 µs of CPU under Deno, 1–2 under Node, in the
 * drain bench), and their extensions batched into ChangeMessageVisibilityBatch calls of up to 10.
 *
 * A message is due a third of its visibility timeout after it was received or last extended; the timer looks
 * every quarter, so the extension goes out between a third and seven twelfths of the way, well before the
 * timeout. The timer stops when a look finds nothing held, and once the consumer stopped and the last
 * message was settled.
 */
export class Heartbeat {
  readonly #sdk: SqsSdk;
  readonly #queue: () => QueueInfo;
  readonly #logger: Logger;
  readonly #held = new Map<string, Held>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #every = Infinity;
  #stopped = false;

  constructor(sdk: SqsSdk, queue: () => QueueInfo, logger: Logger) {
    this.#sdk = sdk;
    this.#queue = queue;
    this.#logger = logger;
  }

  /** Extends the visibility of the message with this receipt handle until {@linkcode Heartbeat.release}. */
  hold(receipt: string, messageId: string, visibility: number): void {
    const period = (visibility * 1000) / 3;
    this.#held.set(receipt, { messageId, visibility, due: Date.now() + period });
    const every = Math.max(100, (visibility * 1000) / 4);
    if (this.#timer !== undefined && every >= this.#every) return;
    clearInterval(this.#timer);
    this.#every = every;
    this.#timer = setInterval(() => this.#beat(), every);
  }

  /** Stops extending the message's visibility: it was settled, or its handler is done with it. */
  release(receipt: string): void {
    this.#held.delete(receipt);
    if (this.#stopped && this.#held.size === 0) this.#stop();
  }

  /** The consumer stopped: the timer ends once the messages still held are released. */
  stop(): void {
    this.#stopped = true;
    if (this.#held.size === 0) this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#every = Infinity;
  }

  #beat(): void {
    if (this.#held.size === 0) return this.#stop();
    const now = Date.now();
    let batch: [string, Held][] = [];
    for (const entry of this.#held) {
      const held = entry[1];
      if (held.due > now) continue;
      held.due = now + (held.visibility * 1000) / 3;
      batch.push(entry);
      if (batch.length === 10) {
        this.#extend(batch);
        batch = [];
      }
    }
    if (batch.length > 0) this.#extend(batch);
  }

  #extend(batch: [string, Held][]): void {
    const { client, commands } = this.#sdk;
    const queue = this.#queue();
    client.send(
      new commands.ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.url,
        Entries: batch.map(([receipt, held], i) => ({
          Id: String(i),
          ReceiptHandle: receipt,
          VisibilityTimeout: held.visibility,
        })),
      }),
    ).then(({ Failed = [] }) => {
      // A receipt SQS refused (the message expired meanwhile, or was deleted): extending it again cannot help.
      for (const failure of Failed) {
        const [receipt, held] = batch[Number(failure.Id)]!;
        this.#held.delete(receipt);
        const reason = `${failure.Code} ${failure.Message ?? ""}`.trim();
        this.#logger.warn(`Cannot extend the visibility of message ${held.messageId}: ${reason}`, {
          messageId: held.messageId,
          queue: queue.name,
        });
      }
    }, (error) => {
      // The call failed as a whole (an outage): one warning for it; each message is tried again when due.
      this.#logger.warn(
        `Cannot extend the visibility of ${batch.length} message(s): ${describeError(error)}; trying again`,
        { queue: queue.name },
      );
    });
  }
}

/** What a received message settles through: its consumer's deletions, SDK and log. */
export interface Settling {
  readonly deleter: Deleter;
  readonly sdk: SqsSdk;
  readonly logger: Logger;
}

/**
 * A received message. A class, not an object of closures, since one is made per message. It holds its slot
 * of the consumer's window (`free` gives it back) until the first settlement, or until the core is done with
 * it (`release`), and its visibility is extended by the heartbeat for as long.
 */
export class SqsIncoming implements IncomingMessage {
  readonly channel: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly correlationId: string | undefined;
  readonly messageId: string | undefined;
  readonly replyTo: string | undefined;
  readonly key: string | undefined;
  readonly deliveryCount: number | undefined;
  readonly redelivered: boolean;
  readonly raw: ReceivedSqsMessage;
  readonly receipt: string;
  readonly #queue: QueueInfo;
  readonly #settling: Settling;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #free: () => void;
  #open = true;
  #holding = true;

  constructor(
    message: ReceivedSqsMessage,
    queue: QueueInfo,
    settling: Settling,
    free: () => void,
    heartbeat: Heartbeat | undefined,
  ) {
    const decoded = fromSqs(message);
    this.channel = queue.name;
    this.body = decoded.body;
    this.headers = decoded.headers;
    this.contentType = decoded.contentType;
    this.correlationId = decoded.correlationId;
    this.messageId = decoded.messageId;
    this.replyTo = decoded.replyTo;
    this.key = decoded.key;
    this.deliveryCount = decoded.deliveryCount;
    this.redelivered = (decoded.deliveryCount ?? 1) > 1;
    this.raw = message;
    this.receipt = message.ReceiptHandle!;
    this.#free = free;
    this.#queue = queue;
    this.#settling = settling;
    this.#heartbeat = heartbeat;
  }

  /** Frees the message's slot and ends its heartbeat (a function of its own: a promise's reaction). */
  readonly release = (): void => {
    if (!this.#holding) return;
    this.#holding = false;
    this.#heartbeat?.release(this.receipt);
    this.#free();
  };

  ack(): Promise<void> {
    if (!this.#settle()) return Promise.resolve();
    return this.#settling.deleter.delete(this.receipt);
  }

  async nack(options?: { readonly delay?: number }): Promise<void> {
    if (!this.#settle()) return;
    const { sdk: { client, commands }, logger } = this.#settling;
    try {
      await client.send(
        new commands.ChangeMessageVisibilityCommand({
          QueueUrl: this.#queue.url,
          ReceiptHandle: this.receipt,
          VisibilityTimeout: nackSeconds(options?.delay),
        }),
      );
    } catch (error) {
      logger.warn(
        `Cannot return message ${this.messageId} at once (${describeError(error)}); ` +
          `it returns after its visibility timeout`,
        { messageId: this.messageId, queue: this.#queue.name },
      );
    }
  }

  async reject(): Promise<void> {
    if (!this.#settle()) return;
    const { sdk: { client, commands }, deleter } = this.#settling;
    const deadLetter = this.#queue.deadLetter;
    if (deadLetter) {
      const message = this.raw;
      await client.send(
        new commands.SendMessageCommand({
          QueueUrl: deadLetter.url,
          MessageBody: message.Body ?? "",
          MessageAttributes: message.MessageAttributes as never,
          MessageGroupId: deadLetter.fifo ? this.key ?? "default" : undefined,
          MessageDeduplicationId: deadLetter.fifo ? message.MessageId : undefined,
        }),
      );
    }
    await deleter.delete(this.receipt);
  }

  #settle(): boolean {
    if (!this.#open) return false;
    this.#open = false;
    this.release();
    return true;
  }
}
