/**
 * Request/reply latency, the loop every RPC bench shares: untimed round trips until the JIT has settled
 * ({@linkcode warmUp}), then `count` sequential ones, each timed; prints one JSON line with the run's p50 and
 * p99 (ms), msg/s and the CPU per round trip of this process (responder and requester together) over the
 * timed section.
 *
 * @module
 */

import process from "node:process";
import type { Deliver, Driver, OutgoingMessage } from "@sluice/core";
import { begin, end, printRun, profiled, runtimeName } from "./_measure.ts";
import { median } from "./_stats.ts";

/** The fewest untimed round trips before the timed ones (connections, reply subscriptions, JIT). */
export const WARM_UP = 200;

/**
 * How long the warm-up goes on past {@linkcode WARM_UP_CALLS}, up to the run's own count of round trips:
 * until the runtime's optimising compilers are done with the code a round trip runs. They compile on threads
 * of their own whose CPU `process.cpuUsage` counts, and in a timed section that starts too early that work —
 * done once in a service's life — is charged to each round trip, more to the arm with more code. Under Bun,
 * `BUN_JSC_reportCompileTimes=1` on `bench/rabbitmq/rpc.ts driver 8000` after 200 warm-up trips listed 111
 * FTL and 52 DFG compilations in the timed section (556 ms, 70 µs a round trip, against `raw-wire`'s 495 ms)
 * and after 16,000 (about 5 s) 6 and 9 (50 ms); Deno's `--v8-flags=--trace-opt` showed 213 compilations
 * (257 ms) after 200 and 31 (137 ms) after 16,000.
 */
export const WARM_UP_MS = 5000;

/**
 * The round trips the warm-up makes whatever the time, when the run has that many: V8 tiers a function up to
 * its optimising compiler by the number of its calls, not by time, and the 5 s ended before it on RabbitMQ.
 * `--trace-opt` on `bench/rabbitmq/rpc.ts driver` put the TurboFan compilations of the plugin's request and
 * publish path (`request`, `publish`, `need`, `checkSize`, the deadline's `#cancel`) after 8,000–11,000 round
 * trips under Node 24 and after 16,000–18,000 under Deno, where the 5 s had made 8,000–12,000.
 */
export const WARM_UP_CALLS = 20_000;

/** The untimed round trips of the last warm-up (`bench/rabbitmq/frames.ts` counts frames per round trip). */
export let warmedUp = 0;

/** The ~100-byte JSON request of every RPC bench; the reply is `{ ok: true, id }`. */
export const REQUEST = {
  id: 123456,
  item: "a cup of green tea",
  quantity: 2,
  price: 3.5,
  note: "no sugar, thanks!!",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON body as a driver arm sends it. */
export function jsonMessage(
  value: unknown,
  correlationId: string | undefined,
  messageId: string,
): OutgoingMessage {
  return {
    body: encoder.encode(JSON.stringify(value)),
    headers: {},
    contentType: "application/json",
    correlationId,
    messageId,
  };
}

/** A JSON body a driver arm received, decoded. */
export function decodeJson(body: Uint8Array): unknown {
  return JSON.parse(decoder.decode(body));
}

/**
 * The responder of a `driver` arm, the plugin's driver without the core: decodes the request, publishes the
 * reply `{ ok: true, id }` to its `replyTo` with its correlation id, then acks it — as a Sluice subscriber
 * whose handler returns the reply does.
 */
export function answerWith(driver: Pick<Driver, "publish">): Deliver {
  return async (request) => {
    const { id } = decodeJson(request.body) as { id: number };
    await driver.publish(
      request.replyTo!,
      jsonMessage({ ok: true, id }, request.correlationId, crypto.randomUUID()),
      {},
    );
    await request.ack();
  };
}

/** One arm of an RPC bench: a round trip (request sent, reply received and decoded) and its clean-up. */
export interface RpcArm {
  trip(): Promise<unknown>;
  close(): Promise<void>;
}

/** The arm and count from `<runtime> <script> <arm> [count]`; `<arm>` may name several: `raw,sluice`. */
export function rpcArguments(): { arm: string; count: number } {
  const [arm = "raw", count = "2000"] = process.argv.slice(2);
  return { arm, count: Number(count) };
}

/** Builds the arm named `arm` on its own queue or subject, named after `tag`. */
export type RpcArms = (arm: string, tag: string) => Promise<RpcArm>;

/**
 * Runs `arm` alone ({@linkcode measureRpc}) or, given several (`raw,sluice`), the paired comparison
 * ({@linkcode measureRpcPaired}). Each arm gets a queue or subject of its own, so two arms in one process do
 * not answer each other's requests.
 */
export async function runRpc(arm: string, count: number, build: RpcArms): Promise<never> {
  const tag = String(process.pid);
  const names = arm.split(",");
  if (names.length === 1) return measureRpc(arm, count, await build(arm, tag));
  const arms = [];
  for (const name of names) arms.push({ name, rpc: await build(name, `${tag}_${name.replace(/\W/g, "")}`) });
  return measureRpcPaired(arms, count);
}

/**
 * Runs the warm-up (whose replies, decoded, must be the expected one) and the timed round trips, closes the
 * arm, prints the JSON line and exits.
 */
export async function measureRpc(arm: string, count: number, rpc: RpcArm): Promise<never> {
  await warmUp(arm, rpc, count);
  const start = begin();
  const times = await timedTrips(rpc, count);
  const seconds = (end() - start) / 1000;
  await rpc.close();
  const at = (q: number): number => Math.round(quantile(times, q) * 1000) / 1000;
  printRun(arm, "rpc", count, seconds, { p50_ms: at(0.5), p99_ms: at(0.99) });
  await profiled();
  process.exit(0);
}

/** Round trips an arm makes in one turn of a paired run. */
const CHUNK = 250;

/**
 * The arms side by side in this process: after the warm-up of each, rounds of {@linkcode CHUNK} round trips
 * of each arm in turn (the order rotating), `count` in all per arm. On the 2-vCPU machine a round trip's
 * time moves by half between runs minutes apart with the machine otherwise idle; a round's arms share its
 * few seconds, so the median over the rounds of each arm's p50 less the first arm's says what the arm adds
 * to a round trip, which separate processes a round apart do not. The arms share the process's JIT (the
 * client library's code is compiled for every arm that uses it) and its event loop (one arm's idle
 * connections stay open while another runs). Prints each arm's p50, p99 and CPU µs a round trip over all its
 * rounds, and, against the first arm, the median of the rounds' p50 differences (µs) and CPU ratios.
 */
export async function measureRpcPaired(
  arms: readonly { readonly name: string; readonly rpc: RpcArm }[],
  count: number,
): Promise<never> {
  for (const { name, rpc } of arms) await warmUp(name, rpc, count);
  const times = arms.map((): number[] => []);
  const cpu = arms.map(() => 0);
  const rounds: { p50: number; cpu: number }[][] = [];
  for (let round = 0; round * CHUNK < count; round++) {
    const trips = Math.min(CHUNK, count - round * CHUNK);
    const results: { p50: number; cpu: number }[] = [];
    for (let k = 0; k < arms.length; k++) {
      const i = (k + round) % arms.length;
      const used = process.cpuUsage();
      const own = await timedTrips(arms[i]!.rpc, trips);
      const spent = process.cpuUsage(used);
      cpu[i]! += spent.user + spent.system;
      times[i]!.push(...own);
      results[i] = { p50: quantile(own, 0.5), cpu: (spent.user + spent.system) / trips };
    }
    rounds.push(results);
  }
  for (const { rpc } of arms) await rpc.close();
  const ms = (value: number): number => Math.round(value * 1000) / 1000;
  const line: Record<string, unknown> = {
    workload: "rpc-paired",
    runtime: runtimeName(),
    count,
    chunk: CHUNK,
  };
  arms.forEach(({ name }, i) => {
    line[name] = {
      p50_ms: ms(quantile(times[i]!, 0.5)),
      p99_ms: ms(quantile(times[i]!, 0.99)),
      cpu_us: Math.round((cpu[i]! / times[i]!.length) * 100) / 100,
    };
    if (i === 0) return;
    line[`${name}_p50_over_${arms[0]!.name}_us`] = Math.round(
      median(rounds.map((r) => (r[i]!.p50 - r[0]!.p50) * 1000)),
    );
    line[`${name}_cpu_over_${arms[0]!.name}`] = Math.round(
      median(rounds.map((r) => r[i]!.cpu / r[0]!.cpu)) * 100,
    ) /
      100;
  });
  console.log(JSON.stringify(line));
  process.exit(0);
}

/**
 * The warm-up of an arm: {@linkcode WARM_UP} round trips, or {@linkcode WARM_UP_CALLS} if `count` is as
 * large, then more, up to `count`, until {@linkcode WARM_UP_MS} have passed; each reply, decoded, must be the
 * expected one. The trips run through {@linkcode timedTrips}, the loop the timed ones run in, so the code
 * compiled meanwhile is the code they run.
 */
async function warmUp(name: string, rpc: RpcArm, count: number): Promise<void> {
  const expected = JSON.stringify({ ok: true, id: REQUEST.id });
  const until = performance.now() + WARM_UP_MS;
  const most = Math.max(WARM_UP, count);
  const least = Math.min(WARM_UP_CALLS, most);
  let trips = 0;
  while (trips < least || (trips < most && performance.now() < until)) {
    const batch = Math.min(CHUNK, most - trips);
    await timedTrips(rpc, batch - 1);
    const reply = JSON.stringify(await rpc.trip());
    if (reply !== expected) throw new Error(`${name}: the reply was ${reply}, not ${expected}`);
    trips += batch;
  }
  warmedUp = trips;
}

/** `trips` sequential round trips of `rpc`, each one's time in ms. */
async function timedTrips(rpc: RpcArm, trips: number): Promise<number[]> {
  const times: number[] = [];
  for (let t = 0; t < trips; t++) {
    const start = performance.now();
    await rpc.trip();
    times.push(performance.now() - start);
  }
  return times;
}

/** The value below which a share `q` of `values` falls (a sorted copy's element at that rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
