/**
 * How Kafka names channels. A channel is a topic, a comma-separated list of topics, or a topic pattern (a
 * regular expression). `{param}` in a template becomes `[^.]+`, one dot-separated level, so
 * `logs.{level}` matches `logs.info` but neither `other.info` nor `logs.x.deep`.
 *
 * @module
 */

import { OptionError, type RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import type { KafkaOptions, KafkaSubscribeOptions } from "./options.ts";

const FEATURES: Features = Object.freeze({ wildcards: true, groups: true, fanout: true, redelivery: true });

/**
 * What a Kafka broker does of what the conformance suite asks, on the broker and in the emulation alike,
 * whatever the options: topic patterns, consumer groups, every group gets every record, and a nacked record
 * is delivered again (in place, see the README).
 */
export function features(_options?: KafkaOptions): Features {
  return FEATURES;
}

const PARAM = /\{([A-Za-z_][\w-]*)\}/g;
const LITERAL = /^[A-Za-z0-9._-]+$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Topics Kafka keeps for itself; a client's publish to one is refused. */
const INTERNAL_TOPICS = new Set(["__consumer_offsets", "__transaction_state", "__cluster_metadata"]);

/**
 * Throws an `OptionError` unless Kafka accepts `topic` as a topic name to publish to (not an internal one): 1 to 249 characters among ASCII
 * letters, digits, `.`, `_` and `-`, and neither `.` nor `..`. Checked before anything is sent, by the driver
 * and the emulation alike.
 */
export function assertTopicName(topic: string): void {
  if (INTERNAL_TOPICS.has(topic)) {
    throw new OptionError(`Cannot publish to ${topic}: it is one of Kafka's internal topics`);
  }
  if (
    topic.length > 0 && topic.length <= 249 && /^[a-zA-Z0-9._-]+$/.test(topic) && topic !== "." &&
    topic !== ".."
  ) {
    return;
  }
  throw new OptionError(
    `Invalid Kafka topic name ${JSON.stringify(topic.length > 60 ? `${topic.slice(0, 60)}…` : topic)}: ` +
      `use 1 to 249 ASCII letters, digits, '.', '_' and '-' (not "." or "..")`,
  );
}

/**
 * Throws an `OptionError` unless `partition` is one of the topic's `count` partitions (Kafka's client would
 * otherwise drop the record without a word).
 */
export function assertPartition(topic: string, partition: number, count: number): void {
  if (partition >= 0 && partition < count) return;
  throw new OptionError(`Partition ${partition} does not exist: topic ${topic} has ${count} partition(s)`);
}

/** Whether a channel is a topic pattern (a regular expression) rather than topic names. */
export function isTopicPattern(channel: string): boolean {
  return !channel.split(",").every((part) => LITERAL.test(part));
}

/** The topics of a channel that names topics: `a,b` → `["a", "b"]`. */
export function topicList(channel: string): string[] {
  return channel.split(",").filter(Boolean);
}

const compiled = new Map<string, RegExp>();

/** The anchored regular expression of a topic pattern. */
export function topicRegExp(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(`^(?:${pattern})$`);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

/** Whether a topic belongs to a channel (a topic, a list or a pattern). */
export function topicMatches(channel: string, topic: string): boolean {
  if (channel === topic) return true;
  if (!isTopicPattern(channel)) return topicList(channel).includes(topic);
  return topicRegExp(channel).test(topic);
}

/**
 * Throws an `OptionError` unless a subscriber with explicit `partitions` consumes one topic (not a list, not a
 * pattern): partitions are numbered per topic.
 */
export function assertPartitionsFit(channel: string, settings: KafkaSubscribeOptions): void {
  if (
    settings.partitions && (settings.pattern || isTopicPattern(channel) || topicList(channel).length !== 1)
  ) {
    throw new OptionError(
      `Invalid Kafka subscriber option of ${channel}: partitions needs a single topic (not a list or a pattern)`,
    );
  }
}

/**
 * Kafka's channel rules: `.` separates levels, `{param}` is one level of a topic pattern.
 *
 * @example
 * ```ts
 * import { kafkaRules } from "@sluice/kafka";
 * kafkaRules.pattern("logs.{level}"); // "logs\\.[^.]+"
 * kafkaRules.matches("orders,invoices", "invoices"); // true
 * ```
 */
export const kafkaRules: RoutingRules = {
  separator: ".",
  pattern(template: string): string {
    if (!PARAM.test(template)) return template;
    PARAM.lastIndex = 0;
    return template
      .split(PARAM)
      .map((part, i) => (i % 2 === 1 ? "[^.]+" : escapeRegExp(part)))
      .join("");
  },
  matches: topicMatches,
};
