import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

const SKIP = new Set(["node_modules", ".git", ".cache"]);

/** Every file under `dir` (relative to the root) whose name passes `keep`, as root-relative paths. */
export function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      if (SKIP.has(name)) continue;
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (keep(name)) out.push(relative(ROOT, full));
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/** A root-relative file's text. */
export function read(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}
