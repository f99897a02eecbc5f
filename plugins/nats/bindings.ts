/**
 * How a NATS broker appears in the generated AsyncAPI document: NATS bindings 0.1.0 — a subscriber's queue
 * group — and, as extensions, the JetStream stream or key-value bucket it consumes. Never the token, the
 * password, the NKey seed or the credentials file.
 *
 * @module
 */

import type { DocsBindings, DriverDocs } from "@sluice/core";
import {
  type NatsOptions,
  type NatsPublishOptions,
  type NatsSubscribeOptions,
  usesJetStream,
} from "./options.ts";
import { natsRules } from "./rules.ts";

const VERSION = "0.1.0";

/** The AsyncAPI description of a NATS broker made with `options`; the driver carries it as `docs`. */
export function natsDocs(options: NatsOptions): DriverDocs<NatsSubscribeOptions, NatsPublishOptions> {
  const jetstream = options.jetstream ?? false;
  return {
    operation(endpoint): DocsBindings {
      if (endpoint.action === "send") {
        return endpoint.options.jetstream ? { nats: { "x-jetstream": true, bindingVersion: VERSION } } : {};
      }
      const { kv, stream } = endpoint.options;
      const bucket = typeof kv === "string" ? kv : kv?.bucket;
      const spec = {
        channel: natsRules.pattern(endpoint.channel),
        template: endpoint.channel,
        prefetch: 1,
        options: endpoint.options,
      };
      const streamName = bucket === undefined && usesJetStream(spec, jetstream)
        ? (typeof stream === "string" ? stream : typeof stream === "object" ? stream.name : "")
        : undefined;
      return {
        nats: {
          ...(endpoint.group !== undefined ? { queue: endpoint.group } : {}),
          // A stream found by the subject when the subscriber starts has no name yet: "" says JetStream.
          ...(streamName !== undefined ? { "x-stream": streamName } : {}),
          ...(bucket !== undefined ? { "x-kv-bucket": bucket } : {}),
          bindingVersion: VERSION,
        },
      };
    },
  };
}
