/**
 * How Redis names channels: `.`-separated levels, Pub/Sub patterns in Redis's glob syntax. Sluice narrows one
 * thing: a `*` (or `?`) never crosses a `.`, so `logs.*` — what `logs.{level}` becomes — matches `logs.info`
 * but not `logs.x.deep`, exactly as on the other brokers. The driver subscribes with `PSUBSCRIBE logs.*` and
 * drops, client side, what Redis's wider glob lets through. And what each kind of channel can do, as the
 * conformance suite's features.
 *
 * @module
 */

import type { RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { replaceParams } from "@sluice/core/kit";
import type { RedisKind, RedisOptions } from "./options.ts";

const GLOB = /[*?[]/;

/** Whether a channel name is a Redis glob pattern (it needs `PSUBSCRIBE`). */
export function isPattern(channel: string): boolean {
  return GLOB.test(channel);
}

const cache = new Map<string, RegExp>();

/** Compiles a glob into a regular expression whose `*`, `?` and `[...]` stay within one `.` level. */
function compile(pattern: string): RegExp {
  let regex = cache.get(pattern);
  if (regex) return regex;
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "\\" && i + 1 < pattern.length) {
      source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (char === "*") source += "[^.]*";
    else if (char === "?") source += "[^.]";
    else if (char === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) source += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/^\^/, "!");
        source += body.startsWith("!") ? `[^.${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else source += char.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  regex = new RegExp(`^${source}$`);
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, regex);
  return regex;
}

/** Redis channel rules: `.` separates levels, `{param}` becomes `*`, and wildcards match one level. */
export const redisRules: RoutingRules = {
  separator: ".",
  pattern: (template) => replaceParams(template, "*"),
  matches: (pattern, channel) =>
    pattern === channel || (isPattern(pattern) && compile(pattern).test(channel)),
};

/**
 * What each kind can do. Pub/Sub: wildcards and fan-out, no acknowledgement, so no redelivery and no
 * competing groups. Lists: competing consumers and redelivery, no fan-out. Streams: consumer groups
 * (competing inside, fan-out across) and redelivery; no wildcards.
 */
const KIND_FEATURES: Readonly<Record<RedisKind, Features>> = {
  pubsub: { wildcards: true, groups: false, fanout: true, redelivery: false },
  list: { wildcards: false, groups: true, fanout: false, redelivery: true },
  stream: { wildcards: false, groups: true, fanout: true, redelivery: true },
};

/** The features of a broker whose default kind (`kind`, Pub/Sub by default) its subscribers use. */
export function features(options: Pick<RedisOptions, "kind"> = {}): Features {
  return KIND_FEATURES[options.kind ?? "pubsub"];
}
