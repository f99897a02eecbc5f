/**
 * Every benchmark the runner (`bench/run.ts`) knows: which script, which arms, and how many messages in the
 * full and the quick mode. Full counts make every arm last 5 s or more on the 2-vCPU machine (set from the
 * shortest run of each bench in the recorded run on 146b374, for about 6 s; the Python arms' counts from their
 * faster arm); the runner warns when one did not. The two RSS benches keep the 1,000,000 messages their bound
 * is stated for.
 *
 * Arms: `raw` is the client library alone doing the same work, `driver` the plugin's driver without the
 * core, `sluice` a subscriber or `broker.publish`; `raw-wire` publishes raw with Sluice's extra headers;
 * `raw-resp` consumes Redis Pub/Sub on a plain socket read by `redis-parser` instead of ioredis's decoder.
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
   * (`bash scripts/python` makes that virtualenv) with the arguments of the TypeScript arms (`args`, with the
   * Python count when one is given), as runtime `python`, in each of the runner's first `--python-rounds`
   * rounds. The scripts share `bench/python/_measure.py`.
   */
  readonly python?: {
    readonly script: string;
    readonly arms: readonly string[];
    /** Messages per run in full mode, when not `full`: the Python arms are 10–50 times slower. */
    readonly full?: number;
  };
  /**
   * The script also runs its TypeScript arms side by side in one process (`<arm>,<arm>… <count>`, the first
   * arm the yardstick; `measureRpcPaired` in `bench/_rpc.ts`): once a round on each runtime, after the arms'
   * own runs, with `full` round trips an arm.
   */
  readonly paired?: boolean;
  /** Runs before and after each run of an arm (SQS fills and deletes its queue outside the timed run). */
  around?(
    arm: string,
    count: number,
    round: number,
  ): { before: string[][]; after: string[][]; args: string[] };
}

const window = "256";
const RAW_SLUICE: readonly string[] = ["raw", "sluice"];
const PYTHON_ARMS: readonly string[] = ["raw-python", "faststream"];

/**
 * The Python arms of a bench, run by `bench/python/<file>` (`raw-python` and `faststream`), with `full`
 * messages per run when given (the TypeScript arms' count would keep a FastStream arm busy for minutes).
 */
function python(file: string, full?: number): Bench["python"] {
  return { script: `bench/python/${file}`, arms: PYTHON_ARMS, full };
}

/** Messages per run: in full mode, in quick mode. */
type Counts = readonly [full: number, quick: number];

interface Shape {
  /** Default: `raw` and `sluice`. */
  readonly arms?: readonly string[];
  /** The workload, the script's argument before the count (`drain`, `publish`). */
  readonly way?: string;
  /** The script's arguments after the count (a window of outstanding messages …). */
  readonly extra?: readonly string[];
  readonly needs?: string;
  readonly paired?: boolean;
  readonly python?: Bench["python"];
  /** Python arms of the drain bench only (`drainAndPublish`). */
  readonly drainPython?: Bench["python"];
}

/** A bench whose script takes `<arm> [<way>] <count> [<extra>…]`, as most do. */
function bench(id: string, script: string, [full, quick]: Counts, shape: Shape = {}): Bench {
  const { arms = RAW_SLUICE, way, extra = [], drainPython: _, ...rest } = shape;
  return {
    id,
    script,
    arms,
    full,
    quick,
    ...rest,
    args: (arm, count) => [arm, ...(way ? [way] : []), String(count), ...extra],
  };
}

/** The `<name> drain` and `<name> publish` benches of one script (`<arm> drain|publish <count> [<extra>…]`). */
function drainAndPublish(
  name: string,
  script: string,
  counts: { readonly drain: Counts; readonly publish: Counts },
  shape: Omit<Shape, "arms" | "way"> & {
    readonly drainArms?: readonly string[];
    publishArms?: readonly string[];
  },
): Bench[] {
  const { drainArms, publishArms, drainPython, ...common } = shape;
  return [
    bench(`${name} drain`, script, counts.drain, {
      ...common,
      way: "drain",
      arms: drainArms,
      python: drainPython,
    }),
    bench(`${name} publish`, script, counts.publish, { ...common, way: "publish", arms: publishArms }),
  ];
}

/** An SQS bench: its script fills (for a drain) and deletes a queue of its own outside the timed run. */
function sqsBench(way: "drain" | "publish", [full, quick]: Counts, extra: readonly string[] = []): Bench {
  return {
    id: `sqs ${way}`,
    script: "bench/sqs/bench.ts",
    arms: RAW_SLUICE,
    full,
    quick,
    args: () => [],
    needs: "SLUICE_SQS_URL",
    around(arm, count, round) {
      const queue = `bench-${way}-${arm}-${round}-${Date.now()}`;
      return {
        before: way === "drain" ? [["fill", queue, String(count)]] : [],
        after: [["delete", queue]],
        args: [`${way}-${arm}`, queue, String(count), ...extra],
      };
    },
  };
}

const NATS = "SLUICE_NATS_URL";

export const benches: readonly Bench[] = [
  {
    id: "memory consume",
    script: "bench/memory/consume.ts",
    arms: RAW_SLUICE,
    full: 22_000_000,
    quick: 2_000,
    args: (arm, count) => [String(count), arm],
  },
  {
    // The same with an async handler, as most are written: the core's path through the handler's promise.
    id: "memory consume async",
    script: "bench/memory/consume.ts",
    arms: RAW_SLUICE,
    full: 15_000_000,
    quick: 2_000,
    args: (arm, count) => [String(count), `${arm}-async`],
  },
  bench("memory drain 1M (RSS)", "bench/memory/drain.ts", [1_000_000, 2_000], { arms: ["sluice"] }),
  bench("nats/core live", "bench/nats/core.ts", [1_500_000, 2_000], {
    arms: ["raw", "driver", "sluice"],
    python: python("nats_core.py", 600_000),
    needs: NATS,
  }),
  bench("nats/core 1M live (RSS)", "bench/nats/core.ts", [1_000_000, 2_000], {
    arms: ["sluice"],
    needs: NATS,
  }),
  // RPC benches: sequential round trips (bench/_rpc.ts; untimed ones first: 20,000 or 5 s, up to the count).
  bench("nats/core rpc", "bench/nats/rpc.ts", [32_000, 50], {
    needs: NATS,
    paired: true,
    python: python("nats_rpc.py", 12_500),
  }),
  ...drainAndPublish("nats/jetstream", "bench/nats/bench.ts", {
    drain: [700_000, 1_000],
    publish: [380_000, 1_000],
  }, {
    publishArms: ["raw", "raw-wire", "sluice"],
    extra: [window],
    drainPython: python("nats_jetstream_drain.py", 300_000),
    needs: NATS,
  }),
  // 800,000: Bun's arms take 120,000–135,000 a second since 4670631 (the envelope read by Buffer's decoders).
  bench("redis/pubsub live", "bench/redis/pubsub.ts", [800_000, 2_000], {
    arms: ["raw", "raw-resp", "driver", "sluice"],
    python: python("redis_pubsub.py", 200_000),
    needs: "SLUICE_REDIS_URL",
  }),
  bench("redis rpc", "bench/redis/rpc.ts", [36_000, 50], {
    needs: "SLUICE_REDIS_URL",
    paired: true,
    python: python("redis_rpc.py", 11_000),
  }),
  ...drainAndPublish("redis/list", "bench/redis/bench.ts", {
    drain: [520_000, 1_000],
    publish: [760_000, 1_000],
  }, {
    needs: "SLUICE_REDIS_URL",
  }),
  ...drainAndPublish("redis/stream", "bench/redis/stream.ts", {
    drain: [500_000, 1_000],
    publish: [500_000, 1_000],
  }, {
    drainPython: python("redis_stream_drain.py", 180_000),
    needs: "SLUICE_REDIS_URL",
  }),
  ...drainAndPublish("rabbitmq", "bench/rabbitmq/bench.ts", {
    drain: [190_000, 1_000],
    publish: [150_000, 1_000],
  }, {
    extra: [window],
    drainPython: python("rabbitmq_drain.py"),
    needs: "SLUICE_AMQP_URL",
  }),
  bench("rabbitmq rpc", "bench/rabbitmq/rpc.ts", [20_000, 50], {
    arms: ["raw", "raw-wire", "driver", "sluice"],
    needs: "SLUICE_AMQP_URL",
    paired: true,
    python: python("rabbitmq_rpc.py", 5_000),
  }),
  ...drainAndPublish(
    "kafka",
    "bench/kafka/bench.ts",
    { drain: [1_500_000, 1_000], publish: [340_000, 200] },
    {
      // platformatic: the same drain with @platformatic/kafka, a raw arm beside kafkajs (the plugin's client).
      drainArms: ["raw", "platformatic", "driver", "sluice"],
      drainPython: python("kafka_drain.py", 800_000),
      needs: "SLUICE_KAFKA_URL",
    },
  ),
  // No Python arms: FastStream 0.7.8 has no request() on Kafka outside its test client.
  bench("kafka rpc", "bench/kafka/rpc.ts", [5_000, 50], {
    arms: ["raw", "raw-wire", "driver", "sluice"],
    needs: "SLUICE_KAFKA_URL",
    paired: true,
  }),
  ...drainAndPublish("mqtt", "bench/mqtt/bench.ts", { drain: [1_050_000, 500], publish: [370_000, 500] }, {
    publishArms: ["raw", "raw-wire", "sluice"],
    extra: ["64"],
    needs: "SLUICE_MQTT_BENCH_URL",
  }),
  sqsBench("drain", [48_000, 200]),
  sqsBench("publish", [16_000, 200], ["64"]),
];

/** A script outside the runner's tables, and the tiny arguments `--quick` runs it with. */
export interface Diagnostic {
  readonly script: string;
  readonly args: readonly string[];
  /** Environment variable that names the broker it needs; skipped (loudly) without it. */
  readonly needs?: string;
}

/**
 * Micro benches and diagnostics that the READMEs cite with commands of their own (their figures are not in
 * the runner's tables). A full run leaves them alone; `--quick` runs each once with tiny arguments under
 * Deno, so CI proves they still run.
 */
export const diagnostics: readonly Diagnostic[] = [
  { script: "bench/memory/bench.ts", args: ["2000", "1"] },
  { script: "bench/middlewares/bench.ts", args: ["2000", "1"] },
  { script: "bench/middlewares/alone.ts", args: ["2000"] },
  { script: "bench/redis/pubsub_alone.ts", args: ["sluice", "2000"] },
  { script: "bench/redis/parsers.ts", args: ["2000", "1"] },
  { script: "bench/rabbitmq/cold.ts", args: ["driver", "20"], needs: "SLUICE_AMQP_URL" },
  { script: "bench/rabbitmq/frames.ts", args: ["sluice", "20"], needs: "SLUICE_AMQP_URL" },
  { script: "bench/mqtt/ack_backlog.ts", args: ["sluice", "500"], needs: "SLUICE_MQTT_URL" },
];
