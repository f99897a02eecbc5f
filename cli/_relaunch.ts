/**
 * How `sluice run` starts itself again, for a worker or a `--watch` restart: the same runtime, the same
 * executable, new arguments.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The runtime and the arguments before the CLI's own that run this CLI again. */
export function relaunch(): { command: string; args: string[] } {
  const script = process.argv[1]!;
  if (!("Deno" in globalThis)) return { command: process.execPath, args: [script] };
  return { command: process.execPath, args: ["run", "-A", npmSpecifier(script) ?? script] };
}

/**
 * `npm:@sluice/cli@0.1.0` when `script` is this package's executable in Deno's npm cache, whose folders
 * are named `<name>/<version>` with no node_modules above: `deno run npm:@sluice/cli` ran it, and Deno
 * resolves the package's imports only when it enters the package through an npm: specifier, not by path.
 */
function npmSpecifier(script: string): string | undefined {
  let pkg: { name?: unknown; version?: unknown };
  try {
    // The package.json of the built package, next to its dist/ folder.
    pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8"));
  } catch {
    return undefined;
  }
  if (typeof pkg.name !== "string" || typeof pkg.version !== "string") return undefined;
  const path = script.replaceAll("\\", "/");
  const inCache = path.includes(`/${pkg.name}/${pkg.version}/`) && !path.includes("/node_modules/");
  return inCache ? `npm:${pkg.name}@${pkg.version}` : undefined;
}
