/**
 * Every benchmark the runner (`bench/run.ts`) knows: which script, which arms, and how many messages in the
 * full and the quick mode. Full counts make an arm last 5 s or more on the 2-vCPU machine; the runner warns
 * when one did not.
 *
 * Arms: `raw` is the client library alone doing the same work, `driver` the plugin's driver without the
 * core, `sluice` a subscriber or `broker.publish`; `raw-wire` publishes raw with Sluice's extra headers.
 *
 * @module
 */

/** One benchmark: a script run once per arm, in a fresh process. */
export interface Bench {
  /** `broker/way`, e.g. `nats/core live`. */
  readonly id: string;
  readonly script: string;
  readonly arms: readonly string[];
  /** Messages per run in full mode and in quick mode. */
  readonly full: number;
  readonly quick: number;
  /** The script's arguments after its path. */
  args(arm: string, count: number): string[];
  /** Environment variable that names the broker; the bench is skipped (loudly) without it. */
  readonly needs?: string;
  /**
   * Python arms of the same workload (`raw-python`, `faststream`): `script` runs under `$SLUICE_PYTHON`
   * (`bash scripts/python` makes that virtualenv) as `script <arm> <count>`, once per round, as runtime
   * `python`.
   */
  readonly python?: { readonly script: string; readonly arms: readonly string[] };
  /** Runs before and after each run of an arm (SQS fills and deletes its queue outside the timed run). */
  around?(
    arm: string,
    count: number,
    round: number,
  ): { before: string[][]; after: string[][]; args: string[] };
}

const window = "256";

export const benches: readonly Bench[] = [
  {
    id: "memory consume",
    script: "bench/memory/consume.ts",
    arms: ["raw", "sluice"],
    full: 1_000_000,
    quick: 2_000,
    args: (arm, count) => [String(count), arm],
  },
  {
    id: "memory drain 1M (RSS)",
    script: "bench/memory/drain.ts",
    arms: ["sluice"],
    full: 1_000_000,
    quick: 2_000,
    args: (arm, count) => [arm, String(count)],
  },
  {
    id: "nats/core live",
    script: "bench/nats/core.ts",
    arms: ["raw", "driver", "sluice"],
    python: { script: "bench/python/nats_core.py", arms: ["raw-python", "faststream"] },
    full: 200_000,
    quick: 2_000,
    args: (arm, count) => [arm, String(count)],
    needs: "SLUICE_NATS_URL",
  },
  {
    id: "nats/core 1M live (RSS)",
    script: "bench/nats/core.ts",
    arms: ["sluice"],
    full: 1_000_000,
    quick: 2_000,
    args: (arm, count) => [arm, String(count)],
    needs: "SLUICE_NATS_URL",
  },
  {
    id: "nats/core rpc",
    script: "bench/nats/rpc.ts",
    arms: ["raw", "sluice"],
    full: 2_000,
    quick: 50,
    args: (arm, count) => [arm, String(count)],
    needs: "SLUICE_NATS_URL",
  },
  {
    id: "nats/jetstream drain",
    script: "bench/nats/bench.ts",
    arms: ["raw", "sluice"],
    full: 300_000,
    quick: 1_000,
    args: (arm, count) => [arm, "drain", String(count), window],
    needs: "SLUICE_NATS_URL",
  },
  {
    id: "nats/jetstream publish",
    script: "bench/nats/bench.ts",
    arms: ["raw", "raw-wire", "sluice"],
    full: 150_000,
    quick: 1_000,
    args: (arm, count) => [arm, "publish", String(count), window],
    needs: "SLUICE_NATS_URL",
  },
  {
    id: "redis/pubsub live",
    script: "bench/redis/pubsub.ts",
    arms: ["raw", "driver", "sluice"],
    full: 100_000,
    quick: 2_000,
    args: (arm, count) => [arm, String(count)],
    needs: "SLUICE_REDIS_URL",
  },
  {
    id: "redis/list drain",
    script: "bench/redis/bench.ts",
    arms: ["raw", "sluice"],
    full: 300_000,
    quick: 1_000,
    args: (arm, count) => [arm, "drain", String(count)],
    needs: "SLUICE_REDIS_URL",
  },
  {
    id: "redis/list publish",
    script: "bench/redis/bench.ts",
    arms: ["raw", "sluice"],
    full: 300_000,
    quick: 1_000,
    args: (arm, count) => [arm, "publish", String(count)],
    needs: "SLUICE_REDIS_URL",
  },
  {
    id: "rabbitmq drain",
    script: "bench/rabbitmq/bench.ts",
    arms: ["raw", "sluice"],
    full: 150_000,
    quick: 1_000,
    args: (arm, count) => [arm, "drain", String(count), window],
    needs: "SLUICE_AMQP_URL",
  },
  {
    id: "rabbitmq publish",
    script: "bench/rabbitmq/bench.ts",
    arms: ["raw", "sluice"],
    full: 150_000,
    quick: 1_000,
    args: (arm, count) => [arm, "publish", String(count), window],
    needs: "SLUICE_AMQP_URL",
  },
  {
    id: "kafka drain",
    script: "bench/kafka/bench.ts",
    // platformatic: the same drain with @platformatic/kafka, a raw arm beside kafkajs (the plugin's client).
    arms: ["raw", "platformatic", "driver", "sluice"],
    full: 500_000,
    quick: 1_000,
    args: (arm, count) => [arm, "drain", String(count)],
    needs: "SLUICE_KAFKA_URL",
  },
  {
    id: "kafka publish",
    script: "bench/kafka/bench.ts",
    arms: ["raw", "sluice"],
    full: 20_000,
    quick: 200,
    args: (arm, count) => [arm, "publish", String(count)],
    needs: "SLUICE_KAFKA_URL",
  },
  {
    id: "mqtt drain",
    script: "bench/mqtt/bench.ts",
    arms: ["raw", "sluice"],
    full: 60_000,
    quick: 500,
    args: (arm, count) => [arm, "drain", String(count), "64"],
    needs: "SLUICE_MQTT_BENCH_URL",
  },
  {
    id: "mqtt publish",
    script: "bench/mqtt/bench.ts",
    arms: ["raw", "sluice"],
    full: 60_000,
    quick: 500,
    args: (arm, count) => [arm, "publish", String(count), "64"],
    needs: "SLUICE_MQTT_BENCH_URL",
  },
  {
    id: "sqs drain",
    script: "bench/sqs/bench.ts",
    arms: ["raw", "sluice"],
    full: 20_000,
    quick: 200,
    args: () => [],
    needs: "SLUICE_SQS_URL",
    around(arm, count, round) {
      const queue = `bench-drain-${arm}-${round}-${Date.now()}`;
      return {
        before: [["fill", queue, String(count)]],
        after: [["delete", queue]],
        args: [`drain-${arm}`, queue, String(count)],
      };
    },
  },
  {
    id: "sqs publish",
    script: "bench/sqs/bench.ts",
    arms: ["raw", "sluice"],
    full: 10_000,
    quick: 200,
    args: () => [],
    needs: "SLUICE_SQS_URL",
    around(arm, count, round) {
      const queue = `bench-publish-${arm}-${round}-${Date.now()}`;
      return { before: [], after: [["delete", queue]], args: [`publish-${arm}`, queue, String(count), "64"] };
    },
  },
];
