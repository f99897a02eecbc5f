/**
 * Key-value subscriptions on a real server: a watch of a bucket's keys (the subscriber's channel is the key
 * pattern), and the bucket handle for handlers.
 *
 * @module
 */

import type { Deliver, IncomingMessage, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import type { KV, KvEntry } from "@nats-io/kv";
import type { Connection } from "./_connection.ts";
import { decodeValue, encodeValue, type KeyValue } from "./_kv.ts";
import type { KeyValueWatchOptions, NatsSubscribeOptions } from "./options.ts";
import { KV_BUCKET_HEADER, KV_OPERATION_HEADER, KV_REVISION_HEADER } from "./message.ts";
import { pump } from "./_pump.ts";

/** The watch options of a subscriber, from `kv: "bucket"` or `kv: { bucket, … }`. */
export function watchOptions(spec: SubscriptionSpec<NatsSubscribeOptions>): KeyValueWatchOptions {
  const kv = spec.options.kv!;
  return typeof kv === "string" ? { bucket: kv } : kv;
}

/** A watch message as the core sees it; watches are not acknowledged, so settling does nothing. */
export function kvIncoming(
  bucket: string,
  entry: { key: string; value: Uint8Array; revision: number; operation: string },
): IncomingMessage {
  const done = (): Promise<void> => Promise.resolve();
  return {
    channel: entry.key,
    body: entry.value,
    headers: {
      [KV_OPERATION_HEADER]: entry.operation,
      [KV_REVISION_HEADER]: String(entry.revision),
      [KV_BUCKET_HEADER]: bucket,
    },
    messageId: `${bucket}:${entry.revision}`,
    raw: entry,
    ack: done,
    nack: done,
    reject: done,
  };
}

async function openBucket(connection: Connection, options: KeyValueWatchOptions): Promise<KV> {
  const kvm = await connection.kvm();
  const config: Record<string, unknown> = {};
  if (options.history !== undefined) config.history = options.history;
  if (options.storage) config.storage = options.storage;
  return await kvm.create(options.bucket, config);
}

/** Watches keys of a bucket; resolves once the watch is live. */
export async function subscribeKv(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  deliver: Deliver,
): Promise<SubscriptionHandle> {
  const options = watchOptions(spec);
  const kv = await openBucket(connection, options);
  const include = options.include === "last" ? "" : options.include ?? "updates";
  const watch = await kv.watch({
    key: spec.channel,
    include: include as "" | "history" | "updates",
    ignoreDeletes: options.ignoreDeletes ?? false,
  });
  const pumping = pump(
    watch,
    spec.prefetch,
    deliver,
    (entry) => kvIncoming(options.bucket, entry),
    (error) =>
      connection.logger.error(`Watch of ${options.bucket}/${spec.channel} failed: ${describeError(error)}`),
  );
  return {
    stop() {
      pumping.stop();
      watch.stop();
      return Promise.resolve();
    },
  };
}

function entryOf(entry: KvEntry): {
  key: string;
  value: unknown;
  raw: Uint8Array;
  revision: number;
  operation: "PUT" | "DEL" | "PURGE";
} {
  return {
    key: entry.key,
    value: decodeValue(entry.value),
    raw: entry.value,
    revision: entry.revision,
    operation: entry.operation,
  };
}

/** A bucket handle over a real server; the bucket is created when missing. */
export async function openKeyValue(connection: Connection, bucket: string): Promise<KeyValue> {
  const kv = await openBucket(connection, { bucket });
  return {
    bucket,
    async get(key) {
      const entry = await kv.get(key);
      return entry && entry.operation === "PUT" ? entryOf(entry) : undefined;
    },
    put: (key, value) => kv.put(key, encodeValue(value)),
    async delete(key) {
      await kv.delete(key);
    },
    async keys(filter) {
      const keys: string[] = [];
      for await (const key of await kv.keys(filter)) keys.push(key);
      return keys;
    },
  };
}
