import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, read, ROOT } from "./_files.ts";

const plugins = readdirSync(join(ROOT, "plugins")).filter((name) =>
  existsSync(join(ROOT, "plugins", name, "package.json"))
);
const middlewares = readdirSync(join(ROOT, "middlewares")).filter((name) =>
  existsSync(join(ROOT, "middlewares", name, "package.json"))
);
const packages = [
  "core",
  "cli",
  ...plugins.map((p) => `plugins/${p}`),
  ...middlewares.map((m) => `middlewares/${m}`),
];

// What each middleware package may import beside its own files: the core, and its peer dependency.
const MIDDLEWARE_IMPORTS: Record<string, readonly string[]> = {
  prometheus: ["@sluice/core"],
  opentelemetry: ["@sluice/core", "@opentelemetry/api"],
};

describe("packages", () => {
  for (const dir of packages) {
    it(`${dir}: deno.json and package.json agree on name, version and exports`, () => {
      const deno = JSON.parse(read(`${dir}/deno.json`));
      const pkg = JSON.parse(read(`${dir}/package.json`));
      assert.equal(deno.name, pkg.name);
      assert.equal(deno.version, pkg.version);
      assert.deepEqual(deno.exports, pkg.exports);
      for (const target of Object.values(pkg.exports as Record<string, string>)) {
        assert.ok(existsSync(join(ROOT, dir, target)), `${dir} exports ${target}, which does not exist`);
      }
    });
  }

  for (const plugin of plugins) {
    it(`plugins/${plugin} has the shape every plugin has`, () => {
      for (const file of ["mod.ts", "README.md"]) {
        assert.ok(existsSync(join(ROOT, "plugins", plugin, file)), `plugins/${plugin}/${file} is missing`);
      }
      assert.match(read(`plugins/${plugin}/mod.ts`), /@module/, "mod.ts starts with a @module doc");
      assert.match(
        read(`plugins/${plugin}/mod.ts`),
        /export const plugin\b/,
        "mod.ts exports `plugin` for connect(url)",
      );
      const deps = Object.keys(JSON.parse(read(`plugins/${plugin}/package.json`)).dependencies ?? {});
      assert.ok(deps.includes("@sluice/core"), "depends on @sluice/core");
    });
  }

  for (const middleware of middlewares) {
    it(`middlewares/${middleware} imports only the core and its peer dependency, and no runtime API`, () => {
      const allowed = MIDDLEWARE_IMPORTS[middleware] ?? ["@sluice/core"];
      const sources = filesUnder(`middlewares/${middleware}`, (name) => name.endsWith(".ts"))
        .filter((file) => !file.includes("/tests/"));
      const offenders = sources.flatMap((file) => {
        const text = read(file).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
        const imports = [...text.matchAll(/\bfrom\s+["']([^"']+)["']/g)].map((m) => m[1]!);
        const foreign = imports.filter((i) => !i.startsWith(".") && !allowed.includes(i));
        const runtime = /(?<![\w.$#])(Deno|Bun|process)\.|\brequire\(/.test(text)
          ? ["a runtime-specific API"]
          : [];
        return [...foreign, ...runtime].map((what) => `${file}: ${what}`);
      });
      assert.deepEqual(offenders, []);
    });
  }

  it("keeps client libraries out of the root package", () => {
    const root = JSON.parse(read("package.json"));
    const clients = [
      "kafkajs",
      "amqplib",
      "@nats-io/transport-node",
      "ioredis",
      "mqtt",
      "@aws-sdk/client-sqs",
      "hono",
    ];
    const all = { ...root.dependencies, ...root.devDependencies };
    assert.deepEqual(clients.filter((c) => c in all), []);
  });

  it("leaves no open-work marker without an issue number", () => {
    // Built from parts so that this file does not match itself.
    const marker = new RegExp(`\\b(${["TO", "DO"].join("")}|${["FIX", "ME"].join("")}|${"X".repeat(3)})\\b`);
    const numbered = new RegExp(`${marker.source}\\s*\\(?#\\d+`);
    const files = filesUnder(".", (name) => /\.(ts|md|mjs|json)$/.test(name));
    const offenders = files.flatMap((file) =>
      read(file)
        .split("\n")
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => marker.test(line) && !numbered.test(line))
        .map(({ i }) => `${file}:${i + 1}`)
    );
    assert.deepEqual(offenders, []);
  });
});
