/**
 * What the NATS subscriptions share: the connection, lazily opened JetStream and key-value managers, the
 * logger, and the streams this broker knows (so that publishes to their subjects wait for JetStream's ack).
 *
 * @module
 */

import type { Logger } from "@sluice/core";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Kvm } from "@nats-io/kv";
import { natsRules } from "./rules.ts";

/** The streams a broker declared or consumes from, by name, with their subjects. */
export class KnownStreams {
  readonly #streams = new Map<string, readonly string[]>();
  // Publishes ask for every message: the answer per subject is cached until the streams change.
  readonly #cache = new Map<string, boolean>();

  /** Records (or replaces) a stream's subjects. */
  set(name: string, subjects: readonly string[]): void {
    this.#streams.set(name, subjects);
    this.#cache.clear();
  }

  /** Whether a known stream captures `subject`. */
  captures(subject: string): boolean {
    let captured = this.#cache.get(subject);
    if (captured !== undefined) return captured;
    captured = false;
    for (const subjects of this.#streams.values()) {
      if (subjects.some((pattern) => natsRules.matches(pattern, subject))) captured = true;
    }
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(subject, captured);
    return captured;
  }
}

/** The live connection and its helpers. */
export interface Connection {
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly streams: KnownStreams;
  jsm(): Promise<JetStreamManager>;
  js(): Promise<JetStreamClient>;
  kvm(): Promise<Kvm>;
}

/** Milliseconds to the nanoseconds of the JetStream API. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}

/** A name JetStream accepts, made from a subject: `orders.*` → `orders_any`. */
export function nameFromSubject(subject: string): string {
  return subject.replaceAll(".", "_").replaceAll("*", "any").replaceAll(">", "all");
}
