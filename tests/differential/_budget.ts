/**
 * Seeds and budgets of the differential tests. In CI (the default) every broker runs a fixed number of
 * generated cases from a fixed seed, so a red run is reproduced by running the file again. The nightly mode
 * (`SLUICE_DIFF_NIGHTLY=1`) draws a random seed, prints it, and runs for a longer time budget. Both can be
 * overridden: `SLUICE_DIFF_SEED`, `SLUICE_DIFF_RUNS` (cases per property), `SLUICE_DIFF_BUDGET_MS` (time
 * budget per property).
 */
import process from "node:process";
import fc from "fast-check";

/** The fixed seed of CI runs. */
export const CI_SEED = 20261203;

export interface Budget {
  readonly seed: number;
  readonly runs: number;
  readonly budgetMs: number;
  readonly nightly: boolean;
}

function integer(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The budget of one property: `runs` cases in CI, a time budget in the nightly mode. */
export function budget(ciRuns: number): Budget {
  const nightly = process.env.SLUICE_DIFF_NIGHTLY === "1";
  const seed = integer("SLUICE_DIFF_SEED") ?? (nightly ? Math.floor(Math.random() * 2 ** 31) : CI_SEED);
  const runs = integer("SLUICE_DIFF_RUNS") ?? (nightly ? 1_000_000 : ciRuns);
  const budgetMs = integer("SLUICE_DIFF_BUDGET_MS") ?? (nightly ? 600_000 : 120_000);
  return { seed, runs, budgetMs, nightly };
}

/**
 * Checks `property` over generated cases within the budget and returns how many ran. In CI mode running out
 * of time before `runs` cases is a failure (the CI promise is a number of cases); in the nightly mode the
 * time budget ends the run. A failure names the seed and the shrunk counterexample.
 */
export async function check<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => Promise<void>,
  ciRuns: number,
): Promise<number> {
  const { seed, runs, budgetMs, nightly } = budget(ciRuns);
  let count = 0;
  const started = Date.now();
  const result = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      count++;
      await property(value);
    }),
    {
      seed,
      numRuns: runs,
      interruptAfterTimeLimit: budgetMs,
      markInterruptAsFailure: !nightly,
      endOnFailure: false,
    },
  );
  const took = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `differential ${name}: ${result.numRuns} case(s) passed${result.failed ? " before a failure" : ""} ` +
      `in ${took} s, seed ${seed}${
        nightly ? " (nightly: SLUICE_DIFF_NIGHTLY=1 SLUICE_DIFF_SEED=" + seed + ")" : ""
      }`,
  );
  if (result.failed) {
    const reproduce = `SLUICE_DIFF_SEED=${seed}` +
      (result.counterexamplePath ? ` (path ${result.counterexamplePath})` : "");
    if (result.interrupted && !result.counterexample) {
      throw new Error(
        `differential ${name}: only ${result.numRuns} of ${runs} cases ran within ${budgetMs} ms; ` +
          `raise SLUICE_DIFF_BUDGET_MS or find what got slow`,
      );
    }
    throw new Error(
      `differential ${name}: the emulation and the real broker differ (${reproduce}).\n` +
        `Shrunk case: ${fc.stringify(result.counterexample)}\n${
          String((result.errorInstance as Error)?.message ?? result.errorInstance)
        }`,
    );
  }
  return count;
}
