// Where the Redis Cluster and the Sentinel-watched master of the topology tests are: `scripts/brokers up`
// starts both (redis-cluster, redis-sentinel) and `scripts/brokers env` prints their URLs. Without them the
// tests skip and say so, unless SLUICE_REQUIRE_BROKERS=1 makes a missing one fail.
import process from "node:process";

/** The URL of a topology's broker, or the reason its tests skip. */
export function topologyUrl(name: "cluster" | "sentinel"): { url?: string; skip: string | false } {
  const variable = `SLUICE_REDIS_${name.toUpperCase()}_URL`;
  const url = process.env[variable];
  if (url) return { url, skip: false };
  const reason = `${variable} is not set: start it with \`bash scripts/brokers up redis-${name}\` and ` +
    `\`eval "$(bash scripts/brokers env)"\``;
  if (process.env.SLUICE_REQUIRE_BROKERS === "1") {
    throw new Error(`SLUICE_REQUIRE_BROKERS=1 but ${reason}`);
  }
  console.warn(`SKIPPED (loudly): Redis ${name} tests: ${reason}`);
  return { skip: reason };
}

/** The master set the Sentinel of scripts/brokers watches. */
export const SENTINEL_MASTER = "sluice";
