/**
 * The core's view of one consumed Kafka record. A class rather than an object literal with closures: per
 * record it allocates one object, and `raw` and the made-up message id are built only when read.
 *
 * @module
 */

import { type IncomingMessage, SETTLED } from "@sluice/core";
import { fromRecord, type KafkaConsumedRecord } from "./message.ts";
import type { PartitionTrack } from "./_track.ts";

/** Where a record's settlement goes: the subscription that handed it over. */
export interface RecordOwner {
  /** The record was acked or rejected (once). */
  settled(message: KafkaIncoming): void;
  /** The record was nacked (once): retry it in place after `delay` ms (the default when undefined). */
  nacked(message: KafkaIncoming, delay: number | undefined): void;
}

/** One delivery of a consumed record; see the module doc. */
export class KafkaIncoming implements IncomingMessage {
  readonly channel: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly key?: string;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
  /** The record's partition. */
  readonly partition: number;
  /** The record's offset. */
  readonly offset: number;
  /** The record as kafkajs gave it. */
  readonly record: KafkaConsumedRecord;
  /** The bookkeeping of the record's partition. */
  readonly track: PartitionTrack;
  readonly #owner: RecordOwner;
  #messageId: string | undefined;
  #raw: unknown;
  #open = true;

  constructor(
    owner: RecordOwner,
    topic: string,
    partition: number,
    track: PartitionTrack,
    record: KafkaConsumedRecord,
    offset: number,
    attempt: number,
  ) {
    const decoded = fromRecord(record);
    this.channel = topic;
    this.body = decoded.body;
    this.headers = decoded.headers;
    this.contentType = decoded.contentType;
    this.correlationId = decoded.correlationId;
    this.replyTo = decoded.replyTo;
    this.key = decoded.key;
    this.#messageId = decoded.messageId;
    this.redelivered = attempt > 1;
    this.deliveryCount = attempt;
    this.partition = partition;
    this.offset = offset;
    this.record = record;
    this.track = track;
    this.#owner = owner;
  }

  /** The `message_id` header, else `<topic>-<partition>-<offset>`. */
  get messageId(): string {
    return this.#messageId ??= `${this.channel}-${this.partition}-${this.record.offset}`;
  }

  /** kafkajs's record with its topic and partition. */
  get raw(): unknown {
    const record = this.record;
    return this.#raw ??= {
      topic: this.channel,
      partition: this.partition,
      offset: record.offset,
      key: record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: record.headers,
    };
  }

  ack(): Promise<void> {
    if (this.#open) (this.#open = false, this.#owner.settled(this));
    return SETTLED;
  }

  /**
   * Kafka has no per-record reject: the record is skipped (committed past). The core dead-letters it first
   * when the subscriber has a `deadLetter` target.
   */
  reject(): Promise<void> {
    if (this.#open) (this.#open = false, this.#owner.settled(this));
    return SETTLED;
  }

  /**
   * Kafka cannot return one record: it is retried in place after the delay, keeping its slot and holding
   * back the commit of its partition, so a crash meanwhile redelivers it from the broker.
   */
  nack(options?: { readonly delay?: number }): Promise<void> {
    if (this.#open) (this.#open = false, this.#owner.nacked(this, options?.delay));
    return SETTLED;
  }
}
