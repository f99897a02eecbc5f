/**
 * How a Redis broker appears in the generated AsyncAPI document. AsyncAPI's Redis binding defines no fields
 * yet, so these are Sluice's own (`bindingVersion: "custom"`, as FastStream marks its own): the kind of each
 * channel (`pubsub`, `list` or `stream`) and its key where it differs from the address, a subscriber's
 * stream group and consumer, a publish's stream trimming, and the message envelope. Never the password.
 *
 * @module
 */

import type { DocsBindings, DriverDocs } from "@sluice/core";
import {
  type RedisOptions,
  type RedisPublishOptions,
  type RedisSubscribeOptions,
  resolvePublish,
  resolveSubscription,
} from "./options.ts";
import { isPattern, redisRules } from "./rules.ts";

const VERSION = "custom";

/** The AsyncAPI description of a Redis broker made with `options`; the driver carries it as `docs`. */
export function redisDocs(options: RedisOptions): DriverDocs<RedisSubscribeOptions, RedisPublishOptions> {
  const fallback = options.kind ?? "pubsub";
  return {
    server(): DocsBindings {
      return { redis: { envelope: options.envelope ?? "binary", bindingVersion: VERSION } };
    },
    channel(endpoint): DocsBindings {
      if (endpoint.action === "send") {
        const target = resolvePublish(endpoint.channel, endpoint.options, fallback);
        const key = target.key !== endpoint.channel ? { key: target.key } : {};
        return { redis: { kind: target.kind, ...key, bindingVersion: VERSION } };
      }
      const source = resolveSubscription(endpoint.channel, endpoint.options, fallback);
      if (source.kind === "pubsub") {
        const pattern = isPattern(redisRules.pattern(endpoint.channel)) ? { pattern: true } : {};
        return { redis: { kind: "pubsub", ...pattern, bindingVersion: VERSION } };
      }
      const key = source.key !== endpoint.channel ? { key: source.key } : {};
      return { redis: { kind: source.kind, ...key, bindingVersion: VERSION } };
    },
    operation(endpoint): DocsBindings {
      if (endpoint.action === "send") {
        const target = resolvePublish(endpoint.channel, endpoint.options, fallback);
        if (target.kind !== "stream" || target.maxLen === undefined) return {};
        return { redis: { maxLen: target.maxLen, approximate: target.approximate, bindingVersion: VERSION } };
      }
      const source = resolveSubscription(endpoint.channel, endpoint.options, fallback);
      if (source.kind !== "stream") return {};
      const group = source.options.group ?? endpoint.group;
      const consumer = source.options.consumer;
      return {
        redis: {
          ...(group !== undefined ? { group } : {}),
          ...(consumer !== undefined ? { consumer } : {}),
          bindingVersion: VERSION,
        },
      };
    },
  };
}
