/**
 * The in-memory emulation of Kafka for `testBroker()`: topics with partitions (a key picks its partition
 * with Kafka's murmur2 partitioner), append-only logs with offsets, consumer groups (the group's members
 * share the partitions; every group gets every record), committed offsets with the same contiguous-commit
 * rule as the driver, start positions (`earliest`/`latest`) and topic patterns. Each member hands records
 * over through a delivery window of its prefetch, and nacked records are retried in place after their delay
 * keeping their slot, as the real driver does.
 *
 * @module
 */

import type {
  Deliver,
  Emulation,
  IncomingMessage,
  OutgoingMessage,
  SubscriptionHandle,
  SubscriptionSpec,
} from "@sluice/core";
import { EmulationLimitError, type Logger, OptionError, silentLogger, StateError } from "@sluice/core";
import {
  Activity,
  DeliveryWindow,
  describeError,
  fromWireHeaders,
  parseOptions,
  sleep,
  toWireHeaders,
} from "@sluice/core/kit";
import {
  brokerList,
  brokerOptions,
  type KafkaOptions,
  type KafkaPublishOptions,
  type KafkaSubscribeOptions,
  parsePublishOptions,
  subscribeOptions,
} from "./options.ts";
import { MAX_MESSAGE_BYTES, tooLarge } from "./message.ts";
import { partitionForKey } from "./_partitioner.ts";
import {
  assertPartitionsFit,
  assertTopicName,
  isTopicPattern,
  kafkaRules,
  topicList,
  topicRegExp,
} from "./rules.ts";
import { PartitionTrack } from "./_track.ts";

/** A record in an emulated partition log. */
export interface EmulatedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | undefined;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

/**
 * The emulation: a Kafka driver in memory, with a view of its topics for tests. `idle()` resolves once no
 * record waits for a member, none is unsettled and no retry is scheduled.
 */
export interface KafkaEmulation extends Emulation<KafkaSubscribeOptions, KafkaPublishOptions> {
  /** The records of a topic's partition, for tests. */
  records(topic: string, partition?: number): readonly EmulatedRecord[];
  /** The number of partitions of a topic (0 if it does not exist). */
  partitions(topic: string): number;
  /** A group's committed offset of a partition (the next record it reads), or undefined. */
  committed(group: string, topic: string, partition: number): number | undefined;
}

interface Member {
  readonly group: Group;
  readonly channel: string;
  readonly regex: RegExp | undefined;
  readonly topics: readonly string[];
  /** Explicit partitions (`partitions` option), or undefined for the group's round-robin share. */
  readonly partitions: ReadonlySet<number> | undefined;
  readonly deliver: Deliver;
  /** Records handed over and not settled, retries waiting for their delay included. */
  readonly window: DeliveryWindow;
  /** Assigned partitions → next offset to hand over. */
  assigned: Map<string, number>;
  tracks: Map<string, PartitionTrack>;
  active: boolean;
  /**
   * Its client closed: it commits nothing more, as a real consumer cannot once it left its group. A record its
   * handler finishes after the close (past the drain timeout) comes again to the group's next member.
   */
  closed: boolean;
  /** Waiting for room in a full window, to hand over more. */
  waitingRoom: boolean;
  /** Waiting for the window to drain, to tell the activity. */
  waitingDrain: boolean;
}

interface Group {
  readonly id: string;
  readonly members: Member[];
  readonly committed: Map<string, number>;
}

const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const EMPTY = new Uint8Array(0);

/**
 * Creates a fresh emulation with the broker's options (topic defaults, nack delay), checked as the driver
 * checks them. Brokers that share one emulation share its topics and committed offsets, as apps on one
 * cluster do.
 *
 * @example
 * ```ts
 * import { Broker } from "@sluice/core";
 * import { kafkaEmulation } from "@sluice/kafka";
 * const cluster = kafkaEmulation({ topic: { partitions: 3 } });
 * const billing = new Broker(cluster);
 * const audit = new Broker(cluster);
 * ```
 */
export function kafkaEmulation(options: KafkaOptions = {}): KafkaEmulation {
  parseOptions(brokerOptions, options);
  brokerList(options.brokers);
  const logs = new Map<string, EmulatedRecord[][]>();
  const groups = new Map<string, Group>();
  const counters = new Map<string, number>();
  const activity = new Activity();
  let logger: Logger = silentLogger;
  let connected = false;
  /** Members whose subscription stopped while their client is still open: they commit until it closes. */
  const stopped = new Set<Member>();
  let pumping = false;
  const nackDelay = options.nackDelay ?? 100;

  const subscribes = (member: Member, topic: string): boolean =>
    member.regex ? member.regex.test(topic) : member.topics.includes(topic);

  const createTopic = (
    topic: string,
    partitions?: number,
    config?: Readonly<Record<string, string>>,
  ): EmulatedRecord[][] => {
    let log = logs.get(topic);
    if (!log) {
      const entries = Object.keys({ ...options.topic?.config, ...config });
      if (entries.length > 0) {
        throw new EmulationLimitError(
          "kafka",
          `the topic config ${entries.join(", ")} of topic ${topic}`,
          "retention, compaction and the other topic settings are not emulated",
        );
      }
      // Kafka refuses a topic whose name differs from an existing one only by '.' against '_': metric names
      // would collide.
      const metric = topic.replaceAll(".", "_");
      const rival = [...logs.keys()].find((name) => name.replaceAll(".", "_") === metric);
      if (rival !== undefined) {
        throw new OptionError(`Kafka refused the topic ${topic}: it collides with existing topic ${rival}`);
      }
      const count = partitions ?? options.topic?.partitions ?? 1;
      log = Array.from({ length: count }, () => []);
      logs.set(topic, log);
      for (const group of groups.values()) rebalance(group);
    }
    return log;
  };

  /** Spreads the group's partitions over its members, round-robin, as Kafka's assignors do. */
  const rebalance = (group: Group): void => {
    const owners = new Map<Member, Map<string, number>>();
    for (const member of group.members) owners.set(member, new Map());
    for (const [topic, log] of [...logs].sort(([a], [b]) => a.localeCompare(b))) {
      const takers = group.members.filter((m) => subscribes(m, topic));
      if (takers.length === 0) continue;
      log.forEach((_, partition) => {
        // Explicit partitions go to the first member that asked for them; the others are shared round-robin.
        const member = takers[0]!.partitions
          ? takers.find((m) => m.partitions!.has(partition))
          : takers[partition % takers.length]!;
        if (!member) return;
        const key = tp(topic, partition);
        // A partition new to the group starts at its first record (latest was fixed when it joined).
        const position = member.assigned.has(key) ? member.assigned.get(key)! : group.committed.get(key) ?? 0;
        owners.get(member)!.set(key, position);
      });
    }
    for (const [member, assigned] of owners) {
      for (const key of assigned.keys()) if (!member.assigned.has(key)) member.tracks.delete(key);
      member.assigned = assigned;
    }
    schedule();
  };

  const schedule = (): void => {
    if (pumping) return;
    pumping = true;
    queueMicrotask(() => {
      pumping = false;
      for (const group of groups.values()) for (const member of group.members) pump(member);
      activity.changed();
    });
  };

  const pump = (member: Member): void => {
    const window = member.window;
    let progress = true;
    while (member.active && window.room > 0 && progress) {
      progress = false;
      for (const [key, position] of member.assigned) {
        if (window.room === 0) break;
        const [topic, partition] = key.split("\u0000") as [string, string];
        const record = logs.get(topic)?.[Number(partition)]?.[position];
        if (!record) continue;
        member.assigned.set(key, position + 1);
        let track = member.tracks.get(key);
        if (!track) member.tracks.set(key, track = new PartitionTrack());
        track.add(record.offset);
        window.hand(member.deliver, incoming(member, track, record, 1));
        progress = true;
      }
    }
    if (!member.active) return;
    if (window.room === 0 && !member.waitingRoom) {
      member.waitingRoom = true;
      void window.whenRoom().then(() => {
        member.waitingRoom = false;
        schedule();
      });
    }
    if (window.open > 0 && !member.waitingDrain) {
      member.waitingDrain = true;
      void window.whenDrained().then(() => {
        member.waitingDrain = false;
        activity.changed();
      });
    }
  };

  /** A nacked record, delivered again after `delay` ms; it keeps its slot in the window meanwhile. */
  const retry = (
    member: Member,
    track: PartitionTrack,
    record: EmulatedRecord,
    attempt: number,
    delay: number,
  ): Promise<void> =>
    sleep(delay).then(() =>
      member.active ? member.deliver(incoming(member, track, record, attempt)) : undefined
    );

  const incoming = (
    member: Member,
    track: PartitionTrack,
    record: EmulatedRecord,
    attempt: number,
  ): IncomingMessage => {
    const standard = fromWireHeaders(record.headers);
    let open = true;
    const settle = (): void => {
      if (member.closed) return;
      const next = track.settle(record.offset);
      if (next !== undefined) member.group.committed.set(tp(record.topic, record.partition), next);
    };
    const message: IncomingMessage = {
      channel: record.topic,
      body: record.value ?? EMPTY,
      headers: standard.headers,
      contentType: standard.contentType,
      correlationId: standard.correlationId,
      replyTo: standard.replyTo,
      messageId: standard.messageId ?? `${record.topic}-${record.partition}-${record.offset}`,
      key: record.key,
      redelivered: attempt > 1,
      deliveryCount: attempt,
      raw: record,
      ack: () => {
        if (open) (open = false, settle());
        return Promise.resolve();
      },
      reject: () => {
        if (open) (open = false, settle());
        return Promise.resolve();
      },
      nack: (nackOptions) => {
        if (!open) return Promise.resolve();
        open = false;
        const delay = Math.max(0, nackOptions?.delay ?? nackDelay);
        member.window.hand(() => retry(member, track, record, attempt + 1, delay), message);
        return Promise.resolve();
      },
    };
    return message;
  };

  const quiet = (): boolean => {
    for (const group of groups.values()) {
      for (const member of group.members) {
        if (member.window.open > 0) return false;
        for (const [key, position] of member.assigned) {
          const [topic, partition] = key.split("\u0000") as [string, string];
          if ((logs.get(topic)?.[Number(partition)]?.length ?? 0) > position) return false;
        }
      }
    }
    return true;
  };
  activity.add({
    get quiet() {
      return quiet();
    },
  });

  const assertConnected = (): void => {
    if (!connected) throw new StateError("The Kafka emulation is not connected");
  };

  const append = (topic: string, message: OutgoingMessage, settings: KafkaPublishOptions): void => {
    assertTopicName(topic);
    const log = createTopic(topic, settings.topic?.partitions, settings.topic?.config);
    let partition = settings.partition;
    if (partition === undefined) {
      if (settings.key !== undefined) partition = partitionForKey(settings.key, log.length);
      else {
        const next = (counters.get(topic) ?? -1) + 1;
        counters.set(topic, next);
        partition = next % log.length;
      }
    }
    const records = log[partition];
    if (!records) {
      throw new OptionError(
        `Partition ${partition} does not exist: topic ${topic} has ${log.length} partition(s)`,
      );
    }
    if (message.body.length > MAX_MESSAGE_BYTES) throw tooLarge(topic, message.body.length);
    const tombstone = message.body.length === 0 && message.contentType === undefined;
    const key = settings.key === undefined
      ? undefined
      : typeof settings.key === "string"
      ? settings.key
      : new TextDecoder().decode(settings.key);
    records.push({
      topic,
      partition,
      offset: records.length,
      key,
      value: tombstone ? null : message.body,
      headers: toWireHeaders(message),
      timestamp: settings.timestamp === undefined ? Date.now() : Number(settings.timestamp),
    });
  };

  const emulation: KafkaEmulation = {
    name: "kafka",
    url: "kafka://emulation",
    rules: kafkaRules,
    matches: (pattern, channel) => kafkaRules.matches(pattern, channel),
    connect(context) {
      logger = context.logger;
      connected = true;
      return Promise.resolve();
    },
    close() {
      // Like a broker, the emulation keeps its topics and committed offsets; only this client's members go.
      connected = false;
      for (const group of groups.values()) {
        for (const member of group.members) {
          member.active = false;
          member.closed = true;
          member.window.close();
        }
        group.members.length = 0;
      }
      // Members stopped before the close, still draining until now.
      for (const member of stopped) member.closed = true;
      stopped.clear();
      return Promise.resolve();
    },
    subscribe(spec: SubscriptionSpec<KafkaSubscribeOptions>, deliver: Deliver): Promise<SubscriptionHandle> {
      assertConnected();
      const settings = parseOptions(subscribeOptions, spec.options, spec.template);
      assertPartitionsFit(spec.template, settings);
      const replies = spec.reply === true;
      const pattern = settings.pattern || isTopicPattern(spec.channel);
      const topics = pattern ? [] : topicList(spec.channel);
      for (const topic of topics) {
        createTopic(topic, replies ? 1 : settings.topic?.partitions, settings.topic?.config);
      }
      if (settings.partitions) {
        const count = logs.get(topics[0]!)!.length;
        const missing = [...new Set(settings.partitions)].filter((p) => p >= count).sort((a, b) => a - b);
        if (missing.length > 0) {
          throw new OptionError(
            `Invalid Kafka subscriber option of ${spec.channel}: partition(s) ${
              missing.join(", ")
            } do not exist (topic ${topics[0]} has ${count} partition(s), numbered from 0)`,
          );
        }
      }
      const id = spec.group ?? `sluice-${crypto.randomUUID()}`;
      const existing = groups.get(id)?.members[0];
      if (existing && (existing.partitions === undefined) !== (settings.partitions === undefined)) {
        throw new OptionError(
          `Group ${id} mixes subscribers with and without partitions: Kafka refuses members with different ` +
            `assignment protocols in one group; give them different groups`,
        );
      }
      let group = groups.get(id);
      if (!group) groups.set(id, group = { id, members: [], committed: new Map() });
      const member: Member = {
        group,
        channel: spec.channel,
        regex: pattern ? topicRegExp(spec.channel) : undefined,
        topics,
        partitions: settings.partitions ? new Set(settings.partitions) : undefined,
        deliver,
        window: new DeliveryWindow(
          spec.prefetch,
          (error) => logger.error(`A record of ${spec.channel} was not settled: ${describeError(error)}`),
        ),
        assigned: new Map(),
        tracks: new Map(),
        active: true,
        closed: false,
        waitingRoom: false,
        waitingDrain: false,
      };
      if ((settings.from ?? "latest") === "latest") {
        for (const [topic, log] of logs) {
          if (!subscribes(member, topic)) continue;
          log.forEach((records, partition) => {
            const key = tp(topic, partition);
            if (!group!.committed.has(key)) group!.committed.set(key, records.length);
          });
        }
      }
      group.members.push(member);
      rebalance(group);
      return Promise.resolve({
        stop() {
          member.active = false;
          stopped.add(member);
          member.window.close();
          const i = group!.members.indexOf(member);
          if (i !== -1) group!.members.splice(i, 1);
          if (group!.members.length === 0 && spec.group === undefined) groups.delete(id);
          else rebalance(group!);
          activity.changed();
          return Promise.resolve();
        },
      });
    },
    publish(channel, message, publishOptions) {
      assertConnected();
      append(channel, message, parsePublishOptions(publishOptions, channel));
      schedule();
      return Promise.resolve();
    },
    publishBatch(channel, messages, publishOptions) {
      assertConnected();
      const settings = parsePublishOptions(publishOptions, channel);
      for (const message of messages) append(channel, message, settings);
      schedule();
      return Promise.resolve();
    },
    ping() {
      assertConnected();
      return Promise.resolve();
    },
    idle: () => activity.whenIdle(),
    records: (topic, partition) =>
      partition === undefined ? (logs.get(topic) ?? []).flat() : logs.get(topic)?.[partition] ?? [],
    partitions: (topic) => logs.get(topic)?.length ?? 0,
    committed: (group, topic, partition) => groups.get(group)?.committed.get(tp(topic, partition)),
  };
  return emulation;
}
