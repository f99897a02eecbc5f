/**
 * What SendMessage and SendMessageBatch get for a message, shared by the driver and the emulation so both
 * refuse the same messages (too large, a per-message delay on a FIFO queue).
 *
 * @module
 */

import { OptionError, type OutgoingMessage, SluiceError } from "@sluice/core";
import { MAX_MESSAGE_BYTES, sqsSize, toSqs } from "./message.ts";
import type { SqsPublishOptions } from "./options.ts";

/** One message as SendMessage and SendMessageBatch take it. */
export interface SendEntry {
  MessageBody: string;
  MessageAttributes: Record<string, { DataType: string | undefined; StringValue?: string }>;
  DelaySeconds?: number;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

/**
 * Builds the SendMessage fields of a message for a queue; throws when SQS would refuse it (too large, a
 * per-message delay on a FIFO queue).
 */
export function sendEntry(
  channel: string,
  message: OutgoingMessage,
  options: SqsPublishOptions,
  fifo: boolean,
  contentBasedDeduplication: boolean,
): SendEntry {
  const parts = toSqs(message);
  const size = sqsSize(parts);
  if (size > MAX_MESSAGE_BYTES) {
    throw new SluiceError(
      `Message ${message.messageId} to queue ${channel} is ${size} bytes; SQS takes at most ` +
        `${MAX_MESSAGE_BYTES} (256 KiB): store the payload elsewhere (e.g. S3) and send a reference`,
    );
  }
  const entry: SendEntry = { ...parts };
  if (fifo) {
    if (options.delaySeconds) {
      throw new OptionError(
        `delaySeconds is not allowed on the FIFO queue ${channel}: declare a queue delay`,
      );
    }
    entry.MessageGroupId = options.groupId ?? "default";
    const dedup = options.deduplicationId ?? (contentBasedDeduplication ? undefined : message.messageId);
    if (dedup !== undefined) entry.MessageDeduplicationId = dedup;
  } else {
    if (options.delaySeconds !== undefined) entry.DelaySeconds = options.delaySeconds;
    // On a standard queue a group is the tenant of SQS fair queues: no order, but it arrives as the key.
    if (options.groupId !== undefined) entry.MessageGroupId = options.groupId;
  }
  return entry;
}

/** Splits entries into SendMessageBatch calls: at most 10 messages and 256 KiB each. */
export function chunks(entries: readonly SendEntry[]): SendEntry[][] {
  const out: SendEntry[][] = [];
  let current: SendEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sqsSize(entry);
    if (current.length === 10 || (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
