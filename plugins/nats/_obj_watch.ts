/**
 * Object store subscriptions on a real server: a watch of a bucket (the subscriber's channel is a pattern
 * of object names, `>` for all), and the bucket handle for handlers. `@nats-io/obj` is loaded on first use.
 *
 * @module
 */

import type { Deliver, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { describeError, importClient } from "@sluice/core/kit";
import type { ObjectStore as NatsObjectStore, ObjectWatchInfo } from "@nats-io/obj";
import type { Connection } from "./_connection.ts";
import { objectBytes, objectIncoming, type ObjectStore } from "./_objects.ts";
import type { NatsSubscribeOptions, ObjectWatchOptions } from "./options.ts";
import { pump } from "./_pump.ts";
import { natsRules } from "./rules.ts";

/** The watch options of a subscriber, from `objects: "bucket"` or `objects: { bucket, … }`. */
export function objectWatchOptions(spec: SubscriptionSpec<NatsSubscribeOptions>): ObjectWatchOptions {
  const objects = spec.options.objects!;
  return typeof objects === "string" ? { bucket: objects } : objects;
}

async function openStore(
  connection: Connection,
  bucket: string,
  storage?: "file" | "memory",
): Promise<NatsObjectStore> {
  const lib = await importClient("@nats-io/obj", () => import("@nats-io/obj"));
  const objm = new lib.Objm(await connection.js());
  return await objm.create(bucket, storage ? { storage: storage as never } : {});
}

/**
 * Whether a nats-server of this version moves a consumer past messages it has not delivered yet when a
 * subject its filter covers is rolled up. Every object put and delete rolls up the object's metadata
 * subject, and before 2.10 the server then moved each consumer whose filter matched that subject to the
 * rolled-up message (2.10 checks a wider filter's own messages first): a watch that fell behind a burst of
 * changes misses some. An unknown version is taken for a current one.
 */
export function skipsOnRollup(version: string | undefined): boolean {
  const release = /^v?(\d+)\.(\d+)\./.exec(version ?? "");
  if (!release) return false;
  const major = Number(release[1]);
  return major < 2 || (major === 2 && Number(release[2]) < 10);
}

/** Watches a bucket's objects; resolves once the watch is live. */
export async function subscribeObjects(
  connection: Connection,
  spec: SubscriptionSpec<NatsSubscribeOptions>,
  deliver: Deliver,
): Promise<SubscriptionHandle> {
  const options = objectWatchOptions(spec);
  const store = await openStore(connection, options.bucket, options.storage);
  const version = connection.nc.info?.version;
  if (skipsOnRollup(version)) {
    connection.logger.warn(
      `nats-server ${version} can skip changes to object store ${options.bucket} that this watch has ` +
        `not received yet, each time an object is put or deleted (fixed in nats-server 2.10): upgrade ` +
        `the server for a watch that sees every change`,
    );
  }
  const watch = await store.watch({
    ignoreDeletes: options.ignoreDeletes ?? false,
    includeHistory: options.include === "last",
  });
  const pattern = spec.channel;
  const matching = (async function* () {
    for await (const info of watch) {
      // The watch says null once it has sent what was there before it started.
      if (info === null) continue;
      if (pattern === ">" || natsRules.matches(pattern, info.name)) yield info;
    }
  })();
  const pumping = pump(
    matching,
    spec.prefetch,
    deliver,
    (info: ObjectWatchInfo) =>
      objectIncoming({
        bucket: options.bucket,
        name: info.name,
        operation: info.deleted ? "DEL" : "PUT",
        size: info.size,
        id: info.nuid,
      }),
    (error) =>
      connection.logger.error(`Watch of object store ${options.bucket} failed: ${describeError(error)}`),
  );
  return {
    stop() {
      pumping.stop();
      watch.stop();
      return Promise.resolve();
    },
  };
}

/** A bucket handle over a real server; the bucket is created when missing. */
export async function openObjectStore(connection: Connection, bucket: string): Promise<ObjectStore> {
  const store = await openStore(connection, bucket);
  return {
    bucket,
    async put(name, data) {
      await store.putBlob({ name }, objectBytes(data));
    },
    async get(name) {
      return (await store.getBlob(name)) ?? undefined;
    },
    async delete(name) {
      await store.delete(name);
    },
    async list() {
      return (await store.list()).filter((info) => !info.deleted).map((info) => info.name);
    },
  };
}
