/**
 * One subscription on a real Kafka: a kafkajs consumer in a group, handing over up to `prefetch`
 * unsettled records at once through a delivery window, committing per partition the highest contiguous
 * settled offset (at-least-once, also with concurrency), retrying nacked records in place with a delay, and —
 * for topic patterns — joining topics created after it started.
 *
 * @module
 */

import type { Deliver, Logger, SubscriptionSpec } from "@sluice/core";
import { DeliveryWindow, describeError, sleep } from "@sluice/core/kit";
import { OptionError } from "@sluice/core";
import type { Admin, AssignerProtocol, Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { explicitAssigner } from "./_assigner.ts";
import { KafkaIncoming, type RecordOwner } from "./_incoming.ts";
import type { KafkaConsumedRecord } from "./message.ts";
import type { KafkaConsumerOptions, KafkaSubscribeOptions, KafkaTopicOptions } from "./options.ts";
import { isTopicPattern, topicList, topicRegExp } from "./rules.ts";
import { PartitionTrack } from "./_track.ts";
import { OffsetCommits } from "./_commits.ts";

/** What a subscription needs from its driver. */
export interface ConsumerHost {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** kafkajs's assignment protocol codecs, for explicit partitions. */
  readonly protocol: typeof AssignerProtocol;
  readonly logger: Logger;
  readonly consumer: KafkaConsumerOptions;
  readonly discoveryInterval: number;
  readonly nackDelay: number;
  /** Milliseconds settled offsets wait to be committed together; 0 commits each settlement at once. */
  readonly commitInterval: number;
  /** Creates the topics that do not exist yet. */
  ensureTopics(topics: readonly string[], options: KafkaTopicOptions | undefined): Promise<void>;
  /** Every topic on the cluster. */
  listTopics(): Promise<string[]>;
  /**
   * Runs admin clean-up calls one at a time. kafkajs shares one metadata refresh between concurrent calls of
   * an admin client: a deleteTopics whose closing refresh joins one started before the deletion fails on the
   * deleted topic, and kafkajs then retries deleting a topic that is gone for about 20 s.
   */
  cleanUp(task: () => Promise<void>): Promise<void>;
}

/** A running subscription; see the module doc. */
export class Subscription {
  readonly #host: ConsumerHost;
  readonly #spec: SubscriptionSpec<KafkaSubscribeOptions>;
  readonly #options: KafkaSubscribeOptions;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  readonly #group: string;
  readonly #temporary: boolean;
  readonly #replies: boolean;
  readonly #pattern: RegExp | undefined;
  /** Explicit partitions, sorted and without duplicates. */
  readonly #partitions: readonly number[] | undefined;
  readonly #window: DeliveryWindow;
  /** How much room the window needs before a full loop goes on: a batch per wake-up, not one record. */
  readonly #lowWater: number;
  readonly #forced: Promise<void>;
  #force!: () => void;
  #topics: string[] = [];
  #consumer: Consumer | undefined;
  #tracks = new Map<string, PartitionTrack>();
  readonly #commits: OffsetCommits;
  readonly #starts = new Map<string, number>();
  #slotWaiter: (() => void) | undefined;
  #heartbeatAt = 0;
  #paused = false;
  #stopped = false;
  #discovery: ReturnType<typeof setInterval> | undefined;
  #discovering: Promise<void> | undefined;
  #recovering: Promise<void> | undefined;
  #finished: Promise<void> | undefined;

  constructor(
    host: ConsumerHost,
    spec: SubscriptionSpec<KafkaSubscribeOptions>,
    options: KafkaSubscribeOptions,
    deliver: Deliver,
  ) {
    this.#host = host;
    this.#spec = spec;
    this.#options = options;
    this.#deliver = deliver;
    this.#replies = spec.reply === true;
    this.#temporary = spec.group === undefined;
    this.#group = spec.group ?? `sluice-${crypto.randomUUID()}`;
    this.#pattern = options.pattern || isTopicPattern(spec.channel) ? topicRegExp(spec.channel) : undefined;
    this.#partitions = options.partitions && [...new Set(options.partitions)].sort((a, b) => a - b);
    this.#logger = host.logger.child({ channel: spec.channel, group: this.#group });
    this.#commits = new OffsetCommits(host.commitInterval, () => this.#consumer, this.#logger);
    this.#window = new DeliveryWindow(
      spec.prefetch,
      (error) => this.#logger.error(`A record was not settled: ${describeError(error)}`),
    );
    this.#lowWater = Math.max(1, this.#window.size >> 2);
    this.#forced = new Promise((resolve) => (this.#force = resolve));
  }

  /** Resolves once the consumer joined its group with offsets fixed: later records reach it. */
  async start(): Promise<void> {
    const host = this.#host;
    if (this.#pattern) {
      const regex = this.#pattern;
      this.#topics = (await host.listTopics()).filter((t) => regex.test(t)).sort();
    } else {
      this.#topics = topicList(this.#spec.channel);
      const topic = this.#replies ? { partitions: 1, ...this.#options.topic } : this.#options.topic;
      await retry(() => host.ensureTopics(this.#topics, topic), 5);
      if (this.#partitions) await this.#checkPartitions(this.#topics[0]!, this.#partitions);
    }
    if (this.#topics.length > 0) {
      if ((this.#options.from ?? "latest") === "latest") {
        await this.#fixLatest(this.#topics);
      }
      await this.#run();
    }
    if (this.#pattern) {
      this.#discovery = setInterval(() => void this.#discover(), host.discoveryInterval);
    }
  }

  /** Stops handing over records; the consumer stays in its group until what is in flight settled. */
  stop(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#stopped = true;
    this.#window.close();
    clearInterval(this.#discovery);
    try {
      this.#consumer?.pause(this.#topics.map((topic) => ({ topic })));
    } catch {
      // Not running (yet): nothing to pause.
    }
    this.#wake();
    this.#finished = this.#finish();
    return Promise.resolve();
  }

  /** Commits what settled, leaves the group and removes temporary groups and reply topics. */
  close(): Promise<void> {
    if (!this.#finished) void this.stop();
    this.#force();
    return this.#finished!;
  }

  async #finish(): Promise<void> {
    await this.#discovering;
    await this.#recovering;
    await this.#whenIdle();
    await this.#commits.flush();
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.disconnect().catch((error) =>
      this.#logger.warn(`Could not leave the consumer group cleanly: ${describeError(error)}`)
    );
    const admin = this.#host.admin;
    await this.#host.cleanUp(async () => {
      if (this.#replies) {
        await admin.deleteTopics({ topics: this.#topics, timeout: 5000 }).catch((error) =>
          this.#logger.debug(`Could not delete the reply topic: ${describeError(error)}`)
        );
      }
      if (this.#temporary && consumer) {
        await admin.deleteGroups([this.#group]).catch((error) =>
          this.#logger.debug(`Could not delete the temporary group: ${describeError(error)}`)
        );
      }
    });
  }

  async #checkPartitions(topic: string, wanted: readonly number[]): Promise<void> {
    const count = (await retry(() => this.#host.admin.fetchTopicOffsets(topic))).length;
    const missing = wanted.filter((p) => p >= count);
    if (missing.length > 0) {
      throw new OptionError(
        `Invalid Kafka subscriber option of ${this.#spec.channel}: partition(s) ${
          missing.join(", ")
        } do not exist (topic ${topic} has ${count} partition(s), numbered from 0)`,
      );
    }
  }

  /**
   * `latest`: notes the end offset of every partition the group has no committed offset for. The consumer
   * reads those partitions from there (records below it are skipped without delivery), so a record
   * published once `subscribe()` resolved is never missed — unlike kafkajs's own `latest`, which is fixed only
   * at the first fetch after the group join.
   */
  async #fixLatest(topics: readonly string[]): Promise<void> {
    const admin = this.#host.admin;
    const committed = await retry(() => admin.fetchOffsets({ groupId: this.#group, topics: [...topics] }));
    for (const { topic, partitions } of committed) {
      const missing = new Set(partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
      if (missing.size === 0) continue;
      const ends = await retry(() => admin.fetchTopicOffsets(topic));
      for (const p of ends) {
        if (missing.has(p.partition)) this.#starts.set(`${topic}\u0000${p.partition}`, Number(p.high));
      }
    }
  }

  async #run(): Promise<void> {
    const host = this.#host;
    const settings = { ...host.consumer, ...pickConsumer(this.#options) };
    const consumer = host.kafka.consumer({
      groupId: this.#group,
      sessionTimeout: settings.sessionTimeout,
      heartbeatInterval: settings.heartbeatInterval,
      rebalanceTimeout: settings.rebalanceTimeout,
      maxWaitTimeInMs: settings.maxWaitTime ?? 1000,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      allowAutoTopicCreation: false,
      ...(this.#partitions
        ? { partitionAssigners: [explicitAssigner(host.protocol, { [this.#topics[0]!]: this.#partitions })] }
        : {}),
      // kafkajs restarts a crashed consumer from a timer without handling that restart's failure (an
      // unhandled rejection while the broker is still down, which fails a Bun test run): the driver
      // recreates crashed consumers itself, with back-off (#recover).
      retry: { restartOnFailure: () => Promise.resolve(false) },
    });
    this.#consumer = consumer;
    let member = false;
    let joined!: () => void;
    let refused!: (error: Error) => void;
    const join = new Promise<void>((resolve, reject) => {
      joined = resolve;
      refused = reject;
    });
    // Refused while run() is still settling its crash, before anything awaits the join: not an unhandled
    // rejection (which Deno and Bun turn into a failed process).
    join.catch(() => undefined);
    consumer.on("consumer.group_join", () => {
      // Records handed over before a rebalance settle into their old tracks; new ones start fresh.
      this.#tracks = new Map();
      member = true;
      joined();
    });
    consumer.on("consumer.crash", (event) => {
      const { error } = event.payload as { error: Error };
      // kafkajs's run() resolves when joining the group failed too, and then the consumer crashes: that is this
      // run's failure, for its caller — start(), or #recover's loop, which waited for a join that never came
      // (a restarted broker whose group coordinator was not ready yet) while it ignored the crash.
      if (!member) return refused(error);
      this.#logger.error(
        `The Kafka consumer failed: ${describeError(error)}; recreating it`,
      );
      this.#recover(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.#topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      await join;
    } catch (error) {
      if (this.#consumer === consumer) this.#consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /**
   * kafkajs gives up on errors it deems final (e.g. no group coordinator while the broker restarts): make a
   * new consumer, with back-off, until it joins again. Unsettled records are delivered again from the last
   * commit.
   */
  #recover(crashed: Consumer | undefined): void {
    if (this.#recovering || this.#stopped || this.#consumer !== crashed) return;
    this.#recovering = (async () => {
      this.#consumer = undefined;
      await crashed?.disconnect().catch(() => undefined);
      let delay = 500;
      while (!this.#stopped) {
        await sleep(delay);
        if (this.#stopped) return;
        try {
          await this.#run();
          this.#logger.info(`The Kafka consumer of ${this.#spec.channel} is back`);
          return;
        } catch (error) {
          delay = Math.min(delay * 2, 30_000);
          this.#logger.warn(
            `Could not recreate the Kafka consumer (${describeError(error)}); trying again in ${delay} ms`,
          );
        }
      }
    })().finally(() => (this.#recovering = undefined));
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const key = `${topic}\u0000${partition}`;
    let track = this.#tracks.get(key);
    if (!track) this.#tracks.set(key, track = new PartitionTrack());
    const window = this.#window;
    const deliver = this.#deliver;
    const start = this.#starts.get(key);
    if (start !== undefined && Number(batch.lastOffset()) < start) {
      // Wholly before the start position of `latest`: skip it without delivery.
      resolveOffset(batch.lastOffset());
      return;
    }
    // The last record handed over (or skipped); resolved once, when the loop ends, not per record.
    let last: string | undefined;
    try {
      for (const record of batch.messages) {
        if (window.room === 0) await this.#slot(heartbeat);
        if (this.#paused || this.#stopped || !isRunning() || isStale()) return;
        const offset = Number(record.offset);
        last = record.offset;
        if (start !== undefined && offset < start) continue;
        track.add(offset);
        const incoming = new KafkaIncoming(
          this.#owner,
          topic,
          partition,
          track,
          record as KafkaConsumedRecord,
          offset,
          1,
        );
        window.hand(deliver, incoming);
      }
    } finally {
      if (last !== undefined) resolveOffset(last);
    }
    await heartbeat();
  }

  /**
   * Waits until the window has room for a quarter of `prefetch` (or the subscription pauses or stops): the
   * slack lets a batch of records be handed over per wake-up instead of one. Heartbeats meanwhile, so that a
   * window full of slow records does not cost the group membership.
   */
  async #slot(heartbeat: () => Promise<void>): Promise<void> {
    let room = false;
    void this.#window.whenRoom(this.#lowWater).then(() => {
      room = true;
      this.#wake();
    });
    while (!room && !this.#paused && !this.#stopped) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#slotWaiter = resolve;
        timer = setTimeout(resolve, 1000);
      });
      clearTimeout(timer);
      this.#slotWaiter = undefined;
      if (Date.now() - this.#heartbeatAt >= 1000) {
        this.#heartbeatAt = Date.now();
        await heartbeat();
      }
    }
  }

  /**
   * A nacked record, delivered again after `delay` ms. Handed to the window at once, in its own place: the
   * record keeps its slot while it waits, as Kafka cannot give one record back to the broker.
   */
  #retry(message: KafkaIncoming, delay: number): Promise<void> {
    return sleep(delay).then(() => {
      // Stopped: the record stays uncommitted, so the group's next member gets it from the broker.
      if (this.#stopped) return;
      const { channel, partition, track, record, offset, deliveryCount } = message;
      return this.#deliver(
        new KafkaIncoming(this.#owner, channel, partition, track, record, offset, deliveryCount + 1),
      );
    });
  }

  /** Settlement of the records handed over (see KafkaIncoming). */
  readonly #owner: RecordOwner = {
    settled: (message) => {
      const track = message.track;
      const next = track.settle(message.offset);
      if (next !== undefined) {
        const { channel: topic, partition } = message;
        this.#commits.note(track.key ??= `${topic}\u0000${partition}`, topic, partition, next);
      }
    },
    nacked: (message, delay) => {
      const wait = Math.max(0, delay ?? this.#host.nackDelay);
      this.#window.hand(() => this.#retry(message, wait), message);
    },
  };

  #wake(): void {
    this.#slotWaiter?.();
  }

  /** Resolves once nothing handed over is unsettled, or at once when the driver closes. */
  #whenIdle(): Promise<void> {
    if (this.#window.open === 0) return Promise.resolve();
    return Promise.race([this.#window.whenDrained(), this.#forced]);
  }

  /** Pattern subscriptions: joins topics created since the last look, from their first record. */
  #discover(): void {
    if (this.#discovering || this.#stopped) return;
    this.#discovering = (async () => {
      const regex = this.#pattern!;
      const all = await this.#host.listTopics();
      const fresh = all.filter((t) => regex.test(t) && !this.#topics.includes(t) && !t.startsWith("__"));
      if (fresh.length === 0 || this.#stopped) return;
      this.#logger.debug(`Pattern ${this.#spec.channel} now also matches ${fresh.join(", ")}`);
      // Rejoin with the new topic list: settle and commit what is in flight first, so nothing is redelivered.
      this.#paused = true;
      this.#wake();
      const old = this.#consumer;
      try {
        old?.pause(this.#topics.map((topic) => ({ topic })));
      } catch {
        // not running
      }
      await this.#whenIdle();
      await this.#commits.flush();
      this.#consumer = undefined;
      await old?.disconnect();
      this.#topics = [...this.#topics, ...fresh].sort();
      this.#paused = false;
      if (!this.#stopped) await this.#run();
    })().catch((error) => {
      this.#paused = false;
      this.#logger.warn(`Could not look for new topics of ${this.#spec.channel}: ${describeError(error)}`);
      // A rejoin that failed left no consumer: make one, with back-off, as after a crash.
      if (this.#consumer === undefined) this.#recover(undefined);
    }).finally(() => (this.#discovering = undefined));
  }
}

function pickConsumer(options: KafkaConsumerOptions): KafkaConsumerOptions {
  const picked: Record<string, unknown> = {};
  for (
    const key of [
      "sessionTimeout",
      "heartbeatInterval",
      "rebalanceTimeout",
      "maxWaitTime",
      "maxBytesPerPartition",
    ]
  ) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** Retries an admin call a few times: right after a topic is created its leader may not be known yet. */
async function retry<T>(task: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(100 * attempt);
    }
  }
}
