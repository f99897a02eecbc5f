/**
 * The functions one run's CPU profile spent most time in, each by its own time (not its callees'): what in
 * Sluice's code, a client's or the runtime's a bench's time goes to, below the owners that
 * `bench/run.ts --profile` reports. The profile comes from one arm run by hand with `SLUICE_BENCH_PROFILE`
 * naming a folder (`bench/_measure.ts`): Deno and Node write the timed section's profile there; Bun needs
 * `--cpu-prof` into the same folder, and the run marks the timed section for this script to cut to.
 *
 *   SLUICE_BENCH_PROFILE=/tmp/p deno run -A bench/memory/consume.ts 4000000 sluice
 *   SLUICE_BENCH_PROFILE=/tmp/p bun --cpu-prof --cpu-prof-dir /tmp/p bench/memory/consume.ts 4000000 sluice
 *   deno run -A bench/hot.ts /tmp/p [count] [cpu µs a message]
 *
 * Prints each function's share of the samples and, given the run's CPU µs a message (its JSON line's
 * `cpu_us`), the µs a message that share stands for. Under Deno and Node the line is the transpiled file's,
 * and a built-in the optimiser inlined (`JSON.parse`) counts for its caller.
 *
 * @module
 */

import process from "node:process";
import { hottest } from "./_profile.ts";

const [dir, count = "30", cpu] = process.argv.slice(2);
if (!dir) {
  console.error("usage: deno run -A bench/hot.ts <profile folder> [count] [cpu µs a message]");
  process.exit(2);
}
const root = new URL("..", import.meta.url).pathname;
const hot = hottest(dir, root, Number(count));
if (hot.length === 0) {
  console.error(
    `No profile in ${dir}: run an arm with SLUICE_BENCH_PROFILE=${dir} (and Bun with --cpu-prof)`,
  );
  process.exit(1);
}
for (const { where, share } of hot) {
  const us = cpu === undefined ? "" : `${(share * Number(cpu)).toFixed(3).padStart(8)} µs  `;
  console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${us}${where}`);
}
