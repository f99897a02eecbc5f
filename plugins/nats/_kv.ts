/**
 * Key-value buckets: the handle a handler uses (`broker.kv("profiles")`), the same over a real bucket and
 * the emulation, and the values' encoding (bytes as they are, everything else JSON).
 *
 * @module
 */

/** One value of a bucket. */
export interface KeyValueEntry {
  /** The key. */
  readonly key: string;
  /** The decoded value: JSON, or bytes when the value is not JSON; undefined after a delete. */
  readonly value: unknown;
  /** The bytes stored. */
  readonly raw: Uint8Array;
  /** The bucket's revision of this value. */
  readonly revision: number;
  /** `PUT`, or `DEL`/`PURGE` for a deleted key. */
  readonly operation: "PUT" | "DEL" | "PURGE";
}

/** A key-value bucket. */
export interface KeyValue {
  /** The bucket's name. */
  readonly bucket: string;
  /** The current value of a key; undefined when absent or deleted. */
  get(key: string): Promise<KeyValueEntry | undefined>;
  /** Stores a value (bytes as they are, anything else as JSON); returns the revision. */
  put(key: string, value: unknown): Promise<number>;
  /** Deletes a key (watchers see a `DEL`). */
  delete(key: string): Promise<void>;
  /** The keys present, optionally matching a pattern such as `user.*`. */
  keys(filter?: string): Promise<string[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a value for a bucket. */
export function encodeValue(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : encoder.encode(JSON.stringify(value ?? null));
}

/** Decodes a bucket's bytes: JSON when they are JSON, else the bytes. */
export function decodeValue(raw: Uint8Array): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(raw));
  } catch {
    return raw;
  }
}
