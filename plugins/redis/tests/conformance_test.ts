// The conformance suite, three times — one per kind of Redis channel (Pub/Sub, lists, streams) — against
// the emulation and, when a real Redis is available, against the server. The broker's `kind` option sets
// what subscribers and publishes use by default, and so the features the suite checks.
import { after, describe, it } from "node:test";
import { conformance } from "@sluice/core/conformance";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { features, redis, type RedisKind } from "../mod.ts";

const server = await realBroker("redis");
if (server) after(() => server.stop());

for (const kind of ["pubsub", "list", "stream"] as RedisKind[]) {
  conformance({
    name: `redis ${kind} (emulation)`,
    real: false,
    features: features({ kind }),
    createBroker: (options) => redis({ ...options, kind }),
  }, { describe, it });
  if (server) {
    conformance({
      name: `redis ${kind} (real)`,
      real: true,
      features: features({ kind }),
      createBroker: (options) => redis({ ...options, kind, url: server.url }),
      // Streams: a short block keeps shutdowns quick.
      subscriberOptions: () => (kind === "stream" ? { stream: { block: 500 } } : {}),
    }, { describe, it });
  }
}
