/**
 * How SQS names channels: a channel is a queue name (or a queue URL). There are no wildcards, so a
 * template with path parameters cannot be subscribed; levels are joined with `-`, a character queue names
 * allow.
 *
 * @module
 */

import type { Capabilities, ChannelRules } from "@sluice/core";
import { OptionError } from "@sluice/core";
import { paramNames } from "@sluice/core/kit";

/** The channel rules of SQS. */
export const sqsRules: ChannelRules = {
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

/** What SQS can do: queues with competing consumers, no topics, no wildcards. */
export const SQS_CAPABILITIES: Capabilities = {
  request: false,
  batchPublish: true,
  wildcards: false,
  groups: true,
  fanout: false,
  redelivery: true,
  headers: true,
};
