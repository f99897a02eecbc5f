// The structure the code keeps: no import circle anywhere, small core files, and one shape for every plugin
// (plugins/README.md), each checked here so that it cannot wear away unnoticed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, read, ROOT } from "./_files.ts";
import { circles, code, importGraph, reaches } from "./_imports.ts";

// Broker plugins: the packages the registry loads for a URL scheme (plugins/http and the like are not).
const schemes = new Set([...read("core/registry.ts").matchAll(/"@sluice\/([a-z]+)"/g)].map((m) => m[1]!));
const plugins = readdirSync(join(ROOT, "plugins")).filter((name) =>
  existsSync(join(ROOT, "plugins", name, "package.json")) && schemes.has(name)
);

/** `rabbitmq` → `Rabbitmq`: the capitalised form in type names. */
const capital = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

/** Whether a module's source exports `name` (a value or a type). */
function exportsName(file: string, name: string): boolean {
  const text = code(file);
  const declared = new RegExp(
    `export\\s+(?:declare\\s+)?(?:async\\s+)?(?:function|const|let|class|interface|type|enum)\\s+${name}\\b`,
  );
  const listed = new RegExp(`export\\s+(?:type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}`);
  return declared.test(text) || listed.test(text);
}

describe("structure", () => {
  it("has no import circle in core/", () => {
    assert.deepEqual(circles(importGraph("core")), []);
  });

  it("keeps every core file under 300 lines", () => {
    const long = filesUnder("core", (name) => name.endsWith(".ts"))
      .map((file) => ({ file, lines: read(file).split("\n").length }))
      .filter(({ lines }) => lines >= 300);
    assert.deepEqual(long, [], "split a long core file: one idea per file");
  });

  for (const plugin of plugins) {
    const dir = `plugins/${plugin}`;
    const file = (name: string): string => `${dir}/${name}`;

    it(`${dir}: no import circle`, () => {
      assert.deepEqual(circles(importGraph(dir)), []);
    });

    it(`${dir}: the driver and the emulation do not import each other`, () => {
      const graph = importGraph(dir);
      assert.ok(!reaches(graph, file("driver.ts"), file("emulation.ts")), "driver.ts reaches emulation.ts");
      assert.ok(!reaches(graph, file("emulation.ts"), file("driver.ts")), "emulation.ts reaches driver.ts");
    });

    it(`${dir}: the files of plugins/README.md, and only private files beside them`, () => {
      const required = [
        "mod.ts",
        "driver.ts",
        "emulation.ts",
        "options.ts",
        "rules.ts",
        "message.ts",
        "bindings.ts",
      ];
      for (
        const name of [...required, "README.md", "deno.json", "package.json", "tests/conformance_test.ts"]
      ) {
        assert.ok(existsSync(join(ROOT, dir, name)), `${dir}/${name} is missing`);
      }
      const extra = readdirSync(join(ROOT, dir)).filter((name) =>
        name.endsWith(".ts") && !required.includes(name) && !name.startsWith("_")
      );
      assert.deepEqual(extra, [], "other source files are private: their names start with _");
    });

    it(`${dir}: the exports of plugins/README.md`, () => {
      const Name = capital(plugin);
      const expected: [string, string][] = [
        ["mod.ts", plugin],
        ["mod.ts", "plugin"],
        ["driver.ts", `${plugin}Driver`],
        ["driver.ts", `${Name}Driver`],
        ["emulation.ts", `${plugin}Emulation`],
        ["emulation.ts", `${Name}Emulation`],
        ["options.ts", `${Name}Options`],
        ["options.ts", `${Name}SubscribeOptions`],
        ["options.ts", `${Name}PublishOptions`],
        ["options.ts", "brokerOptions"],
        ["options.ts", "subscribeOptions"],
        ["options.ts", "publishOptions"],
        ["options.ts", "optionsFromUrl"],
        ["rules.ts", `${plugin}Rules`],
        ["rules.ts", "features"],
        ["bindings.ts", `${plugin}Docs`],
      ];
      const missing = expected.filter(([name, symbol]) => !exportsName(file(name), symbol))
        .map(([name, symbol]) => `${name}: ${symbol}`);
      assert.deepEqual(missing, []);
    });

    it(`${dir}: option types have no index signature, so a typo does not compile`, () => {
      assert.doesNotMatch(code(file("options.ts")), /\[\s*\w+\s*:\s*string\s*\]\s*:\s*unknown/);
    });
  }
});
