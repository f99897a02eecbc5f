/**
 * The figures of the fault tests, as JSON lines in `tests/faults/.results/<test>.<runtime>.jsonl` (not in
 * git). A test file's first record of a run replaces what that file recorded on this runtime before, so the
 * folder always holds the last run; `scripts/reliability.ts` turns it into docs/RELIABILITY.md.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The runtime running this process, and its version. */
export const RUNTIME: { readonly name: "deno" | "bun" | "node"; readonly version: string } = (() => {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { name: "deno", version: g.Deno.version.deno };
  return g.Bun ? { name: "bun", version: g.Bun.version } : { name: "node", version: process.versions.node };
})();

const folder = fileURLToPath(new URL("./.results/", import.meta.url));
const started = new Set<string>();

/** Appends one record of `test` for `target` to this runtime's file of that test. */
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
  if (started.has(test)) appendFileSync(file, `${line}\n`);
  else {
    started.add(test);
    writeFileSync(file, `${line}\n`);
  }
}
