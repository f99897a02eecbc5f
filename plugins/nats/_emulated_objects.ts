/**
 * Object store buckets in memory: puts and deletes, and watches of name patterns that see them (not
 * acknowledged, like the server's watch consumer), with `last` giving each object's current state first.
 *
 * @module
 */

import type { Deliver, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { type Activity, MemoryQueue, type StoredMessage } from "@sluice/core/kit";
import { objectBytes, type ObjectChange, objectIncoming, type ObjectStore } from "./_objects.ts";
import { objectWatchOptions } from "./_obj_watch.ts";
import type { NatsSubscribeOptions } from "./options.ts";
import { natsRules } from "./rules.ts";

interface Stored {
  readonly change: ObjectChange;
  readonly data: Uint8Array;
  readonly revision: number;
}

interface Bucket {
  revision: number;
  readonly latest: Map<string, Stored>;
  readonly watchers: Set<
    { readonly pattern: string; readonly ignoreDeletes: boolean; readonly queue: MemoryQueue }
  >;
}

function storedOf(change: ObjectChange): StoredMessage {
  const incoming = objectIncoming(change);
  return {
    channel: incoming.channel,
    body: incoming.body,
    headers: incoming.headers,
    contentType: incoming.contentType,
    messageId: incoming.messageId,
    raw: change,
  };
}

function matches(pattern: string, name: string): boolean {
  return pattern === ">" || natsRules.matches(pattern, name);
}

/** The object stores of one emulation. */
export class EmulatedObjectStores {
  readonly #buckets = new Map<string, Bucket>();
  readonly #activity: Activity;

  /** Creates no bucket yet; watches are tracked by `activity`. */
  constructor(activity: Activity) {
    this.#activity = activity;
  }

  #get(name: string): Bucket {
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      bucket = { revision: 0, latest: new Map(), watchers: new Set() };
      this.#buckets.set(name, bucket);
    }
    return bucket;
  }

  #write(bucketName: string, name: string, data: Uint8Array, operation: "PUT" | "DEL"): void {
    const bucket = this.#get(bucketName);
    const revision = ++bucket.revision;
    const change: ObjectChange = {
      bucket: bucketName,
      name,
      operation,
      size: data.length,
      id: String(revision),
    };
    bucket.latest.set(name, { change, data, revision });
    for (const watcher of bucket.watchers) {
      if (operation === "DEL" && watcher.ignoreDeletes) continue;
      if (matches(watcher.pattern, name)) watcher.queue.push(storedOf(change));
    }
  }

  /** A bucket handle, created on first use. */
  store(name: string): ObjectStore {
    const bucket = this.#get(name);
    return {
      bucket: name,
      put: (object, data) => Promise.resolve(this.#write(name, object, objectBytes(data), "PUT")),
      get: (object) => {
        const stored = bucket.latest.get(object);
        return Promise.resolve(stored && stored.change.operation === "PUT" ? stored.data : undefined);
      },
      delete: (object) => {
        if (bucket.latest.get(object)?.change.operation === "PUT") {
          this.#write(name, object, new Uint8Array(), "DEL");
        }
        return Promise.resolve();
      },
      list: () =>
        Promise.resolve(
          [...bucket.latest.values()].filter((s) => s.change.operation === "PUT").map((s) => s.change.name),
        ),
    };
  }

  /** Watches objects whose names match the subscriber's channel. */
  watch(spec: SubscriptionSpec<NatsSubscribeOptions>, deliver: Deliver): SubscriptionHandle {
    const options = objectWatchOptions(spec);
    const bucket = this.#get(options.bucket);
    const queue = new MemoryQueue(`objects/${options.bucket}/${spec.channel}`, {
      activity: this.#activity,
      maxDeliveries: 1,
    });
    const watcher = { pattern: spec.channel, ignoreDeletes: options.ignoreDeletes ?? false, queue };
    if (options.include === "last") {
      const current = [...bucket.latest.values()].sort((a, b) => a.revision - b.revision);
      for (const stored of current) {
        if (stored.change.operation === "DEL" && watcher.ignoreDeletes) continue;
        if (matches(spec.channel, stored.change.name)) queue.push(storedOf(stored.change));
      }
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
