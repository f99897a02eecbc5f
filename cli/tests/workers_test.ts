// `sluice run --workers N` in real processes, under every runtime: a clean stop exits 0.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runScript, RUNTIMES } from "../../tests/_support/runtimes.ts";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const fixture = fileURLToPath(new URL("./fixture_app.ts", import.meta.url));

const count = (text: string, line: string): number => text.split(line).length - 1;

describe("sluice run --workers 2", () => {
  for (const runtime of RUNTIMES) {
    // `kill` signals the CLI alone; Ctrl-C in a terminal signals its whole process group, workers included.
    const stops = [
      { how: "SIGTERM", signal: "SIGTERM", toGroup: false },
      { how: "SIGINT", signal: "SIGINT", toGroup: false },
      { how: "Ctrl-C (SIGINT to the whole process group)", signal: "SIGINT", toGroup: true },
    ] as const;
    for (const { how, signal, toGroup } of stops) {
      it(`exits 0 once both workers stopped cleanly on ${how}, under ${runtime.name}`, {
        timeout: 60_000,
      }, async () => {
        const args = ["run", `${fixture}:app`, "--workers", "2", "--log-level", "info"];
        const cli = runScript(runtime, main, args, { group: true });
        try {
          await cli.until((stdout) => count(stdout, "App started") === 2);
          process.kill(toGroup ? -cli.pid : cli.pid, signal);
          const { code, signal: killedBy, stdout, stderr } = await cli.finished;
          assert.equal(count(stdout, "App stopped"), 2, `both workers stopped:\n${stdout}\n${stderr}`);
          assert.deepEqual({ code, killedBy }, { code: 0, killedBy: null }, stderr);
        } finally {
          cli.kill();
        }
      });
    }
  }
});
