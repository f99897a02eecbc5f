import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { filesUnder, read } from "./_files.ts";

const sources = filesUnder("core", (name) => name.endsWith(".ts") && !name.endsWith("_test.ts"));

/** Source without comments, so JSDoc examples (which import packages) do not count. */
function code(file: string): string {
  return read(file).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

describe("the core stays dependency-free and runtime-neutral", () => {
  it("has source files to check", () => {
    assert.ok(sources.length > 10, `found only ${sources.length} files under core/`);
  });

  it("imports only relative modules", () => {
    const offenders: string[] = [];
    for (const file of sources) {
      const text = code(file);
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/g)) {
        if (!m[1]!.startsWith(".")) offenders.push(`${file}: ${m[1]}`);
      }
      for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
        if (!m[1]!.startsWith(".")) offenders.push(`${file}: import("${m[1]}")`);
      }
    }
    assert.deepEqual(offenders, [], "the core may import only its own files");
  });

  it("uses no runtime-specific API", () => {
    const forbidden = /\b(Deno\.|Bun\.|process\.|require\(|__dirname|["']node:)/;
    const offenders = sources.flatMap((file) =>
      code(file)
        .split("\n")
        .filter((line) => forbidden.test(line))
        .map((line) => `${file}: ${line.trim()}`)
    );
    assert.deepEqual(offenders, [], "the core must run on any runtime: web-standard APIs only");
  });

  it("declares no dependencies", () => {
    const pkg = JSON.parse(read("core/package.json"));
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
    const deno = JSON.parse(read("core/deno.json"));
    assert.equal(deno.imports, undefined);
  });
});
