// `sluice run --http PORT` in real processes, under every runtime: the probes, the documents, and on SIGTERM
// /ready at 503 while the app drains, before it stops.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runScript, RUNTIMES } from "../../tests/_support/runtimes.ts";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const fixture = fileURLToPath(new URL("./http_fixture_app.ts", import.meta.url));

describe("sluice run --http", () => {
  for (const runtime of RUNTIMES) {
    it(`serves the probes and docs, and answers 503 while draining on SIGTERM, under ${runtime.name}`, {
      timeout: 60_000,
    }, async () => {
      const args = ["run", `${fixture}:app`, "--http", "0", "--host", "127.0.0.1", "--log-level", "info"];
      const cli = runScript(runtime, main, args);
      try {
        await cli.until((stdout) => stdout.includes("App started"));
        const origin = cli.output().stdout.match(/HTTP on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
        assert.ok(origin, cli.output().stdout);
        assert.equal((await fetch(`${origin}/health`)).status, 200);
        const ready = await fetch(`${origin}/ready`);
        assert.equal(ready.status, 200);
        assert.equal((await ready.json()).status, "ready");
        const document = await (await fetch(`${origin}/asyncapi.json`)).json();
        assert.deepEqual(Object.keys(document.channels), ["slow", "memory.replies"]);
        assert.match(await (await fetch(`${origin}/docs`)).text(), /<h3>slow<\/h3>/);
        process.kill(cli.pid, "SIGTERM");
        let draining: { status: number; body: { status: string } } | undefined;
        for (let i = 0; i < 100 && !draining; i++) {
          const response = await fetch(`${origin}/ready`);
          const body = await response.json();
          if (response.status === 503) draining = { status: response.status, body };
          else await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.deepEqual(draining?.body.status, "draining");
        assert.ok(!cli.output().stdout.includes("slow handler done"), "503 came before the drain ended");
        const { code, stdout, stderr } = await cli.finished;
        assert.equal(code, 0, stderr);
        assert.ok(stdout.indexOf("slow handler done") < stdout.indexOf("App stopped"), stdout);
        await assert.rejects(fetch(`${origin}/health`), "the server stopped with the app");
      } finally {
        cli.kill();
      }
    });
  }

  it("refuses --http with --workers, saying why", async () => {
    const { main: cliMain } = await import("../mod.ts");
    const errors: string[] = [];
    const code = await cliMain(["run", `${fixture}:app`, "--http", "8080", "--workers", "2"], {
      printError: (line) => errors.push(line),
    });
    assert.equal(code, 2);
    assert.match(errors[0]!, /--http serves one process's probes/);
  });
});
