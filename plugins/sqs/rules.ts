/**
 * How SQS names channels: a channel is a queue name (or a queue URL). There are no wildcards, so a
 * template with path parameters cannot be subscribed; levels are joined with `-`, a character queue names
 * allow. And what SQS can do, as the conformance suite's features.
 *
 * @module
 */

import type { RoutingRules } from "@sluice/core";
import { OptionError } from "@sluice/core";
import type { Features } from "@sluice/core/conformance";
import { paramNames } from "@sluice/core/kit";
import type { SqsOptions } from "./options.ts";

/** The channel rules of SQS. */
export const sqsRules: RoutingRules = {
  separator: "-",
  pattern(template: string): string {
    if (paramNames(template).length > 0) {
      throw new OptionError(
        `SQS has no wildcards: "${template}" has path parameters. Subscribe to each queue by its name`,
      );
    }
    return template;
  },
  matches: (pattern: string, channel: string): boolean => pattern === channel,
};

const FEATURES: Features = { wildcards: false, groups: true, fanout: false, redelivery: true };

/**
 * What SQS can do, whatever the options: queues with competing consumers (every consumer of a queue
 * competes), redelivery by visibility; no topics, so no fan-out, and no wildcards.
 */
export function features(_options: SqsOptions = {}): Features {
  return FEATURES;
}
