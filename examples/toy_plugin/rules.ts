import type { RoutingRules } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { levelMatcher, replaceParams } from "@sluice/core/kit";

/** Toy channels: `.` separated, `*` one level, `>` the rest, as on NATS. */
export const toyRules: RoutingRules = {
  separator: ".",
  pattern: (template) => replaceParams(template, "*"),
  matches: levelMatcher({ separator: ".", one: "*", many: ">", manyMatchesZero: false }),
};

/** What the toy broker can do, for the conformance suite. */
export function features(): Features {
  return { wildcards: true, groups: true, fanout: true, redelivery: true };
}
