#!/usr/bin/env node
// Builds every workspace package (core, cli, plugins/*) for npm and packs it:
//
//   node scripts/pack.mjs [--out DIR]        DIR defaults to .cache/pack
//
// leaves DIR/<name>-<version>.tgz (what `npm publish` would upload) and DIR/stage/<folder>/ (its contents).
//
// The build is TypeScript's own compiler, tsc, one package at a time: one .js and one .d.ts per .ts file, ES
// modules, no bundler. `rewriteRelativeImportExtensions` turns the sources' `./x.ts` imports into `./x.js`,
// so the sources stay as Deno, Bun and Node 24 run them in this repository (nothing here needs a build), and
// the package keeps their file structure: stack traces and "go to definition" land on readable code, and
// the lazy `import()` of each client library stays a separate import that only runs when a broker connects.
// tsc is also the type checker every user's editor runs, so its declarations are the ones users get; the
// plugins and the CLI are compiled against the core's *built* declarations, which checks those too.
//
// The staged package.json is the source one with the exports, bin and files pointed at dist/, plus
// sideEffects, engines and the metadata every package shares. Dependencies are taken as written (see
// "Packages and dependencies" in the README) after checking that every package a built file imports is
// declared and that every sibling range accepts the sibling's version.
// Plain Node.js (20 or later), no dependencies beyond the repository's typescript.
import { spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** What every published package says about itself beyond its own package.json. */
const SHARED = {
  author: "Sluice contributors",
  engines: { node: ">=24" },
};

/** The compiler options of every package; `paths` and the folders are added per package. */
const COMPILER_OPTIONS = {
  target: "ES2023", // Node 24, Deno 2 and Bun 1 run it natively; `using` is lowered (Node 24 has it, 22 not)
  lib: ["ES2023", "ESNext.Disposable", "DOM", "DOM.Iterable"],
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  declaration: true,
  rewriteRelativeImportExtensions: true,
  verbatimModuleSyntax: true,
  noEmitOnError: true,
  newLine: "lf",
  skipLibCheck: false,
};

/**
 * Runtime declarations a package's build needs beyond Node's. @sluice/http calls `Bun.serve` and
 * `Deno.serve`: bun-types comes from npm; Deno's declarations are built into Deno (`deno check` checks the
 * call against them in the repository), so tsc gets the one signature the build needs. Neither reaches the
 * published declarations.
 */
const RUNTIME_TYPES = { http: ["bun-types", "deno-serve.d.ts"] };
const SHIMS = {
  "deno-serve.d.ts": `declare namespace Deno {
  interface NetAddr { hostname: string; port: number; transport: "tcp" | "udp" }
  interface HttpServer { finished: Promise<void>; shutdown(): Promise<void> }
  function serve(
    options: { port?: number; hostname?: string; signal?: AbortSignal; onListen?: (address: NetAddr) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): HttpServer;
}
`,
};

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    fail(
      `${command} ${args.join(" ")} (in ${
        relative(root, cwd) || "."
      }) failed:\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `run` without blocking: the plugins compile side by side. */
function runAsync(command, args, cwd) {
  return new Promise((done, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) fail(`${command} ${args.join(" ")} failed:\n${output}`);
      done(output);
    });
  });
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 2) + "\n");
}

/** `./testing/mod.ts` → `./dist/testing/mod` (no extension). */
function built(target) {
  if (!target.startsWith("./") || !target.endsWith(".ts")) {
    fail(`an export must be a ./*.ts file, got ${target}`);
  }
  return `./dist/${target.slice(2, -3)}`;
}

/** Every file under `dir`, relative to it. */
function walk(dir, prefix = "") {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]
  );
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; `node:fs` → undefined. */
function packageOf(specifier) {
  if (specifier.startsWith(".") || specifier.startsWith("node:") || specifier.startsWith("/")) {
    return undefined;
  }
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Whether `version` (x.y.z) is in `range` (x.y.z, ^x.y.z or ~x.y.z): enough for sibling ranges. */
function satisfies(version, range) {
  const m = /^([~^]?)(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m || !v) return false;
  const [want, have] = [m.slice(2).map(Number), v.slice(1).map(Number)];
  const cmp = have[0] - want[0] || have[1] - want[1] || have[2] - want[2];
  if (m[1] === "") return cmp === 0;
  if (cmp < 0) return false;
  if (m[1] === "~") return have[0] === want[0] && have[1] === want[1];
  // ^: the left-most non-zero part stays.
  if (want[0] > 0) return have[0] === want[0];
  if (want[1] > 0) return have[0] === 0 && have[1] === want[1];
  return have[0] === 0 && have[1] === 0 && have[2] === want[2];
}

/** The specifiers a built file imports (static, dynamic and type imports), comments left out. */
function importsOf(source) {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g),
  ];
  return found.map((m) => m[1]);
}

async function stagePackage(dir, stageRoot, coreStage) {
  const source = join(root, dir);
  const pkg = readJson(join(source, "package.json"));
  const stage = join(stageRoot, dir);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  // Compile against the core's built declarations, not its sources.
  const paths = {};
  if (coreStage) {
    const core = readJson(join(coreStage, "package.json"));
    for (const [subpath, target] of Object.entries(core.exports)) {
      if (typeof target === "object") paths[join("@sluice/core", subpath)] = [join(coreStage, target.types)];
    }
  }
  const extra = RUNTIME_TYPES[dir] ?? [];
  for (const file of extra.filter((f) => f.endsWith(".d.ts"))) {
    writeFileSync(join(stageRoot, `${dir.replaceAll("/", "-")}-${file}`), SHIMS[file]);
  }
  const tsconfig = {
    compilerOptions: {
      ...COMPILER_OPTIONS,
      // the core uses web-standard APIs only
      types: dir === "core" ? [] : ["node", ...extra.filter((t) => !t.endsWith(".d.ts"))],
      typeRoots: [
        join(root, "node_modules", "@types"),
        ...(extra.length > 0 ? [join(root, "node_modules")] : []),
      ],
      // bun-types 1.4 is written against a newer @types/node than the repository's 22: its own files do not
      // check together with it, so a package that needs it skips checking declaration files (its sources are
      // still checked against them).
      ...(extra.length > 0 ? { skipLibCheck: true } : {}),
      rootDir: source,
      outDir: join(stage, "dist"),
      ...(coreStage ? { paths } : {}),
    },
    include: [
      join(source, "**/*.ts"),
      ...extra.filter((f) => f.endsWith(".d.ts")).map((f) =>
        join(stageRoot, `${dir.replaceAll("/", "-")}-${f}`)
      ),
    ],
    exclude: [join(source, "tests"), join(source, "**/*_test.ts")],
  };
  const tsconfigPath = join(stageRoot, `tsconfig.${dir.replaceAll("/", "-")}.json`);
  writeJson(tsconfigPath, tsconfig);
  await runAsync(join(root, "node_modules", ".bin", "tsc"), ["-p", tsconfigPath], root);

  const dist = join(stage, "dist");
  const files = walk(dist);
  // tsc rewrites `./x.ts` to `./x.js` in the JavaScript but keeps `./x.ts` in declarations, which only
  // TypeScript 5 and later resolve; `./x.js` is the form every type checker reads.
  for (const file of files.filter((f) => f.endsWith(".d.ts"))) {
    const path = join(dist, file);
    const text = readFileSync(path, "utf8");
    writeFileSync(
      path,
      text.replace(/(\bfrom\s+|\bimport\(\s*)(["'])(\.\.?\/[^"']*?)\.ts\2/g, "$1$2$3.js$2"),
    );
  }
  const declared = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);
  for (const file of files) {
    const text = readFileSync(join(dist, file), "utf8");
    for (const specifier of importsOf(text)) {
      if (/^\.\.?\//.test(specifier) && specifier.endsWith(".ts")) {
        fail(`${dir}/dist/${file} still imports ${specifier}`);
      }
      const name = packageOf(specifier);
      if (name && !declared.has(name)) {
        fail(`${dir}/dist/${file} imports ${specifier}, but ${pkg.name} declares no dependency on ${name}`);
      }
    }
  }

  // A sibling's range must accept the sibling's version as it is now.
  for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    if (!name.startsWith("@sluice/")) continue;
    const sibling = workspaces().find((w) => w.pkg.name === name);
    if (sibling && !satisfies(sibling.pkg.version, range)) {
      fail(`${pkg.name} wants ${name}@${range}, but the repository has ${sibling.pkg.version}`);
    }
  }

  const exports = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    exports[subpath] = {
      types: `${built(target)}.d.ts`,
      import: `${built(target)}.js`,
      default: `${built(target)}.js`,
    };
  }
  exports["./package.json"] = "./package.json";
  const bin = pkg.bin
    ? Object.fromEntries(Object.entries(pkg.bin).map(([name, target]) => [name, `${built(target)}.js`]))
    : undefined;
  // An executable runs under Node by its first line; `bunx --bun` and `deno run npm:` pick their own runtime.
  for (const target of Object.values(bin ?? {})) {
    const path = join(stage, target);
    const text = readFileSync(path, "utf8").replace(/^#!.*\n/, "");
    writeFileSync(path, `#!/usr/bin/env node\n${text}`, { mode: 0o755 });
  }
  const { devDependencies: _dev, scripts: _scripts, bin: _bin, exports: _exports, ...rest } = pkg;
  const staged = {
    name: rest.name,
    version: rest.version,
    description: rest.description,
    keywords: rest.keywords,
    license: rest.license,
    author: SHARED.author,
    type: "module",
    engines: SHARED.engines,
    // Importing a module of these packages changes nothing outside it; the executable is the exception.
    sideEffects: bin ? Object.values(bin) : false,
    exports,
    ...(bin ? { bin } : {}),
    files: ["dist", "README.md", "LICENSE"],
    ...Object.fromEntries(
      ["dependencies", "peerDependencies", "peerDependenciesMeta"].filter((k) => rest[k]).map((
        k,
      ) => [k, rest[k]]),
    ),
  };
  writeJson(join(stage, "package.json"), staged);
  copyFileSync(join(root, "LICENSE"), join(stage, "LICENSE"));
  const readme = join(source, "README.md");
  if (!existsSync(readme)) fail(`${dir} has no README.md`);
  copyFileSync(readme, join(stage, "README.md"));
  return stage;
}

let cachedWorkspaces;
function workspaces() {
  cachedWorkspaces ??= rootPackage.workspaces.map((dir) => ({
    dir,
    pkg: readJson(join(root, dir, "package.json")),
  }));
  return cachedWorkspaces;
}

const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(root, ".cache", "pack"));
const stageRoot = join(out, "stage");
mkdirSync(stageRoot, { recursive: true });
for (const file of readdirSync(out)) if (file.endsWith(".tgz")) rmSync(join(out, file));

const started = Date.now();
// The core first: the others compile against its declarations.
const order = [...workspaces()].sort((a, b) => (a.dir === "core" ? -1 : b.dir === "core" ? 1 : 0));
if (order[0]?.dir !== "core") fail("no core workspace");
const coreStage = await stagePackage("core", stageRoot, undefined);
const stages = new Map([["core", coreStage]]);
const rest = order.slice(1);
const lanes = Math.max(1, Math.min(rest.length, availableParallelism()));
await Promise.all(Array.from({ length: lanes }, async () => {
  for (let next = rest.shift(); next; next = rest.shift()) {
    stages.set(next.dir, await stagePackage(next.dir, stageRoot, coreStage));
  }
}));
const packed = [];
for (const { dir } of order) {
  const stage = stages.get(dir);
  const [info] = JSON.parse(
    run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out], stage),
  );
  packed.push({
    name: info.name,
    version: info.version,
    file: join(out, info.filename),
    stage,
    size: info.size,
    entries: info.entryCount,
  });
}
// For tests/install: what was packed, and where.
writeJson(
  join(out, "packed.json"),
  packed.map(({ name, version, file, stage }) => ({ name, version, file, stage })),
);
for (const p of packed) {
  console.log(
    `${p.name.padEnd(18)} ${relative(process.cwd(), p.file).padEnd(40)} ${
      String(p.entries).padStart(4)
    } files ${(p.size / 1024).toFixed(1).padStart(7)} kB`,
  );
}
console.log(
  `packed ${packed.length} packages into ${relative(process.cwd(), out) || "."} in ${
    ((Date.now() - started) / 1000).toFixed(1)
  } s`,
);
