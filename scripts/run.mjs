#!/usr/bin/env node
// The two entry points of the README, for a fresh machine with only Node.js and npm:
//   npm start  → installs what is missing, runs examples/hello on the in-memory broker
//   npm test   → installs what is missing, runs `deno task ok` (format, lint, type check, tests under Deno,
//                repository checks, `deno publish --dry-run`), the tests under Bun and under Node 24
//                (`node --test`, with the Node that scripts/node24.mjs installs); prints one summary line.
// It is plain Node.js (the machine's Node 20 cannot run .ts) and only spawns the real tools.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNode } from "./node24.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(command, args, { capture = false, env = {} } = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: capture ? ["inherit", "pipe", "pipe"] : "inherit",
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (capture) {
    process.stdout.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
  }
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: `${result.stdout ?? ""}\n${result.stderr ?? ""}` };
}

function ensureInstalled() {
  if (
    existsSync(bin("deno")) && existsSync(bin("bun")) &&
    existsSync(join(root, "node_modules", "@sluice", "core"))
  ) return;
  console.log("Installing dependencies (npm install) …");
  const { status } = run("npm", ["install", "--no-audit", "--no-fund"]);
  if (status !== 0) process.exit(status);
}

// deno: "ok | 12 passed (30 steps) | 0 failed"; bun: " 12 pass" / " 0 fail"; node: "ℹ pass 12" / "ℹ fail 0".
function count(output) {
  const plain = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  let passed = 0;
  let failed = 0;
  for (
    const m of plain.matchAll(
      /\|\s*(\d+) passed(?: \((\d+) steps?\))?\s*\|\s*(\d+) failed(?: \((\d+) steps?\))?/g,
    )
  ) {
    passed += Number(m[2] ?? m[1]);
    failed += Number(m[4] ?? m[3]);
  }
  const bunPass = plain.match(/^\s*(\d+) pass\s*$/m);
  const bunFail = plain.match(/^\s*(\d+) fail\s*$/m);
  if (bunPass) passed += Number(bunPass[1]);
  if (bunFail) failed += Number(bunFail[1]);
  const nodePass = plain.match(/^ℹ pass (\d+)$/m);
  const nodeFail = plain.match(/^ℹ fail (\d+)$/m);
  if (nodePass) passed += Number(nodePass[1]);
  if (nodeFail) failed += Number(nodeFail[1]);
  return { passed, failed, failures: failures(plain) };
}

// The names of failed tests, so that the summary (all a CI log's tail may keep) says which ones failed.
// bun: "(fail) suite > name [12.00ms]"; deno: the lines of its " FAILURES " section, "name => ./file.ts:1:2";
// node: the "✖ name (1.2ms)" lines after "✖ failing tests:".
function failures(plain) {
  const names = [];
  for (const m of plain.matchAll(/^\(fail\) (.+?)(?: \[[\d.]+m?s\])?$/gm)) names.push(m[1]);
  const deno = plain.match(/^ FAILURES \s*\n([\s\S]*?)\n(?:FAILED|ok) \|/m);
  if (deno) names.push(...deno[1].split("\n").filter((line) => line.includes(" => ")));
  const node = plain.split(/^✖ failing tests:$/m)[1];
  if (node) {
    for (const m of node.matchAll(/^✖ (.+?)(?: \([\d.]+m?s\))?$/gm)) names.push(m[1]);
  }
  return [...new Set(names)];
}

function test() {
  ensureInstalled();
  // Every runner's tests that spawn each runtime (the CLI's workers, Kafka's warnings) include Node 24.
  const node = process.env.SLUICE_NODE ?? ensureNode();
  process.env.SLUICE_NODE = node;
  const steps = [];
  const started = Date.now();
  const step = (name, command, args, options) => {
    const t0 = Date.now();
    console.log(`\n▶ ${name}`);
    const result = run(command, args, options);
    steps.push({ name, status: result.status, seconds: (Date.now() - t0) / 1000, ...count(result.output) });
    return result.status;
  };
  step("deno task ok (format, lint, type check, tests under Deno, repository checks)", bin("deno"), [
    "task",
    "ok",
  ], {
    capture: true,
  });
  step("tests under Bun", bin("bun"), ["test", "--timeout", "120000"], { capture: true });
  // Node 24 strips the types of .ts files outside node_modules; the workspace packages are symlinks there,
  // which Node follows to their real paths in this repository, so it runs the sources as Deno and Bun do.
  step("tests under Node 24 (node --test)", node, ["--test"], {
    capture: true,
  });
  console.log("\nSummary:");
  for (const s of steps) {
    const counts = s.passed + s.failed > 0 ? ` (${s.passed} passed, ${s.failed} failed)` : "";
    console.log(`  ${s.status === 0 ? "ok  " : "FAIL"} ${s.name}${counts} in ${s.seconds.toFixed(1)} s`);
    for (const name of s.failures.slice(0, 30)) console.log(`         failed: ${name}`);
    if (s.failures.length > 30) console.log(`         … and ${s.failures.length - 30} more`);
  }
  const passed = steps.reduce((n, s) => n + s.passed, 0);
  const failed = steps.reduce((n, s) => n + s.failed, 0);
  console.log(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(steps.every((s) => s.status === 0) ? 0 : 1);
}

function demo() {
  ensureInstalled();
  const { status } = run(bin("deno"), [
    "run",
    "--allow-env",
    "examples/hello/main.ts",
    ...process.argv.slice(3),
  ]);
  process.exit(status);
}

const command = process.argv[2];
if (command === "test") test();
else if (command === "demo") demo();
else {
  console.error("usage: node scripts/run.mjs test|demo");
  process.exit(2);
}
