/**
 * The runtimes Sluice supports, as child processes: tests that must hold on every runtime, whichever one
 * runs the test, spawn a script under each of them.
 */
import process from "node:process";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A runtime that can run a TypeScript file. */
export interface Runtime {
  readonly name: "deno" | "bun" | "node";
  /** The executable, from the repository's node_modules. */
  readonly command: string;
  /** The arguments that run `script` with `args`. */
  args(script: string, ...args: string[]): string[];
}

const bin = (name: string): string =>
  fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

/**
 * A Node.js that runs TypeScript (24 or later, which strips the types of .ts files outside node_modules):
 * the one in `SLUICE_NODE` (`npm test` sets it to the one `scripts/node24.mjs` installs), or the Node
 * running these tests if it is one. Undefined otherwise, with a loud line: Node's cases are left out.
 */
function node24(): string | undefined {
  if (process.env.SLUICE_NODE) return process.env.SLUICE_NODE;
  const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);
  if (isNode && Number(process.versions.node.split(".")[0]) >= 24) return process.execPath;
  console.log(
    "SKIP: the Node.js runtime cases: set SLUICE_NODE to a Node 24 (node scripts/node24.mjs prints one)",
  );
  return undefined;
}

const node = node24();

/** Deno and Bun, as installed by `npm install`, and Node 24 where there is one (see `SLUICE_NODE`). */
export const RUNTIMES: readonly Runtime[] = [
  { name: "deno", command: bin("deno"), args: (script, ...args) => ["run", "-A", script, ...args] },
  { name: "bun", command: bin("bun"), args: (script, ...args) => [script, ...args] },
  ...(node
    ? [{
      name: "node" as const,
      command: node,
      args: (script: string, ...args: string[]) => [script, ...args],
    }]
    : []),
];

/** What a finished child process left behind. */
export interface Finished {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A child process running a script, with its output so far. */
export interface Running {
  readonly pid: number;
  /** Standard output and error so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves once `test` holds for the output so far; rejects if the process ends first or after `timeout` ms. */
  until(test: (stdout: string) => boolean, timeout?: number): Promise<void>;
  /** Resolves when the process ends. */
  readonly finished: Promise<Finished>;
  /** Kills the process (and its group, if it leads one) unless it ended; for a test's cleanup. */
  kill(): void;
}

/** Options of {@linkcode runScript}. */
export interface RunScriptOptions {
  /** Variables added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Leads its own process group, which `process.kill(-pid, signal)` signals as a whole, as a terminal does
   * on Ctrl-C.
   */
  readonly group?: boolean;
}

/** Runs `script` with `args` under `runtime`, its output piped. */
export function runScript(
  runtime: Runtime,
  script: string,
  args: readonly string[] = [],
  options: RunScriptOptions = {},
): Running {
  const child = spawn(runtime.command, runtime.args(script, ...args), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    detached: options.group ?? false,
  });
  let stdout = "";
  let stderr = "";
  const changed = new Set<() => void>();
  child.stdout!.on("data", (chunk) => {
    stdout += String(chunk);
    for (const notify of changed) notify();
  });
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  let closed = false;
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => {
      closed = true;
      resolve({ code, signal, stdout, stderr });
    })
  );
  return {
    pid: child.pid!,
    kill: () => {
      if (closed) return;
      try {
        process.kill(options.group ? -child.pid! : child.pid!, "SIGKILL");
      } catch {
        // It ended meanwhile.
      }
    },
    output: () => ({ stdout, stderr }),
    finished,
    until: (test, timeout = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!test(stdout)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`Not seen within ${timeout} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeout);
        const ended = () => {
          done();
          reject(new Error(`The process ended first; stdout:\n${stdout}\nstderr:\n${stderr}`));
        };
        const done = () => {
          clearTimeout(timer);
          changed.delete(check);
          child.off("close", ended);
        };
        changed.add(check);
        child.once("close", ended);
        check();
        if (closed) ended();
      }),
  };
}
