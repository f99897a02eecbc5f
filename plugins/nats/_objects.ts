/**
 * Object stores (JetStream's large-object buckets): the handle handlers use, and the message a watch of a
 * bucket hands the core — FastStream's `obj_watch`. A watch message's body is the object's name (text), as in
 * FastStream; its headers say the operation, bucket and size, and the handler reads the object through
 * `broker.objects(bucket)`.
 *
 * @module
 */

import type { IncomingMessage } from "@sluice/core";

/** The header of the operation (`PUT` or `DEL`) of an object store watch message. */
export const OBJ_OPERATION_HEADER = "nats-obj-operation";
/** The header of the bucket of an object store watch message. */
export const OBJ_BUCKET_HEADER = "nats-obj-bucket";
/** The header of the object's size in bytes, of an object store watch message. */
export const OBJ_SIZE_HEADER = "nats-obj-size";

/** An object store bucket: put, get, delete and list objects by name. */
export interface ObjectStore {
  /** The bucket's name. */
  readonly bucket: string;
  /** Stores `data` (bytes, or text as UTF-8) under `name`, replacing what was there. */
  put(name: string, data: Uint8Array | string): Promise<void>;
  /** The object's bytes, or undefined when there is none (or it was deleted). */
  get(name: string): Promise<Uint8Array | undefined>;
  /** Deletes the object; watches see a `DEL`. */
  delete(name: string): Promise<void>;
  /** The names of the objects the bucket holds. */
  list(): Promise<string[]>;
}

/** What a watch saw: an object's name, its bucket, the change and its size. */
export interface ObjectChange {
  readonly bucket: string;
  readonly name: string;
  readonly operation: "PUT" | "DEL";
  readonly size: number;
  /** Unique per change: the server's chunk id, or the emulation's revision. */
  readonly id: string;
}

const encoder = new TextEncoder();

/** A watch message as the core sees it; watches are not acknowledged, so settling does nothing. */
export function objectIncoming(change: ObjectChange): IncomingMessage {
  const done = (): Promise<void> => Promise.resolve();
  return {
    channel: change.name,
    body: encoder.encode(change.name),
    contentType: "text/plain",
    headers: {
      [OBJ_OPERATION_HEADER]: change.operation,
      [OBJ_BUCKET_HEADER]: change.bucket,
      [OBJ_SIZE_HEADER]: String(change.size),
    },
    messageId: `${change.bucket}:${change.id}`,
    raw: change,
    ack: done,
    nack: done,
    reject: done,
  };
}

/** The bytes of `data`: text as UTF-8. */
export function objectBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}
