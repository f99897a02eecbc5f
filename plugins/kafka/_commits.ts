/**
 * A subscription's offset commits: per partition the next offset to read past its settled records, committed
 * together once `interval` ms have passed since the first one waiting (at once with 0), one commit request
 * in flight at a time and the rest coalesced into the next.
 *
 * Why an interval: a commit per settlement, sent while the consumer's next fetch waits on the broker (the
 * same connection, whose requests the broker answers in order), cost a request/reply on Kafka about 160 µs
 * of its p50 (`bench/kafka/rpc.ts driver` under Bun, four alternated runs each: 1.25 against 1.09 ms with
 * 100 ms). The Java client and aiokafka (FastStream) commit every 5 s; 100 ms, the default, keeps what a
 * crash redelivers small. Stopping, closing and rejoining call {@linkcode OffsetCommits.flush} and commit at
 * once.
 *
 * @module
 */

import type { Logger } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import type { Consumer } from "kafkajs";

interface Commit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** The commits of one subscription; see the module doc. */
export class OffsetCommits {
  readonly #interval: number;
  readonly #consumer: () => Consumer | undefined;
  readonly #logger: Logger;
  /** The offset to commit per partition key, since the last commit. */
  readonly #dirty = new Map<string, Commit>();
  /** The pending commit of the interval, while one waits. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #committing: Promise<void> | undefined;
  #again = false;

  /**
   * @param interval milliseconds settled offsets wait to be committed together; 0 commits each at once
   * @param consumer the subscription's kafkajs consumer of the moment (none while it is recreated or closed)
   */
  constructor(interval: number, consumer: () => Consumer | undefined, logger: Logger) {
    this.#interval = interval;
    this.#consumer = consumer;
    this.#logger = logger;
  }

  /** Notes the next offset to commit of a partition (`key` names it) and commits it within the interval. */
  note(key: string, topic: string, partition: number, offset: number): void {
    this.#dirty.set(key, { topic, partition, offset });
    if (this.#interval === 0) {
      void this.flush();
      return;
    }
    if (this.#timer !== undefined || !this.#consumer()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#interval);
  }

  /** Commits what settled since the last commit now; one commit in flight at a time, the rest coalesced. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#committing) {
      this.#again = true;
      return this.#committing;
    }
    this.#committing = (async () => {
      do {
        this.#again = false;
        const commits = [...this.#dirty.values()];
        this.#dirty.clear();
        const consumer = this.#consumer();
        if (commits.length === 0 || !consumer) break;
        try {
          await consumer.commitOffsets(
            commits.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) })),
          );
        } catch (error) {
          this.#logger.debug(
            `Could not commit offsets (${
              describeError(error)
            }); the records after the last commit will be delivered again`,
          );
        }
      } while (this.#again || this.#dirty.size > 0);
    })().finally(() => (this.#committing = undefined));
    return this.#committing;
  }
}
