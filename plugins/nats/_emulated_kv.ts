/**
 * Key-value buckets in memory: puts and deletes with revisions, and watches of key patterns that see them
 * (not acknowledged, like the server's ordered watch consumer).
 *
 * @module
 */

import type { Deliver, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { type Activity, MemoryQueue, type StoredMessage } from "@sluice/core/kit";
import { decodeValue, encodeValue, type KeyValue, type KeyValueEntry } from "./_kv.ts";
import type { NatsSubscribeOptions } from "./options.ts";
import { kvIncoming, watchOptions } from "./_kv_watch.ts";
import { natsRules } from "./rules.ts";

interface Entry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly revision: number;
  readonly operation: "PUT" | "DEL" | "PURGE";
}

interface Bucket {
  revision: number;
  readonly history: Entry[];
  readonly latest: Map<string, Entry>;
  readonly watchers: Set<
    { readonly pattern: string; readonly ignoreDeletes: boolean; readonly queue: MemoryQueue }
  >;
}

const EMPTY = new Uint8Array();

function storedOf(bucket: string, entry: Entry): StoredMessage {
  const incoming = kvIncoming(bucket, entry);
  return {
    channel: incoming.channel,
    body: incoming.body,
    headers: incoming.headers,
    messageId: incoming.messageId,
    raw: entry,
  };
}

/** The buckets of one emulation. */
export class EmulatedBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #activity: Activity;

  /** Creates no bucket yet; watches are tracked by `activity`. */
  constructor(activity: Activity) {
    this.#activity = activity;
  }

  #get(name: string): Bucket {
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      bucket = { revision: 0, history: [], latest: new Map(), watchers: new Set() };
      this.#buckets.set(name, bucket);
    }
    return bucket;
  }

  #write(name: string, key: string, value: Uint8Array, operation: Entry["operation"]): number {
    const bucket = this.#get(name);
    const entry: Entry = { key, value, revision: ++bucket.revision, operation };
    bucket.history.push(entry);
    bucket.latest.set(key, entry);
    for (const watcher of bucket.watchers) {
      if (operation !== "PUT" && watcher.ignoreDeletes) continue;
      if (natsRules.matches(watcher.pattern, key)) watcher.queue.push(storedOf(name, entry));
    }
    return entry.revision;
  }

  /** A bucket handle, created on first use. */
  bucket(name: string): KeyValue {
    const bucket = this.#get(name);
    const entryOf = (entry: Entry): KeyValueEntry => ({
      ...entry,
      value: decodeValue(entry.value),
      raw: entry.value,
    });
    return {
      bucket: name,
      get: (key) => {
        const entry = bucket.latest.get(key);
        return Promise.resolve(entry && entry.operation === "PUT" ? entryOf(entry) : undefined);
      },
      put: (key, value) => Promise.resolve(this.#write(name, key, encodeValue(value), "PUT")),
      delete: (key) => {
        this.#write(name, key, EMPTY, "DEL");
        return Promise.resolve();
      },
      keys: (filter) =>
        Promise.resolve(
          [...bucket.latest.values()]
            .filter((e) =>
              e.operation === "PUT" && (filter === undefined || natsRules.matches(filter, e.key))
            )
            .map((e) => e.key),
        ),
    };
  }

  /** Watches keys matching the subscriber's channel. */
  watch(spec: SubscriptionSpec<NatsSubscribeOptions>, deliver: Deliver): SubscriptionHandle {
    const options = watchOptions(spec);
    const bucket = this.#get(options.bucket);
    const queue = new MemoryQueue(`kv/${options.bucket}/${spec.channel}`, {
      activity: this.#activity,
      maxDeliveries: 1,
    });
    const watcher = { pattern: spec.channel, ignoreDeletes: options.ignoreDeletes ?? false, queue };
    const initial = options.include === "history"
      ? bucket.history
      : options.include === "last"
      ? [...bucket.latest.values()].sort((a, b) => a.revision - b.revision)
      : [];
    for (const entry of initial) {
      if (entry.operation !== "PUT" && watcher.ignoreDeletes) continue;
      if (natsRules.matches(spec.channel, entry.key)) queue.push(storedOf(options.bucket, entry));
    }
    bucket.watchers.add(watcher);
    const cancel = queue.consume(spec.prefetch, deliver);
    return {
      stop() {
        cancel();
        bucket.watchers.delete(watcher);
        queue.dispose();
        return Promise.resolve();
      },
    };
  }

  /** Drops every bucket. */
  clear(): void {
    for (const bucket of this.#buckets.values()) for (const w of bucket.watchers) w.queue.dispose();
    this.#buckets.clear();
  }
}
