/**
 * Publishes sent together. kafkajs makes a produce request of every `send()`; one per publish cost 100–140 µs
 * of CPU per message (`bench/kafka/bench.ts raw publish`, a window of 100 outstanding). Here the publishes to
 * one topic with the same acks and compression form a line with one request in flight: the publishes of one
 * turn of the event loop go as one request (sent in the loop's next check phase), and those made while a
 * request is in flight go together as the next once it ended. That is the Java producer's and aiokafka's
 * batching (`linger.ms=0`: no waiting, only what piled up meanwhile) with one request in flight, which keeps
 * the order of publishes to a topic: two requests in flight at once reached the broker in either order (a
 * real-broker test caught it), and kafkajs keeps no order between its calls. Each publish still resolves or
 * rejects with its own request.
 *
 * - A request holds at most {@linkcode REQUEST_BYTES} of records (512 KiB), counted roughly (value and key
 *   bytes, header characters): more waits for the next request. A publish larger than that goes alone.
 *   The cap stays under Kafka's default `message.max.bytes` (1 MiB) per record batch with room for the
 *   records' own overhead, so coalescing makes no batch the broker refuses where the publishes alone pass —
 *   unless a topic's `max.message.bytes` is lower.
 * - A request that fails fails every publish in it with the same error (kafkajs has already retried what can
 *   be retried), except a request of several publishes that the broker refused as too large (a topic with a
 *   low `max.message.bytes`): each of its publishes is sent again alone, so only the one too large for the
 *   topic fails. Records of the others that the broker had already written to another partition are written
 *   twice then — at least once, as any retried publish to Kafka without an idempotent producer.
 *
 * @module
 */

import type { KafkaRecord } from "./message.ts";

/** The most record bytes (roughly counted) one request carries when it holds more than one publish. */
export const REQUEST_BYTES = 512 * 1024;

/** What one produce request carries, as kafkajs's `send()` takes it. */
export interface ProduceRequest {
  readonly topic: string;
  readonly messages: KafkaRecord[];
  readonly acks: number;
  readonly compression: number;
}

/** One publish waiting for its request. */
interface Waiting {
  readonly records: readonly KafkaRecord[];
  readonly bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** The publishes to one topic with one acks and compression setting, and its requests while they fly. */
interface Line {
  readonly key: string;
  readonly topic: string;
  readonly acks: number;
  readonly compression: number;
  readonly waiting: Waiting[];
  /** Sends the line's requests one after another until nothing waits; set while it runs. */
  flight?: Promise<void>;
}

/** The lines of a producer; see the module doc. */
export class ProduceQueue {
  readonly #send: (request: ProduceRequest) => Promise<unknown>;
  readonly #tooLarge: (error: unknown) => boolean;
  /** The lines with publishes waiting or a request in flight. */
  readonly #lines = new Map<string, Line>();
  #scheduled = false;

  /**
   * @param send sends one request (kafkajs's `producer.send`)
   * @param tooLarge whether an error is the broker's refusal of a too large record batch
   */
  constructor(send: (request: ProduceRequest) => Promise<unknown>, tooLarge: (error: unknown) => boolean) {
    this.#send = send;
    this.#tooLarge = tooLarge;
  }

  /** Queues the records of one publish; resolves once Kafka took them (per `acks`). */
  add(topic: string, records: readonly KafkaRecord[], acks: number, compression: number): Promise<void> {
    const key = `${acks}\u0000${compression}\u0000${topic}`;
    let line = this.#lines.get(key);
    if (!line) {
      line = { key, topic, acks, compression, waiting: [] };
      this.#lines.set(key, line);
    }
    const bytes = records.reduce((sum, record) => sum + roughBytes(record), 0);
    const waiting = line.waiting;
    const done = new Promise<void>((resolve, reject) => waiting.push({ records, bytes, resolve, reject }));
    if (!line.flight && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Sends the next request of every line that has publishes waiting and none in flight. */
  flush(): void {
    this.#scheduled = false;
    for (const line of this.#lines.values()) {
      if (!line.flight && line.waiting.length > 0) this.#fly(line);
    }
  }

  /** Sends what is queued and waits until every line is empty and idle. */
  async drain(): Promise<void> {
    // A line in the map has publishes waiting or a request in flight; lines added meanwhile are visited too.
    for (const line of this.#lines.values()) {
      if (!line.flight) this.#fly(line);
      await line.flight;
    }
  }

  /** Sends a line's next request; when it ended, the next one, until nothing waits. */
  #fly(line: Line): void {
    line.flight = (async () => {
      while (line.waiting.length > 0) await this.#request(line, this.#next(line));
      this.#lines.delete(line.key);
    })();
  }

  /** Takes the publishes of the next request off a line: up to the cap, at least one. */
  #next(line: Line): Waiting[] {
    let bytes = 0;
    let count = 0;
    for (const one of line.waiting) {
      if (count > 0 && bytes + one.bytes > REQUEST_BYTES) break;
      bytes += one.bytes;
      count++;
    }
    return line.waiting.splice(0, count);
  }

  async #request(line: Line, waiting: readonly Waiting[]): Promise<void> {
    const { topic, acks, compression } = line;
    const messages = waiting.flatMap((w) => w.records);
    try {
      await this.#send({ topic, messages, acks, compression });
    } catch (error) {
      if (waiting.length > 1 && this.#tooLarge(error)) {
        for (const one of waiting) await this.#request(line, [one]);
        return;
      }
      for (const one of waiting) one.reject(error);
      return;
    }
    for (const one of waiting) one.resolve();
  }
}

/** A record's size as the cap counts it: the value's and key's bytes, the header names' and values' characters. */
function roughBytes(record: KafkaRecord): number {
  let bytes = (record.value?.length ?? 0) + (record.key?.length ?? 0);
  for (const name in record.headers) bytes += name.length + (record.headers[name]?.length ?? 0);
  return bytes;
}
