/**
 * How NATS names subjects — `.` separated tokens, `*` matches one token, `>` one or more at the end — and
 * what a NATS broker can do for the conformance suite.
 *
 * @module
 */

import type { RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { levelMatcher, replaceParams } from "@sluice/core/kit";
import type { NatsOptions } from "./options.ts";

/** NATS subject rules: `logs.{level}` subscribes to `logs.*`; `>` matches one or more trailing tokens. */
export const natsRules: RoutingRules = {
  separator: ".",
  pattern: (template: string): string => replaceParams(template, "*"),
  matches: levelMatcher({ separator: ".", one: "*", many: ">", manyMatchesZero: false }),
};

/**
 * What a NATS broker made with these options can do. Core NATS cannot redeliver, so `redelivery` holds only
 * when subscribers are on JetStream by default (`jetstream: true`).
 *
 * @example
 * ```ts
 * import { features } from "@sluice/nats";
 * features({ jetstream: true }).redelivery; // true
 * ```
 */
export function features(options: Pick<NatsOptions, "jetstream"> = {}): Features {
  return { wildcards: true, groups: true, fanout: true, redelivery: options.jetstream ?? false };
}
