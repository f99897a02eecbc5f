/**
 * The core's own cost on the consuming side: a driver that hands over ready-made messages as fast as the
 * subscriber's prefetch allows (no broker, no network), against the smallest raw loop doing the same work —
 * decode the JSON body, run a no-op handler, ack — with the same 256 messages in flight. The `-schema` arms
 * also check each body with the same synchronous Standard Schema (the raw loop calls it by hand, Sluice
 * through the subscriber's `schema` option). The `-async` arms run an async handler, as most are written, that
 * waits for nothing: the raw loop awaits it and then the ack, Sluice runs 256 of them at once, as the raw loop
 * does.
 *
 *   deno run -A bench/memory/consume.ts [messages] [raw|sluice|raw-schema|sluice-schema|raw-async|sluice-async]
 *   SLUICE_CONSUME_PAIRS=10 SLUICE_CONSUME_VARIANT=-async bun bench/memory/consume.ts [messages]
 *
 * With an arm named, runs that arm once and prints one JSON line (the form `bench/run.ts` reads). Without,
 * runs the two arms in pairs in this process (below) and prints each pair's CPU microseconds per message and a
 * JSON line with the medians and the median of the pairs' ratios; the variant (`-schema`, `-async`) and the
 * number of pairs come from the environment.
 *
 * @module
 */

import process from "node:process";
import { setImmediate } from "node:timers";
import {
  Broker,
  type Deliver,
  type Driver,
  type IncomingMessage,
  SETTLED,
  type StandardSchemaV1,
} from "@sluice/core";
import { begin, cpuPerMessage, end, profiled, rssMiB, runtimeName } from "../_measure.ts";
import { median } from "../_stats.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const WINDOW = 256;
const body = new TextEncoder().encode(
  JSON.stringify({ id: 1, name: "a message of about one hundred bytes", tags: ["x", "y"], ok: true }),
);

/** A body with a numeric id and a string name: the kind of check a schema library makes. */
const schema: StandardSchemaV1<{ id: number; name: string }> = {
  "~standard": {
    version: 1,
    vendor: "bench",
    validate(value) {
      const body = value as { id?: unknown; name?: unknown } | null;
      if (typeof body !== "object" || body === null) return { issues: [{ message: "not an object" }] };
      if (typeof body.id !== "number") return { issues: [{ message: "id: not a number", path: ["id"] }] };
      if (typeof body.name !== "string") {
        return { issues: [{ message: "name: not a string", path: ["name"] }] };
      }
      return { value: body as { id: number; name: string } };
    },
  },
};

/** Hands `count` messages to `deliver`, keeping `window` unsettled; resolves when all were acked. */
function feed(count: number, window: number, deliver: Deliver): Promise<void> {
  return new Promise((finished) => {
    let open = 0;
    let sent = 0;
    let acked = 0;
    let scheduled = false;
    const settle = (): Promise<void> => {
      open--;
      if (++acked === count) finished();
      else if (!scheduled) {
        // As a client library would: refill when the broker's next frames arrive, a later task, not inside the
        // ack call. (A microtask per refill, as before, charged every message settled after a promise
        // reaction a queueMicrotask of its own — under Node 24 about 15% of the Sluice arm's profile — which
        // the raw loop, settling within the handler, never paid.)
        scheduled = true;
        setImmediate(pump);
      }
      // The ack is done when it returns, as the NATS, Redis, MQTT, Kafka and RabbitMQ drivers' are.
      return SETTLED;
    };
    const message: IncomingMessage = {
      channel: "bench",
      body,
      headers: {},
      contentType: "application/json",
      messageId: "m",
      ack: settle,
      nack: settle,
      reject: settle,
    };
    const pump = (): void => {
      scheduled = false;
      while (open < window && sent < count) {
        open++;
        sent++;
        // Each delivery is its own object, as a driver would make it.
        void deliver({ ...message });
      }
    };
    queueMicrotask(pump);
  });
}

/** The handler of the `-async` arms: an async function, as most handlers are, that waits for nothing. */
const handle = async (_body: unknown): Promise<void> => {};

async function raw(checked = false, async = false): Promise<void> {
  const decoder = new TextDecoder();
  if (async) {
    await feed(total, WINDOW, async (message) => {
      await handle(JSON.parse(decoder.decode(message.body)));
      await message.ack();
    });
    return;
  }
  // Without a schema the handler returns the ack's promise instead of being an async function: under Node 24
  // an async handler in this loop, which never waits for I/O, kept about 0.4 KB per message until the run
  // ended, and 9,000,000 messages ran out of heap (Deno and Bun did not).
  await feed(
    total,
    WINDOW,
    checked
      ? async (message) => {
        const result = await schema["~standard"].validate(JSON.parse(decoder.decode(message.body)));
        if (result.issues) throw new Error(result.issues[0]!.message);
        await message.ack();
      }
      : (message) => {
        JSON.parse(decoder.decode(message.body));
        return message.ack();
      },
  );
}

async function sluice(checked = false, async = false): Promise<void> {
  let run!: Promise<void>;
  const driver: Driver = {
    name: "bench",
    url: "bench://",
    rules: { separator: ".", pattern: (t) => t },
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    publish: () => Promise.resolve(),
    subscribe(spec, deliver) {
      run = feed(total, spec.prefetch, deliver);
      return Promise.resolve({ stop: () => Promise.resolve() });
    },
  };
  const broker = new Broker(driver, { logLevel: "error" });
  // The `-async` arm runs as many handlers at once as the raw loop does (its window); a concurrency below the
  // prefetch would queue the messages between in the core's limiter, which the raw loop does not have.
  broker.subscriber("bench", {
    prefetch: WINDOW,
    concurrency: async ? WINDOW : 1,
    schema: checked ? schema : undefined,
  }).handle(async ? handle : () => {});
  await broker.start();
  await run;
  await broker.close();
}

const only = process.argv[3];
if (only) {
  const start = begin();
  await (only.startsWith("raw") ? raw : sluice)(only.endsWith("-schema"), only.endsWith("-async"));
  const seconds = (end() - start) / 1000;
  console.log(JSON.stringify({
    arm: only,
    workload: "consume",
    count: total,
    seconds,
    rate: Math.round(total / seconds),
    cpu_us: cpuPerMessage(total),
    rss_mib: rssMiB(),
  }));
  await profiled();
  process.exit(0);
}

// Paired: raw and Sluice back to back in this process, `pairs` times (the order alternating), after one untimed
// pair. On the 2-vCPU machine the speed of one arm moves by up to 2× between runs minutes apart, with the
// machine otherwise idle, and two arms run in separate processes a round apart compare runs of different
// speeds; a pair's two runs share the conditions of the same few seconds, so the median of the pairs' ratios
// says what the core costs over the raw loop.
const variant = process.env.SLUICE_CONSUME_VARIANT ?? ""; // "", "-schema" or "-async"
const pairs = Number(process.env.SLUICE_CONSUME_PAIRS ?? 10);
/** CPU and wall-clock µs a message of one run. */
interface Timing {
  readonly cpu: number;
  readonly wall: number;
}
const timed = async (arm: typeof raw): Promise<Timing> => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await arm(variant === "-schema", variant === "-async");
  const wall = ((performance.now() - start) * 1000) / total;
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / total, wall };
};
await timed(raw);
await timed(sluice);
const runs: { raw: Timing; sluice: Timing }[] = [];
for (let pair = 0; pair < pairs; pair++) {
  const rawFirst = pair % 2 === 0;
  const a = await timed(rawFirst ? raw : sluice);
  const b = await timed(rawFirst ? sluice : raw);
  const run = rawFirst ? { raw: a, sluice: b } : { raw: b, sluice: a };
  runs.push(run);
  console.log(
    `pair ${pair + 1}: CPU µs/msg raw ${run.raw.cpu.toFixed(3)}, sluice ${run.sluice.cpu.toFixed(3)}; ` +
      `wall µs/msg raw ${run.raw.wall.toFixed(3)}, sluice ${run.sluice.wall.toFixed(3)}`,
  );
}
const cpuRatios = runs.map((r) => r.sluice.cpu / r.raw.cpu);
const rateRatios = runs.map((r) => r.raw.wall / r.sluice.wall);
console.log(JSON.stringify({
  workload: `consume${variant}`,
  runtime: runtimeName(),
  count: total,
  pairs,
  raw_cpu_us: +median(runs.map((r) => r.raw.cpu)).toFixed(3),
  sluice_cpu_us: +median(runs.map((r) => r.sluice.cpu)).toFixed(3),
  // Sluice ÷ raw, each the median of the pairs' own ratios: CPU a message, and msg/s.
  cpu_ratio: +median(cpuRatios).toFixed(3),
  rate_ratio: +median(rateRatios).toFixed(3),
  cpu_ratios: cpuRatios.map((r) => +r.toFixed(2)),
}));
