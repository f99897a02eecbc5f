/**
 * Lazy loading of client libraries with an error that says what to install.
 *
 * @module
 */

import { MissingClientError } from "./errors.ts";

/**
 * Imports a plugin's client library on first use. `load` must be a literal `import("name")` so bundlers and
 * Deno see the dependency; a failure becomes a {@linkcode MissingClientError} naming the package.
 *
 * @example
 * ```ts
 * import { importClient } from "@sluice/core/kit";
 * const codec = await importClient("my-client", () => import("./mod.ts"));
 * ```
 */
export async function importClient<T>(packageName: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new MissingClientError(
      `The client library ${packageName} is missing (${
        (error as Error).message
      }): install it with "npm install ${packageName}" (Deno: "deno add npm:${packageName}")`,
      { cause: error },
    );
  }
}
