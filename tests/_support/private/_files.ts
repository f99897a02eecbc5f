/** Programs, temporary folders, and the PrivateBroker every private broker returns. */
import process from "node:process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PrivateBroker, PrivateBrokerName } from "./mod.ts";
import type { Server } from "./_server.ts";

/** The full path of a program on the PATH or in an sbin folder (Debian puts daemons there), else undefined. */
export function which(program: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(":"),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
  ];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

/** Why `program` cannot run, or undefined when it is installed. */
export function missingProgram(program: string): string | undefined {
  return which(program) ? undefined : `no ${program} program (scripts/brokers up installs it)`;
}

/** A fresh temporary folder for a broker's data and configuration. */
export function dataDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-private-${name}-`));
}

/** A PrivateBroker over `servers` (started in order, stopped in reverse), its data in `dir`. */
export function privateHandle(
  name: PrivateBrokerName,
  url: string,
  port: number,
  dir: string,
  main: Server,
  helpers: readonly Server[] = [],
): PrivateBroker {
  let disposed = false;
  return {
    name,
    url,
    port,
    get running() {
      return main.running;
    },
    start: async () => {
      for (const helper of helpers) await helper.start();
      await main.start();
    },
    stop: () => main.stop(),
    kill: () => main.kill(),
    output: () => main.output(),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await main.stop();
      for (const helper of [...helpers].reverse()) await helper.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
