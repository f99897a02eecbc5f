/**
 * The NATS broker: the core's broker with key-value buckets beside it, reaching the emulation's buckets while
 * a test broker is in place.
 *
 * @module
 */

import { Broker, type Substitution } from "@sluice/core";
import type { NatsDriver } from "./driver.ts";
import type { KeyValue } from "./_kv.ts";
import type { ObjectStore } from "./_objects.ts";

/** What holds key-value buckets and object stores: the driver, or the emulation in its place. */
interface Buckets {
  kv(bucket: string): Promise<KeyValue>;
  objects(bucket: string): Promise<ObjectStore>;
}

function hasBuckets(driver: unknown): driver is Buckets {
  return typeof (driver as Partial<Buckets> | undefined)?.kv === "function";
}

/** A broker on NATS, with key-value buckets beside the core's API. */
export class NatsBroker extends Broker<NatsDriver> {
  #substitute: Buckets | undefined;

  /**
   * A key-value bucket (created when missing), for handlers that read or write state. Values are JSON, or
   * bytes as they are. Under `testBroker()` it is the emulation's bucket.
   *
   * @example
   * ```ts
   * import { nats } from "@sluice/nats";
   * const broker = nats();
   * broker.subscriber("visits").handle(async (user: string) => {
   *   const counts = await broker.kv("visits");
   *   const seen = (await counts.get(user))?.value as number | undefined;
   *   await counts.put(user, (seen ?? 0) + 1);
   * });
   * ```
   */
  kv(bucket: string): Promise<KeyValue> {
    return (this.#substitute ?? this.driver).kv(bucket);
  }

  /**
   * An object store bucket (created when missing), for handlers that read or write large objects; a
   * subscriber with `objects: "bucket"` watches it. Under `testBroker()` it is the emulation's bucket.
   *
   * @example
   * ```ts
   * import { nats } from "@sluice/nats";
   * const broker = nats();
   * broker.subscriber(">", { objects: "reports" }).handle(async (name) => {
   *   const reports = await broker.objects("reports");
   *   const bytes = await reports.get(String(name));
   *   console.log(name, bytes?.length);
   * });
   * ```
   */
  objects(bucket: string): Promise<ObjectStore> {
    return (this.#substitute ?? this.driver).objects(bucket);
  }

  /** Puts a test in place, as the core's broker does, and sends `kv()` to the emulation meanwhile. */
  override substitute(substitution: Substitution): () => void {
    const restore = super.substitute(substitution);
    this.#substitute = hasBuckets(substitution.driver) ? substitution.driver : undefined;
    return () => {
      restore();
      this.#substitute = undefined;
    };
  }
}
