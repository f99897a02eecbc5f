/**
 * The figures of the fault tests, as JSON lines in `tests/faults/.results/<test>.<runtime>.jsonl` (not in
 * git), one line per target: the last run of each test, target and runtime. `scripts/reliability.ts` turns
 * them into docs/RELIABILITY.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The runtime running this process, and its version. */
export const RUNTIME: { readonly name: "deno" | "bun" | "node"; readonly version: string } = (() => {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { name: "deno", version: g.Deno.version.deno };
  return g.Bun ? { name: "bun", version: g.Bun.version } : { name: "node", version: process.versions.node };
})();

const folder = fileURLToPath(new URL("./.results/", import.meta.url));

/**
 * Records one result of `test` for `target` in this runtime's file of that test, in place of what an earlier
 * run recorded for that target: running part of the suite (`SLUICE_FAULTS_TARGETS`) keeps the others' figures.
 */
export function record(test: string, target: string, figures: Readonly<Record<string, unknown>>): void {
  const file = `${folder}${test}.${RUNTIME.name}.jsonl`;
  const line = JSON.stringify({
    test,
    target,
    runtime: RUNTIME.name,
    version: RUNTIME.version,
    at: new Date().toISOString(),
    ...figures,
  });
  mkdirSync(folder, { recursive: true });
  const kept = existsSync(file)
    ? readFileSync(file, "utf8").split("\n").filter((l) =>
      l && (JSON.parse(l) as { target: string }).target !== target
    )
    : [];
  writeFileSync(file, [...kept, line].map((l) => `${l}\n`).join(""));
}
