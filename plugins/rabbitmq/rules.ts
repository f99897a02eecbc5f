/**
 * RabbitMQ's channel rules — a channel is a topic routing key, words separated by `.`; in a binding key `*`
 * matches exactly one word and `#` zero or more words — and what a RabbitMQ broker can do for the
 * conformance suite.
 *
 * @module
 */

import type { RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { replaceParams } from "@sluice/core/kit";
import type { RabbitmqOptions } from "./options.ts";
import { BUILT_IN_EXCHANGES } from "./_topology.ts";

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
export const rabbitmqRules: RoutingRules = {
  separator: ".",
  pattern: (template) => replaceParams(template, "*"),
  matches: topicMatches,
};

/**
 * What a RabbitMQ broker made with these options can do, which depends on its `exchange`. On a topic exchange
 * (`amq.topic`, the default, or one the plugin declares) it can do everything the conformance suite asks. A
 * direct, fanout or headers exchange does not match `{param}` wildcards. The default exchange (`""`) routes a
 * channel to the queue of that name, which every subscriber of the channel shares: no wildcards, no groups,
 * no fan-out.
 *
 * @example
 * ```ts
 * import { features } from "@sluice/rabbitmq";
 * features().wildcards; // true
 * features({ exchange: "" }).fanout; // false
 * ```
 */
export function features(options: Pick<RabbitmqOptions, "exchange"> = {}): Features {
  const exchange = options.exchange ?? "amq.topic";
  if (exchange === "") return { wildcards: false, groups: false, fanout: false, redelivery: true };
  const type = BUILT_IN_EXCHANGES.get(exchange) ?? "topic";
  return { wildcards: type === "topic", groups: true, fanout: true, redelivery: true };
}
