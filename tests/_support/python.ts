/**
 * The Python with FastStream 0.7.8 that the interoperability tests run as a peer, runtime-neutral.
 *
 * Where it comes from, in order:
 *   1. `SLUICE_PYTHON`, the path of a python executable (`eval "$(scripts/python env)"` sets it);
 *   2. the virtualenv `scripts/python` makes: `${SLUICE_PYTHON_HOME:-~/.cache/sluice/python}/bin/python`;
 *   3. else `undefined`, after one loud line on stderr (`SKIP: no Python FastStream 0.7.8: run scripts/python`).
 *      With `SLUICE_REQUIRE_PYTHON=1` (CI sets it) it throws instead, so the test file fails.
 *
 * Either python must import FastStream 0.7.8 with the clients of every broker, or it counts as missing.
 */
import process from "node:process";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** The FastStream release the peer is pinned to (tests/interop/peer/requirements.txt). */
export const FASTSTREAM_VERSION = "0.7.8";

const CHECK = [
  "from importlib.metadata import version",
  "import faststream.kafka, faststream.rabbit, faststream.nats, faststream.redis, faststream.mqtt",
  "print(version('faststream'))",
].join("; ");

let found: { python?: string } | undefined;

/**
 * The path of a python that imports FastStream 0.7.8 with every broker's client, else undefined after a
 * SKIP line (or an error with `SLUICE_REQUIRE_PYTHON=1`).
 */
export function faststreamPython(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env === process.env && found) return found.python;
  const home = env.SLUICE_PYTHON_HOME || join(env.HOME ?? "/root", ".cache", "sluice", "python");
  const candidate = env.SLUICE_PYTHON?.trim() || join(home, "bin", "python");
  let why: string;
  if (!env.SLUICE_PYTHON?.trim() && !existsSync(candidate)) {
    why = `${candidate} does not exist`;
  } else {
    const check = spawnSync(candidate, ["-c", CHECK], { encoding: "utf8", timeout: 60_000 });
    const version = check.stdout?.trim();
    if (check.status === 0 && version === FASTSTREAM_VERSION) {
      if (env === process.env) found = { python: candidate };
      return candidate;
    }
    why = check.error
      ? `${candidate} cannot run (${check.error.message})`
      : check.status === 0
      ? `${candidate} has FastStream ${version}, not ${FASTSTREAM_VERSION}`
      : `${candidate} cannot import FastStream's broker modules: ${
        (check.stderr ?? "").trim().split("\n").pop()
      }`;
  }
  const hint = `${why}: run scripts/python (or set SLUICE_PYTHON)`;
  if (env.SLUICE_REQUIRE_PYTHON === "1") {
    throw new Error(
      `SLUICE_REQUIRE_PYTHON=1 but there is no Python FastStream ${FASTSTREAM_VERSION}: ${hint}`,
    );
  }
  console.warn(`SKIP: no Python FastStream ${FASTSTREAM_VERSION}: ${hint}`);
  if (env === process.env) found = {};
  return undefined;
}

const extras = new Map<string, string | undefined>();

/**
 * The FastStream python of {@link faststreamPython} when it also imports `modules` (FastStream's
 * OpenTelemetry or Prometheus middleware and their libraries, which scripts/python installs), else undefined
 * after a SKIP line naming `what` (or an error with `SLUICE_REQUIRE_PYTHON=1`).
 */
export function faststreamPythonWith(modules: readonly string[], what: string): string | undefined {
  const key = modules.join(",");
  if (extras.has(key)) return extras.get(key);
  let python = faststreamPython();
  if (python) {
    const check = spawnSync(python, ["-c", `import ${key}`], { encoding: "utf8", timeout: 60_000 });
    if (check.status !== 0) {
      const why = `${python} has FastStream ${FASTSTREAM_VERSION} but not ${what} (${
        (check.stderr ?? "").trim().split("\n").pop()
      }): run scripts/python`;
      if (process.env.SLUICE_REQUIRE_PYTHON === "1") throw new Error(`SLUICE_REQUIRE_PYTHON=1 but ${why}`);
      console.warn(`SKIP: ${why}`);
      python = undefined;
    }
  }
  extras.set(key, python);
  return python;
}
