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
import { globMatches } from "./_glob.ts";

const GLOB = /[*?[]/;

/** Whether a channel name is a Redis glob pattern (it needs `PSUBSCRIBE`). */
export function isPattern(channel: string): boolean {
  return GLOB.test(channel);
}

/**
 * Redis channel rules: `.` separates levels, `{param}` becomes `*`, and wildcards match one level. The glob is
 * Redis's own, byte for byte (`?` is one byte, `[a-]`, `[c-a]` and an unclosed `[` mean what they mean to
 * Redis), narrowed so that no wildcard matches a `.`.
 */
export const redisRules: RoutingRules = {
  separator: ".",
  pattern: (template) => replaceParams(template, "*"),
  matches: (pattern, channel) =>
    pattern === channel || (isPattern(pattern) && globMatches(pattern, channel, true)),
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
