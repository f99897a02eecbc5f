import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, read, ROOT } from "./_files.ts";
import { code } from "./_imports.ts";

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
      // One core per app (its registry, its classes): the plugin shares the app's, as a peer.
      const pkg = JSON.parse(read(`plugins/${plugin}/package.json`));
      assert.ok("@sluice/core" in (pkg.peerDependencies ?? {}), "has @sluice/core as a peer dependency");
      assert.ok(!("@sluice/core" in (pkg.dependencies ?? {})), "does not bring a core of its own");
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

  it("gives every sibling a range that accepts the sibling's version", () => {
    const versions = new Map(
      packages.map((dir) => JSON.parse(read(`${dir}/package.json`))).map((p) => [p.name, p.version]),
    );
    const wrong = packages.flatMap((dir) => {
      const pkg = JSON.parse(read(`${dir}/package.json`));
      return Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies } as Record<string, string>)
        .filter(([name]) => versions.has(name))
        .filter(([name, range]) => range !== `^${versions.get(name)}` && range !== versions.get(name))
        .map(([name, range]) => `${dir}: ${name}@${range}, the repository has ${versions.get(name)}`);
    });
    assert.deepEqual(wrong, []);
  });

  it("declares every package that its sources import", () => {
    const builtIn = (name: string) => name.startsWith("node:") || name.startsWith("@sluice/core");
    const missing = packages.flatMap((dir) => {
      const pkg = JSON.parse(read(`${dir}/package.json`));
      const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
      if (dir !== "core") declared.add("@sluice/core");
      const files = filesUnder(dir, (name) => name.endsWith(".ts") && !name.endsWith("_test.ts"))
        .filter((file) => !file.includes("/tests/"));
      return files.flatMap((file) =>
        [
          ...code(file).matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^."'][^"']*)["']/g),
          ...code(file).matchAll(/\bimport\(\s*["']([^."'][^"']*)["']\s*\)/g),
        ]
          .map((m) => m[1]!.startsWith("@") ? m[1]!.split("/").slice(0, 2).join("/") : m[1]!.split("/")[0]!)
          .filter((name) => !(dir === "core" ? name.startsWith("node:") : builtIn(name)))
          .filter((name) => !declared.has(name))
          .map((name) => `${file}: ${name}`)
      );
    });
    assert.deepEqual([...new Set(missing)], []);
  });

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
