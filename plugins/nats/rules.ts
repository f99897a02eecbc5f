/**
 * How NATS names subjects: `.` separated tokens, `*` matches one token, `>` one or more at the end.
 *
 * @module
 */

import type { ChannelRules } from "@sluice/core";
import { levelMatcher, replaceParams } from "@sluice/core/kit";

/** NATS subject rules: `logs.{level}` subscribes to `logs.*`; `>` matches one or more trailing tokens. */
export const natsRules: ChannelRules = {
  separator: ".",
  pattern: (template: string): string => replaceParams(template, "*"),
  matches: levelMatcher({ separator: ".", one: "*", many: ">", manyMatchesZero: false }),
};
