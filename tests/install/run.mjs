#!/usr/bin/env node
// The outside-project test: Sluice as a user gets it, not as this repository runs it.
//
//   node tests/install/run.mjs [--keep]
//
// 1. packs every package (scripts/pack.mjs) and serves the tarballs from a registry on loopback, for the
//    @sluice scope only (tests/install/registry.mjs), so that installing uses the commands a user types;
// 2. makes three fresh projects in a temporary folder outside the repository, one per runtime, each with
//    the README's first app and first test (tests/install/project/) and the README's quick start
//    (examples/quickstart/, on the memory broker):
//      node/  `npm install @sluice/core @sluice/nats @sluice/cli @sluice/http arktype @nats-io/transport-node …`, run on
//             Node 24 (scripts/node24.mjs); type-checked with tsc against the built .d.ts, no skipLibCheck
//      bun/   `bun add @sluice/core @sluice/nats @sluice/cli arktype` (the client comes as a peer)
//      deno/  `deno add npm:@sluice/core npm:@sluice/nats npm:arktype`: npm specifiers in deno.json, no
//             package.json, no node_modules
// 3. in each: runs the tests (the real-broker test on $SLUICE_NATS_URL), the CLI's --help, and
//    `sluice run app.ts --workers 2` with `sluice publish` sending it an order over the real NATS server,
//    stopped with Ctrl-C (exit 0 expected). The CLI runs through `npx`, `bun x --bun` and
//    `deno run -A npm:@sluice/cli`, with no `deno` on PATH.
//
// Without SLUICE_NATS_URL the real-broker steps are skipped with a loud line, or fail with
// SLUICE_REQUIRE_BROKERS=1 (CI). Prints the versions of everything it ran and one line per step with its
// time; exits 1 if any step failed. Plain Node.js (20 or later); the registry runs in this process, so
// every child is spawned asynchronously.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureNode } from "../../scripts/node24.mjs";
import { startRegistry } from "./registry.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const { values: flags } = parseArgs({ options: { keep: { type: "boolean" } } });
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const natsUrl = process.env.SLUICE_NATS_URL;
const required = process.env.SLUICE_REQUIRE_BROKERS === "1";

const bun = join(root, "node_modules", "bun", "bin", "bun.exe");
const deno = join(root, "node_modules", "deno", "deno");
const tsc = join(root, "node_modules", ".bin", "tsc");

/** Runs a command; resolves with its exit code and output. Never rejects. */
function sh(command, args, { cwd = root, env = {}, input, timeout = 300_000, echo = true } = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const take = (chunk) => {
      output += chunk;
      if (echo) process.stdout.write(chunk);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", (error) => {
      clearTimeout(timer);
      done({ code: 127, output: `${output}\n${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), signal, output });
    });
  });
}

/** Starts a long-running command in its own process group, as a terminal does. */
function start(command, args, { cwd, env }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const waiters = new Set();
  const take = (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
    for (const check of waiters) check();
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  const finished = new Promise((done) => child.on("close", (code, signal) => done({ code, signal })));
  return {
    get output() {
      return output;
    },
    finished,
    until(test, timeout = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => stop(new Error(`not seen within ${timeout} ms`)), timeout);
        const check = () => test(output) && stop();
        const stop = (error) => {
          clearTimeout(timer);
          waiters.delete(check);
          error ? reject(error) : resolve();
        };
        waiters.add(check);
        finished.then(() => stop(new Error("the process ended first")));
        check();
      });
    },
    /** Ctrl-C: SIGINT to the whole process group. */
    interrupt: () => process.kill(-child.pid, "SIGINT"),
    kill: () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // It ended.
      }
    },
  };
}

// --- Reporting --------------------------------------------------------------------------------------------

const results = [];
let failures = 0;

async function step(name, body) {
  const t0 = Date.now();
  console.log(`\n▶ ${name}`);
  let status = "ok";
  let note = "";
  try {
    note = (await body()) ?? "";
  } catch (error) {
    if (error instanceof Skip) {
      status = "skip";
      note = error.message;
      console.log(`SKIP: ${name}: ${error.message}`);
    } else {
      status = "FAIL";
      note = error.message.split("\n")[0];
      failures++;
      console.log(`FAIL: ${name}: ${error.message}`);
    }
  }
  results.push({ name, status, note, seconds: (Date.now() - t0) / 1000 });
}

class Skip extends Error {}

function needNats() {
  if (natsUrl) return natsUrl;
  if (required) throw new Error("SLUICE_NATS_URL is not set and SLUICE_REQUIRE_BROKERS=1");
  throw new Skip("no real NATS: set SLUICE_NATS_URL (or run scripts/brokers up)");
}

async function check(promise, what) {
  const { code, output } = await promise;
  if (code !== 0) throw new Error(`${what} exited ${code}\n${output.slice(-3000)}`);
  return output;
}

/** "3 passed, 0 failed" from a test runner's output. */
function counts(output) {
  const plain = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const deno = plain.match(/\|\s*(\d+) passed\s*\|\s*(\d+) failed/);
  if (deno) return `${deno[1]} passed, ${deno[2]} failed`;
  const bunPass = plain.match(/^\s*(\d+) pass\s*$/m);
  const bunFail = plain.match(/^\s*(\d+) fail\s*$/m);
  if (bunPass) return `${bunPass[1]} passed, ${bunFail?.[1] ?? 0} failed`;
  const nodePass = plain.match(/^ℹ pass (\d+)$/m);
  const nodeFail = plain.match(/^ℹ fail (\d+)$/m);
  const nodeSkip = plain.match(/^ℹ skipped (\d+)$/m);
  if (nodePass) return `${nodePass[1]} passed, ${nodeFail?.[1] ?? 0} failed, ${nodeSkip?.[1] ?? 0} skipped`;
  return "";
}

// --- The projects -----------------------------------------------------------------------------------------

const tsVersion = rootPackage.devDependencies.typescript;
const typesNodeVersion = rootPackage.devDependencies["@types/node"];

/** The tsconfig.json of the README's Install section (the json block after `<!-- install: tsconfig.json -->`). */
function readmeTsconfig() {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /<!-- install: tsconfig\.json -->\s*```json\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error("README.md has no tsconfig.json block marked <!-- install: tsconfig.json -->");
  return block[1];
}

function writeProject(dir, registry, files = {}) {
  mkdirSync(dir, { recursive: true });
  // Only the @sluice scope comes from the loopback registry; everything else from the usual one.
  writeFileSync(join(dir, ".npmrc"), `@sluice:registry=${registry}\n`);
  for (const name of ["app.ts", "app_test.ts"]) {
    cpSync(join(root, "tests", "install", "project", name), join(dir, name));
  }
  mkdirSync(join(dir, "quickstart"), { recursive: true });
  for (const name of ["app.ts", "app_test.ts"]) {
    cpSync(join(root, "examples", "quickstart", name), join(dir, "quickstart", name));
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/**
 * `sluice run app.ts --workers 2` on the real NATS server; `sluice publish` sends it an order; Ctrl-C
 * stops it, and it must exit 0 after both workers stopped. `runCli` runs the app where `cli` (which
 * publishes) cannot report the exit code: npx and `bun x` are processes of their own around the CLI, and
 * end themselves with the Ctrl-C they got too.
 */
async function cliRoundTrip(cli, { cwd, env }, runCli = cli) {
  const url = needNats();
  const app = start(runCli[0], [...runCli.slice(1), "run", "app.ts", "--workers", "2"], {
    cwd,
    env: { ...env, NATS_URL: url, NO_COLOR: "1" },
  });
  try {
    await app.until((out) => out.split("App started").length - 1 === 2);
    const id = Math.floor(Math.random() * 1e9);
    await check(
      sh(cli[0], [
        ...cli.slice(1),
        "publish",
        url,
        "orders.eu",
        JSON.stringify({ id, item: "tea", quantity: 2 }),
      ], {
        cwd,
        env,
      }),
      "sluice publish",
    );
    await app.until((out) => out.includes(`order ${id} from eu`));
    app.interrupt();
    const { code, signal } = await app.finished;
    const stopped = app.output.split("App stopped").length - 1;
    if (code !== 0 || stopped !== 2) {
      throw new Error(`after Ctrl-C: exit ${code ?? signal}, "App stopped" ${stopped} times`);
    }
    return "2 workers, 1 order, exit 0 after Ctrl-C";
  } finally {
    app.kill();
  }
}

/**
 * `sluice run quickstart/app.ts --http 0` with @sluice/http installed: /ready, /asyncapi.json and /docs
 * answer while it runs; Ctrl-C stops it with exit 0.
 */
async function httpRoundTrip(runCli, { cwd, env }) {
  const app = start(runCli[0], [
    ...runCli.slice(1),
    "run",
    "quickstart/app.ts",
    "--http",
    "0",
    "--host",
    "127.0.0.1",
  ], {
    cwd,
    env: { ...env, NO_COLOR: "1" },
  });
  try {
    await app.until((out) => out.includes("App started"));
    const origin = /HTTP on (http:\/\/127\.0\.0\.1:\d+)/.exec(app.output)?.[1];
    if (!origin) throw new Error(`no "HTTP on" line:\n${app.output}`);
    const ready = await fetch(`${origin}/ready`);
    if (ready.status !== 200) throw new Error(`/ready: ${ready.status} ${await ready.text()}`);
    const document = await (await fetch(`${origin}/asyncapi.json`)).json();
    if (!document.channels?.["users.created"]) throw new Error("/asyncapi.json has no users.created");
    const page = await (await fetch(`${origin}/docs`)).text();
    if (!page.includes('data-kind="subscriber"')) throw new Error("/docs has no topology");
    app.interrupt();
    const { code, signal } = await app.finished;
    if (code !== 0) throw new Error(`after Ctrl-C: exit ${code ?? signal}`);
    return "/ready 200, /asyncapi.json, /docs with its topology, exit 0 after Ctrl-C";
  } finally {
    app.kill();
  }
}

/** PATH without any folder that has a `deno` (or `bun`) in it, and with `first` in front. */
function pathWithout(names, first = []) {
  const folders = (process.env.PATH ?? "").split(delimiter).filter((folder) =>
    folder && !names.some((name) => existsSync(join(folder, name)))
  );
  return [...first, ...folders].join(delimiter);
}

async function main() {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), "sluice-install-"));
  if (work.startsWith(root)) throw new Error(`${work} is inside the repository`);
  const node24 = process.env.SLUICE_NODE ?? ensureNode();
  const nodeBin = dirname(node24);
  // Fresh caches: no package comes from an earlier run, and @sluice/* of the same version is rebuilt.
  const caches = join(work, "caches");
  const nodeEnv = {
    PATH: pathWithout(["deno", "bun"], [nodeBin]), // `node` is Node 24, for npm and npx too
    npm_config_cache: join(caches, "npm"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
  const bunEnv = { PATH: pathWithout(["deno", "bun"]), BUN_INSTALL_CACHE_DIR: join(caches, "bun") };
  const denoEnv = { PATH: pathWithout(["deno", "bun"]), DENO_DIR: join(caches, "deno"), NO_COLOR: "1" };

  console.log("Versions:");
  const version = async (label, command, args, env) => {
    const { output } = await sh(command, args, { env, echo: false });
    const line = output.trim().split("\n")[0];
    console.log(`  ${label.padEnd(10)} ${line}`);
    return line;
  };
  await version("node", node24, ["--version"]);
  await version("npm", "npm", ["--version"], nodeEnv);
  await version("bun", bun, ["--version"]);
  await version("deno", deno, ["--version"]);
  await version("tsc", tsc, ["--version"]);
  console.log(`  ${"folder".padEnd(10)} ${work}`);

  let registry;
  await step("pack every package (scripts/pack.mjs)", async () => {
    await check(
      sh(process.execPath, [join(root, "scripts", "pack.mjs"), "--out", join(work, "pack")]),
      "pack",
    );
    const packed = JSON.parse(readFileSync(join(work, "pack", "packed.json"), "utf8"));
    registry = await startRegistry(
      join(work, "pack"),
      packed.map((p) => ({
        manifest: JSON.parse(readFileSync(join(p.stage, "package.json"), "utf8")),
        file: p.file.split("/").at(-1),
      })),
    );
    return `${packed.length} packages, served at ${registry.url}`;
  });
  if (!registry) return finish(work, started);

  // --- Node 24, npm --------------------------------------------------------------------------------------
  const nodeDir = join(work, "node");
  writeProject(nodeDir, registry.url, {
    "package.json": JSON.stringify({ name: "shop", private: true, type: "module" }, null, 2) + "\n",
    "tsconfig.json": readmeTsconfig(),
  });
  const inNode = { cwd: nodeDir, env: nodeEnv };
  await step("node: npm install", async () => {
    await check(
      sh("npm", [
        "install",
        "@sluice/core",
        "@sluice/nats",
        "@sluice/cli",
        "@sluice/http",
        "arktype",
        "@nats-io/transport-node",
      ], inNode),
      "npm install",
    );
    await check(
      sh(
        "npm",
        ["install", "--save-dev", `typescript@${tsVersion}`, `@types/node@${typesNodeVersion}`],
        inNode,
      ),
      "npm install --save-dev",
    );
  });
  await step("node: tsc --noEmit (the built .d.ts, no skipLibCheck)", async () => {
    await check(sh("npx", ["tsc", "--noEmit", "-p", "."], inNode), "tsc");
    const { output } = await sh("npx", ["tsc", "--version"], { ...inNode, echo: false });
    return output.trim();
  });
  await step("node: tsc 5.9 --noEmit (the last TypeScript written in TypeScript)", async () => {
    await check(sh("npx", ["-y", "-p", "typescript@5.9.3", "tsc", "--noEmit", "-p", "."], inNode), "tsc 5.9");
    return "TypeScript 5.9.3";
  });
  await step("node: node --test", async () => {
    const output = await check(
      sh(node24, ["--test"], { ...inNode, env: { ...nodeEnv, ...(natsUrl ? { NATS_URL: natsUrl } : {}) } }),
      "node --test",
    );
    return counts(output);
  });
  await step("node: npx sluice --help", async () => {
    const output = await check(sh("npx", ["sluice", "--help"], inNode), "npx sluice --help");
    if (!output.includes("sluice run <file.ts>")) throw new Error("no usage text");
    const which = await sh("sh", ["-c", "command -v deno || echo none"], { ...inNode, echo: false });
    if (which.output.trim() !== "none") throw new Error(`deno is on PATH: ${which.output}`);
    return "exit 0, no deno on PATH";
  });
  await step(
    "node: node_modules/.bin/sluice run app.ts --workers 2 + npx sluice publish (real NATS)",
    () => cliRoundTrip(["npx", "sluice"], inNode, [join(nodeDir, "node_modules", ".bin", "sluice")]),
  );
  await step(
    "node: sluice run quickstart/app.ts --http 0 (@sluice/http)",
    () => httpRoundTrip([join(nodeDir, "node_modules", ".bin", "sluice")], inNode),
  );

  // --- Bun -----------------------------------------------------------------------------------------------
  const bunDir = join(work, "bun");
  writeProject(bunDir, registry.url, {
    "package.json": JSON.stringify({ name: "shop", private: true, type: "module" }, null, 2) + "\n",
  });
  const inBun = { cwd: bunDir, env: bunEnv };
  await step("bun: bun add", async () => {
    await check(
      sh(bun, ["add", "@sluice/core", "@sluice/nats", "@sluice/cli", "@sluice/http", "arktype"], inBun),
      "bun add",
    );
    if (!existsSync(join(bunDir, "node_modules", "@nats-io", "transport-node"))) {
      throw new Error("bun add did not install the peer @nats-io/transport-node");
    }
    return "the client library came as a peer dependency";
  });
  await step("bun: bun test", async () => {
    const output = await check(
      sh(bun, ["test"], { ...inBun, env: { ...bunEnv, ...(natsUrl ? { NATS_URL: natsUrl } : {}) } }),
      "bun test",
    );
    return counts(output);
  });
  await step("bun: bun x --bun sluice --help", async () => {
    await check(sh(bun, ["x", "--bun", "sluice", "--help"], inBun), "bun x --bun sluice --help");
  });
  await step(
    "bun: bun node_modules/.bin/sluice run app.ts --workers 2 + bun x --bun sluice publish (real NATS)",
    () =>
      cliRoundTrip([bun, "x", "--bun", "sluice"], inBun, [
        bun,
        join(bunDir, "node_modules", ".bin", "sluice"),
      ]),
  );
  await step(
    "bun: sluice run quickstart/app.ts --http 0 (@sluice/http)",
    () => httpRoundTrip([bun, join(bunDir, "node_modules", ".bin", "sluice")], inBun),
  );

  // --- Deno ----------------------------------------------------------------------------------------------
  const denoDir = join(work, "deno");
  // The packages were published a moment ago, and Deno installs only versions older than a day by default.
  writeProject(denoDir, registry.url, { "deno.json": '{ "minimumDependencyAge": 0 }\n' });
  const inDeno = { cwd: denoDir, env: denoEnv };
  await step("deno: deno add npm:@sluice/core npm:@sluice/nats npm:@sluice/http npm:arktype", async () => {
    await check(
      sh(deno, ["add", "npm:@sluice/core", "npm:@sluice/nats", "npm:@sluice/http", "npm:arktype"], inDeno),
      "deno add",
    );
    if (existsSync(join(denoDir, "node_modules"))) throw new Error("deno add made a node_modules folder");
    return readFileSync(join(denoDir, "deno.json"), "utf8").replace(/\s+/g, " ").trim();
  });
  await step("deno: deno test -A", async () => {
    const output = await check(
      sh(deno, ["test", "-A"], { ...inDeno, env: { ...denoEnv, ...(natsUrl ? { NATS_URL: natsUrl } : {}) } }),
      "deno test",
    );
    return counts(output);
  });
  await step("deno: deno run -A npm:@sluice/cli --help", async () => {
    await check(
      sh(deno, ["run", "-A", "npm:@sluice/cli", "--help"], inDeno),
      "deno run npm:@sluice/cli --help",
    );
  });
  await step(
    "deno: deno run -A npm:@sluice/cli run app.ts --workers 2 + publish (real NATS)",
    () => cliRoundTrip([deno, "run", "-A", "npm:@sluice/cli"], inDeno),
  );
  await step(
    "deno: deno run -A npm:@sluice/cli run quickstart/app.ts --http 0 (@sluice/http)",
    () => httpRoundTrip([deno, "run", "-A", "npm:@sluice/cli"], inDeno),
  );

  await registry.close();
  return finish(work, started);
}

function finish(work, started) {
  console.log("\nOutside-project test:");
  for (const r of results) {
    console.log(
      `  ${r.status.padEnd(4)} ${r.name} in ${r.seconds.toFixed(1)} s${r.note ? `: ${r.note}` : ""}`,
    );
  }
  const passed = results.filter((r) => r.status === "ok").length;
  const skipped = results.filter((r) => r.status === "skip").length;
  console.log(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (flags.keep) console.log(`  kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(`install: ${passed} passed, ${failures} failed, ${skipped} skipped`);
  process.exit(failures === 0 ? 0 : 1);
}

await main();
