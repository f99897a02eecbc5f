// `sluice docs gen | serve | diff`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../mod.ts";

const fixture = fileURLToPath(new URL("./fixture_app.ts", import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    options: { print: (l: string) => void out.push(l), printError: (l: string) => void err.push(l) },
  };
}

async function inTemp<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-docs-"));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("sluice docs", () => {
  it("gen prints the app's AsyncAPI document as JSON, or as YAML with --yaml", async () => {
    const io = capture();
    assert.equal(await main(["docs", "gen", `${fixture}:app`], io.options), 0);
    const document = JSON.parse(io.out.join("\n"));
    assert.equal(document.asyncapi, "3.0.0");
    assert.equal(document.channels.ping.address, "ping");
    assert.equal(await main(["docs", "gen", `${fixture}:broker`, "--yaml"], io.options), 0);
    assert.match(io.out.at(-1)!, /^asyncapi: "3\.0\.0"\n/);
    assert.match(io.out.at(-1)!, /^ {2}ping:\n {4}address: ping$/m);
  });

  it("gen --out writes the file, as YAML when its name ends with .yaml", async () => {
    await inTemp(async (dir) => {
      const io = capture();
      const json = join(dir, "asyncapi.json");
      const yaml = join(dir, "asyncapi.yaml");
      assert.equal(await main(["docs", "gen", fixture, "--out", json], io.options), 0);
      assert.equal(await main(["docs", "gen", fixture, "--out", yaml], io.options), 0);
      assert.deepEqual(io.out, []);
      assert.match(io.err[0]!, /wrote the AsyncAPI document of .*fixture_app\.ts to .*asyncapi\.json/);
      assert.equal(JSON.parse(await readFile(json, "utf8")).asyncapi, "3.0.0");
      assert.match(await readFile(yaml, "utf8"), /^asyncapi: "3\.0\.0"\n/);
    });
  });

  it("serve serves the document as JSON and YAML until its signal aborts", async () => {
    const io = capture();
    const controller = new AbortController();
    const serving = main(["docs", "serve", `${fixture}:app`, "--port", "0"], {
      ...io.options,
      signal: controller.signal,
    });
    while (io.out.length === 0) await new Promise((r) => setTimeout(r, 5));
    const origin = /(http:\/\/127\.0\.0\.1:\d+)\/asyncapi\.json/.exec(io.out[0]!)![1]!;
    const json = await fetch(`${origin}/asyncapi.json`);
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.equal((await json.json()).asyncapi, "3.0.0");
    const yaml = await fetch(`${origin}/asyncapi.yaml`);
    assert.equal(yaml.headers.get("content-type"), "application/yaml");
    assert.match(await yaml.text(), /^asyncapi: "3\.0\.0"/);
    // With @sluice/http (a workspace package here), the root and /docs are its docs page.
    const page = await fetch(`${origin}/`);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.match(html, /<svg[^>]+class="topology"/);
    assert.equal(await (await fetch(`${origin}/docs`)).text(), html);
    assert.match(io.out[0]!, /its page at http:\/\/127\.0\.0\.1:\d+\//);
    const missing = await fetch(`${origin}/nothing`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    controller.abort();
    assert.equal(await serving, 0);
  });

  it("diff lists the changes one per line and exits 1 on a breaking one, 0 otherwise", async () => {
    await inTemp(async (dir) => {
      const write = async (name: string, channels: Record<string, unknown>): Promise<string> => {
        const file = join(dir, name);
        await writeFile(
          file,
          JSON.stringify({ asyncapi: "3.0.0", info: { title: "t", version: "1" }, channels }),
        );
        return file;
      };
      const one = await write("one.json", { a: { address: "a" } });
      const two = await write("two.json", { a: { address: "a" }, b: { address: "b" } });
      const io = capture();
      assert.equal(await main(["docs", "diff", one, two], io.options), 0);
      assert.deepEqual(io.out, ["additive: channel b added"]);
      assert.equal(await main(["docs", "diff", two, one], io.options), 1);
      assert.deepEqual(io.out.slice(1), ["breaking: channel b removed"]);
      assert.equal(await main(["docs", "diff", one, one], io.options), 0);
      assert.equal(io.out.at(-1), "No changes to servers, channels, operations or messages.");
      assert.equal(await main(["docs", "diff", two, one, "--json"], io.options), 1);
      assert.deepEqual(JSON.parse(io.out.at(-1)!), {
        breaking: 1,
        additive: 0,
        changes: [{ kind: "breaking", rule: "channel-removed", message: "channel b removed" }],
      });
    });
  });

  it("exits 2 with a clear message for a wrong use", async () => {
    await inTemp(async (dir) => {
      const yaml = join(dir, "old.yaml");
      await writeFile(yaml, "asyncapi: 3.0.0\n");
      const notAsyncApi = join(dir, "other.json");
      await writeFile(notAsyncApi, '{"openapi":"3.1.0"}');
      const cases: [string[], RegExp][] = [
        [["docs"], /sluice docs takes gen, serve or diff/],
        [["docs", "publish"], /Unknown docs command "publish"/],
        [["docs", "gen"], /sluice docs gen takes one target/],
        [["docs", "gen", `${fixture}:nope`], /has no App or Broker export named "nope"/],
        [["docs", "serve", fixture, "--port", "http"], /--port takes a port number/],
        [["docs", "diff", yaml], /sluice docs diff takes two files/],
        [["docs", "diff", yaml, yaml], /is not JSON: sluice docs diff compares JSON documents/],
        [["docs", "diff", notAsyncApi, notAsyncApi], /is not an AsyncAPI 3 document/],
        [["docs", "diff", join(dir, "missing.json"), notAsyncApi], /Cannot read .*missing\.json/],
      ];
      for (const [args, message] of cases) {
        const io = capture();
        assert.equal(await main(args, io.options), 2, args.join(" "));
        assert.match(io.err[0]!, message);
      }
    });
  });

  it("is in the help", async () => {
    const io = capture();
    assert.equal(await main(["--help"], io.options), 0);
    assert.match(io.out[0]!, /sluice docs gen <file\.ts>\[:export\] \[--yaml\] \[--out FILE\]/);
    assert.match(io.out[0]!, /sluice docs diff <old\.json> <new\.json> \[--json\]/);
  });
});
