/**
 * RabbitMQ's channel rules: a channel is a topic routing key, words separated by `.`; in a binding key `*`
 * matches exactly one word and `#` zero or more words.
 *
 * @module
 */

import type { Capabilities, ChannelRules } from "@sluice/core";
import { replaceParams } from "@sluice/core/kit";

/** The words of a routing or binding key; RabbitMQ treats the empty key as zero words. */
function words(key: string): string[] {
  return key === "" ? [] : key.split(".");
}

function matchWords(pattern: readonly string[], pi: number, key: readonly string[], ki: number): boolean {
  for (; pi < pattern.length; pi++, ki++) {
    const word = pattern[pi];
    if (word === "#") {
      // `#` swallows zero or more words: try every split point.
      for (let skip = 0; ki + skip <= key.length; skip++) {
        if (matchWords(pattern, pi + 1, key, ki + skip)) return true;
      }
      return false;
    }
    if (ki >= key.length) return false;
    if (word !== "*" && word !== key[ki]) return false;
  }
  return ki === key.length;
}

/**
 * Whether a topic exchange delivers a message with `routingKey` to a binding with `bindingKey`, exactly as
 * RabbitMQ decides it.
 *
 * @example
 * ```ts
 * import { topicMatches } from "@sluice/rabbitmq";
 * topicMatches("logs.#", "logs"); // true: `#` matches zero words
 * topicMatches("logs.*", "logs.a.b"); // false: `*` matches one word
 * ```
 */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  if (bindingKey === routingKey) return true;
  return matchWords(words(bindingKey), 0, words(routingKey), 0);
}

/** RabbitMQ's topic rules: `logs.{level}` subscribes to `logs.*`. */
export const rabbitmqRules: ChannelRules = {
  separator: ".",
  pattern: (template) => replaceParams(template, "*"),
  matches: topicMatches,
};

/** What RabbitMQ can do: everything the core asks, request/reply natively over direct reply-to. */
export const RABBITMQ_CAPABILITIES: Capabilities = {
  request: true,
  batchPublish: true,
  wildcards: true,
  groups: true,
  fanout: true,
  redelivery: true,
  headers: true,
};
